"""Async WinRM transport: pywinrm's blocking `Protocol` run on daemon worker threads.

Why this shape:
* pywinrm is blocking and not thread-safe per connection (NTLM authenticates and seals one TCP
  connection), so every `Channel` is one pywinrm `Protocol` used by one thread at a time, and a
  host gets a small pool of channels (bounded concurrency per host and overall).
* Callers see only `Channel` (a handful of WinRS operations) and `HostConnection.call`; another
  WinRM library (pypsrp's `WSMan`) can replace `PyWinRMChannel` without touching them.
* Worker threads are daemons: a hung node must never keep the app (or a test run) from exiting.
* Every failure becomes a `TransportError` with a text an administrator understands.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import enum
import logging
import os
import queue
import re
import socket
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar
from urllib.parse import urlsplit

import defusedxml.ElementTree as SafeET
import winrm
import winrm.protocol  # imported up front: the import takes a noticeable part of a second

from ccrgui.domain.nodenames import check_node_name, typed_host_problem
from ccrgui.remote.api import AuthMethod, ConnectionError_, ConnectionSettings

# pywinrm parses every WS-Man reply with ElementTree.fromstring (and nothing else of it): give it
# defusedxml's, so a hostile reply cannot declare entities or a DTD.  Scoped to pywinrm's modules.
winrm.protocol.ET = SafeET
winrm.ET = SafeET

log = logging.getLogger(__name__)

T = TypeVar("T")

# At DEBUG these libraries log every authentication token (spnego: the NTLM AUTHENTICATE message,
# whose NTLMv2 response can be cracked offline for the password; requests_kerberos: the
# Authorization header).  `ccrgui --verbose` sets the root logger to DEBUG, so they are held at
# INFO unless someone configured them explicitly.
AUTH_LOGGERS = (
    "spnego",
    "requests_ntlm",
    "requests_kerberos",
    "requests_credssp",
    "winrm.vendor.requests_kerberos",
)


def quiet_auth_loggers() -> None:
    """Keep authentication tokens out of debug logs (see AUTH_LOGGERS)."""
    for name in AUTH_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)


quiet_auth_loggers()

# WS-Management fault codes Windows sends (MS-WSMV; see reference/winrm/NOTES.md §1.6).
WSMAN_TIMED_OUT = 2150858793
WSMAN_INVALID_SELECTORS = 2150858843  # unknown ShellId / CommandId: the shell is gone


class ErrorKind(enum.Enum):
    UNREACHABLE = "unreachable"  # connection refused, DNS failure, network down
    DROPPED = "dropped"  # an open connection closed without an answer (node went down?)
    TIMEOUT = "timeout"
    AUTH = "auth"  # 401
    TLS = "tls"
    HTTP = "http"  # non-2xx without a SOAP fault
    FAULT = "fault"  # a WS-Management fault
    SHELL_GONE = "shell-gone"  # the server no longer knows the shell or command
    PROTOCOL = "protocol"  # a reply we could not understand
    TOO_LARGE = "too-large"  # more output than ConnectionSettings.max_output_bytes allows
    SETTINGS = "settings"


class TransportError(Exception):
    """A failure talking to one host, with a message fit for the operations log."""

    def __init__(self, kind: ErrorKind, message: str, host: str = "") -> None:
        super().__init__(f"{host}: {message}" if host else message)
        self.kind = kind
        self.host = host
        self.detail = message
        # Set by the shells when the command certainly never reached the node (e.g. its shell
        # had expired): then even an action may be sent again on a fresh shell.
        self.not_sent = False

    @property
    def node_failed(self) -> bool:
        """True when the host itself is unusable (try another node), not just this command."""
        return self.kind in (
            ErrorKind.UNREACHABLE,
            ErrorKind.DROPPED,
            ErrorKind.TIMEOUT,
            ErrorKind.AUTH,
            ErrorKind.TLS,
            ErrorKind.SETTINGS,
        )


class ReplyTooLarge(Exception):
    """One HTTP reply was larger than any reply carrying allowed output can be (see `reply_limit`)."""


def reply_limit(max_output_bytes: int) -> int:
    """The largest HTTP reply accepted: base64 and the envelope add a third to the output."""
    return 2 * max_output_bytes + (1 << 20)


def too_large(max_output_bytes: int, host: str = "") -> TransportError:
    return TransportError(
        ErrorKind.TOO_LARGE,
        f"the command's output passed the limit of {max_output_bytes / (1 << 20):g} MB and was stopped "
        "(raise max_output_bytes in the connection settings if this much is expected)",
        host,
    )


class ReceiveTimedOut(Exception):
    """No output before the WS-Management OperationTimeout: the caller simply receives again."""


@dataclass(frozen=True)
class Received:
    stdout: bytes
    stderr: bytes
    done: bool
    exit_code: int | None


class Channel(Protocol):
    """One authenticated connection to a WinRM endpoint; blocking; one call at a time."""

    requests_sent: int
    requests_by_kind: Counter[str]  # WS-Management action (Create, Send, Receive, ...) -> count

    def open_shell(self, *, codepage: int, env: Mapping[str, str] | None = None) -> str: ...

    def run_command(
        self, shell_id: str, command: str, arguments: Sequence[str] = (), *, skip_cmd_shell: bool = False
    ) -> str: ...

    def receive(self, shell_id: str, command_id: str, wait_s: float | None = None) -> Received:
        """Output so far; `wait_s` shortens the server-side wait (OperationTimeout) for this call."""
        ...

    def send_input(self, shell_id: str, command_id: str, data: bytes, end: bool = False) -> None: ...

    def signal_terminate(self, shell_id: str, command_id: str) -> None: ...

    def close_shell(self, shell_id: str) -> None: ...

    def close(self) -> None: ...


ChannelFactory = Callable[[str], Channel]  # endpoint URL -> a new channel


# ---- settings ---------------------------------------------------------------------------------


def _kerberos_problem() -> str:
    """Why the current user cannot log on here ("" when it can)."""
    from ccrgui.remote.negotiate import current_user_availability

    return current_user_availability().reason


def _credssp_available() -> bool:
    from winrm import transport as wt

    return bool(wt.HAVE_CREDSSP)


def endpoint_for(settings: ConnectionSettings, host: str) -> str:
    """The WS-Man URL of a host: a configured/learnt endpoint, else built from the settings.

    A name that is neither configured nor the host the admin typed came from the cluster or a
    file: it is put into the URL only if it is a node name (InvalidNodeName otherwise)."""
    for name, url in settings.node_endpoints.items():
        if name.casefold() == host.casefold():
            return url
    if host.casefold() != settings.host.casefold():
        check_node_name(host)
    scheme = "https" if settings.https else "http"
    return f"{scheme}://{host}:{settings.effective_port}/wsman"


def validate_settings(settings: ConnectionSettings, password: str) -> list[str]:
    """Refuse unusable or unsafe settings before anything is sent; return warnings to log.

    The rule that matters: a password never travels over unencrypted HTTP.  NTLM, Kerberos and
    CredSSP encrypt the WinRM messages themselves; Basic does not, so it needs HTTPS.
    """
    urls = _checked_endpoints(settings)
    _check_logon(settings, password, urls)
    return _tls_warnings(settings, urls)


def _checked_endpoints(settings: ConnectionSettings) -> list[str]:
    """The endpoint URLs the settings lead to, refusing what is not a plain host name or URL."""
    if settings.operation_timeout_s <= 0:
        raise ConnectionError_("The operation timeout must be a positive number of seconds.")
    if not settings.host.strip():
        raise ConnectionError_("Enter the cluster name or the name of one of its nodes.")
    problem = typed_host_problem(settings.host)
    if problem:
        # Put into a URL, such a "name" would silently reach another host, port or path.
        raise ConnectionError_(
            f"{settings.host!r} is not a host name: {problem}. Enter a cluster or node "
            "name such as EXCLUS1 or exnode1.contoso.com."
        )
    if settings.port is not None and not 1 <= settings.port <= 65535:
        raise ConnectionError_(f"The port {settings.port} is not a TCP port (1 to 65535).")
    urls = [endpoint_for(settings, settings.host), *settings.node_endpoints.values()]
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConnectionError_(f"{url!r} is not an http:// or https:// WinRM endpoint URL.")
    return urls


def _check_logon(settings: ConnectionSettings, password: str, urls: list[str]) -> None:
    """Refuse a logon that cannot work or would send a password readably."""
    plain_http = [u for u in urls if urlsplit(u).scheme == "http"]
    auth = settings.auth
    if auth is AuthMethod.BASIC:
        if plain_http:
            raise ConnectionError_(
                "Basic authentication sends the password readable by anyone on the network; "
                f"it is only allowed over HTTPS (not {plain_http[0]}). Use HTTPS, or NTLM which "
                "encrypts the WinRM messages."
            )
    if auth in (AuthMethod.NTLM, AuthMethod.BASIC, AuthMethod.CREDSSP):
        if not settings.username.strip():
            raise ConnectionError_(f"{auth.value} authentication needs a user name (DOMAIN\\user).")
        if not password:
            raise ConnectionError_(f"{auth.value} authentication needs a password.")
    if auth is AuthMethod.CURRENT_USER:
        problem = _kerberos_problem()
        if problem:
            raise ConnectionError_(
                f"Cannot log on as the current user: {problem} Or choose NTLM and a password."
            )
    if auth is AuthMethod.CREDSSP and not _credssp_available():
        raise ConnectionError_("CredSSP needs the requests-credssp package, which is not installed.")


def _tls_warnings(settings: ConnectionSettings, urls: list[str]) -> list[str]:
    warnings: list[str] = []
    if any(urlsplit(u).scheme == "https" for u in urls):
        if not settings.verify_tls:
            warnings.append(
                "TLS certificate verification is OFF: the identity of the cluster nodes is not checked."
            )
        elif settings.ca_file and not os.path.isfile(settings.ca_file):
            raise ConnectionError_(f"The CA certificate file {settings.ca_file!r} does not exist.")
    return warnings


def pywinrm_options(settings: ConnectionSettings, url: str) -> dict[str, Any]:
    """The pywinrm `Protocol` keyword arguments for one endpoint (after `validate_settings`)."""
    https = urlsplit(url).scheme == "https"
    transport = {
        AuthMethod.CURRENT_USER: "kerberos",
        AuthMethod.KERBEROS: "kerberos",
        AuthMethod.NTLM: "ntlm",
        AuthMethod.BASIC: "basic",
        AuthMethod.CREDSSP: "credssp",
    }[settings.auth]
    opts: dict[str, Any] = {
        "transport": transport,
        # Over plain HTTP the messages must be sealed; over verified HTTPS TLS protects them.  With
        # certificate checks off, NTLM/Kerberos/CredSSP still seal them, so a man in the middle
        # who relays the logon can neither read nor change the commands (Basic cannot seal).
        "message_encryption": (
            "auto" if https and (settings.verify_tls or settings.auth is AuthMethod.BASIC) else "always"
        ),
        "server_cert_validation": "validate" if settings.verify_tls else "ignore",
        "ca_trust_path": settings.ca_file or "legacy_requests",
        "proxy": None,  # a desktop console talks to the nodes directly
    }
    if settings.auth is AuthMethod.KERBEROS and settings.username:
        opts["username"] = settings.username
    if transport == "kerberos":
        opts["kerberos_hostname_override"] = kerberos_host(settings, url)
    return opts


def kerberos_host(settings: ConnectionSettings, url: str) -> str:
    """The host name in an endpoint's service principal (HTTP/<this>): the configured DNS name of
    the node whose endpoint it is, else the URL's host."""
    host = urlsplit(url).hostname or ""
    names = [n for n, u in settings.node_endpoints.items() if u == url] or [host]
    for name in names:
        for key, fqdn in settings.kerberos_hosts.items():
            if key.casefold() == name.casefold():
                return fqdn
    return host


_ACTION = re.compile(rb"Action[^>]*>\s*[^<]*?/([A-Za-z]+)\s*<")


def request_kind(message: str | bytes) -> str:
    """The WS-Management action of a request ("Create", "Command", "Send", "Receive", "Signal",
    "Delete"), from its SOAP header."""
    data = message.encode("utf-8", "replace") if isinstance(message, str) else message
    m = _ACTION.search(data, 0, 4096)
    return m.group(1).decode("ascii") if m else "other"


# ---- the pywinrm channel ----------------------------------------------------------------------


class PyWinRMChannel:
    """A `Channel` on one pywinrm `Protocol` (one requests session, one NTLM context)."""

    def __init__(
        self,
        url: str,
        options: Mapping[str, Any],
        *,
        username: str | None,
        password: str | None,
        operation_timeout_s: int,
        max_reply_bytes: int | None = None,
    ) -> None:
        op = max(1, int(operation_timeout_s))
        opts = dict(options)
        opts.setdefault("username", username)
        self._protocol = winrm.protocol.Protocol(
            url,
            password=password,
            read_timeout_sec=op + 10,
            operation_timeout_sec=op,
            **opts,
        )
        if opts.get("transport") == "kerberos":
            from ccrgui.remote.negotiate import NegotiateTransport

            plain = self._protocol.transport
            self._protocol.transport = NegotiateTransport(
                url,
                kerberos_hostname=str(opts.get("kerberos_hostname_override") or urlsplit(url).hostname),
                username=opts.get("username"),
                password=password,
                read_timeout_sec=plain.read_timeout_sec,
                server_cert_validation=plain.server_cert_validation,
                ca_trust_path=plain.ca_trust_path,
                message_encryption=plain.message_encryption,
                proxy=None,
            )
        self.url = url
        self.requests_sent = 0
        self.requests_by_kind: Counter[str] = Counter()
        self._count_lock = threading.Lock()
        original = self._protocol.transport.send_message

        def counted(message: str | bytes) -> bytes:
            kind = request_kind(message)
            with self._count_lock:
                self.requests_sent += 1
                self.requests_by_kind[kind] += 1
            return original(message)

        self._protocol.transport.send_message = counted  # type: ignore[method-assign]
        if max_reply_bytes is not None:
            _cap_replies(self._protocol.transport, max_reply_bytes)

    def open_shell(self, *, codepage: int, env: Mapping[str, str] | None = None) -> str:
        return self._protocol.open_shell(codepage=codepage, env_vars=dict(env) if env else None)

    def run_command(
        self, shell_id: str, command: str, arguments: Sequence[str] = (), *, skip_cmd_shell: bool = False
    ) -> str:
        return self._protocol.run_command(
            shell_id, command, list(arguments), console_mode_stdin=True, skip_cmd_shell=skip_cmd_shell
        )

    def receive(self, shell_id: str, command_id: str, wait_s: float | None = None) -> Received:
        from winrm.exceptions import WinRMOperationTimeoutError

        normal = self._protocol.operation_timeout_sec
        if wait_s is not None:
            # pywinrm puts this attribute into every header it builds; one thread uses a channel.
            self._protocol.operation_timeout_sec = max(1, min(normal, int(wait_s)))
        try:
            out, err, code, done = self._protocol.get_command_output_raw(shell_id, command_id)
        except WinRMOperationTimeoutError as exc:
            raise ReceiveTimedOut from exc
        finally:
            self._protocol.operation_timeout_sec = normal
        return Received(out, err, done, code if done else None)

    def send_input(self, shell_id: str, command_id: str, data: bytes, end: bool = False) -> None:
        self._protocol.send_command_input(shell_id, command_id, data, end=end)

    def signal_terminate(self, shell_id: str, command_id: str) -> None:
        self._protocol.cleanup_command(shell_id, command_id)

    def close_shell(self, shell_id: str) -> None:
        self._protocol.close_shell(shell_id, close_session=False)

    def close(self) -> None:
        self._protocol.transport.close_session()


def _cap_replies(transport: Any, limit: int) -> None:
    """Make pywinrm read each HTTP reply body with a size limit (it would read any size).

    Its `_send_message_request(session, request)` calls `session.send`; it gets a stand-in whose
    `send` streams the body and stops at `limit`.  Authentication hooks still run inside the
    real `send` (they read their own small 401 bodies)."""
    original = transport._send_message_request

    class CappedSession:
        def __init__(self, session: Any) -> None:
            self._session = session

        def __getattr__(self, name: str) -> Any:
            return getattr(self._session, name)

        def send(self, request: Any, **kwargs: Any) -> Any:
            response = self._session.send(request, **{**kwargs, "stream": True})
            _read_body(response, limit)
            return response

    def send_message_request(session: Any, prepared_request: Any) -> Any:
        return original(CappedSession(session), prepared_request)

    transport._send_message_request = send_message_request


def _read_body(response: Any, limit: int) -> None:
    length = str(response.headers.get("Content-Length", "")).strip()
    if length.isdigit() and int(length) > limit:
        response.close()
        raise ReplyTooLarge(f"a reply of {int(length):,} bytes (the limit is {limit:,})")
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_content(1 << 16):
        total += len(chunk)
        if total > limit:
            response.close()
            raise ReplyTooLarge(f"a reply of more than {limit:,} bytes")
        chunks.append(chunk)
    response._content = b"".join(chunks)  # what requests itself stores once the body is read


def pywinrm_factory(settings: ConnectionSettings, password: str) -> ChannelFactory:
    """Validate the settings once, then build channels for any endpoint of the cluster."""
    for warning in validate_settings(settings, password):
        log.warning("%s", warning)
    username = settings.username or None
    # The current user never has a password; explicit Kerberos uses it only to get a ticket.
    secret = password if settings.auth is not AuthMethod.CURRENT_USER else None

    def make(url: str) -> Channel:
        return PyWinRMChannel(
            url,
            pywinrm_options(settings, url),
            username=username,
            password=secret,
            operation_timeout_s=min(20, max(1, int(settings.operation_timeout_s))),
            max_reply_bytes=reply_limit(settings.max_output_bytes),
        )

    return make


# ---- error mapping ----------------------------------------------------------------------------


def map_error(exc: BaseException, host: str, timeout_s: float | None = None) -> TransportError:
    """Turn pywinrm / requests exceptions into clear texts (why the node could not be used)."""
    if isinstance(exc, TransportError):
        return exc
    from winrm.exceptions import WinRMError

    from ccrgui.remote.negotiate import KerberosLogonError

    if isinstance(exc, KerberosLogonError):
        return TransportError(ErrorKind.AUTH, str(exc), host)
    if isinstance(exc, ReplyTooLarge):
        return TransportError(
            ErrorKind.TOO_LARGE, f"the WinRM service sent {exc}; it was not read further", host
        )
    mapped = _winrm_error(exc, host) or _http_error(exc, host)
    if mapped is not None:
        return mapped
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        after = f" after {timeout_s:g} s" if timeout_s else ""
        return TransportError(ErrorKind.TIMEOUT, f"no answer{after}", host)
    if isinstance(exc, WinRMError):
        return TransportError(ErrorKind.PROTOCOL, str(exc), host)
    if isinstance(exc, StopIteration):
        return TransportError(
            ErrorKind.PROTOCOL,
            "unexpected reply from the WinRM service: an element every reply carries (such as the "
            "ShellId or CommandId) is missing",
            host,
        )
    # Malformed replies surface from pywinrm as parse errors, KeyError or assert.
    return TransportError(
        ErrorKind.PROTOCOL, f"unexpected reply from the WinRM service ({type(exc).__name__}: {exc})", host
    )


def _winrm_error(exc: BaseException, host: str) -> TransportError | None:
    """pywinrm's own errors: credentials, WS-Management faults, operation timeouts, HTTP status."""
    from winrm.exceptions import (
        InvalidCredentialsError,
        WinRMOperationTimeoutError,
        WinRMTransportError,
        WSManFaultError,
    )

    if isinstance(exc, InvalidCredentialsError):
        return TransportError(
            ErrorKind.AUTH,
            "the user name or password was rejected (HTTP 401 Unauthorized), or this account may not "
            "use WinRM on the node",
            host,
        )
    if isinstance(exc, WSManFaultError):
        code = exc.wsman_fault_code
        reason = " ".join((exc.reason or "").split())
        if code == WSMAN_INVALID_SELECTORS:
            return TransportError(ErrorKind.SHELL_GONE, f"the remote shell no longer exists ({reason})", host)
        wsman = f", WSManFault {code}" if code is not None else ""
        sub = f" {exc.fault_subcode}" if exc.fault_subcode else ""
        return TransportError(
            ErrorKind.FAULT, f"WS-Management fault{sub} (HTTP {exc.code}{wsman}): {reason}", host
        )
    if isinstance(exc, WinRMOperationTimeoutError):
        return TransportError(ErrorKind.TIMEOUT, "the WS-Management operation timed out", host)
    if isinstance(exc, WinRMTransportError):
        body = " ".join(str(exc.message or "").split())[:300]
        return TransportError(
            ErrorKind.HTTP,
            f"the WinRM service answered HTTP {exc.code}" + (f": {body}" if body else " with no details"),
            host,
        )
    return None


def _http_error(exc: BaseException, host: str) -> TransportError | None:
    """requests' errors: TLS, connect and read timeouts, refused or dropped connections."""
    import requests

    if isinstance(exc, requests.exceptions.SSLError):
        return TransportError(ErrorKind.TLS, f"TLS/certificate check failed: {_root_cause(exc)}", host)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TransportError(ErrorKind.TIMEOUT, "connecting timed out (the node does not answer)", host)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return TransportError(ErrorKind.TIMEOUT, "the node accepted the connection but did not answer", host)
    if isinstance(exc, requests.exceptions.ConnectionError):
        cause = _root_cause(exc)
        lowered = cause.lower()
        if "without response" in lowered or "reset by peer" in lowered or "aborted" in lowered:
            return TransportError(
                ErrorKind.DROPPED,
                "the connection was dropped without an answer: the node went down or its WinRM "
                "service restarted",
                host,
            )
        if "refused" in lowered:
            return TransportError(
                ErrorKind.UNREACHABLE,
                "connection refused: the node is down or WinRM is not listening",
                host,
            )
        if any(m in lowered for m in _RESOLVER_FAILURES):
            return TransportError(ErrorKind.UNREACHABLE, _unresolved(host), host)
        return TransportError(ErrorKind.UNREACHABLE, f"cannot connect: {cause}", host)
    return None


# How the resolver says "no such name" (glibc, macOS, Windows' getaddrinfo), inside requests' text.
_RESOLVER_FAILURES = (
    "name or service not known",
    "temporary failure in name resolution",
    "no address associated with hostname",
    "nodename nor servname",
    "getaddrinfo failed",
    "failed to resolve",
)


def _unresolved(host: str) -> str:
    return (
        f"the name {host} could not be resolved (DNS): check the spelling, or use the node's full "
        "DNS name (node.domain) or its IP address"
    )


def _root_cause(exc: BaseException) -> str:
    seen: BaseException = exc
    while True:
        nxt = seen.__cause__ or seen.__context__
        if nxt is None or nxt is seen:
            break
        seen = nxt
    text = str(seen) or type(seen).__name__
    for marker in ("[Errno", "CERTIFICATE_VERIFY_FAILED"):
        i = text.find(marker)
        if i >= 0:
            return text[i:].rstrip(")'\"")
    return text


# ---- worker threads ---------------------------------------------------------------------------


class DaemonExecutor(concurrent.futures.Executor):
    """A thread pool of daemon threads: blocked calls to a hung host never delay exit."""

    def __init__(self, max_workers: int = 32, idle_s: float = 30.0) -> None:
        self._max = max_workers
        self._idle_s = idle_s
        self._queue: queue.SimpleQueue[tuple[concurrent.futures.Future[Any], Callable[[], Any]] | None] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._workers = 0
        self._idle = 0
        self._shutdown = False

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[T]:
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()
        with self._lock:
            if self._shutdown:
                raise RuntimeError("executor is shut down")
            self._queue.put((fut, lambda: fn(*args, **kwargs)))
            if self._queue.qsize() > self._idle and self._workers < self._max:
                self._workers += 1
                threading.Thread(target=self._work, name="winrm-worker", daemon=True).start()
        return fut

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            try:
                item = self._queue.get(timeout=self._idle_s)
            except queue.Empty:
                with self._lock:
                    self._idle -= 1
                    if self._queue.empty():
                        self._workers -= 1
                        return
                continue
            with self._lock:
                self._idle -= 1
            if item is None:
                with self._lock:
                    self._workers -= 1
                return
            fut, call = item
            if fut.set_running_or_notify_cancel():
                try:
                    fut.set_result(call())
                except BaseException as exc:
                    fut.set_exception(exc)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            for _ in range(self._workers):
                self._queue.put(None)


_SHARED_EXECUTOR: DaemonExecutor | None = None


def shared_executor() -> DaemonExecutor:
    global _SHARED_EXECUTOR
    if _SHARED_EXECUTOR is None:
        _SHARED_EXECUTOR = DaemonExecutor(max_workers=64)
    return _SHARED_EXECUTOR


# ---- per-host connection pool -----------------------------------------------------------------


class Limits:
    """Concurrency bounds shared by every host of one or several sessions.

    `total` bounds the busy calls in flight; Receive long-polls, which mostly wait on the
    server, count against `long_polls` instead, so a slow command never blocks the others.
    Both are small on purpose: pywinrm's request building, XML and NTLM sealing are Python code
    holding the GIL, and many busy worker threads starve the event loop thread (measured with
    20 clusters read at once: 380 ms loop stalls with 64 workers, about 30-50 ms with 4).
    """

    _defaults: ClassVar[weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Limits]] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, total: int = 4, per_host: int = 4, long_polls: int = 8) -> None:
        self.total = asyncio.Semaphore(total)
        self.long_polls = asyncio.Semaphore(long_polls)
        self.per_host = per_host

    @classmethod
    def default(cls) -> Limits:
        """The bounds shared by every session on the running event loop."""
        loop = asyncio.get_running_loop()
        limits = cls._defaults.get(loop)
        if limits is None:
            limits = cls._defaults[loop] = cls()
        return limits


class _Slots:
    """The per-host and the global slot one call holds; each is released exactly once."""

    def __init__(self, host_sem: asyncio.Semaphore, total: asyncio.Semaphore | None) -> None:
        self.host_sem = host_sem
        self.total = total
        self.released = False
        self.total_released = False

    def release_total(self) -> None:
        # A call abandoned to a hung host burns no CPU: its global slot is freed at once,
        # while the per-host slot stays taken until the blocked thread really returns.
        if self.total is not None and not self.total_released:
            self.total_released = True
            self.total.release()

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.host_sem.release()
            self.release_total()


class HostConnection:
    """Every WinRM call to one endpoint goes through here: pool, bounds, timeouts, error texts.

    A channel whose call timed out or was cancelled is dropped (its thread may still be blocked
    in a socket read); the bounds stay taken until that thread really ends, so a hung host can
    never make the app start unbounded numbers of threads.
    """

    def __init__(
        self,
        host: str,
        url: str,
        factory: ChannelFactory,
        *,
        limits: Limits | None = None,
        executor: concurrent.futures.Executor | None = None,
        refused: str = "",
        max_output_bytes: int = ConnectionSettings.max_output_bytes,
    ) -> None:
        self.host = host
        self.url = url
        self.max_output_bytes = max_output_bytes  # the shells stop a command whose output passes it
        self.refused = refused  # why this host is never contacted (not a node name); "" = usable
        self._factory = factory
        self._given_limits = limits
        self._limits_obj: Limits | None = limits
        self._host_sem = asyncio.Semaphore(limits.per_host if limits else 4)
        self._executor = executor or shared_executor()
        self._idle: list[Channel] = []
        self._all: set[int] = set()
        self._retired_requests = 0
        self._retired_kinds: Counter[str] = Counter()
        self._live: list[Channel] = []
        self.closed = False

    @property
    def requests_sent(self) -> int:
        """WS-Management requests sent to this host so far (for the bench and tests)."""
        return self._retired_requests + sum(c.requests_sent for c in self._live)

    @property
    def requests_by_kind(self) -> Counter[str]:
        """The same, by WS-Management action: tests count Send/Receive, not timing-dependent totals."""
        total = Counter(self._retired_kinds)
        for c in self._live:
            total.update(c.requests_by_kind)
        return total

    @property
    def _limits(self) -> Limits:
        if self._limits_obj is None:
            self._limits_obj = Limits.default()
        return self._limits_obj

    async def call(self, fn: Callable[[Channel], T], *, timeout: float, long_poll: bool = False) -> T:
        """Run `fn(channel)` on a worker thread within `timeout` seconds.

        `long_poll`: a Receive that mostly waits on the server; not counted in `Limits.total`.
        """
        self._check_open()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        total = self._limits.long_polls if long_poll else self._limits.total
        await self._acquire(total, timeout)
        slots = _Slots(self._host_sem, total)
        release, release_total = slots.release, slots.release_total

        channel: Channel | None = self._idle.pop() if self._idle else None
        afut: asyncio.Future[T] = loop.create_future()
        abandoned = False
        bridge = ThreadBridge.for_loop(loop)

        def deliver(ok: bool, value: Any, broken: bool) -> None:
            # On the loop thread: hand the channel back (or drop it), free the slots, answer.
            self._return_channel(channel, abandoned or broken or self.closed, broken)
            release()
            if not afut.done():
                if ok:
                    afut.set_result(value)
                else:
                    afut.set_exception(value)

        def work() -> None:
            nonlocal channel
            if abandoned or self.closed:
                # Given up (cancelled, timed out) or closed before a worker took the call: never
                # send it late, when its test's lab (or the node's port) may be someone else's.
                unsent = TransportError(ErrorKind.PROTOCOL, "not sent: the call was given up", self.host)
                unsent.not_sent = True
                bridge.post(deliver, False, unsent, False)
                return
            try:
                if channel is None:
                    channel = self._factory(self.url)
                    self._live.append(channel)
                result = fn(channel)
            except BaseException as exc:
                broken = _is_connection_broken(exc)
                if isinstance(exc, StopIteration):
                    # pywinrm's next(...) found no ShellId/CommandId; a future refuses StopIteration
                    # (the caller would wait for the timeout), so it travels as a protocol error.
                    exc = map_error(exc, self.host)
                bridge.post(deliver, False, exc, broken)
            else:
                bridge.post(deliver, True, result, False)

        try:
            self._executor.submit(work)
        except BaseException:
            release()
            raise
        remaining = max(0.001, deadline - loop.time())
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation when
            # the result arrives at the same moment, and cancelling must stop the command.
            async with asyncio.timeout(remaining):
                return await afut
        except TimeoutError as exc:
            abandoned = True
            release_total()
            raise TransportError(ErrorKind.TIMEOUT, f"no answer within {timeout:g} s", self.host) from exc
        except asyncio.CancelledError:
            abandoned = True
            release_total()
            raise
        except ReceiveTimedOut:
            raise
        except BaseException as exc:
            raise map_error(exc, self.host, timeout) from exc

    def _check_open(self) -> None:
        if self.closed:
            raise TransportError(ErrorKind.PROTOCOL, "the connection was closed", self.host)
        if self.refused:
            refusal = TransportError(ErrorKind.SETTINGS, self.refused, self.host)
            refusal.not_sent = True
            raise refusal

    async def _acquire(self, total: asyncio.Semaphore | None, timeout: float) -> None:
        """Take this host's slot and then a global one, within `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout):
                await self._host_sem.acquire()
                try:
                    if total is not None:
                        await total.acquire()
                except BaseException:
                    self._host_sem.release()
                    raise
        except TimeoutError as exc:
            raise TransportError(
                ErrorKind.TIMEOUT,
                f"no free connection within {timeout:g} s (the node is not answering)",
                self.host,
            ) from exc

    def _return_channel(self, channel: Channel | None, drop: bool, broken: bool) -> None:
        """After a call: pool the channel again or drop it; on a broken one, drop the whole pool."""
        if channel is not None:
            if drop:
                self._drop(channel)
            else:
                self._idle.append(channel)
        if broken:
            # The other pooled connections most likely died the same way (node restarted,
            # connections reset): their NTLM contexts are useless now, so start afresh.
            idle, self._idle = self._idle, []
            for ch in idle:
                self._drop(ch)

    def _drop(self, ch: Channel) -> None:
        if ch in self._live:
            self._live.remove(ch)
            self._retired_requests += ch.requests_sent
            self._retired_kinds.update(ch.requests_by_kind)
        try:
            ch.close()
        except Exception:  # closing a broken session must not raise
            log.debug("closing a channel to %s failed", self.host, exc_info=True)

    async def aclose(self) -> None:
        self.closed = True
        idle, self._idle = self._idle, []
        for ch in idle:
            self._drop(ch)


def _is_connection_broken(exc: BaseException) -> bool:
    """After which failures the channel's HTTP session can not be trusted any more."""
    if isinstance(exc, ReceiveTimedOut):
        return False
    from winrm.exceptions import WSManFaultError

    # A SOAP fault arrived over a healthy, authenticated connection: keep it.  Anything else
    # (HTTP errors, resets, 401, garbage) may have left the auth/encryption state broken.
    return not isinstance(exc, WSManFaultError | TransportError)


class ThreadBridge:
    """Hands results from worker threads to the event loop through a socket pair.

    Why not `loop.call_soon_threadsafe` (or `run_in_executor`, `wrap_future`, which use it)?
    On qasync with PySide6 6.12 it emits a Qt signal from the worker thread, and under load that
    corrupts reference counts and kills the process ("bool_dealloc: deallocating True or False").
    A socket pair watched with `add_reader` (a QSocketNotifier under qasync) passes no Python
    objects through Qt.  Loops without `add_reader` fall back to `call_soon_threadsafe`.
    """

    _bridges: ClassVar[weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ThreadBridge]] = (
        weakref.WeakKeyDictionary()
    )
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: queue.SimpleQueue[tuple[Callable[..., None], tuple[Any, ...]]] = queue.SimpleQueue()
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._fallback = False
        try:
            loop.add_reader(self._reader.fileno(), self._drain)
        except (NotImplementedError, RuntimeError):
            self._fallback = True
        weakref.finalize(loop, ThreadBridge._close_sockets, self._reader, self._writer)

    @staticmethod
    def _close_sockets(*socks: socket.socket) -> None:
        for s in socks:
            try:
                s.close()
            except OSError:
                pass

    @classmethod
    def for_loop(cls, loop: asyncio.AbstractEventLoop) -> ThreadBridge:
        with cls._lock:
            bridge = cls._bridges.get(loop)
            if bridge is None:
                bridge = cls._bridges[loop] = cls(loop)
            return bridge

    def post(self, fn: Callable[..., None], *args: Any) -> None:
        """Called from any thread: run `fn(*args)` soon on the loop (dropped if the loop is gone)."""
        if self._loop.is_closed():
            return
        if self._fallback:
            try:
                self._loop.call_soon_threadsafe(fn, *args)
            except RuntimeError:
                pass
            return
        self._queue.put((fn, args))
        try:
            self._writer.send(b"\0")
        except (BlockingIOError, OSError):
            pass  # a wake-up byte is already pending, or the loop is gone

    def _drain(self) -> None:
        try:
            while self._reader.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass
        while True:
            try:
                fn, args = self._queue.get_nowait()
            except queue.Empty:
                return
            try:
                fn(*args)
            except Exception:
                log.exception("a worker-thread callback failed")


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start


__all__ = [
    "Channel",
    "ChannelFactory",
    "DaemonExecutor",
    "ErrorKind",
    "HostConnection",
    "Limits",
    "PyWinRMChannel",
    "ReceiveTimedOut",
    "Received",
    "ReplyTooLarge",
    "TransportError",
    "endpoint_for",
    "map_error",
    "pywinrm_factory",
    "pywinrm_options",
    "reply_limit",
    "too_large",
    "validate_settings",
]
