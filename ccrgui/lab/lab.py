"""The lab's composition root: a simulated CCR cluster behind real WinRM endpoints on 127.0.0.1.

`Lab` wires the topology, clock, event journal, cluster engine and one `NodeHost` per node
to one WS-Management server per node, plus one for the cluster name (routed to whichever
node owns the cluster core group, as the cluster IP address resource would be).  Everything
runs on daemon threads, so the GUI can host a lab in-process without blocking its loop.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import time
from types import TracebackType
from typing import Any, Literal

from ccrgui.domain.model import GroupState
from ccrgui.lab import cmdshell
from ccrgui.lab.clock import Clock
from ccrgui.lab.engine import ClusterEngine, LabError
from ccrgui.lab.eventlog import EventJournal
from ccrgui.lab.exposure import exposure_warnings
from ccrgui.lab.faults import Costs, Faults
from ccrgui.lab.kdc import KerberosRealm
from ccrgui.lab.nodehost import NodeHost
from ccrgui.lab.received import ReceivedLog
from ccrgui.lab.topology import Account, Topology, default_topology
from ccrgui.lab.wsman import CREDENTIALS, ShellService, TlsConfig, WSManServer, lab_certificates
from ccrgui.lab.wsman.auth import NodeIdentity, kerberos_acceptor_credential, node_identity
from ccrgui.lab.wsman.shells import DEFAULT_IDLE_TIMEOUT_S

AuthMode = Literal["ntlm", "basic-https", "kerberos"]
AUTH_MODES: tuple[AuthMode, ...] = ("ntlm", "basic-https", "kerberos")
log = logging.getLogger(__name__)


class Lab:
    """A running simulated cluster: `with Lab() as lab: ... lab.endpoints[...]`.

    Network faults, switchable while it runs (names are node names, or the cluster name):
      lab.faults.down.add(node)                       connection refused until removed (same port after)
      lab.faults.hang.add(node)                       requests are read but never answered until removed
      lab.faults.arm(lab.faults.http500_next, node, n)  next n SOAP requests: HTTP 500 w:InternalError
      lab.faults.reject_auth.add(node)                every logon fails with 401
      lab.faults.arm(lab.faults.garble_next, node)    next reply's stdout corrupted (truncate_next: halved)
      lab.faults.arm(lab.faults.strip_ids_next, node)  next Create/Command reply has no ShellId/CommandId
      lab.faults.arm(lab.faults.fail_delete_next, node, n)  next n shell Deletes: HTTP 500, shell kept
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
        strict_cbt: bool = False,
        realm: KerberosRealm | None = None,
        https: bool = False,
        restrict_ntlm: bool = False,
    ) -> None:
        """`auth` "kerberos" runs a KDC (or uses `realm`, which the caller keeps running) whose
        realm holds the topology's accounts and each endpoint's HTTP/, WSMAN/ and host/ principals.
        `strict_cbt`: NTLM and Kerberos over HTTPS need channel bindings (CbtHardeningLevel Strict).
        `https`: HTTPS listeners also with "ntlm" or "kerberos" ("basic-https" always has them).
        `restrict_ntlm`: NTLM logons are refused (Group Policy "Restrict NTLM: Incoming NTLM
        traffic" set to deny), so only Kerberos (or Basic over HTTPS) logs on."""
        if auth not in AUTH_MODES:
            raise ValueError(f"auth must be one of {', '.join(AUTH_MODES)}, not {auth!r}")
        self.topology = topology or default_topology()
        self.auth: AuthMode = auth
        self.host = host
        self.allow_unencrypted = allow_unencrypted
        self.seed = seed
        self.base_port = base_port
        self.idle_timeout_s = idle_timeout_s
        self.strict_cbt = strict_cbt
        self.restrict_ntlm = restrict_ntlm
        self.https = https or auth == "basic-https"
        self.realm: KerberosRealm | None = realm
        self._own_realm = False
        self.keytab = ""
        self._kerberos_credential: Any = None
        self.principals: dict[str, str] = {}  # endpoint name -> HTTP/ service principal
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
        for warning in exposure_warnings(self.host, allow_unencrypted=self.allow_unencrypted):
            log.warning("%s", warning)
        self._cred_handle = CREDENTIALS.register(self.topology.accounts)
        tls: TlsConfig | None = None
        if self.https:
            certs = lab_certificates((self.host,))
            self.ca_file = certs.ca_file
            tls = certs.server_config()
        try:
            if self.auth == "kerberos":
                self._start_kerberos()
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
                    identity=functools.partial(self.identity, name),
                    strict_cbt=self.strict_cbt,
                    kerberos_credential=self._kerberos_credential,
                    restrict_ntlm=self.restrict_ntlm,
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
                identity=lambda: self.identity(self._cluster_owner_or_name()),
                strict_cbt=self.strict_cbt,
                kerberos_credential=self._kerberos_credential,
                restrict_ntlm=self.restrict_ntlm,
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
        self._kerberos_credential = None
        if self.realm is not None and self._own_realm:
            self.realm.stop()
            self.realm = None
            self._own_realm = False
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

    def _start_kerberos(self) -> None:
        """The realm, its accounts, and each endpoint's principals in this lab's own keytab."""
        if self.realm is None:
            self.realm = KerberosRealm(self.dns_domain.upper()).start()
            self._own_realm = True
        realm = self.realm
        for acc in self.topology.accounts:
            realm.add_user(acc.user, acc.password)
        self.keytab = os.path.join(realm.dir, f"lab-{id(self):x}.keytab")
        for name in (*(n.name for n in self.topology.nodes), self.topology.cluster_name):
            fqdn = self.fqdn(name)
            # Windows clients ask for HTTP/ (WSMAN/ when told to); every AD computer has host/,
            # which pypsrp asks for by default.
            self.principals[name] = realm.add_service(f"HTTP/{fqdn}", self.keytab)
            realm.add_service(f"WSMAN/{fqdn}", self.keytab)
            realm.add_service(f"host/{fqdn}", self.keytab)
        self._kerberos_credential = kerberos_acceptor_credential(self.keytab)

    @property
    def dns_domain(self) -> str:
        return f"{self.topology.domain.lower()}.com"

    def fqdn(self, name: str) -> str:
        """A node's (or the cluster name's) DNS name in the lab's domain: exnode1.contoso.com."""
        return f"{name.lower()}.{self.dns_domain}"

    def identity(self, name: str) -> NodeIdentity:
        return node_identity(name, self.topology.domain)

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
            "fqdns": {name: self.fqdn(name) for name in (*self.endpoints, self.topology.cluster_name)},
            "kerberos": self._kerberos_info(),
        }

    def _kerberos_info(self) -> dict[str, Any] | None:
        """Realm, krb5.conf, who to `kinit` as, and each endpoint's service principal."""
        if self.realm is None:
            return None
        return {
            "realm": self.realm.realm,
            "krb5_conf": self.realm.krb5_conf,
            "kdc": f"{self.realm.host}:{self.realm.port}",
            "user": f"{self.account.user}@{self.realm.realm}",
            "password": self.account.password,
            "service_principals": dict(self.principals),
        }
