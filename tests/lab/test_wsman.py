"""The lab's WinRM server driven by unmodified clients (pywinrm 0.5, pypsrp 0.9), with test programs.

These tests stand one node's WS-Man server up with a small launcher of their own, so they
exercise the protocol, auth, encryption and faults independently of the simulated programs.
"""

from __future__ import annotations

import base64
import http.client
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import spnego
import winrm
from defusedxml import ElementTree as SafeET
from pypsrp.shell import Process, SignalCode, WinRS
from pypsrp.wsman import WSMan
from winrm.exceptions import InvalidCredentialsError, WinRMOperationTimeoutError, WSManFaultError

from ccrgui.lab.faults import Faults
from ccrgui.lab.process import LabProcess, ProcessIO
from ccrgui.lab.topology import Account, default_topology
from ccrgui.lab.wsman import CREDENTIALS, ShellService, WSManServer, encryption, lab_certificates

pytestmark = pytest.mark.timeout(30)

TOPO = default_topology()
USER = "CONTOSO\\Administrator"
PASSWORD = "P@ssw0rd!"
NODE = "EXNODE1"
NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
}
STATUS_CONTROL_C_EXIT = -1073741510


class _NotFound(Exception):
    """What a launcher raises when CreateProcess would fail (Win32 code + message)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.code = 2
        self.message = "The system cannot find the file specified."


def _program(
    account: Account, command: str, arguments: list[str], skip: bool, env: dict[str, str]
) -> Callable[[ProcessIO], int]:
    argv = (command + (" " + " ".join(arguments) if arguments else "")).split()
    name = argv[0].lower()

    def run(io: ProcessIO) -> int:
        if name == "echo":
            io.write(" ".join(argv[1:]) + "\r\n")
            return 0
        if name == "fail":
            io.write("something failed\r\n", "stderr")
            return int(argv[1])
        if name == "whoami":
            io.write(account.qualified.lower() + "\r\n")
            return 0
        if name == "env":
            for key in sorted(env):
                io.write(f"{key}={env[key]}\r\n")
            return 0
        if name == "flags":
            io.write(f"skip={skip}\r\n")
            return 0
        if name == "cat":
            while (line := io.read_stdin_line()) is not None:
                io.write("> " + line.decode(io.encoding))
            return 0
        if name == "sleep":
            io.sleep(float(argv[1]))
            io.write("slept\r\n")
            return 0
        if name == "tick":
            io.write("a\r\n")
            io.sleep(0.3)
            io.write("b\r\n")
            return 4
        if name == "big":
            io.write("x" * int(argv[1]))
            return 0
        if name == "unicode":
            io.write("Grüße ✓\r\n")
            return 0
        if name == "powershell" and argv[1] == "-encodedcommand":
            io.write(base64.b64decode(argv[2]).decode("utf-16-le") + "\r\n")
            return 0
        io.write(f"'{argv[0]}' is not recognized\r\n", "stderr")
        return 9009

    return run


@dataclass
class Node:
    server: WSManServer
    service: ShellService
    faults: Faults
    processes: list[LabProcess] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def session(self, **kw: Any) -> winrm.Session:
        kw.setdefault("transport", "ntlm")
        return winrm.Session(self.url, auth=(kw.pop("user", USER), kw.pop("password", PASSWORD)), **kw)

    def protocol(self, **kw: Any) -> winrm.Protocol:
        kw.setdefault("transport", "ntlm")
        kw.setdefault("username", USER)
        kw.setdefault("password", PASSWORD)
        return winrm.Protocol(self.url, **kw)


@pytest.fixture
def make_node() -> Iterator[Callable[..., Node]]:
    handle = CREDENTIALS.register(TOPO.accounts)
    made: list[Node] = []

    def make(**kw: Any) -> Node:
        faults = Faults()
        processes: list[LabProcess] = []

        def launcher(
            account: Account,
            command: str,
            arguments: list[str],
            *,
            skip_cmd_shell: bool,
            codepage: int,
            env: dict[str, str],
        ) -> LabProcess:
            if skip_cmd_shell and command == "missing.exe":
                raise _NotFound(command)
            proc = LabProcess(_program(account, command, arguments, skip_cmd_shell, env), ProcessIO(codepage))
            processes.append(proc)
            return proc

        service = ShellService(NODE, launcher, faults)
        server = WSManServer(
            NODE,
            resolve=lambda: service,
            faults=faults,
            on_down=service.drop_all,
            **{"accounts": TOPO.accounts, **kw},
        )
        node = Node(server.start(), service, faults, processes)
        made.append(node)
        return node

    yield make
    for node in made:
        node.server.stop()
        node.service.close()
    CREDENTIALS.unregister(handle)


@pytest.fixture
def node(make_node: Callable[..., Node]) -> Node:
    return make_node()


def _wait(predicate: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


# ---- pywinrm ------------------------------------------------------------------------------------


def test_pywinrm_run_cmd_over_ntlm_with_encryption(node: Node) -> None:
    r = node.session().run_cmd("fail", ["3"])
    assert (r.std_out, r.std_err, r.status_code) == (b"", b"something failed\r\n", 3)
    r = node.session().run_cmd("whoami")
    assert (r.std_out, r.status_code) == (b"contoso\\administrator\r\n", 0)


def test_pywinrm_run_ps_sends_encodedcommand(node: Node) -> None:
    r = node.session().run_ps("Get-ClusterGroup | Format-List")
    assert r.std_out == b"Get-ClusterGroup | Format-List\r\n"
    assert r.status_code == 0


def test_protocol_reuses_one_shell_and_feeds_stdin(node: Node) -> None:
    p = node.protocol()
    shell = p.open_shell()
    try:
        cmd = p.run_command(shell, "cat")
        p.send_command_input(shell, cmd, "first line\r\n")
        p.send_command_input(shell, cmd, "second line\r\n", end=True)
        out, err, code = p.get_command_output(shell, cmd)
        p.cleanup_command(shell, cmd)
        assert (out, err, code) == (b"> first line\r\n> second line\r\n", b"", 0)
        for i in range(5):
            cmd = p.run_command(shell, "echo", [f"run{i}"])
            assert p.get_command_output(shell, cmd) == (f"run{i}\r\n".encode(), b"", 0)
            p.cleanup_command(shell, cmd)
    finally:
        p.close_shell(shell)
    assert node.service.shell_count == 0


def test_shell_codepages(node: Node) -> None:
    p = node.protocol()
    for codepage, expected in ((437, "Grüße ?\r\n".encode("cp437")), (65001, "Grüße ✓\r\n".encode())):
        shell = p.open_shell(codepage=codepage)
        cmd = p.run_command(shell, "unicode")
        assert p.get_command_output(shell, cmd) == (expected, b"", 0)
        p.close_shell(shell, close_session=False)
    shell = p.open_shell(codepage=850)
    cmd = p.run_command(shell, "unicode")
    assert p.get_command_output(shell, cmd)[0] == "Grüße ?\r\n".encode("cp850")
    with pytest.raises(WSManFaultError) as info:
        p.open_shell(codepage=12345)
    assert info.value.wsman_fault_code == 87


def test_environment_and_skip_cmd_shell_reach_the_program(node: Node) -> None:
    p = node.protocol()
    shell = p.open_shell(env_vars={"LAB_VAR": "a b"}, working_directory="C:\\Windows")
    cmd = p.run_command(shell, "env")
    assert p.get_command_output(shell, cmd)[0] == b"LAB_VAR=a b\r\n"
    cmd = p.run_command(shell, "flags")
    assert p.get_command_output(shell, cmd)[0] == b"skip=False\r\n"
    p.close_shell(shell)


def test_wrong_or_missing_credentials_get_401(node: Node) -> None:
    with pytest.raises(InvalidCredentialsError):
        node.session(password="wrong").run_cmd("echo")
    with pytest.raises(InvalidCredentialsError):
        node.session(user="CONTOSO\\nobody").run_cmd("echo")
    r = requests.post(node.url, data=b"<x/>", headers={"Content-Type": "application/soap+xml;charset=UTF-8"})
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "Negotiate"
    assert r.headers["Server"] == "Microsoft-HTTPAPI/2.0"
    assert r.content == b""
    assert not node.processes


def test_get_is_405_and_unknown_path_404(node: Node) -> None:
    r = requests.get(node.url)
    assert (r.status_code, r.headers["Allow"]) == (405, "POST")
    assert requests.post(node.url.replace("/wsman", "/other")).status_code == 404


def test_basic_and_plaintext_over_http_are_refused_unless_allowed(make_node: Callable[..., Node]) -> None:
    strict = make_node()
    with pytest.raises(InvalidCredentialsError):
        strict.session(transport="basic").run_cmd("echo", ["hi"])
    with pytest.raises(InvalidCredentialsError):
        strict.session(message_encryption="never").run_cmd("echo", ["hi"])
    assert not strict.processes
    relaxed = make_node(allow_unencrypted=True)
    assert relaxed.session(transport="basic").run_cmd("echo", ["hi"]).std_out == b"hi\r\n"
    assert relaxed.session(message_encryption="never").run_cmd("echo", ["hi"]).std_out == b"hi\r\n"
    r = requests.post(relaxed.url)
    assert r.headers["WWW-Authenticate"] == 'Negotiate, Basic realm="WSMAN"'


class _Proxy:
    """A TCP relay that records every byte the client and server exchange."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.captured = bytearray()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                self.captured += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()


def test_no_plaintext_soap_on_the_wire_with_ntlm(node: Node) -> None:
    proxy = _Proxy(node.server.port)
    try:
        url = f"http://127.0.0.1:{proxy.port}/wsman"
        r = winrm.Session(url, auth=(USER, PASSWORD), transport="ntlm").run_cmd("echo", ["SECRET-MARKER-42"])
        assert r.std_out == b"SECRET-MARKER-42\r\n"
    finally:
        proxy.close()
    wire = bytes(proxy.captured)
    assert wire.count(b'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted"') >= 10
    assert b"--Encrypted Boundary--\r\n" in wire
    assert b"SECRET-MARKER-42" not in wire
    assert b"Envelope" not in wire
    assert base64.b64encode(b"SECRET-MARKER-42\r\n") not in wire


# ---- Receive timeouts, faults --------------------------------------------------------------------


def test_receive_times_out_with_the_windows_fault_and_pywinrm_retries(node: Node) -> None:
    node.faults.receive_timeout_cap_s = 0.2
    p = node.protocol()
    shell = p.open_shell()
    cmd = p.run_command(shell, "sleep", ["0.7"])
    with pytest.raises(WinRMOperationTimeoutError):
        p.get_command_output_raw(shell, cmd)
    assert p.get_command_output(shell, cmd) == (b"slept\r\n", b"", 0)
    p.close_shell(shell)


def test_unknown_shell_and_command_ids_are_invalid_selectors(node: Node) -> None:
    p = node.protocol()
    with pytest.raises(WSManFaultError) as info:
        p.run_command("0B5C3B7E-0000-4000-8000-000000000000", "echo")
    assert (info.value.code, info.value.fault_subcode, info.value.wsman_fault_code) == (
        500,
        "w:InvalidSelectors",
        2150858843,
    )
    assert "0B5C3B7E-0000-4000-8000-000000000000" in info.value.reason or info.value.reason
    shell = p.open_shell()
    with pytest.raises(WSManFaultError) as info:
        p.get_command_output_raw(shell, "11111111-2222-3333-4444-555555555555")
    assert info.value.wsman_fault_code == 2150858843
    p.close_shell(shell)


def test_signal_terminate_kills_the_process(node: Node) -> None:
    p = node.protocol()
    shell = p.open_shell()
    cmd = p.run_command(shell, "sleep", ["30"])
    p.cleanup_command(shell, cmd)
    proc = node.processes[-1]
    assert _wait(lambda: proc.io.done, 2)
    assert proc.io.drain(0).exit_code == STATUS_CONTROL_C_EXIT
    with pytest.raises(WSManFaultError):
        p.get_command_output_raw(shell, cmd)
    p.close_shell(shell)


def test_many_concurrent_shells_from_several_clients(node: Node) -> None:
    results: dict[int, bytes] = {}
    errors: list[BaseException] = []

    def client(i: int) -> None:
        try:
            p = node.protocol()
            shells = [p.open_shell() for _ in range(3)]
            cmds = [(s, p.run_command(s, "echo", [f"c{i}s{j}"])) for j, s in enumerate(shells)]
            results[i] = b"".join(p.get_command_output(s, c)[0] for s, c in cmds)
            for s in shells:
                p.close_shell(s, close_session=False)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not errors
    assert results == {i: f"c{i}s0\r\nc{i}s1\r\nc{i}s2\r\n".encode() for i in range(6)}
    assert node.service.shell_count == 0


def test_idle_shell_is_deleted_after_its_idle_timeout(node: Node) -> None:
    p = node.protocol()
    shell = p.open_shell(idle_timeout="PT0.3S")
    cmd = p.run_command(shell, "sleep", ["30"])
    assert node.service.shell_count == 1
    assert _wait(lambda: node.service.shell_count == 0, 2)  # the reaper thread deleted it
    assert _wait(lambda: node.processes[-1].io.done, 2)
    with pytest.raises(WSManFaultError) as info:
        p.run_command(shell, "echo")
    assert "the shell was not found on the server" in str(info.value.response)
    del cmd


def _raw(node: Node, body: bytes) -> requests.Response:
    return requests.post(
        node.url,
        data=body,
        auth=(USER, PASSWORD),
        headers={"Content-Type": "application/soap+xml;charset=UTF-8"},
    )


def _request(action: str, message_id: str, body: str = "", extra_header: str = "") -> bytes:
    return (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
        'xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header>'
        f'<wsa:Action s:mustUnderstand="true">{action}</wsa:Action>'
        f"<wsa:MessageID>uuid:{message_id}</wsa:MessageID>"
        '<wsman:ResourceURI s:mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd'
        f"</wsman:ResourceURI><wsman:OperationTimeout>PT5S</wsman:OperationTimeout>{extra_header}"
        f"</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def _shape(el: Any) -> list[tuple[str, tuple[str, ...]]]:
    return [(e.tag, tuple(sorted(e.attrib))) for e in el.iter()]


def test_faults_are_shaped_like_windows_faults(make_node: Callable[..., Node], reference: Path) -> None:
    node = make_node(allow_unencrypted=True)
    mid = str(uuid.uuid4()).upper()
    sel = (
        '<wsman:SelectorSet><wsman:Selector Name="ShellId">AAAAAAAA-0000-0000-0000-000000000000'
        "</wsman:Selector></wsman:SelectorSet>"
    )
    r = _raw(
        node,
        _request(
            "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive",
            mid,
            '<rsp:Receive xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">'
            '<rsp:DesiredStream CommandId="X">stdout stderr</rsp:DesiredStream></rsp:Receive>',
            sel,
        ),
    )
    assert r.status_code == 500
    assert r.headers["Content-Type"] == "application/soap+xml;charset=UTF-8"
    ours = SafeET.fromstring(r.content)
    assert ours.find("s:Header/a:RelatesTo", NS).text == f"uuid:{mid}"
    assert ours.find("s:Header/a:MessageID", NS).text != f"uuid:{mid}"
    sample = (reference / "winrm/samples/winrm-pypsrp-real-winrs-bad-cmd-id.xml").read_bytes()
    real = next(
        env
        for env in SafeET.fromstring(sample).iter("{http://www.w3.org/2003/05/soap-envelope}Envelope")
        if env.find("s:Body/s:Fault", NS) is not None
    )
    assert _shape(ours.find("s:Body", NS)) == _shape(real.find("s:Body", NS))
    assert (
        ours.find("s:Body/s:Fault/s:Reason/s:Text", NS).text
        == real.find("s:Body/s:Fault/s:Reason/s:Text", NS).text
    )

    r = _raw(node, _request("http://example.invalid/NoSuchAction", mid))
    fault = SafeET.fromstring(r.content)
    assert r.status_code == 500
    assert fault.find("s:Body/s:Fault/s:Code/s:Subcode/s:Value", NS).text == "a:ActionNotSupported"
    assert fault.find("s:Body/s:Fault/s:Detail/f:WSManFault", NS).get("Code") == "2150858771"
    assert fault.find("s:Header/a:RelatesTo", NS).text == f"uuid:{mid}"

    r = _raw(node, b"<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'><s:Header>")
    assert r.status_code == 500
    assert SafeET.fromstring(r.content).find("s:Body/s:Fault/s:Code/s:Value", NS).text == "s:Sender"

    r = _raw(node, _request(f"{'http://schemas.xmlsoap.org/ws/2004/09/transfer'}/Create", mid, "x" * 200_000))
    fault = SafeET.fromstring(r.content)
    assert fault.find("s:Body/s:Fault/s:Code/s:Subcode/s:Value", NS).text == "w:EncodingLimit"
    assert not node.processes


def test_skip_cmd_shell_with_missing_program_is_a_provider_fault(node: Node) -> None:
    wsman = WSMan(
        "127.0.0.1", port=node.server.port, ssl=False, auth="negotiate", username=USER, password=PASSWORD
    )
    with WinRS(wsman) as shell:
        proc = Process(shell, "missing.exe", no_shell=True)
        with pytest.raises(Exception) as info:
            proc.invoke()
        assert "The system cannot find the file specified." in str(info.value)


# ---- pypsrp -------------------------------------------------------------------------------------


def test_pypsrp_winrs_negotiate_with_encryption(node: Node) -> None:
    wsman = WSMan(
        "127.0.0.1", port=node.server.port, ssl=False, auth="negotiate", username=USER, password=PASSWORD
    )
    with WinRS(wsman, environment={"A": "1"}) as shell:
        proc = Process(shell, "cat")
        proc.begin_invoke()
        proc.send(b"one\r\n", end=False)
        proc.send(b"two\r\n", end=True)
        proc.end_invoke()
        assert (proc.stdout, proc.rc) == (b"> one\r\n> two\r\n", 0)
        proc = Process(shell, "fail", ["5"])
        proc.invoke()
        assert (proc.stderr, proc.rc) == (b"something failed\r\n", 5)
        proc = Process(shell, "sleep", ["30"])
        proc.begin_invoke()
        proc.signal(SignalCode.CTRL_C)
        proc.end_invoke()
        assert proc.rc == STATUS_CONTROL_C_EXIT
        cid = str(uuid.uuid4()).upper()
        reply = shell.command("echo", ["own-id"], command_id=cid)
        own_id = reply.find(".//{http://schemas.microsoft.com/wbem/wsman/1/windows/shell}CommandId")
        assert own_id is not None and own_id.text == cid


def test_pypsrp_and_pywinrm_basic_over_https_verify_the_ca(make_node: Callable[..., Node]) -> None:
    certs = lab_certificates()
    node = make_node(tls=certs.server_config())
    assert node.url.startswith("https://127.0.0.1:")
    wsman = WSMan(
        "127.0.0.1",
        port=node.server.port,
        ssl=True,
        auth="basic",
        username=USER,
        password=PASSWORD,
        cert_validation=certs.ca_file,  # type: ignore[arg-type]  # pypsrp passes a CA bundle path to requests
    )
    with WinRS(wsman) as shell:
        proc = Process(shell, "whoami")
        proc.invoke()
        assert proc.stdout == b"contoso\\administrator\r\n"
    s = winrm.Session(node.url, auth=(USER, PASSWORD), transport="ssl", ca_trust_path=certs.ca_file)
    assert s.run_cmd("echo", ["tls"]).std_out == b"tls\r\n"
    # NTLM over HTTPS: no message encryption, channel binding to our certificate checked.
    s = winrm.Session(node.url, auth=(USER, PASSWORD), transport="ntlm", ca_trust_path=certs.ca_file)
    assert s.run_cmd("echo", ["cbt"]).std_out == b"cbt\r\n"
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(node.url, verify=True)
    r = requests.post(node.url, verify=certs.ca_file)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Negotiate, Basic realm="WSMAN"'
    with pytest.raises(InvalidCredentialsError):
        winrm.Session(node.url, auth=(USER, "nope"), transport="ssl", ca_trust_path=certs.ca_file).run_cmd(
            "x"
        )


# ---- network-level faults -------------------------------------------------------------------------


def test_node_down_refuses_connections_and_comes_back_on_the_same_port(node: Node) -> None:
    p = node.protocol()
    shell = p.open_shell()
    port = node.server.port
    node.faults.down.add(NODE)
    assert _wait(lambda: not node.server.up)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(node.url, timeout=2)
    node.faults.down.discard(NODE)
    assert _wait(lambda: node.server.up)
    assert node.server.port == port
    assert node.session().run_cmd("echo", ["back"]).std_out == b"back\r\n"
    with pytest.raises(WSManFaultError):  # the reboot lost the shell
        node.protocol().run_command(shell, "echo")


def test_hang_accepts_but_never_answers_until_cleared(node: Node) -> None:
    node.faults.hang.add(NODE)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(node.url, timeout=0.5)
    node.faults.hang.discard(NODE)
    assert requests.post(node.url, timeout=2).status_code == 401


def test_http_500_reject_auth_and_latency_faults(node: Node) -> None:
    node.faults.arm(node.faults.http500_next, NODE)
    with pytest.raises(WSManFaultError) as info:
        node.session().run_cmd("echo", ["x"])
    assert (info.value.code, info.value.fault_subcode) == (500, "w:InternalError")
    assert node.session().run_cmd("echo", ["ok"]).std_out == b"ok\r\n"
    node.faults.reject_auth.add(NODE)
    with pytest.raises(InvalidCredentialsError):
        node.session().run_cmd("echo")
    node.faults.reject_auth.clear()
    node.faults.costs.latency_s = 0.15
    t0 = time.monotonic()
    requests.post(node.url)
    assert time.monotonic() - t0 >= 0.15


def test_garbled_and_truncated_output(node: Node) -> None:
    clean = node.session().run_cmd("big", ["1000"])
    assert clean.std_out == b"x" * 1000
    node.faults.arm(node.faults.garble_next, NODE)
    garbled = node.session().run_cmd("big", ["1000"])
    assert len(garbled.std_out) == 1000 and garbled.std_out != clean.std_out
    node.faults.arm(node.faults.truncate_next, NODE)
    truncated = node.session().run_cmd("big", ["1000"])
    assert truncated.std_out == b"x" * 500 and truncated.status_code == 0
    assert node.session().run_cmd("big", ["1000"]).std_out == clean.std_out


def test_sealed_body_sent_with_the_final_ntlm_leg_is_accepted(node: Node) -> None:
    """Some clients (Ruby's winrm, OMI) seal the first SOAP body and send it with the AUTHENTICATE token."""
    client = spnego.client(USER, PASSWORD, protocol="ntlm")
    conn = http.client.HTTPConnection("127.0.0.1", node.server.port, timeout=5)
    conn.request(
        "POST",
        "/wsman",
        body=b"",
        headers={"Authorization": "Negotiate " + base64.b64encode(client.step() or b"").decode()},
    )
    r = conn.getresponse()
    r.read()
    assert r.status == 401
    challenge = r.getheader("WWW-Authenticate")
    assert challenge is not None and challenge.startswith("Negotiate ") and "," not in challenge
    token = client.step(base64.b64decode(challenge.split(" ", 1)[1]))
    assert token is not None
    mid = str(uuid.uuid4()).upper()
    create = _request(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
        mid,
        '<rsp:Shell xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">'
        "<rsp:InputStreams>stdin</rsp:InputStreams>"
        "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>",
    )
    conn.request(
        "POST",
        "/wsman",
        body=encryption.wrap(client, create),
        headers={
            "Authorization": "Negotiate " + base64.b64encode(token).decode(),
            "Content-Type": encryption.CONTENT_TYPE,
        },
    )
    r = conn.getresponse()
    body = r.read()
    assert r.status == 200
    assert r.getheader("Content-Type") == encryption.CONTENT_TYPE
    reply = SafeET.fromstring(encryption.unwrap(client, body))
    assert reply.find("s:Header/a:RelatesTo", NS).text == f"uuid:{mid}"
    assert node.service.shell_count == 1
    conn.close()


def test_badly_framed_request_is_refused_and_the_connection_closed(node: Node) -> None:
    with socket.create_connection(("127.0.0.1", node.server.port), timeout=5) as sock:
        sock.sendall(b"POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n")
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert b"\r\nServer: Microsoft-HTTPAPI/2.0\r\n" in reply


def test_accounts_with_non_ascii_names_and_colons_in_passwords(make_node: Callable[..., Node]) -> None:
    odd = Account("LAB", "Jürgen Ops", "pa:ss wörd:1", admin=False)
    handle = CREDENTIALS.register([odd])
    try:
        node = make_node(accounts=(*TOPO.accounts, odd))
        for user in ("LAB\\Jürgen Ops", "jürgen ops", "Jürgen Ops@LAB"):
            r = node.session(user=user, password=odd.password).run_cmd("whoami")
            assert r.std_out == "lab\\jürgen ops\r\n".encode("cp437"), user
        with pytest.raises(InvalidCredentialsError):
            node.session(user="LAB\\Jürgen Ops", password="pa:ss wörd").run_cmd("whoami")
    finally:
        CREDENTIALS.unregister(handle)


def test_receive_answers_running_as_soon_as_output_exists_then_done(node: Node) -> None:
    p = node.protocol()
    shell = p.open_shell()
    cmd = p.run_command(shell, "tick")
    t0 = time.monotonic()
    assert p.get_command_output_raw(shell, cmd) == (b"a\r\n", b"", -1, False)
    assert time.monotonic() - t0 < 0.25
    assert p.get_command_output_raw(shell, cmd) == (b"b\r\n", b"", 4, True)
    p.close_shell(shell)


def test_large_output_is_split_to_fit_the_clients_max_envelope_size(node: Node) -> None:
    p = node.protocol()
    shell = p.open_shell()
    cmd = p.run_command(shell, "big", ["400000"])
    first = p.get_command_output_raw(shell, cmd)
    assert 0 < len(first[0]) < 153600 and not first[3]
    out, _, code = p.get_command_output(shell, cmd)
    assert (len(first[0]) + len(out), code) == (400000, 0)
    p.close_shell(shell)


def test_output_faults_hit_the_next_reply_even_in_a_long_running_process(node: Node) -> None:
    p = node.protocol()
    shell = p.open_shell()
    cmd = p.run_command(shell, "cat")
    line = "0123456789" * 10 + "\r\n"
    p.send_command_input(shell, cmd, line)
    assert p.get_command_output_raw(shell, cmd)[0] == f"> {line}".encode()
    node.faults.arm(node.faults.truncate_next, NODE)
    p.send_command_input(shell, cmd, line)
    assert p.get_command_output_raw(shell, cmd)[0] == f"> {line}".encode()[:52]
    node.faults.arm(node.faults.garble_next, NODE)
    p.send_command_input(shell, cmd, line)
    garbled = p.get_command_output_raw(shell, cmd)[0]
    assert len(garbled) == 104 and garbled != f"> {line}".encode()
    p.send_command_input(shell, cmd, line, end=True)
    assert p.get_command_output(shell, cmd) == (f"> {line}".encode(), b"", 0)
    p.close_shell(shell)


def _envelopes(path: Path) -> list[bytes]:
    text = path.read_bytes()
    out = []
    for part in text.split(b'direction="response"')[1:]:
        start = part.index(b"<s:Envelope")
        out.append(part[start : part.index(b"</s:Envelope>") + len(b"</s:Envelope>")])
    return out


def test_replies_are_shaped_like_the_recorded_windows_replies(
    make_node: Callable[..., Node], reference: Path
) -> None:
    """Create, Command, Receive, Signal and Delete replies against pypsrp's recording of a real host."""
    real = _envelopes(reference / "winrm/samples/winrm-pypsrp-real-winrs-standard.xml")
    node = make_node(allow_unencrypted=True)
    shell_uri = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
    rsp = f'xmlns:rsp="{shell_uri}"'

    def call(action: str, body: str, shell: str | None = None) -> bytes:
        sel = (
            f'<wsman:SelectorSet><wsman:Selector Name="ShellId">{shell}</wsman:Selector></wsman:SelectorSet>'
            if shell
            else ""
        )
        r = _raw(node, _request(action, str(uuid.uuid4()).upper(), body, sel))
        assert r.status_code == 200, r.text
        return r.content

    ours = [
        call(
            "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
            f"<rsp:Shell {rsp}><rsp:InputStreams>stdin</rsp:InputStreams>"
            "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>",
        )
    ]
    shell = SafeET.fromstring(ours[0]).find(f".//{{{shell_uri}}}ShellId").text
    ours.append(
        call(
            f"{shell_uri}/Command",
            f"<rsp:CommandLine {rsp}><rsp:Command>echo</rsp:Command><rsp:Arguments>hi</rsp:Arguments>"
            "</rsp:CommandLine>",
            shell,
        )
    )
    cid = SafeET.fromstring(ours[1]).find(f".//{{{shell_uri}}}CommandId").text
    ours.append(
        call(
            f"{shell_uri}/Receive",
            f'<rsp:Receive {rsp}><rsp:DesiredStream CommandId="{cid}">stdout stderr</rsp:DesiredStream>'
            "</rsp:Receive>",
            shell,
        )
    )
    ours.append(
        call(
            f"{shell_uri}/Signal",
            f'<rsp:Signal {rsp} CommandId="{cid}">'
            f"<rsp:Code>{shell_uri}/signal/ctrl_c</rsp:Code></rsp:Signal>",
            shell,
        )
    )
    ours.append(call("http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete", "", shell))
    assert len(real) == len(ours) == 5
    for mine, theirs in zip(ours, real, strict=True):
        assert mine[: mine.index(b">")] == theirs[: theirs.index(b">")]  # same namespace declarations
        assert _shape(SafeET.fromstring(mine)) == _shape(SafeET.fromstring(theirs))
    assert SafeET.fromstring(ours[2]).find(f".//{{{shell_uri}}}Stream").text == "aGkNCg=="
