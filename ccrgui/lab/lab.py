"""The lab's composition root: a simulated CCR cluster behind real WinRM endpoints on 127.0.0.1.

`Lab` wires the topology, clock, event journal, cluster engine and one `NodeHost` per node
to one WS-Management server per node, plus one for the cluster name (routed to whichever
node owns the cluster core group, as the cluster IP address resource would be).  Everything
runs on daemon threads, so the GUI can host a lab in-process without blocking its loop.
"""

from __future__ import annotations

import contextlib
import functools
import time
from types import TracebackType
from typing import Any, Literal

from ccrgui.domain.model import GroupState
from ccrgui.lab import cmdshell
from ccrgui.lab.clock import Clock
from ccrgui.lab.engine import ClusterEngine, LabError
from ccrgui.lab.eventlog import EventJournal
from ccrgui.lab.faults import Costs, Faults
from ccrgui.lab.nodehost import NodeHost
from ccrgui.lab.received import ReceivedLog
from ccrgui.lab.topology import Account, Topology, default_topology
from ccrgui.lab.wsman import CREDENTIALS, ShellService, TlsConfig, WSManServer, lab_certificates
from ccrgui.lab.wsman.shells import DEFAULT_IDLE_TIMEOUT_S

AuthMode = Literal["ntlm", "basic-https"]


class Lab:
    """A running simulated cluster: `with Lab() as lab: ... lab.endpoints[...]`.

    Network faults, switchable while it runs (names are node names, or the cluster name):
      lab.faults.down.add(node)                       connection refused until removed (same port after)
      lab.faults.hang.add(node)                       requests are read but never answered until removed
      lab.faults.arm(lab.faults.http500_next, node, n)  next n SOAP requests: HTTP 500 w:InternalError
      lab.faults.reject_auth.add(node)                every logon fails with 401
      lab.faults.arm(lab.faults.garble_next, node)    next reply's stdout corrupted (truncate_next: halved)
      lab.faults.receive_timeout_cap_s = 0.5          Receive answers w:TimedOut after 0.5 s
      lab.faults.costs.latency_s = 0.05               added to every HTTP request
    A node the engine has powered off (reboot, crash) refuses connections the same way; the
    cluster name follows the node owning the core group and refuses while that group is offline.
    Maintenance controls on the engine (issue 12):
      lab.engine.simulate_backup(sg=None, kind="full"|"incremental", node=None)  backup times move
      lab.engine.set_witness_reachable(False[, node])   the witness share stops answering (Test-Path)
      lab.engine.dismount_database(db) / mount_database(db); fail_copy(sg, message)
    """

    def __init__(
        self,
        topology: Topology | None = None,
        *,
        auth: AuthMode = "ntlm",
        speed: float = 1.0,
        costs: Costs | None = None,
        events: int = 2000,
        host: str = "127.0.0.1",
        allow_unencrypted: bool = False,
        seed: int = 1,
        base_port: int | None = None,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
    ) -> None:
        if auth not in ("ntlm", "basic-https"):
            raise ValueError(f"auth must be 'ntlm' or 'basic-https', not {auth!r}")
        self.topology = topology or default_topology()
        self.auth: AuthMode = auth
        self.host = host
        self.allow_unencrypted = allow_unencrypted
        self.seed = seed
        self.base_port = base_port
        self.idle_timeout_s = idle_timeout_s
        self.faults = Faults(costs=costs or Costs())
        self.clock = Clock(speed)
        self.journal = EventJournal(self.topology, history=events, seed=seed, clock=self.clock)
        self.engine = ClusterEngine(
            self.topology, clock=self.clock, faults=self.faults, journal=self.journal, seed=seed
        )
        self.hosts: dict[str, NodeHost] = {
            n.name: NodeHost(n.name, self.engine, self.journal, self.faults) for n in self.topology.nodes
        }
        admin = next((a for a in self.topology.accounts if a.admin), self.topology.accounts[0])
        self.account: Account = admin
        self.username = admin.qualified
        self.password = admin.password
        self.ca_file: str | None = None
        self.endpoints: dict[str, str] = {}
        self.cluster_endpoint = ""
        self.services: dict[str, ShellService] = {}
        self.received = ReceivedLog()  # every command line each node received (tests compare)
        self.servers: dict[str, WSManServer] = {}
        self.cluster_server: WSManServer | None = None
        self._cred_handle: int | None = None
        self._running = False

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Lab:
        """Open every endpoint; returns once they accept connections."""
        if self._running:
            return self
        self._cred_handle = CREDENTIALS.register(self.topology.accounts)
        tls: TlsConfig | None = None
        if self.auth == "basic-https":
            certs = lab_certificates((self.host,))
            self.ca_file = certs.ca_file
            tls = certs.server_config()
        try:
            for i, spec in enumerate(self.topology.nodes):
                name = spec.name
                service = ShellService(
                    name,
                    functools.partial(cmdshell.launch, self.hosts[name]),
                    self.faults,
                    max_idle_timeout_s=self.idle_timeout_s,
                    seed=self.seed + i,
                    received=self.received,
                )
                self.services[name] = service
                server = WSManServer(
                    name,
                    resolve=functools.partial(self._node_service, name),
                    faults=self.faults,
                    accounts=self.topology.accounts,
                    is_down=functools.partial(self.node_is_down, name),
                    on_down=service.drop_all,
                    tls=tls,
                    allow_unencrypted=self.allow_unencrypted,
                    host=self.host,
                    port=self._port(i),
                )
                self.servers[name] = server.start()
                self.endpoints[name] = server.url
            cluster = WSManServer(
                self.topology.cluster_name,
                resolve=self._cluster_service,
                faults=self.faults,
                accounts=self.topology.accounts,
                fault_node=self._cluster_owner_or_name,
                is_down=self._cluster_is_down,
                tls=tls,
                allow_unencrypted=self.allow_unencrypted,
                host=self.host,
                port=self._port(len(self.topology.nodes)),
            )
            self.cluster_server = cluster.start()
            self.cluster_endpoint = cluster.url
        except BaseException:
            self.stop()
            raise
        self._running = True
        return self

    def stop(self) -> None:
        """Close every endpoint, kill running programs, stop timed transitions."""
        servers = list(self.servers.values())
        if self.cluster_server is not None:
            servers.append(self.cluster_server)
        for server in servers:
            server.stop()
        for service in self.services.values():
            service.close()
        self.servers.clear()
        self.services.clear()
        self.cluster_server = None
        with contextlib.suppress(Exception):
            self.engine.stop()
        with contextlib.suppress(Exception):
            self.clock.stop()
        if self._cred_handle is not None:
            CREDENTIALS.unregister(self._cred_handle)
            self._cred_handle = None
        self._running = False

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _port(self, index: int) -> int:
        return 0 if self.base_port is None else self.base_port + index

    # --- routing -----------------------------------------------------------------------------

    def node_is_down(self, name: str) -> bool:
        """Down means connection refused: the machine is off or rebooting (engine) or a fault says so."""
        if self.faults.is_down(name):
            return True
        try:
            return not self.engine.node_is_powered(name)
        except LabError:
            return True

    def _node_service(self, name: str) -> ShellService | None:
        return self.services.get(name)

    def cluster_owner(self) -> str | None:
        """The node answering for the cluster name right now, or None if nobody does."""
        try:
            return self.engine.resolve_cluster_target(self.topology.cluster_name)
        except LabError:
            return None

    def _cluster_owner_or_name(self) -> str:
        return self.cluster_owner() or self.topology.cluster_name

    def _cluster_is_down(self) -> bool:
        """The cluster name answers only while its core group (the cluster IP address) is up."""
        owner = self.cluster_owner()
        if owner is None or self.node_is_down(owner):
            return True
        core = next((g for g in self.topology.groups if g.kind == "core"), None)
        if core is None:
            return False
        try:
            state = self.engine.group(core.name).state
        except LabError:
            return True
        return state in (GroupState.OFFLINE, GroupState.FAILED)

    def _cluster_service(self) -> ShellService | None:
        owner = self.cluster_owner()
        if owner is None or self.node_is_down(owner):
            return None
        return self.services.get(owner)

    def wait_listening(self, name: str, listening: bool = True, timeout: float = 5.0) -> bool:
        """Wait until the endpoint of node `name` (or the cluster name) is open/closed.

        Endpoints follow faults and engine state within ~50 ms; tests flip `faults.down` and
        call this instead of sleeping."""
        if name.casefold() == self.topology.cluster_name.casefold():
            server = self.cluster_server
        else:
            server = next((s for n, s in self.servers.items() if n.casefold() == name.casefold()), None)
        if server is None:
            raise KeyError(name)
        deadline = time.monotonic() + timeout
        while server.up != listening:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    # --- description -------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """What `ccrgui-lab` prints: where the endpoints are, how to log on, and the upgrade
        material every node has (setup media folders and update rollup packages, with builds)."""
        return {
            "cluster": self.topology.cluster_name,
            "nodes": dict(self.endpoints),
            "cluster_endpoint": self.cluster_endpoint,
            "auth": self.auth,
            "username": self.username,
            "password": self.password,
            "ca_file": self.ca_file,
            "speed": self.clock.speed,
            "setup_media": [{"path": m.path, "build": m.build} for m in self.topology.setup_media],
            "rollups": [
                {"path": r.path, "build": r.build, "name": r.name, "reboot_required": r.reboot_required}
                for r in self.topology.rollups
            ],
        }
