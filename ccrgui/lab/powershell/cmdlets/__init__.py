"""The cmdlet table: core cmdlets, the Exchange 2007 snap-in's CCR cmdlets, WMI and services."""

from __future__ import annotations

from ..cmdlet import Cmdlet


def registry() -> dict[str, Cmdlet]:
    from . import core, exchange, exchange_db, files, process, system

    table: dict[str, Cmdlet] = {}
    for c in (
        core.cmdlets()
        + exchange.cmdlets()
        + exchange_db.cmdlets()
        + system.cmdlets()
        + files.cmdlets()
        + process.cmdlets()
    ):
        table[c.name.casefold()] = c
    return table
