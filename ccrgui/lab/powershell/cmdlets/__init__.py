"""The cmdlet table: core cmdlets, the Exchange 2007 snap-in's CCR cmdlets, WMI and services."""

from __future__ import annotations

from ..cmdlet import Cmdlet
from . import core, exchange, exchange_db, files, process, system


def registry() -> dict[str, Cmdlet]:
    table: dict[str, Cmdlet] = {}
    modules = (core, exchange, exchange_db, system, files, process)
    for c in (c for m in modules for c in m.cmdlets()):
        table[c.name.casefold()] = c
    return table
