"""The Windows Remote Shell plug-in (resource .../windows/shell/cmd) of one lab node.

Shells and commands live here; programs run as `LabProcess` threads started by an injected
launcher (`ccrgui.lab.cmdshell.launch` bound to the node in `Lab`).  Receive long-polls the
process's output up to OperationTimeout and then answers the w:TimedOut fault, as WinRM does.
Idle shells are deleted after their IdleTimeOut, killing their processes.
"""

from __future__ import annotations

import base64
import codecs
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape, quoteattr

from ccrgui.lab.faults import Faults
from ccrgui.lab.process import Chunk, LabProcess
from ccrgui.lab.received import ReceivedLog
from ccrgui.lab.topology import Account
from ccrgui.lab.wsman import soap
from ccrgui.lab.wsman.soap import Request, WSManFault, qname

log = logging.getLogger(__name__)

DEFAULT_IDLE_TIMEOUT_S = 7200.0  # WinRM's IdleTimeout default (7200000 ms)
MAX_TIMEOUT_S = 60.0  # WinRM's MaxTimeoutms default: OperationTimeout is clamped to it
DEFAULT_OPERATION_TIMEOUT_S = 60.0
COALESCE_S = 0.01  # after the first output, wait this long for more so replies are not one byte each


class Launcher(Protocol):
    """Starts a program for a command: cmdshell.launch with the node already bound."""

    def __call__(
        self,
        account: Account,
        command: str,
        arguments: list[str],
        *,
        skip_cmd_shell: bool,
        codepage: int,
        env: dict[str, str],
    ) -> LabProcess: ...


@dataclass
class Command:
    id: str
    process: LabProcess
    lock: threading.Lock = field(default_factory=threading.Lock)  # one Receive at a time


@dataclass
class Shell:
    id: str
    owner: Account
    codepage: int
    env: dict[str, str]
    working_directory: str | None
    idle_timeout_s: float
    client_ip: str
    created: float = field(default_factory=time.monotonic)
    last_used: float = field(default_factory=time.monotonic)
    commands: dict[str, Command] = field(default_factory=dict)

    def touch(self) -> None:
        self.last_used = time.monotonic()


def _find(el: Element, path: str) -> str | None:
    found = el.find(path)
    return None if found is None else (found.text or "")


class ShellService:
    """All shells of one node; thread-safe (one lock for the tables, per-command locks for Receive)."""

    def __init__(
        self,
        node: str,
        launcher: Launcher,
        faults: Faults,
        *,
        max_idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
        seed: int = 1,
        received: ReceivedLog | None = None,
    ) -> None:
        self.node = node
        self.received = received if received is not None else ReceivedLog()
        self.launcher = launcher
        self.faults = faults
        self.max_idle_timeout_s = max_idle_timeout_s
        self._lock = threading.Lock()
        self._shells: dict[str, Shell] = {}
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._reap_loop, name=f"wsman-reaper-{node}", daemon=True)
        self._reaper.start()

    # --- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self._stop.set()
        self.drop_all()

    def drop_all(self) -> None:
        """Forget every shell and kill its processes (the node went down or rebooted)."""
        with self._lock:
            shells = list(self._shells.values())
            self._shells.clear()
        for shell in shells:
            self._kill(shell)

    @property
    def shell_count(self) -> int:
        with self._lock:
            return len(self._shells)

    def _kill(self, shell: Shell) -> None:
        for cmd in list(shell.commands.values()):
            cmd.process.io.terminate()

    def _reap_loop(self) -> None:
        while not self._stop.wait(0.5):
            self.reap()

    def reap(self) -> int:
        """Delete shells idle for longer than their IdleTimeOut; returns how many went."""
        now = time.monotonic()
        with self._lock:
            idle = [s for s in self._shells.values() if now - s.last_used > s.idle_timeout_s]
            for s in idle:
                del self._shells[s.id]
        for s in idle:
            log.info("%s: shell %s idle for %.0f s, deleted", self.node, s.id, now - s.last_used)
            self._kill(s)
        return len(idle)

    # --- dispatch ----------------------------------------------------------------------------

    def handle(self, req: Request, account: Account, client_ip: str, address: str) -> bytes:
        """Run one request; returns the reply envelope or raises WSManFault."""
        if req.action in (
            soap.ACTION_CREATE,
            soap.ACTION_DELETE,
            soap.ACTION_COMMAND,
            soap.ACTION_RECEIVE,
            soap.ACTION_SEND,
            soap.ACTION_SIGNAL,
        ):
            if (req.resource_uri or "").casefold() != soap.SHELL_URI.casefold():
                raise soap.fault_resource_not_found()
        else:
            raise soap.fault_action_not_supported(req.action)
        if req.action == soap.ACTION_CREATE:
            return self._create(req, account, client_ip, address)
        shell = self._shell(req, account)
        if req.action == soap.ACTION_DELETE:
            return self._delete(req, shell)
        if req.action == soap.ACTION_COMMAND:
            return self._command(req, shell, account)
        if req.action == soap.ACTION_RECEIVE:
            return self._receive(req, shell)
        if req.action == soap.ACTION_SEND:
            return self._send(req, shell)
        return self._signal(req, shell)

    def _shell(self, req: Request, account: Account) -> Shell:
        shell_id = req.selectors.get("ShellId")
        if not shell_id:
            raise soap.fault_missing_shell_selector()
        with self._lock:
            shell = self._shells.get(shell_id.upper())
        if shell is None:
            raise soap.fault_unknown_shell(shell_id)
        if shell.owner.qualified.casefold() != account.qualified.casefold():
            raise soap.fault_access_denied()
        shell.touch()
        return shell

    # --- Create / Delete ---------------------------------------------------------------------

    def _create(self, req: Request, account: Account, client_ip: str, address: str) -> bytes:
        body = req.body.find(qname("rsp", "Shell")) if req.body is not None else None
        if body is None:
            raise soap.fault_invalid_xml()
        codepage = 437
        cp_text = req.options.get("WINRS_CODEPAGE")
        if cp_text:
            try:
                codepage = int(cp_text)
            except ValueError as exc:
                raise soap.fault_invalid_parameter() from exc
            if codepage != 65001 and not _has_codec(f"cp{codepage}"):
                raise soap.fault_invalid_parameter()
        env: dict[str, str] = {}
        env_el = body.find(qname("rsp", "Environment"))
        if env_el is not None:
            for var in env_el.findall(qname("rsp", "Variable")):
                env[var.get("Name", "")] = var.text or ""
        working_dir = _find(body, qname("rsp", "WorkingDirectory"))
        idle = self.max_idle_timeout_s
        idle_text = _find(body, qname("rsp", "IdleTimeOut"))
        if idle_text:
            parsed = soap.parse_duration(idle_text)
            if parsed is None or parsed <= 0:
                raise soap.fault_invalid_parameter()
            idle = min(parsed, self.max_idle_timeout_s)
        input_streams = _find(body, qname("rsp", "InputStreams")) or "stdin"
        output_streams = _find(body, qname("rsp", "OutputStreams")) or "stdout stderr"
        shell = Shell(
            id=soap.new_uuid(),
            owner=account,
            codepage=codepage,
            env=env,
            working_directory=working_dir,
            idle_timeout_s=idle,
            client_ip=client_ip,
        )
        with self._lock:
            self._shells[shell.id] = shell
        owner = account.qualified if account.domain else account.user
        reply = (
            f"<x:ResourceCreated><a:Address>{escape(address)}</a:Address><a:ReferenceParameters>"
            f"<w:ResourceURI>{soap.SHELL_URI}</w:ResourceURI><w:SelectorSet>"
            f'<w:Selector Name="ShellId">{shell.id}</w:Selector></w:SelectorSet></a:ReferenceParameters>'
            f'</x:ResourceCreated><rsp:Shell xmlns:rsp="{soap.NS["rsp"]}">'
            f"<rsp:ShellId>{shell.id}</rsp:ShellId>"
            f"<rsp:ResourceUri>{soap.SHELL_URI}</rsp:ResourceUri><rsp:Owner>{escape(owner)}</rsp:Owner>"
            f"<rsp:ClientIP>{escape(client_ip)}</rsp:ClientIP>"
            f"<rsp:IdleTimeOut>{soap.format_duration(idle)}</rsp:IdleTimeOut>"
            f"<rsp:InputStreams>{escape(input_streams)}</rsp:InputStreams>"
            f"<rsp:OutputStreams>{escape(output_streams)}</rsp:OutputStreams>"
            "<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity>"
            "</rsp:Shell>"
        )
        return soap.envelope(f"{soap.TRANSFER}/CreateResponse", req.message_id, reply)

    def _delete(self, req: Request, shell: Shell) -> bytes:
        with self._lock:
            self._shells.pop(shell.id, None)
        self._kill(shell)
        return soap.envelope(f"{soap.TRANSFER}/DeleteResponse", req.message_id, "", soap.delete_decl())

    # --- Command -----------------------------------------------------------------------------

    def _command(self, req: Request, shell: Shell, account: Account) -> bytes:
        line = req.body.find(qname("rsp", "CommandLine")) if req.body is not None else None
        if line is None:
            raise soap.fault_invalid_xml()
        command = (_find(line, qname("rsp", "Command")) or "").strip()
        arguments = [a.text or "" for a in line.findall(qname("rsp", "Arguments"))]
        cmd_id = (line.get("CommandId") or "").upper() or soap.new_uuid()
        if cmd_id in shell.commands:
            raise soap.fault_invalid_parameter()
        skip = soap.is_true(req.options.get("WINRS_SKIP_CMD_SHELL"))
        env = dict(shell.env)
        self.received.command(self.node, command, arguments)
        try:
            process = self.launcher(
                account, command, arguments, skip_cmd_shell=skip, codepage=shell.codepage, env=env
            )
        except WSManFault:
            raise
        except Exception as exc:
            code = getattr(exc, "code", None)
            if not isinstance(code, int) or code <= 0:
                raise
            # CreateProcess failed (e.g. WINRS_SKIP_CMD_SHELL with a program that does not exist).
            raise soap.fault_create_process(code, str(getattr(exc, "message", exc))) from exc
        _ensure_started(process)
        cmd = Command(id=cmd_id, process=process)
        shell.commands[cmd_id] = cmd
        body = f"<rsp:CommandResponse><rsp:CommandId>{cmd_id}</rsp:CommandId></rsp:CommandResponse>"
        return soap.envelope(f"{soap.SHELL}/CommandResponse", req.message_id, body)

    def _cmd(self, shell: Shell, cmd_id: str | None) -> Command:
        if not cmd_id:
            raise soap.fault_invalid_parameter()
        cmd = shell.commands.get(cmd_id.upper())
        if cmd is None:
            raise soap.fault_unknown_command()
        return cmd

    # --- Send / Signal -----------------------------------------------------------------------

    def _send(self, req: Request, shell: Shell) -> bytes:
        send = req.body.find(qname("rsp", "Send")) if req.body is not None else None
        if send is None:
            raise soap.fault_invalid_xml()
        for stream in send.findall(qname("rsp", "Stream")):
            cmd = self._cmd(shell, stream.get("CommandId"))
            if stream.get("Name", "stdin") != "stdin":
                raise soap.fault_invalid_parameter()
            try:
                data = base64.b64decode(stream.text or "", validate=False)
            except ValueError as exc:
                raise soap.fault_invalid_parameter() from exc
            self.received.stdin(self.node, data)
            cmd.process.io.send(data, soap.is_true(stream.get("End")))
        return soap.envelope(f"{soap.SHELL}/SendResponse", req.message_id, "<rsp:SendResponse/>")

    def _signal(self, req: Request, shell: Shell) -> bytes:
        sig = req.body.find(qname("rsp", "Signal")) if req.body is not None else None
        if sig is None:
            raise soap.fault_invalid_xml()
        cmd = self._cmd(shell, sig.get("CommandId"))
        code = (_find(sig, qname("rsp", "Code")) or "").strip()
        if code == soap.SIGNAL_TERMINATE:
            cmd.process.io.terminate()
            shell.commands.pop(cmd.id, None)
        elif code in (soap.SIGNAL_CTRL_C, soap.SIGNAL_CTRL_BREAK):
            cmd.process.io.terminate()
        else:
            raise soap.fault_invalid_parameter()
        return soap.envelope(f"{soap.SHELL}/SignalResponse", req.message_id, "<rsp:SignalResponse/>")

    # --- Receive -----------------------------------------------------------------------------

    def _receive(self, req: Request, shell: Shell) -> bytes:
        recv = req.body.find(qname("rsp", "Receive")) if req.body is not None else None
        desired = recv.find(qname("rsp", "DesiredStream")) if recv is not None else None
        if desired is None:
            raise soap.fault_invalid_parameter()
        cmd = self._cmd(shell, desired.get("CommandId"))
        streams = (desired.text or "stdout stderr").split()
        timeout = min(req.operation_timeout_s or DEFAULT_OPERATION_TIMEOUT_S, MAX_TIMEOUT_S)
        cap = self.faults.receive_timeout_cap_s
        if cap is not None:
            timeout = min(timeout, cap)
        max_env = req.max_envelope_size or 153600
        max_bytes = max(1024, (max_env - 4096) * 3 // 4)
        if not cmd.lock.acquire(timeout=timeout):
            raise soap.fault_timed_out()
        try:
            chunks, done, exit_code = self._collect(cmd, timeout, max_bytes)
        finally:
            cmd.lock.release()
            shell.touch()
        if not chunks and not done:
            raise soap.fault_timed_out()
        if any(c.stream == "stdout" and c.data for c in chunks):
            garble = self.faults.take(self.faults.garble_next, self.node)
            truncate = self.faults.take(self.faults.truncate_next, self.node)
            if garble or truncate:
                chunks = self._damage(chunks, garble=garble, truncate=truncate)
        parts = []
        cid = quoteattr(cmd.id)
        for chunk in chunks:
            if chunk.stream in streams and chunk.data:
                data = base64.b64encode(chunk.data).decode("ascii")
                parts.append(f'<rsp:Stream Name="{chunk.stream}" CommandId={cid}>{data}</rsp:Stream>')
        if done:
            for name in streams:
                parts.append(f'<rsp:Stream Name={quoteattr(name)} CommandId={cid} End="true"></rsp:Stream>')
            parts.append(
                f'<rsp:CommandState CommandId={cid} State="{soap.STATE_DONE}">'
                f"<rsp:ExitCode>{exit_code if exit_code is not None else 0}</rsp:ExitCode></rsp:CommandState>"
            )
        else:
            parts.append(
                f'<rsp:CommandState CommandId={cid} State="{soap.STATE_RUNNING}"></rsp:CommandState>'
            )
        body = "<rsp:ReceiveResponse>" + "".join(parts) + "</rsp:ReceiveResponse>"
        return soap.envelope(f"{soap.SHELL}/ReceiveResponse", req.message_id, body, soap.receive_decl())

    def _collect(self, cmd: Command, timeout: float, max_bytes: int) -> tuple[list[Chunk], bool, int | None]:
        io = cmd.process.io
        got = io.drain(timeout, max_bytes=max_bytes)
        chunks = list(got.chunks)
        if chunks and not got.done:
            size = sum(len(c.data) for c in chunks)
            more = io.drain(COALESCE_S, max_bytes=max(0, max_bytes - size)) if size < max_bytes else None
            if more is not None:
                chunks.extend(more.chunks)
                return chunks, more.done, more.exit_code
        return chunks, got.done, got.exit_code

    def _damage(self, chunks: list[Chunk], *, garble: bool, truncate: bool) -> list[Chunk]:
        """The injected output faults: this reply's stdout corrupted, or cut to its first half."""
        budget = sum(len(c.data) for c in chunks if c.stream == "stdout") // 2 if truncate else -1
        out: list[Chunk] = []
        for chunk in chunks:
            data = chunk.data
            if chunk.stream == "stdout":
                if budget >= 0:
                    data, budget = data[:budget], max(0, budget - len(data))
                if garble and data:
                    damaged = bytearray(data)
                    for i in range(0, len(damaged), 7):
                        damaged[i] = self._rng.randrange(256)
                    data = bytes(damaged)
            if data:
                out.append(Chunk(chunk.stream, data))
        return out


def _has_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def _ensure_started(process: LabProcess) -> None:
    """Launchers may hand back a started or an unstarted process; start it exactly once."""
    try:
        process.start()
    except RuntimeError:  # "threads can only be started once": the launcher already did
        pass
