"""A real Kerberos realm for the lab: an MIT KDC (Debian's krb5-kdc) run from a temporary directory.

Nothing of the machine is touched: the KDC's database, stash, kdc.conf, the clients' krb5.conf
and the service keytab all live in one temporary directory, and programs find them through
KRB5_KDC_PROFILE / KRB5_CONFIG / KRB5_KTNAME / KRB5CCNAME (`env()`).  The KDC listens on
127.0.0.1 only, on a free port, and clients are told to use TCP.  Several realms can be served
by one KDC (tests use a second, untrusted realm for "a ticket for the wrong realm").
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)

_SBIN_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin")
KDC_PROGRAMS = ("krb5kdc", "kdb5_util", "kadmin.local")
CLIENT_PROGRAMS = ("kinit", "klist", "kdestroy")
SETUP_HINT = (
    "install Debian's krb5-kdc, krb5-admin-server and krb5-user (scripts/setup-env test does, as root)"
)


class KdcError(RuntimeError):
    """The KDC could not be set up or a realm operation failed (the message says which)."""


class KdcUnavailable(KdcError):
    """The MIT Kerberos programs are not installed."""


def find_program(name: str) -> str | None:
    """A Kerberos program from PATH or the sbin directories (not on a normal user's PATH)."""
    found = shutil.which(name)
    if found:
        return found
    for d in _SBIN_DIRS:
        path = os.path.join(d, name)
        if os.access(path, os.X_OK):
            return path
    return None


def missing_programs() -> list[str]:
    """The MIT Kerberos programs the lab's realm needs that are not installed."""
    return [p for p in (*KDC_PROGRAMS, *CLIENT_PROGRAMS) if find_program(p) is None]


def _free_port(host: str) -> int:
    """A port free for both TCP and UDP on `host` (the KDC opens both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((host, 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((host, port))
                except OSError:
                    continue
                return port
    raise KdcError("no free port for the KDC")


@dataclass(frozen=True)
class Ticket:
    """A credential cache holding a TGT, as `kinit` left it."""

    ccache: str  # FILE:/path
    principal: str


class KerberosRealm:
    """One MIT KDC process serving `realm` (and `extra_realms`), with its files in a temp dir.

    `start()` creates the databases and starts krb5kdc; `add_user`, `add_service` and `kinit`
    then work; `stop()` kills the KDC and removes the directory.  `krb5_conf` is what clients
    point KRB5_CONFIG at; `keytab` holds every service key added with `add_service`.
    """

    def __init__(
        self,
        realm: str = "CONTOSO.COM",
        *,
        extra_realms: Sequence[str] = (),
        host: str = "127.0.0.1",
        ticket_lifetime: str = "10h",
    ) -> None:
        self.realm = realm.upper()
        self.realms = (self.realm, *(r.upper() for r in extra_realms if r.upper() != self.realm))
        self.host = host
        self.ticket_lifetime = ticket_lifetime
        self.port = 0
        self.dir = ""
        self.krb5_conf = ""
        self.kdc_conf = ""
        self.keytab = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._programs: dict[str, str] = {}
        self._principals: set[str] = set()

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> KerberosRealm:
        missing = missing_programs()
        if missing:
            raise KdcUnavailable(f"MIT Kerberos programs not found ({', '.join(missing)}): {SETUP_HINT}")
        self._programs = {p: str(find_program(p)) for p in (*KDC_PROGRAMS, *CLIENT_PROGRAMS)}
        self.dir = tempfile.mkdtemp(prefix="ccrgui-lab-krb5-")
        atexit.register(self.stop)  # a KDC must not outlive the process that started it
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        self.port = _free_port(self.host)
        self.krb5_conf = os.path.join(self.dir, "krb5.conf")
        self.kdc_conf = os.path.join(self.dir, "kdc.conf")
        self.keytab = os.path.join(self.dir, "services.keytab")
        with open(os.path.join(self.dir, "kadm5.acl"), "w", encoding="ascii") as fh:
            fh.write("")
        self._write(self.kdc_conf, self._kdc_conf_text())
        self._write(self.krb5_conf, self._krb5_conf_text())
        for realm in self.realms:
            os.makedirs(os.path.join(self.dir, realm), exist_ok=True)
            # The master key protects the database on disk; nobody ever types it.
            self._run("kdb5_util", "-r", realm, "create", "-s", "-W", "-P", secrets.token_hex(16))
        log_path = os.path.join(self.dir, "krb5kdc.out")
        with open(log_path, "wb") as out:
            args = [self._programs["krb5kdc"], "-n"]
            for realm in self.realms:
                args += ["-r", realm]
            self._proc = subprocess.Popen(
                args, env=self._kdc_env(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + 15
        while True:
            if self._proc.poll() is not None:
                with open(log_path, encoding="utf-8", errors="replace") as fh:
                    text = fh.read().strip()
                raise KdcError(f"krb5kdc exited with code {self._proc.returncode}: {text[-500:]}")
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), 0.2):
                break
            if time.monotonic() > deadline:
                raise KdcError(f"krb5kdc did not listen on {self.host}:{self.port} within 15 s")
            time.sleep(0.05)

    def stop(self) -> None:
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = ""

    def __enter__(self) -> KerberosRealm:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # --- configuration -----------------------------------------------------------------------

    def _kdc_conf_text(self) -> str:
        lines = [
            "[kdcdefaults]",
            f"    kdc_listen = {self.host}:{self.port}",
            f"    kdc_tcp_listen = {self.host}:{self.port}",
            "",
            "[realms]",
        ]
        for realm in self.realms:
            base = os.path.join(self.dir, realm)
            lines += [
                f"    {realm} = {{",
                f"        database_name = {base}/principal",
                f"        key_stash_file = {base}/stash",
                f"        acl_file = {self.dir}/kadm5.acl",
                f"        max_life = {self.ticket_lifetime}",
                "        max_renewable_life = 1d",
                "        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal",
                "    }",
            ]
        lines += ["", "[logging]", f"    kdc = FILE:{self.dir}/kdc.log", ""]
        return "\n".join(lines)

    def _krb5_conf_text(self) -> str:
        lines = [
            "[libdefaults]",
            f"    default_realm = {self.realm}",
            "    dns_lookup_kdc = false",
            "    dns_lookup_realm = false",
            # The lab's FQDNs resolve nowhere: the client names the host itself (hostname override).
            "    dns_canonicalize_hostname = false",
            "    rdns = false",
            "    udp_preference_limit = 1",
            "    forwardable = true",
            # One keytab serves every node's endpoint on this machine.
            "    ignore_acceptor_hostname = true",
            f"    default_keytab_name = FILE:{self.dir}/services.keytab",
            "",
            "[realms]",
        ]
        for realm in self.realms:
            lines += [f"    {realm} = {{", f"        kdc = {self.host}:{self.port}", "    }"]
        lines += ["", "[domain_realm]"]
        for realm in self.realms:
            dns = realm.lower()
            lines += [f"    .{dns} = {realm}", f"    {dns} = {realm}"]
        return "\n".join(lines) + "\n"

    @staticmethod
    def _write(path: str, text: str) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)

    def _kdc_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.env())
        env["KRB5_KDC_PROFILE"] = self.kdc_conf
        return env

    def env(self, ccache: str | None = None) -> dict[str, str]:
        """The variables a program needs to use this realm (and `ccache`, if given)."""
        env = {"KRB5_CONFIG": self.krb5_conf, "KRB5_KTNAME": f"FILE:{self.keytab}"}
        if ccache:
            env["KRB5CCNAME"] = ccache
        return env

    def _run(self, program: str, *args: str, env: Mapping[str, str] | None = None, stdin: str = "") -> str:
        full = self._kdc_env()
        if env:
            full.update(env)
        proc = subprocess.run(
            [self._programs[program], *args],
            env=full,
            input=stdin.encode(),
            capture_output=True,
            timeout=30,
            check=False,
        )
        out = (proc.stdout + proc.stderr).decode("utf-8", "replace").strip()
        if proc.returncode != 0:
            raise KdcError(f"{program} {' '.join(a for a in args if not a.startswith('-P'))} failed: {out}")
        return out

    def _kadmin(self, query: str, realm: str | None = None) -> str:
        out = self._run("kadmin.local", "-r", (realm or self.realm).upper(), "-q", query)
        # kadmin.local exits 0 even when the query failed; its errors name the principal.
        for line in out.splitlines():
            if "while " in line or line.startswith("kadmin.local:"):
                raise KdcError(f"kadmin.local {query.split()[0]} failed: {line.strip()}")
        return out

    # --- principals --------------------------------------------------------------------------

    def principal(self, name: str, realm: str | None = None) -> str:
        return name if "@" in name else f"{name}@{(realm or self.realm).upper()}"

    def add_user(self, name: str, password: str, realm: str | None = None) -> str:
        """Create a user principal with a password (or set it, if it exists); returns `name@REALM`."""
        princ = self.principal(name, realm)
        realm = princ.rsplit("@", 1)[1]
        if '"' in password or "\n" in password:
            raise KdcError(f"kadmin cannot set a password with a double quote or a line break ({princ})")
        verb = "cpw" if princ.casefold() in self._principals else "addprinc"
        self._kadmin(f'{verb} -pw "{password}" {princ}', realm)
        self._principals.add(princ.casefold())
        return princ

    def add_service(self, spn: str, keytab: str | None = None) -> str:
        """Create a service principal (e.g. HTTP/exnode1.contoso.com) with a random key, unless it
        exists, and put its current key into the keytab; returns the full principal name."""
        princ = self.principal(spn)
        realm = princ.rsplit("@", 1)[1]
        if princ.casefold() not in self._principals:
            self._kadmin(f"addprinc -randkey {princ}", realm)
            self._principals.add(princ.casefold())
        self.refresh_keytab(princ, keytab)
        return princ

    def change_key(self, spn: str) -> None:
        """Give the service a new key at the KDC only: keytabs holding the old key no longer match
        (what happens when a machine account's password changes and a keytab is stale)."""
        princ = self.principal(spn)
        self._kadmin(f"cpw -randkey {princ}", princ.rsplit("@", 1)[1])

    def refresh_keytab(self, spn: str, keytab: str | None = None) -> None:
        """Put the KDC's current key of a service into the keytab (its key number advances)."""
        princ = self.principal(spn)
        # -norandkey: copy the key, so other keytabs holding it stay valid.
        self._kadmin(f"ktadd -norandkey -k FILE:{keytab or self.keytab} {princ}", princ.rsplit("@", 1)[1])

    def kinit(self, principal: str, password: str, ccache: str, *, lifetime: str | None = None) -> Ticket:
        """Get a TGT into `ccache` (FILE:path) as a user would with `kinit`."""
        args = []
        if lifetime:
            args += ["-l", lifetime]
        args += ["-c", ccache, self.principal(principal)]
        self._run("kinit", *args, env={"KRB5CCNAME": ccache}, stdin=password + "\n")
        return Ticket(ccache, self.principal(principal))


__all__ = [
    "KdcError",
    "KdcUnavailable",
    "KerberosRealm",
    "Ticket",
    "find_program",
    "missing_programs",
]
