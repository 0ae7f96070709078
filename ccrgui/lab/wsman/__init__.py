"""The lab's WS-Management (WinRM) service: a real HTTP endpoint that WinRM clients use as a Windows host."""

from ccrgui.lab.wsman.auth import CREDENTIALS
from ccrgui.lab.wsman.certs import LabCertificates, lab_certificates
from ccrgui.lab.wsman.server import TlsConfig, WSManServer
from ccrgui.lab.wsman.shells import Launcher, ShellService
from ccrgui.lab.wsman.soap import WSManFault

__all__ = [
    "CREDENTIALS",
    "LabCertificates",
    "Launcher",
    "ShellService",
    "TlsConfig",
    "WSManFault",
    "WSManServer",
    "lab_certificates",
]
