"""Authentication for the lab's WinRM endpoints: NTLM/Negotiate via pyspnego, and Basic.

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
from typing import Any

import spnego
from spnego._ntlm_raw.crypto import lmowfv1, ntowfv1
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
                # DOMAIN\user, bare user (empty domain) and user@DOMAIN, as Windows accepts all three.
                for dom, user in ((acc.domain, acc.user), ("", acc.user), ("", f"{acc.user}@{acc.domain}")):
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


class NegotiateAcceptor:
    """One Negotiate/NTLM security context per TCP connection (NTLM authenticates the connection)."""

    def __init__(self, channel_bindings: GssChannelBindings | None = None) -> None:
        self._cbt = channel_bindings
        CREDENTIALS.ensure_env()
        # use_negotiate pins pyspnego's own SPNEGO/NTLM code: with python-gssapi installed it would
        # otherwise hand the tokens to GSSAPI, which knows nothing of NTLM_USER_FILE's accounts.
        self.ctx: Any = spnego.server(
            protocol="negotiate",
            channel_bindings=channel_bindings,
            options=spnego.NegotiateOptions.use_negotiate,
        )

    @property
    def complete(self) -> bool:
        return bool(self.ctx.complete)

    def step(self, token: bytes) -> bytes | None:
        out = self.ctx.step(token)
        return bytes(out) if out else None

    @property
    def principal(self) -> str:
        return str(self.ctx.client_principal or "")
