"""The HTTP side of a lab node's WinRM service: POST /wsman, auth, message encryption, faults.

One `WSManServer` per node (plus one for the cluster name) on 127.0.0.1, each serving from
its own threads so the caller (the GUI's event loop in demo mode) never blocks.  It behaves
as WinRM behind http.sys: `Server: Microsoft-HTTPAPI/2.0`, keep-alive, 401 with one
`WWW-Authenticate` header per scheme and an empty body, NTLM/Negotiate authenticating the
TCP connection, sealed `multipart/encrypted` bodies over HTTP (replies and faults sealed the
same way), Basic only over HTTPS unless AllowUnencrypted.  Network-level faults (down, hang,
latency, HTTP 500, 401) come from the shared `Faults` object and can change at any time.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import re
import select
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from spnego.channel_bindings import GssChannelBindings

from ccrgui.lab.faults import Faults
from ccrgui.lab.topology import Account
from ccrgui.lab.wsman import encryption, soap
from ccrgui.lab.wsman.auth import (
    NegotiateAcceptor,
    NodeIdentity,
    check_basic,
    find_account,
    tls_channel_bindings,
)
from ccrgui.lab.wsman.shells import ShellService
from ccrgui.lab.wsman.soap import WSManFault

log = logging.getLogger(__name__)

SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8"
MAX_ENVELOPE_SIZE = 153600  # MaxEnvelopeSizekb = 150, the WinRM default
MAX_BODY = 8 * 1024 * 1024  # anything larger is refused at the HTTP level
IDLE_CONNECTION_S = 120.0  # http.sys closes idle keep-alive connections after two minutes
_MESSAGE_ID = re.compile(rb"<(?:\w+:)?MessageID[^>]*>\s*([^<\s]+)\s*<")
_ID_ELEMENTS = re.compile(
    rb'<w:Selector Name="ShellId">[^<]*</w:Selector>|<rsp:(ShellId|CommandId)>[^<]*</rsp:\1>'
)


@dataclass(frozen=True)
class TlsConfig:
    """The server side of HTTPS: a context with our certificate, and its DER form for channel bindings."""

    context: ssl.SSLContext
    cert_der: bytes


class _Dropped(Exception):
    """Close the connection without answering (node went down, client vanished)."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], owner: WSManServer) -> None:
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.conn_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.conn_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def finish_request(self, request: Any, client_address: Any) -> None:
        tls = self.owner.tls
        if tls is not None:
            # Handshake in the worker thread, so a silent client cannot stall the accept loop.
            request.settimeout(10)
            try:
                request = tls.context.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):
                return
            request.settimeout(None)
        super().finish_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.conn_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self.conn_lock:
            conns = list(self.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    """One TCP connection: keeps the Negotiate context and the account it authenticated."""

    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    timeout = IDLE_CONNECTION_S
    disable_nagle_algorithm = True  # headers and body go out in separate writes; no 40 ms delayed-ACK stalls
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.acceptor: NegotiateAcceptor | None = None
        self.account: Account | None = None
        self.bound: ShellService | None = None

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s: " + format, self.server.owner.name, *args)

    def _not_allowed(self) -> None:
        self._drain_body()
        self.send_response(405)
        self.send_header("Allow", "POST")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def do_HEAD(self) -> None:
        self.send_response(405)
        self.send_header("Allow", "POST")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        try:
            self.server.owner.handle(self)
        except _Dropped:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _drain_body(self) -> bytes | None:
        """The request body; None (and the connection closes) when it is oversize or badly framed."""
        if self.headers.get("Transfer-Encoding", "").casefold() == "chunked":
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length", "0") or "0")
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes | None:
        out = bytearray()
        while True:
            size_line = self.rfile.readline(1024)
            try:
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
            except ValueError:
                self.close_connection = True
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(out)
            if len(out) + size > MAX_BODY:
                self.close_connection = True
                return None
            out += self.rfile.read(size)
            self.rfile.readline(1024)

    def send_reply(self, status: int, body: bytes = b"", headers: Sequence[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)
        self.wfile.flush()


class WSManServer:
    """A WinRM listener on one port.  `resolve()` names the node's shell plug-in for each request."""

    def __init__(
        self,
        name: str,
        *,
        resolve: Callable[[], ShellService | None],
        faults: Faults,
        accounts: Sequence[Account],
        fault_node: str | Callable[[], str] | None = None,
        is_down: Callable[[], bool] | None = None,
        on_down: Callable[[], None] | None = None,
        tls: TlsConfig | None = None,
        allow_unencrypted: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        machine: str | None = None,
        identity: Callable[[], NodeIdentity] | None = None,
        strict_cbt: bool = False,
        kerberos_credential: Any = None,
        restrict_ntlm: bool = False,
    ) -> None:
        self.name = name
        self.resolve = resolve
        self.faults = faults
        self.accounts = tuple(accounts)
        self._fault_node = fault_node or name
        self._is_down = is_down or (lambda: False)
        self._on_down = on_down
        self.tls = tls
        self.allow_unencrypted = allow_unencrypted
        self.host = host
        self.port = port
        self.machine = machine
        # NTLM names the answering machine (for the cluster name: its current owner).
        self._identity = identity
        self.strict_cbt = strict_cbt  # WinRM's CbtHardeningLevel: Strict instead of Relaxed
        self.kerberos_credential = kerberos_credential  # GSSAPI accept credential, None: no Kerberos
        # Group Policy "Restrict NTLM: Incoming NTLM traffic" = Deny all: only Kerberos logs on.
        self.restrict_ntlm = restrict_ntlm
        self.logons: Counter[str] = Counter()  # completed logons by mechanism (kerberos, ntlm, basic)
        self._cbt: GssChannelBindings | None = tls_channel_bindings(tls.cert_der) if tls else None
        self._httpd: _HTTPServer | None = None
        self._serve_thread: threading.Thread | None = None
        self._watch_thread: threading.Thread | None = None
        self._state_lock = threading.Lock()
        self._stopped = threading.Event()
        self.up = False

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}/wsman"

    def start(self) -> WSManServer:
        self._stopped.clear()
        if not self.is_down():
            self._open()
        else:
            self._reserve_port()
        self._watch_thread = threading.Thread(
            target=self._watch, name=f"wsman-watch-{self.name}", daemon=True
        )
        self._watch_thread.start()
        return self

    def stop(self) -> None:
        # The watcher goes first: closing under it would let it see "up, not listening" and
        # reopen the endpoint after stop() (a leaked listener, or a bind error in the log).
        self._stopped.set()
        if self._watch_thread is not None:
            self._watch_thread.join(timeout=2)
        self._close()

    @property
    def fault_node(self) -> str:
        """The node whose faults apply: fixed for a node, the current owner for the cluster name."""
        node = self._fault_node
        return node() if callable(node) else node

    def is_down(self) -> bool:
        return self.faults.is_down(self.name) or self.faults.is_down(self.fault_node) or self._is_down()

    def _reserve_port(self) -> None:
        if self.port == 0:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind((self.host, 0))
                self.port = s.getsockname()[1]

    def _open(self) -> None:
        with self._state_lock:
            if self._httpd is not None or self._stopped.is_set():
                return
            httpd = _HTTPServer((self.host, self.port), self)
            self.port = httpd.server_address[1]
            self._httpd = httpd
            self._serve_thread = threading.Thread(
                target=httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"wsman-{self.name}",
                daemon=True,
            )
            self._serve_thread.start()
            self.up = True

    def _close(self) -> None:
        with self._state_lock:
            httpd, self._httpd = self._httpd, None
            self.up = False
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        httpd.drop_connections()

    def _watch(self) -> None:
        """Close the listening socket while the node is down, reopen it on the same port when back."""
        while not self._stopped.wait(0.05):
            down = self.is_down()
            if down and self._httpd is not None:
                log.info("%s: going down", self.name)
                self._close()
                if self._on_down is not None:
                    self._on_down()
            elif not down and self._httpd is None:
                try:
                    self._open()
                    log.info("%s: back up on port %d", self.name, self.port)
                except OSError:
                    log.warning("%s: cannot reopen port %d yet", self.name, self.port, exc_info=True)

    # --- request handling --------------------------------------------------------------------

    def _challenge_headers(self) -> list[tuple[str, str]]:
        headers = [("WWW-Authenticate", "Negotiate")]
        if self.kerberos_credential is not None:
            headers.append(("WWW-Authenticate", "Kerberos"))
        if self.tls is not None or self.allow_unencrypted:
            headers.append(("WWW-Authenticate", 'Basic realm="WSMAN"'))
        return headers

    def _unauthorized(self, h: _Handler, *, reset: bool = True) -> None:
        if reset:
            h.acceptor = None
            h.account = None
        h.send_reply(401, b"", self._challenge_headers())

    def handle(self, h: _Handler) -> None:
        if h.path.split("?", 1)[0].rstrip("/").casefold() != "/wsman":
            h._drain_body()
            h.send_reply(404)
            return
        if self.is_down():
            raise _Dropped
        latency = self.faults.costs.latency_s
        if latency > 0:
            time.sleep(latency)
        body = h._drain_body()
        if body is None:  # oversize or unreadable framing: refused before WinRM sees it
            h.send_reply(413)
            return
        if self._hung():
            self._hang(h)
        account, final_header, _ = self._authenticate(h, body)
        if account is None:
            return
        extra = [("WWW-Authenticate", final_header)] if final_header else []

        encrypted = encryption.is_encrypted(h.headers.get("Content-Type"))
        payload = self._open_payload(h, body, encrypted)
        if payload is None:
            return
        if not payload:
            h.send_reply(200, b"", extra)  # the handshake POST pywinrm and pypsrp send before sealing
            return

        service = self.resolve()
        if service is None:
            raise _Dropped
        if h.bound is None:
            h.bound = service
        elif h.bound is not service:
            raise _Dropped  # the cluster name moved to another node: its connections go with it

        status, reply = self._dispatch(h, service, account, payload)
        headers = list(extra)
        if encrypted:
            assert h.acceptor is not None
            reply = encryption.wrap(h.acceptor.ctx, reply)
            headers.append(("Content-Type", encryption.CONTENT_TYPE))
        else:
            headers.append(("Content-Type", SOAP_CONTENT_TYPE))
        if self.is_down():
            raise _Dropped
        h.send_reply(status, reply, headers)

    def _open_payload(self, h: _Handler, body: bytes, encrypted: bool) -> bytes | None:
        """The SOAP body, unsealed if it came encrypted; None when it is refused (the reply is sent)."""
        if encrypted:
            if h.acceptor is None or not h.acceptor.complete:
                h.send_reply(400)
                h.close_connection = True
                return None
            try:
                return encryption.unwrap(h.acceptor.ctx, body)
            except encryption.EncryptionError:
                log.info("%s: cannot decrypt a request; closing the connection", self.name)
                h.send_reply(400)
                h.close_connection = True
                return None
        if body and self.tls is None and not self.allow_unencrypted:
            # AllowUnencrypted=false: an authenticated but unsealed SOAP body over HTTP is refused.
            self._unauthorized(h)
            return None
        return body

    def _dispatch(
        self, h: _Handler, service: ShellService, account: Account, payload: bytes
    ) -> tuple[int, bytes]:
        machine = self.machine or (h.headers.get("Host") or self.host).rsplit(":", 1)[0].strip("[]")
        relates: str | None = None
        m = _MESSAGE_ID.search(payload[:4096])
        if m:
            relates = m.group(1).decode("utf-8", "replace")
        try:
            if len(payload) > MAX_ENVELOPE_SIZE:
                raise soap.fault_encoding_limit()
            req = soap.parse_request(payload)
            relates = req.message_id
            if self.faults.take(self.faults.http500_next, self.fault_node):
                raise soap.fault_internal_error()
            deleting = req.action == soap.ACTION_DELETE
            if deleting and self.faults.take(self.faults.fail_delete_next, self.fault_node):
                raise soap.fault_internal_error()
            scheme = "https" if self.tls else "http"
            address = f"{scheme}://{h.headers.get('Host') or self.host}/wsman"
            reply = service.handle(req, account, h.client_address[0], address)
            if req.action in (soap.ACTION_CREATE, soap.ACTION_COMMAND) and self.faults.take(
                self.faults.strip_ids_next, self.fault_node
            ):
                reply = _ID_ELEMENTS.sub(b"", reply)  # what a broken proxy or service might send
            return 200, reply
        except WSManFault as fault:
            return fault.http_status, fault.render(relates, machine)
        except Exception:  # a lab bug: answer like a failing service instead of dropping the connection
            log.exception("%s: internal error handling a request", self.name)
            internal = soap.fault_internal_error()
            return internal.http_status, internal.render(relates, machine)

    def _authenticate(self, h: _Handler, body: bytes) -> tuple[Account | None, str | None, bool]:
        """Returns (account, final WWW-Authenticate value, whether this request carried the last leg).

        When the account is None a 401 has already been sent."""
        header = h.headers.get("Authorization")
        rejecting = self.fault_node.casefold() in {n.casefold() for n in self.faults.reject_auth}
        if not header:
            if h.account is None or rejecting:
                self._unauthorized(h)
                return None, None, False
            return h.account, None, False
        scheme, _, token = header.strip().partition(" ")
        kind = scheme.casefold()
        if kind in ("negotiate", "ntlm", "kerberos") and token:
            if kind == "kerberos" and self.kerberos_credential is None:
                self._unauthorized(h)
                return None, None, False
            if h.acceptor is None or h.acceptor.complete:
                try:
                    h.acceptor = NegotiateAcceptor(
                        self._cbt,
                        identity=self._identity() if self._identity else None,
                        strict_cbt=self.strict_cbt,
                        kerberos_credential=self.kerberos_credential,
                    )
                except Exception:  # e.g. the keytab vanished: the logon fails, the lab goes on
                    log.warning("%s: cannot start an authentication context", self.name, exc_info=True)
                    self._unauthorized(h)
                    return None, None, False
                h.account = None
            try:
                out = h.acceptor.step(base64.b64decode(token.strip()))
            except Exception:  # bad password, unknown user, bad bindings, garbage token
                log.info("%s: %s authentication failed", self.name, scheme, exc_info=True)
                self._unauthorized(h)
                return None, None, False
            if not h.acceptor.complete:
                value = f"{scheme} {base64.b64encode(out).decode()}" if out else scheme
                h.send_reply(401, b"", [("WWW-Authenticate", value)])
                return None, None, False
            account = find_account(self.accounts, h.acceptor.principal)
            if self.restrict_ntlm and h.acceptor.mechanism == "ntlm":
                log.info("%s: NTLM logon of %s refused (NTLM restricted)", self.name, h.acceptor.principal)
                account = None
            if account is None or rejecting:
                self._unauthorized(h)
                return None, None, False
            h.account = account
            self.logons[h.acceptor.mechanism or "negotiate"] += 1
            final = f"{scheme} {base64.b64encode(out).decode()}" if out else None
            return account, final, True
        if kind == "basic" and token:
            if self.tls is None and not self.allow_unencrypted:
                # Basic over HTTP is refused while AllowUnencrypted is off.
                h.send_reply(401, b"", [("WWW-Authenticate", "Negotiate")])
                return None, None, False
            try:
                account = check_basic(self.accounts, token)
            except (binascii.Error, ValueError):
                account = None
            if account is None or rejecting:
                self._unauthorized(h)
                return None, None, False
            self.logons["basic"] += 1
            return account, None, False
        self._unauthorized(h)
        return None, None, False

    def _hung(self) -> bool:
        return self.faults.is_hung(self.name) or self.faults.is_hung(self.fault_node)

    def _hang(self, h: _Handler) -> None:
        """Accept the request and answer nothing while the hang fault lasts or until the client leaves."""
        sock = h.connection
        while self._hung():
            if self._stopped.is_set() or self.is_down():
                raise _Dropped
            try:
                readable, _, _ = select.select([sock], [], [], 0.05)
            except (OSError, ValueError) as exc:
                raise _Dropped from exc
            if readable:
                try:
                    if isinstance(sock, ssl.SSLSocket):
                        data = sock.recv(1)
                    else:
                        data = sock.recv(1, socket.MSG_PEEK)
                except (OSError, ssl.SSLError) as exc:
                    raise _Dropped from exc
                if not data:
                    raise _Dropped
                time.sleep(0.05)
