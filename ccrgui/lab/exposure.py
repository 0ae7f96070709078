"""Warnings for lab settings that expose it: the lab's accounts and passwords are published
test values, so a lab reachable from other machines, or one accepting Basic over plain HTTP,
hands a logon (and a remote shell) to anyone on the network.  `ccrgui-lab` prints these on
stderr before it starts; `Lab.start` logs them."""

from __future__ import annotations

import ipaddress

__all__ = ["exposure_warnings"]


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None  # a host name: it may resolve to any interface


def _loopback(host: str) -> bool:
    address = _address(host)
    return host.casefold() == "localhost" or (address is not None and address.is_loopback)


def exposure_warnings(host: str, *, allow_unencrypted: bool) -> list[str]:
    """What is unsafe about listening on `host` with these settings (empty when nothing is)."""
    warnings: list[str] = []
    address = _address(host)
    everywhere = not host or (address is not None and address.is_unspecified)
    if not _loopback(host):
        where = "on EVERY network interface" if everywhere else f"on {host}, not only on this computer"
        warnings.append(
            f"the lab listens {where}: other machines can reach it and log on with its published "
            "test accounts, which get a remote shell"
        )
    if allow_unencrypted:
        warnings.append(
            "--allow-unencrypted: Basic authentication and unsealed messages are accepted over plain "
            "HTTP, so passwords and commands cross the network readable"
            + (" by anyone on it" if not _loopback(host) else "")
        )
    return warnings
