"""Log on as the current user: Kerberos for pywinrm through pyspnego, with no password anywhere.

Why not pywinrm's own kerberos transport: it needs pykerberos/winkerberos, a second Kerberos
stack beside pyspnego's, and reports failures as bare GSSAPI tuples.  pyspnego uses SSPI on
Windows (sspilib: the logged-on user's credentials) and GSSAPI elsewhere (python-gssapi: the
user's ticket cache from `kinit`), and this module turns its errors into what to do.

As Windows' WinRM client does: the service principal is HTTP/<host> (WSMAN/<host> when the
domain has no HTTP/ one), the host being the node's DNS name even when the endpoint URL names
it by address (`kerberos_hostname_override`); over HTTP the messages are sealed with the
Kerberos session key (MS-WSMV 2.2.9.1.2); the server must prove itself (mutual
authentication).  There is no fallback: a failed Kerberos logon never turns into NTLM or Basic.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import ssl
import sys
import threading
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.auth
import winrm.transport
from winrm.encryption import Encryption

from ccrgui.remote.api import LogonAvailability as Availability

log = logging.getLogger(__name__)

SERVICES = ("HTTP", "WSMAN")  # the order the Windows client tries them in


class KerberosLogonError(Exception):
    """A Kerberos logon failed; the message says why and what to do."""


def current_user_availability() -> Availability:
    """Can the current user log on here?  Windows: SSPI (always there with pyspnego).
    Elsewhere: python-gssapi with a Kerberos ticket in the user's cache."""
    if sys.platform == "win32":
        try:
            import sspilib  # noqa: F401
        except ImportError:
            return Availability(False, "Windows logon support (the sspilib package) is not installed.")
        domain = os.environ.get("USERDNSDOMAIN", "")
        if not domain:
            return Availability(
                False, "You are logged on with a local account, not a domain account: there is no "
                "Kerberos ticket to use. Log on to the domain, or use a user name and password.",
            )  # fmt: skip
        user = os.environ.get("USERNAME", "")
        return Availability(True, principal=f"{user}@{domain}" if user else "")
    try:
        import gssapi
        import gssapi.raw
    except ImportError:
        return Availability(
            False,
            "Kerberos support (the python gssapi package, built against MIT Kerberos) is not installed: "
            "run scripts/setup-env as root (it installs libkrb5-dev and builds it), or "
            "pip install 'ccrgui[kerberos]'.",
        )
    try:
        creds = gssapi.Credentials(usage="initiate")
        name = str(creds.name)
        lifetime = creds.lifetime
    except gssapi.raw.misc.GSSError as exc:
        text = _gss_text(exc)
        if "expired" in text.casefold():
            return Availability(False, "Your Kerberos ticket has expired: run kinit user@REALM again.")
        return Availability(
            False,
            "You have no Kerberos ticket: run kinit user@REALM (the domain's realm, e.g. CONTOSO.COM) first.",
        )
    if lifetime is not None and lifetime <= 0:
        return Availability(False, f"The Kerberos ticket of {name} has expired: run kinit again.")
    return Availability(True, principal=name)


def _gss_text(exc: BaseException) -> str:
    """The texts of a GSSAPI/SSPI error and the errors under it (the minor status names the cause)."""
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None:
        gen = getattr(seen, "gen_message", None)
        if callable(gen):
            parts.append(str(gen()))
        else:
            parts.append(str(seen))
        seen = getattr(seen, "base_error", None) or seen.__cause__
        if len(parts) > 5:
            break
    return " / ".join(p for p in parts if p)


_NOT_FOUND = re.compile(r"Server (\S+) not found in Kerberos database", re.IGNORECASE)


def explain(text: str, spn: str, realm_hint: str = "") -> str:
    """Turn a Kerberos error text into what happened and what to do."""
    low = text.casefold()
    m = _NOT_FOUND.search(text)
    if m and m.group(1).casefold().startswith("krbtgt/"):
        # krbtgt/HOSTREALM@USERREALM: the user's realm has no trust with the host's.
        target = m.group(1).split("/", 1)[1].split("@")
        host_realm = target[0]
        user_realm = target[1] if len(target) > 1 else "your realm"
        return (
            f"your Kerberos ticket is for the realm {user_realm}, which has no trust with {host_realm} "
            f"(the realm of {spn}). Run kinit as a user of {host_realm} (kinit user@{host_realm}), "
            "or log on with a password."
        )
    if m:
        return (
            f"the domain has no service principal {spn}: connect with the node's full DNS name, or "
            f"register the name (setspn -S {spn} <computer>); or log on with a password."
        )
    if "expired" in low:
        return "your Kerberos ticket has expired: run kinit again (on Windows: lock and unlock the session)."
    if "no credentials cache" in low or "no kerberos credentials" in low or "credentials cache file" in low:
        return "you have no Kerberos ticket: run kinit user@REALM first, or log on with a password."
    if "cannot find kdc" in low or "cannot contact any kdc" in low or "unable to reach any kdc" in low:
        return (
            f"no domain controller (KDC) answered for {realm_hint or 'the realm'}: check the network and "
            "krb5.conf (KRB5_CONFIG), or log on with a password."
        )
    if "clock skew" in low:
        return "the clocks of this computer and the domain controller differ too much: fix the time."
    return f"Kerberos logon failed ({text.strip()}): check the ticket (klist) or log on with a password."


class NegotiateAuth(requests.auth.AuthBase):
    """requests auth for one WinRM endpoint: Kerberos in a Negotiate header, sealed messages.

    One security context per endpoint (pywinrm uses one session per endpoint); pywinrm's
    `Encryption` calls `wrap_winrm` / `unwrap_winrm` for the sealed bodies.
    """

    winrm_encryption_available = True

    def __init__(
        self,
        hostname: str,
        *,
        services: tuple[str, ...] = SERVICES,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        """No username: the current user's credentials.  A username and password: a ticket is
        requested for them in memory (the password goes to the KDC's key exchange, never to the node)."""
        self.hostname = hostname
        # Over HTTPS: the server certificate's hash (RFC 5929 tls-server-end-point), as Windows
        # binds Kerberos to the TLS channel; a relayed logon then fails at the real node.
        self.channel_bindings: Any = None
        self._username = username or None
        self._password = password or None
        self.services = services
        self.spn = f"{services[0]}/{hostname}"
        self._context: Any = None
        self._lock = threading.Lock()

    # --- the handshake -----------------------------------------------------------------------

    def _new_context(self) -> bytes:
        """Start a context, trying HTTP/ then WSMAN/ as Windows does when the first is unknown."""
        import spnego
        import spnego.exceptions

        last: BaseException | None = None
        for service in self.services:
            self.spn = f"{service}/{self.hostname}"
            try:
                ctx = spnego.client(
                    self._username,
                    self._password,
                    hostname=self.hostname,
                    service=service,
                    protocol="kerberos",
                    context_req=spnego.ContextReq.default | spnego.ContextReq.mutual_auth,
                    channel_bindings=self.channel_bindings,
                )
                token = ctx.step()
            except (spnego.exceptions.SpnegoError, ValueError, OSError) as exc:
                last = exc
                if _NOT_FOUND.search(_gss_text(exc)) and "krbtgt/" not in _gss_text(exc).casefold():
                    continue  # no such service principal: try the next name
                break
            self._context = ctx
            return bytes(token or b"")
        assert last is not None
        raise KerberosLogonError(explain(_gss_text(last), self.spn, self.hostname)) from last

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        with self._lock:
            if self._context is None or not self._context.complete:
                token = self._new_context()
                # "Negotiate" with a bare Kerberos token, as pywinrm and Windows send it.
                request.headers["Authorization"] = "Negotiate " + base64.b64encode(token).decode()
                request.register_hook("response", self._response)
            else:
                request.register_hook("response", self._logon_lost)
        return request

    def _logon_lost(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        """A 401 on an authenticated session: the connection was made anew and the node does not
        know its logon (its sealed messages cannot be re-sent); a new channel logs on again."""
        if response.status_code == 401:
            with self._lock:
                self._context = None
            raise KerberosLogonError(
                "the connection was reset and the node no longer knows its Kerberos logon (WinRM "
                "restarted, or the connection was idle too long); the next request logs on again."
            )
        return response

    def _response(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        """Complete mutual authentication, or say why the node refused the ticket."""
        token = _server_token(response)
        if response.status_code == 401:
            with self._lock:
                self._context = None
            raise KerberosLogonError(
                f"the node refused the Kerberos ticket for {self.spn}: its key does not match the "
                "domain's (a stale keytab or machine password, or the name registered on another "
                f"account: setspn -Q {self.spn}), or this account may not use WinRM there. "
                "Ask the node's administrator, or log on with a password."
            )
        with self._lock:
            ctx = self._context
            if ctx is not None and not ctx.complete:
                if token is None:
                    self._context = None
                    raise KerberosLogonError(
                        f"{self.spn} did not prove its identity (no Kerberos reply): refusing to go on."
                    )
                try:
                    ctx.step(token)
                except Exception as exc:
                    self._context = None
                    text = _gss_text(exc)
                    if "expired" in text.casefold():  # the ticket ran out during the logon
                        raise KerberosLogonError(explain(text, self.spn)) from exc
                    raise KerberosLogonError(
                        f"{self.spn} did not prove its identity ({text}): refusing to go on."
                    ) from exc
        return response

    # --- message sealing, as pywinrm's Encryption calls it -------------------------------------

    def wrap_winrm(self, host: str, message: bytes) -> tuple[bytes, bytes]:
        result = self._context.wrap_winrm(message)
        return bytes(result.data), bytes(result.header)

    def unwrap_winrm(self, host: str, message: bytes, header: bytes) -> bytes:
        return bytes(self._context.unwrap_winrm(header, message))


def tls_server_end_point(cert_der: bytes) -> Any:
    """RFC 5929 channel bindings for a server certificate (SHA-256 unless it is signed with a
    stronger hash), in the form pyspnego takes."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from spnego.channel_bindings import GssChannelBindings

    cert = x509.load_der_x509_certificate(cert_der)
    try:
        algorithm = cert.signature_hash_algorithm
    except Exception:  # an algorithm cryptography does not know: the RFC's default
        algorithm = None
    if algorithm is None or algorithm.name in ("md5", "sha1"):
        algorithm = hashes.SHA256()
    digest = hashes.Hash(algorithm)
    digest.update(cert_der)
    return GssChannelBindings(application_data=b"tls-server-end-point:" + digest.finalize())


def _server_certificate(endpoint: str, timeout: float) -> bytes:
    """The certificate an HTTPS endpoint presents (only hashed: the connection that carries the
    WinRM messages verifies it as configured)."""
    parts = urlsplit(endpoint)
    pem = ssl.get_server_certificate((parts.hostname or "", parts.port or 443), timeout=timeout)
    return ssl.PEM_cert_to_DER_cert(pem)


def _server_token(response: requests.Response) -> bytes | None:
    for value in response.headers.get("WWW-Authenticate", "").split(","):
        scheme, _, token = value.strip().partition(" ")
        if scheme.casefold() in ("negotiate", "kerberos") and token.strip():
            try:
                return base64.b64decode(token.strip())
            except ValueError:
                return None
    return None


class NegotiateTransport(winrm.transport.Transport):
    """pywinrm's transport with `NegotiateAuth` in place of its pykerberos-based Kerberos."""

    def __init__(self, endpoint: str, *, kerberos_hostname: str, **kwargs: Any) -> None:
        kwargs["auth_method"] = "kerberos"
        super().__init__(endpoint, **kwargs)
        self._auth = NegotiateAuth(kerberos_hostname, username=self.username, password=self.password)

    @property
    def spn(self) -> str:
        return self._auth.spn

    def build_session(self) -> requests.Session:
        if self.session:
            return self.session
        session = requests.Session()
        session.trust_env = False  # no proxies or CA bundles from the environment: nodes directly
        verify: bool | str = self.server_cert_validation == "validate"
        if verify and self.ca_trust_path and self.ca_trust_path != "legacy_requests":
            verify = self.ca_trust_path
        session.verify = verify
        session.auth = self._auth
        session.headers.update(self.default_headers)
        https = self.endpoint.lower().startswith("https")
        if https and self.send_cbt:
            try:
                cert = _server_certificate(self.endpoint, float(self.read_timeout_sec or 30))
            except (OSError, ValueError) as exc:
                raise requests.exceptions.ConnectionError(f"cannot reach {self.endpoint}: {exc}") from exc
            self._auth.channel_bindings = tls_server_end_point(cert)
        self.session = session
        if self.message_encryption == "always" or (self.message_encryption == "auto" and not https):
            # An empty POST authenticates, then every body is sealed with the session key.
            request = requests.Request("POST", self.endpoint, data=None)
            self._send_message_request(session, session.prepare_request(request))
            self.encryption = Encryption(session, "kerberos")
        return session


__all__ = [
    "Availability",
    "KerberosLogonError",
    "NegotiateAuth",
    "NegotiateTransport",
    "current_user_availability",
    "explain",
    "tls_server_end_point",
]
