"""Bounded previews for the details pane.

Why: an event's message, data or XML can be megabytes (a program logging a whole buffer), and
putting 20 MB into a QPlainTextEdit froze the GUI for seconds when the row was selected.  The
pane shows at most `PREVIEW_CHARS` of each text, says how much it left out, and the full text
is loaded only when the admin asks for it.
"""

from __future__ import annotations

PREVIEW_CHARS = 20_000  # what a text pane lays out without a noticeable pause
VALUE_CHARS = 2_000  # one event data value in the "Event data" pane


def elide(text: str, limit: int = PREVIEW_CHARS) -> tuple[str, int]:
    """The start of `text` (at most `limit` characters, ending at a line break when one is near)
    and the number of characters left out (0 when the text is whole)."""
    if len(text) <= limit:
        return text, 0
    cut = text.rfind("\n", limit - limit // 10, limit)
    if cut <= 0:
        cut = limit
    return text[:cut], len(text) - cut


def omitted_note(count: int) -> str:
    return f"[… {count:,} more characters not shown: “Show full text” loads them]"


def bounded(text: str, limit: int = PREVIEW_CHARS) -> tuple[str, bool]:
    """`text` elided to `limit` with a note saying so; and whether anything was left out."""
    head, left_out = elide(text, limit)
    if not left_out:
        return text, False
    return f"{head}\n{omitted_note(left_out)}", True


__all__ = ["PREVIEW_CHARS", "VALUE_CHARS", "bounded", "elide", "omitted_note"]
