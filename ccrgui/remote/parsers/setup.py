"""Parser for Exchange 2007 ``setup.com`` console output (e.g. ``/mode:upgrade``, ``/upgradecms``).

Layout (real SP1 runs in shared/reference/setup): a banner, phase lines at column 0, step lines
``    <name padded>  ......................... COMPLETED`` (status missing while a step runs),
role lists indented by four spaces, warnings indented by one space, error details by five, and
a final verdict sentence.  Console copies are hard-wrapped at 80 columns, so a line that fills
the width continues on the next line (mid-word).  Matching is on layout, not on English words,
except for the verdict sentences and the status words, which setup.com prints in English.
"""

from __future__ import annotations

import re

from ccrgui.domain.model import SetupReport, SetupStep
from ccrgui.remote.parsers._table import PROMPT, split_lines
from ccrgui.remote.parsers.errors import ParseError

__all__ = ["parse_setup_output"]

CONSOLE_WIDTH = 80
_STEP = re.compile(r"^ {4}(?P<name>\S.*?)\s+\.{3,}(?:\s*(?P<status>[A-Z][A-Z ]*[A-Z]|\d+%))?\s*$")
_ROLE_LIST = re.compile(r"^The following server roles will be \w+", re.IGNORECASE)
_SUCCESS = re.compile(r"setup operation completed successfully\.?$", re.IGNORECASE)
_FAILURE = re.compile(
    r"(setup operation did not complete|setup encountered an error|setup cannot continue)", re.IGNORECASE
)
_BANNER = re.compile(r"Microsoft Exchange Server .*Setup|Exchange Server setup", re.IGNORECASE)


def _unwrap(lines: list[str]) -> list[tuple[int, str]]:
    """Join console hard-wraps: a line exactly as wide as the console continues on the next,
    unless it ends a sentence and the next line starts a new one (an 80-character line that
    simply fits, like setup's 32-bit warning)."""
    out: list[tuple[int, str]] = []
    joined = False
    for number, line in enumerate(lines, start=1):
        if joined and out and line and not (out[-1][1].endswith(".") and line[:1].isupper()):
            out[-1] = (out[-1][0], out[-1][1] + line)
        else:
            out.append((number, line))
        joined = len(out[-1][1]) % CONSOLE_WIDTH == 0 and not _STEP.match(out[-1][1])
    return out


def parse_setup_output(text: str) -> SetupReport:
    """setup.com output (complete or partial) -> SetupReport."""
    lines = split_lines(text)
    steps: list[SetupStep] = []
    roles: list[str] = []
    warnings: list[str] = []
    errors: list[str] = []
    verdict = ""
    succeeded: bool | None = None
    phase = ""
    in_roles = False
    recognised = False
    for _number, line in _unwrap(lines):
        if not line.strip() or PROMPT.match(line.strip()):
            in_roles = False
            continue
        step = _STEP.match(line)
        if step:
            in_roles = False
            recognised = True
            status = step.group("status") or ""
            steps.append(
                SetupStep(phase=phase, name=step.group("name"), status="" if "%" in status else status)
            )
            continue
        indent = len(line) - len(line.lstrip(" "))
        stripped = line.strip()
        if in_roles and indent == 4:
            roles.append(stripped)
            continue
        in_roles = False
        if indent == 0:
            if _ROLE_LIST.match(stripped):
                in_roles = True
                recognised = True
            elif _SUCCESS.search(stripped):
                verdict, succeeded, recognised = stripped, True, True
            elif _FAILURE.search(stripped):
                if succeeded is None:
                    verdict = stripped
                succeeded = False
                recognised = True
            else:
                phase = stripped
                recognised = recognised or bool(_BANNER.search(stripped))
            continue
        # Indented text that is not a step: a warning (1 space) or an error detail (deeper).
        bucket = warnings if indent < 4 else errors
        bucket.append(stripped)
        if steps:
            last = steps[-1]
            steps[-1] = SetupStep(last.phase, last.name, last.status, (*last.messages, stripped))
    if not recognised and any(line.strip() for line in lines):
        first = next((i + 1, ln) for i, ln in enumerate(lines) if ln.strip())
        raise ParseError("no setup.com output found", *first)
    return SetupReport(
        steps=tuple(steps),
        roles=tuple(roles),
        warnings=tuple(warnings),
        errors=tuple(errors),
        succeeded=succeeded,
        verdict=verdict,
    )
