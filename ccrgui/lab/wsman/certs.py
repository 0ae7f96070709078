"""A throw-away CA and server certificate for the lab's HTTPS listeners.

Generated once per process and per host name (RSA keys take a moment), written to a private
temp directory; clients verify the server against the exported CA file, as they would trust
an enterprise CA on a real network.
"""

from __future__ import annotations

import atexit
import datetime as dt
import ipaddress
import os
import shutil
import ssl
import tempfile
import threading
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ccrgui.lab.wsman.server import TlsConfig


@dataclass(frozen=True)
class LabCertificates:
    ca_file: str  # PEM of the CA, for clients (`ca_trust_path`, `server_cert_validation`)
    cert_file: str
    key_file: str
    cert_der: bytes

    def server_config(self) -> TlsConfig:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return TlsConfig(ctx, self.cert_der)


_lock = threading.Lock()
_cache: dict[tuple[str, ...], LabCertificates] = {}
_dir: str | None = None


def lab_certificates(hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> LabCertificates:
    """The CA + server certificate valid for `hosts` (IP addresses and DNS names)."""
    global _dir
    key = tuple(sorted(set(hosts) | {"127.0.0.1", "localhost"}))
    with _lock:
        if key in _cache:
            return _cache[key]
        if _dir is None:
            _dir = tempfile.mkdtemp(prefix="ccrgui-lab-tls-")
            atexit.register(shutil.rmtree, _dir, True)
        certs = _generate(key, os.path.join(_dir, str(len(_cache))))
        _cache[key] = certs
        return certs


def _generate(hosts: tuple[str, ...], prefix: str) -> LabCertificates:
    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CONTOSO Lab Root CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sans: list[x509.GeneralName] = []
    for host in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            sans.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = f"{prefix}-ca.pem", f"{prefix}-server.pem", f"{prefix}-server.key"
    with open(ca_file, "wb") as fh:
        fh.write(ca_cert.public_bytes(serialization.Encoding.PEM))
    with open(cert_file, "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
    return LabCertificates(ca_file, cert_file, key_file, cert.public_bytes(serialization.Encoding.DER))
