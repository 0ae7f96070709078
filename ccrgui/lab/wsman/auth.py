"""Authentication for the lab's WinRM endpoints: Negotiate (NTLM, Kerberos) via pyspnego, and Basic.

pyspnego's pure-Python NTLM acceptor reads passwords from the file named by the process-wide
`NTLM_USER_FILE` variable, re-read at every authentication.  Several labs may run in one
process (tests, GUI demo), so one registry owns that file: each lab registers its accounts
and the file holds the union, replaced atomically so a concurrent handshake never sees half
a file.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import contextlib
import hashlib
import itertools
import logging
import os
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import spnego
from spnego._context import GSSMech
from spnego._negotiate import NegotiateProxy
from spnego._ntlm import NTLMProxy
from spnego._ntlm_raw.crypto import lmowfv1, ntowfv1
from spnego._ntlm_raw.messages import (
    Authenticate,
    AvId,
    Challenge,
    FileTime,
    NegotiateFlags,
    NTClientChallengeV2,
    TargetInfo,
)
from spnego.channel_bindings import GssChannelBindings

from ccrgui.lab.topology import Account

log = logging.getLogger(__name__)


class _CredentialFile:
    """The NTLM_USER_FILE shared by every lab in the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._sets: dict[int, tuple[Account, ...]] = {}
        self._dir: str | None = None
        self._path: str | None = None

    def register(self, accounts: Iterable[Account]) -> int:
        with self._lock:
            handle = next(self._ids)
            self._sets[handle] = tuple(accounts)
            self._write()
            return handle

    def unregister(self, handle: int) -> None:
        with self._lock:
            self._sets.pop(handle, None)
            self._write()

    def _write(self) -> None:
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="ccrgui-lab-ntlm-")
            self._path = os.path.join(self._dir, "ntlm_users")
            atexit.register(self._cleanup)
        assert self._path is not None
        lines: list[str] = []
        seen: dict[tuple[str, str], str] = {}
        for accounts in self._sets.values():
            for acc in accounts:
                # DOMAIN\user, bare user (empty domain), user@DOMAIN and the UPN user@domain.com,
                # as Windows accepts them all.
                forms = (
                    (acc.domain, acc.user),
                    ("", acc.user),
                    ("", f"{acc.user}@{acc.domain}"),
                    ("", f"{acc.user}@{acc.domain}.com"),
                )
                for dom, user in forms:
                    key = (dom.casefold(), user.casefold())
                    if key in seen:
                        if seen[key] != acc.password:
                            log.warning("two labs define %s\\%s with different passwords", dom, user)
                        continue
                    seen[key] = acc.password
                    lines.append(_smbpasswd_line(f"{dom}\\{user}" if dom else user, acc.password))
        tmp = self._path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        os.replace(tmp, self._path)
        os.environ["NTLM_USER_FILE"] = self._path

    def ensure_env(self) -> None:
        """Point NTLM_USER_FILE back at our file if something else in the process changed it."""
        path = self._path
        if path is not None and self._sets and os.environ.get("NTLM_USER_FILE") != path:
            os.environ["NTLM_USER_FILE"] = path

    def _cleanup(self) -> None:
        if self._path:
            with contextlib.suppress(OSError):
                os.remove(self._path)
        if self._dir:
            with contextlib.suppress(OSError):
                os.rmdir(self._dir)


CREDENTIALS = _CredentialFile()


def _smbpasswd_line(name: str, password: str) -> str:
    """One smbpasswd-style entry (hashes, not the password, so a ':' in a password cannot split the line)."""
    try:
        lm = lmowfv1(password).hex().upper()
    except Exception:  # LM cannot represent every password; NTLMv2 only needs the NT hash
        lm = "0" * 32
    return f"{name}:1000:{lm}:{ntowfv1(password).hex().upper()}:[U]:LCT-00000000"


def find_account(accounts: Sequence[Account], principal: str) -> Account | None:
    """Map `DOMAIN\\user`, `user@domain` or `user` to a topology account (case-insensitive)."""
    principal = principal.strip()
    domain: str | None = None
    user = principal
    if "\\" in principal:
        domain, user = principal.split("\\", 1)
    elif "@" in principal:
        user, domain = principal.split("@", 1)
        domain = domain.split(".", 1)[0]
    for acc in accounts:
        if acc.user.casefold() != user.casefold():
            continue
        if domain and domain.casefold() != acc.domain.casefold():
            continue
        return acc
    return None


def check_basic(accounts: Sequence[Account], token: str) -> Account | None:
    """Verify a Basic credential against the topology accounts."""
    try:
        raw = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = raw.partition(":")
    if not sep:
        return None
    acc = find_account(accounts, user)
    if acc is None or acc.password != password:
        return None
    return acc


def tls_channel_bindings(cert_der: bytes) -> GssChannelBindings:
    """RFC 5929 tls-server-end-point bindings for our SHA-256-signed server certificate."""
    digest = hashlib.sha256(cert_der).digest()
    return GssChannelBindings(application_data=b"tls-server-end-point:" + digest)


@dataclass(frozen=True)
class NodeIdentity:
    """How a node names itself in NTLM's challenge: a domain member's computer and domain names."""

    computer: str  # NetBIOS name, e.g. EXNODE1
    domain: str  # NetBIOS domain, e.g. CONTOSO
    dns_domain: str  # e.g. contoso.com

    @property
    def fqdn(self) -> str:
        return f"{self.computer.lower()}.{self.dns_domain}"


def node_identity(node: str, domain: str) -> NodeIdentity:
    """The identity of a lab machine in the topology's domain (CONTOSO -> contoso.com)."""
    return NodeIdentity(node.upper(), domain.upper(), f"{domain.lower()}.com")


def _has_channel_bindings(token: bytes) -> bool:
    """Whether an NTLM AUTHENTICATE message carries a (non-zero) channel binding hash."""
    try:
        auth = Authenticate.unpack(token)
        response = auth.nt_challenge_response or b""
        if len(response) <= 24:
            return False
        pairs = NTClientChallengeV2.unpack(response[16:]).av_pairs
    except Exception:  # malformed: let the real check reject it
        return True
    value = pairs.get(AvId.channel_bindings)
    return bool(value) and value != b"\x00" * 16


class _NodeNTLM(NTLMProxy):
    """pyspnego's NTLM acceptor answering as a Windows domain member would.

    Its CHALLENGE names the node and its domain (pyspnego names this Linux machine and
    "WORKSTATION"), so a client logging on as DOMAIN\\user sees the target it expects; and
    channel binding over HTTPS follows WinRM's CbtHardeningLevel: Relaxed (the default) accepts
    a client that sends no bindings, Strict refuses it; wrong bindings fail in both.
    """

    def __init__(self, identity: NodeIdentity, strict_cbt: bool, **kwargs: Any) -> None:
        super().__init__(usage="accept", protocol="ntlm", **kwargs)
        self._identity = identity
        self._strict_cbt = strict_cbt

    def _step_accept_negotiate(self, token: bytes) -> bytes:
        super()._step_accept_negotiate(token)
        generic = self._temp_challenge
        assert generic is not None
        ident = self._identity
        info = TargetInfo()
        info[AvId.nb_domain_name] = ident.domain
        info[AvId.nb_computer_name] = ident.computer
        info[AvId.dns_domain_name] = ident.dns_domain
        info[AvId.dns_computer_name] = ident.fqdn
        info[AvId.dns_tree_name] = ident.dns_domain
        info[AvId.timestamp] = FileTime.now()
        flags = (generic.flags & ~NegotiateFlags.target_type_server) | NegotiateFlags.target_type_domain
        kwargs: dict[str, Any] = {}
        if flags & NegotiateFlags.version:
            kwargs["version"] = generic.version
        challenge = Challenge(
            flags, generic.server_challenge, target_name=ident.domain, target_info=info, **kwargs
        )
        self._temp_challenge = challenge  # the MIC covers the challenge as sent
        return bytes(challenge.pack())

    def _step_accept_authenticate(self, token: bytes, channel_bindings: GssChannelBindings | None) -> None:
        if channel_bindings is not None and not self._strict_cbt and not _has_channel_bindings(token):
            channel_bindings = None  # CbtHardeningLevel Relaxed
        super()._step_accept_authenticate(token, channel_bindings)


def kerberos_acceptor_credential(keytab: str) -> Any:
    """GSSAPI accept credentials from one keytab (not the process's default keytab)."""
    import gssapi.raw

    krb5 = gssapi.OID.from_int_seq("1.2.840.113554.1.2.2")
    store: dict[bytes | str, bytes | str] = {b"keytab": f"FILE:{keytab}".encode()}
    return gssapi.raw.acquire_cred_from(store, mechs=[krb5], usage="accept").creds


class NegotiateAcceptor:
    """One Negotiate security context per TCP connection (NTLM and Kerberos authenticate the connection).

    SPNEGO is pyspnego's own code with two mechanisms built here: NTLM against NTLM_USER_FILE's
    accounts, and (when the lab runs a realm) Kerberos through GSSAPI with the lab's keytab.
    A bare Kerberos or NTLM token (no SPNEGO wrapping, as some clients send) is accepted too.
    """

    def __init__(
        self,
        channel_bindings: GssChannelBindings | None = None,
        *,
        identity: NodeIdentity | None = None,
        strict_cbt: bool = False,
        kerberos_credential: Any = None,
    ) -> None:
        CREDENTIALS.ensure_env()
        ident = identity or NodeIdentity("EXNODE1", "CONTOSO", "contoso.com")
        ntlm = _NodeNTLM(ident, strict_cbt, channel_bindings=channel_bindings)
        contexts: dict[GSSMech, Any] = {}
        if kerberos_credential is not None:
            # Private pyspnego hooks (pinned <0.13): a credential for GSSAPI, the mechanisms for SPNEGO.
            krb = spnego.server(
                protocol="kerberos", channel_bindings=channel_bindings, _gssapi_credential=kerberos_credential
            )
            krb._is_wrapped = True
            contexts[GSSMech.kerberos] = krb
        ntlm._is_wrapped = True
        contexts[GSSMech.ntlm] = ntlm
        self._krb: Any = contexts.get(GSSMech.kerberos)
        self._strict_cbt = strict_cbt and channel_bindings is not None
        self.ctx: Any = NegotiateProxy(
            usage="accept", protocol="negotiate", channel_bindings=channel_bindings,
            _negotiate_contexts=contexts,
        )  # fmt: skip

    @property
    def complete(self) -> bool:
        return bool(self.ctx.complete)

    @property
    def mechanism(self) -> str:
        """ "kerberos" or "ntlm" once complete."""
        return str(self.ctx.negotiated_protocol or "")

    def step(self, token: bytes) -> bytes | None:
        out = self.ctx.step(token)
        if self.ctx.complete and self._strict_cbt and self.mechanism == "kerberos":
            # MIT accepts a ticket without bindings (Relaxed); Strict wants them verified.
            import gssapi

            if not int(self._krb._context_attr) & int(gssapi.RequirementFlag.channel_bound):
                raise PermissionError("Kerberos logon without channel bindings (CbtHardeningLevel Strict)")
        return bytes(out) if out else None

    @property
    def principal(self) -> str:
        return str(self.ctx.client_principal or "")
