"""Does an event name an object?  Whole names only: `Grp` is not named by an event about `Grp A`.

Cluster object names may contain spaces, hyphens and most punctuation, so no "word boundary"
can tell `EXCH1` from the start of `EXCH1-test`.  What Windows does write unambiguously:
* event data holds one value per insertion string: the name is the whole value, or one part of a
  backslash path or identity (`EXCH1\\SG1`, `\\\\HUB1\\FSW`);
* the cluster service's messages quote names (`Cluster resource 'IP Address' in clustered role
  'Grp' failed`): the name counts in a message only between quotes or backslashes.
Exchange 2007 messages print some names unquoted (`storage group EXCH1\\SG1`); their data values
carry the same names, so the data catches them.
"""

from __future__ import annotations

from ccrgui.domain.model import Event

_DELIMITERS = "'\"\\"


def names_object(event: Event, name: str) -> bool:
    """True when `event` names `name` (case-insensitive) as a whole name."""
    key = name.strip().casefold()
    if not key:
        return False
    for value in (event.data or {}).values():
        text = value.strip().casefold()
        if text == key or (key in text and key in text.split("\\")):
            return True
    return _delimited(event.message.casefold(), key)


def _delimited(text: str, key: str) -> bool:
    """`key` occurs in `text` with a quote or backslash (or the text's edge) on both sides."""
    start = text.find(key)
    while start >= 0:
        end = start + len(key)
        before = text[start - 1] if start else "'"
        after = text[end] if end < len(text) else "'"
        if before in _DELIMITERS and after in _DELIMITERS:
            return True
        start = text.find(key, start + 1)
    return False


__all__ = ["names_object"]
