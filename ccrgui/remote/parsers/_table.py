"""The column-table engine behind every cluster.exe listing parser.

cluster.exe prints ``printf("%-20s %-20s %-15s %s")``-style rows: the dash line under the header
gives each column's *minimum* width, a longer value pushes every later column right by a single
space, and names contain spaces.  Neither fixed slicing nor whitespace splitting works, so a row
is split by enumerating the ways its words can be cut into the columns and scoring each cut:

1. layout: re-running the printf rule on the cut reproduces the exact character positions;
2. known names (from a previous listing, or learnt from unambiguous rows of this listing);
3. padding evidence: two or more spaces between fields, none inside a field;
4. ties go to the cut with the longest leading fields (the last columns are the short ones:
   node names, single-word CMS group names, states).

Output copied by web renderers loses its spacing; then only 2-4 apply.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from ccrgui.remote.parsers.errors import ParseError

LINE_SPLIT = re.compile(r"\r\n|\r|\n")
WORD = re.compile(r"[^ \t]+")
DASHES = re.compile(r"^-+(?:[ \t]+-+)*$")
PROMPT = re.compile(r"^(?:\[PS\] )?(?:[A-Za-z]:\\|\\\\)[^>]*>|^PS [^>]*>")
TITLE = re.compile(r"^Listing (?:status|properties|private properties) for .*:$", re.IGNORECASE)
SYSTEM_ERROR = re.compile(
    r"(?:^|^[\w.\-]+\.(?:exe|com) : )System (?:error|warning) (\d+) has occurred(?: \(0x([0-9A-Fa-f]+)\))?",
    re.IGNORECASE,
)
# Word counts above this fall back to a linear heuristic, so garbage cannot make parsing explode.
MAX_WORDS = 16
# PowerShell 2.0's console host buffer width (output lines are broken there).
HOST_WIDTH = 80


def split_lines(text: object) -> list[str]:
    """Lines without CR/LF and without trailing blanks (console copies pad to the window width).

    Output that went through PowerShell 2.0's console host (``& cluster.exe ... | Out-String``
    written with Write-Output) is broken at 80 columns; a wrapped row's tail (a line starting
    with a blank, or of at most two words, after a line exactly 80 wide) is joined back, and its
    own line is left blank so line numbers stay those of the text.  A byte order mark at the
    start of a line is dropped.
    """
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    raw = LINE_SPLIT.split(text)
    if host_wrapped(text):
        raw = _join_fragments(raw)
    # A UTF-8 BOM (a capture saved by Notepad, or several such files concatenated) is no text.
    return [line.lstrip("\ufeff").rstrip(" \t\x00") for line in raw]


def _join_fragments(raw: list[str], width: int = HOST_WIDTH) -> list[str]:
    out = list(raw)
    target = -1
    piece = 0
    # printf pads every column but the last, so a whole row of the current listing reaches its
    # last column's start (from the dash line); anything shorter is the tail of a wrapped row.
    min_row = 0
    for index, line in enumerate(raw):
        body = line.rstrip(" \t\r")
        if DASHES.match(body):
            starts = [m.start() for m in re.finditer(r"-+", body)]
            min_row = starts[-1] + 1 if len(starts) > 1 else 0
        elif not body.strip():
            min_row = 0
        fragment = bool(line) and (line[0] in " \t" or len(line.split()) <= 2 or len(line) < min_row)
        if target >= 0 and piece == width and fragment:
            out[target] += line
            out[index] = ""
            piece = len(line)
            continue
        target, piece = index, len(line)
    return out


def host_wrapped(text: str, width: int = HOST_WIDTH) -> bool:
    """Whether `text` looks hard-wrapped by PowerShell 2.0's console host: no line is longer
    than the buffer width and at least one line is exactly that wide (pywinrm issue #216)."""
    lengths = [len(line) for line in LINE_SPLIT.split(text)]
    return len(lengths) > 1 and max(lengths) == width


def unwrap_host_lines(text: str, width: int = HOST_WIDTH) -> str:
    """Undo the console host's hard wraps: a line exactly `width` long continues on the next.

    Only for text that `host_wrapped` recognises; a genuine line of exactly `width` characters
    would be joined with the next, which markup (XML) tolerates between elements.
    """
    lines = LINE_SPLIT.split(text)
    out: list[str] = []
    joining = False
    for line in lines:
        if joining and out:
            out[-1] += line
        else:
            out.append(line)
        joining = len(line) == width
    return "\r\n".join(out)


def collapse(line: str) -> str:
    return " ".join(line.split())


@dataclass
class Table:
    """One listing: where its header is, its columns, and its row lines (indent removed)."""

    header_line: int  # 1-based
    titles: list[str]
    widths: list[int] | None  # from the dash line; None when the listing lost its spacing
    rows: list[tuple[int, str]] = field(default_factory=list)
    title: str = ""  # the "Listing ... for 'x':" line before the header, if any
    stopped_by: tuple[int, str] | None = None  # the line that ended the rows
    source: Sequence[str] = ()  # all lines of the text, for error messages

    def line(self, line_no: int) -> str:
        """The original text of a 1-based line (rows are stored with their indent removed)."""
        return self.source[line_no - 1] if 0 < line_no <= len(self.source) else ""


def dash_spans(line: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"-+", line)]


def titles_from_dashes(header: str, spans: list[tuple[int, int]]) -> list[str]:
    titles = []
    for i, (start, end) in enumerate(spans):
        stop = spans[i + 1][0] if i + 1 < len(spans) else len(header)
        titles.append(header[start : max(end, stop)].strip())
    return titles


_PREFIX = re.compile(r"^[ \t]*(?:(?:#|;|//|\*|'|REM\b)[ \t]*)?")


def line_prefix(line: str) -> str:
    """What precedes a header: an indent, or a comment marker of a pasted copy (``# ``, ``REM``)."""
    match = _PREFIX.match(line)
    return match.group(0) if match else ""


def strip_prefix(line: str, prefix: str) -> str:
    """A line without the listing's prefix; a bare comment marker is a blank line."""
    if line.startswith(prefix):
        return line[len(prefix) :]
    marker = prefix.strip()
    if marker:
        stripped = line.lstrip(" \t")
        if stripped.startswith(marker):
            rest = stripped[len(marker) :]
            return rest[1:] if rest.startswith(" ") else rest
    return line.lstrip(" ")


def find_tables(
    lines: Sequence[str],
    accept: Callable[[list[str]], bool],
    known_titles: Sequence[Sequence[str]] = (),
    stop_headers: Sequence[str] = (),
) -> list[Table]:
    """Every listing whose column titles `accept` approves, with its rows.

    A header is a line followed by a dash line (titles read above the dash groups), or a line
    whose collapsed text equals one of `known_titles` (web copies lose the dash line's spacing or
    the dash line itself).  A common prefix (indent, or a comment marker when the listing was
    pasted into a script) is removed from the header and its rows.  Rows run until a prompt, a
    title, a system error, a dash line or another header.
    """
    tables: list[Table] = []
    collapsed_known = {" ".join(t): list(t) for t in known_titles}
    stops = {collapse(h) for h in stop_headers} | set(collapsed_known)
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        prefix = line_prefix(line)
        body = line[len(prefix) :]
        nxt = strip_prefix(lines[i + 1], prefix) if i + 1 < n else ""
        titles: list[str] | None = None
        widths: list[int] | None = None
        first_row = i + 1
        if body and DASHES.match(nxt) and not DASHES.match(body):
            spans = dash_spans(nxt)
            titles = titles_from_dashes(body, spans)
            if collapse(" ".join(titles)) != collapse(body):
                titles = collapsed_known.get(collapse(body), titles)
            widths = [end - start for start, end in spans]
            if len(widths) != len(titles) or spans[0][0] != 0:
                widths = None
            first_row = i + 2
        elif collapse(body) in collapsed_known:
            titles = collapsed_known[collapse(body)]
        if titles is None or not accept(titles):
            i += 1
            continue
        title = ""
        for back in range(i - 1, max(-1, i - 4), -1):
            candidate = strip_prefix(lines[back], prefix).strip()
            if TITLE.match(candidate):
                title = candidate
                break
        table = Table(header_line=i + 1, titles=titles, widths=widths, title=title, source=lines)
        j = first_row
        while j < n:
            row = strip_prefix(lines[j], prefix)
            stripped = row.strip()
            if not stripped:
                j += 1
                continue
            following = strip_prefix(lines[j + 1], prefix).strip() if j + 1 < n else ""
            if (
                PROMPT.match(stripped)
                or TITLE.match(stripped)
                or SYSTEM_ERROR.match(stripped)
                or DASHES.match(stripped)
                or collapse(stripped) in stops
                or DASHES.match(following)
            ):
                table.stopped_by = (j + 1, lines[j])
                break
            table.rows.append((j + 1, row))
            j += 1
        tables.append(table)
        i = j
    return tables


def words(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in WORD.finditer(text)]


@dataclass(frozen=True)
class Cut:
    """One way of cutting a row into fields, with its score (higher is better)."""

    fields: tuple[str, ...]
    score: tuple[int, ...]
    tie: tuple[int, ...]


def _cuts(n_words: int, n_fields: int, allow_empty: frozenset[int]) -> Iterator[tuple[int, ...]]:
    """Boundaries b_0=0 <= b_1 <= ... <= b_n=n_words; field i = words[b_i:b_{i+1}]."""

    def rec(i: int, start: int) -> Iterator[tuple[int, ...]]:
        if i == n_fields - 1:
            if start < n_words or (i in allow_empty and start == n_words):
                yield (n_words,)
            return
        required_after = sum(1 for k in range(i + 1, n_fields) if k not in allow_empty)
        lo = start if i in allow_empty else start + 1
        for end in range(lo, n_words - required_after + 1):
            for rest in rec(i + 1, end):
                yield (end, *rest)

    for tail in rec(0, 0):
        yield (0, *tail)


def split_row(
    text: str,
    widths: Sequence[int] | None,
    n_fields: int,
    *,
    known: Sequence[frozenset[str] | None] = (),
    last_phrases: Sequence[str] = (),
    allow_empty: frozenset[int] = frozenset(),
    single_word: frozenset[int] = frozenset(),
) -> list[Cut]:
    """All plausible cuts of `text` into `n_fields`, best first.

    `single_word` columns (node names) cannot contain blanks; a cut that puts one there loses.
    """
    spans = words(text)
    if not spans:
        return []
    # Candidate starts of the last field: known phrases (states), else any word start.
    last_starts: list[int] = []
    folded = text.casefold()
    for phrase in sorted(last_phrases, key=len, reverse=True):
        p = phrase.casefold()
        if folded.endswith(p):
            start = len(text) - len(p)
            if start == 0 or text[start - 1] in " \t":
                last_starts.append(start)
    if last_phrases and not last_starts:
        last_starts.append(spans[-1][0])
    results: list[Cut] = []
    if last_phrases:
        groups = []
        for start in dict.fromkeys(last_starts):
            head_spans = [s for s in spans if s[1] <= start]
            groups.append((head_spans, start))
    else:
        groups = [(spans, -1)]
    for head_spans, last_start in groups:
        n_head = n_fields - 1 if last_phrases else n_fields
        if len(head_spans) > MAX_WORDS:
            head_spans = _merge_long(text, head_spans, n_head)
        for bounds in _cuts(len(head_spans), n_head, allow_empty):
            field_spans: list[tuple[int, int] | None] = []
            for a, b in itertools.pairwise(bounds):
                field_spans.append((head_spans[a][0], head_spans[b - 1][1]) if b > a else None)
            if last_phrases:
                field_spans.append((last_start, len(text)))
            results.append(_score(text, field_spans, widths, known, bounds, single_word))
    results.sort(key=lambda c: (c.score, c.tie), reverse=True)
    return results


def _merge_long(text: str, spans: list[tuple[int, int]], n: int) -> list[tuple[int, int]]:
    """Too many words: cut only after padding (2+ spaces), else merge the leading words."""
    merged = [spans[0]]
    for start, end in spans[1:]:
        if start - merged[-1][1] >= 2:
            merged.append((start, end))
        else:
            merged[-1] = (merged[-1][0], end)
    base = spans if len(merged) < n else merged
    if len(base) > MAX_WORDS:
        # Leading columns hold the long names; keep the trailing words separate.
        k = len(base) - (MAX_WORDS - 1)
        base = [(base[0][0], base[k - 1][1]), *base[k:]]
    return base


def _score(
    text: str,
    spans: list[tuple[int, int] | None],
    widths: Sequence[int] | None,
    known: Sequence[frozenset[str] | None],
    bounds: tuple[int, ...],
    single_word: frozenset[int],
) -> Cut:
    values = tuple(text[s[0] : s[1]] if s else "" for s in spans)
    layout = 0
    if widths is not None and len(widths) >= len(spans):
        pos = 0
        layout = 1
        for i, s in enumerate(spans):
            if s is None:
                length = 0
            else:
                if s[0] != pos:
                    layout = 0
                    break
                length = s[1] - s[0]
            pos += max(length, widths[i]) + 1
    hits = 0
    misses = 0
    for i, value in enumerate(values):
        names = known[i] if i < len(known) else None
        if names and value:
            if value.casefold() in names:
                hits += 1
            else:
                misses += 1
    padding = 0
    previous_end: int | None = None
    for s in spans:
        if s is None:
            continue
        if previous_end is not None and s[0] - previous_end >= 2:
            padding += 1
        if "  " in text[s[0] : s[1]]:
            padding -= 2
        previous_end = s[1]
    empties = sum(1 for s in spans if s is None)
    blanks = sum(1 for i in single_word if i < len(values) and (" " in values[i] or "\t" in values[i]))
    return Cut(fields=values, score=(-blanks, layout, hits - misses, padding, -empties), tie=bounds)


def best_unique(cuts: list[Cut]) -> tuple[Cut | None, bool]:
    """The best cut, and whether no other cut scored as well (ties broken only by position)."""
    if not cuts:
        return None, False
    unique = len(cuts) == 1 or cuts[1].score < cuts[0].score
    return cuts[0], unique
