"""setup.com progress parser and CLIXML stderr decoder."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccrgui.remote.parsers import (
    ParseError,
    clixml_to_text,
    decode_ps_escapes,
    parse_clixml,
    parse_setup_output,
)


def sample(reference: Path, name: str) -> str:
    return (reference / "setup" / name).read_text(encoding="utf-8").split("\n", 1)[1]


def test_setup_upgrade_success(reference: Path) -> None:
    """The real /mode:upgrade run: roles, 12 COMPLETED steps, the re-joined warning, success."""
    report = parse_setup_output(sample(reference, "setup-com-mode-upgrade_ex2007sp1.txt"))
    assert report.succeeded is True
    assert report.verdict == "The Microsoft Exchange Server setup operation completed successfully."
    assert report.roles == ("Hub Transport Role", "Client Access Role", "Mailbox Role", "Management Tools")
    assert len(report.steps) == 12
    assert {s.status for s in report.steps} == {"COMPLETED"}
    assert report.steps[0].name == "Hub Transport Role Checks"
    assert report.steps[0].phase == "Performing Microsoft Exchange Server Prerequisite Check"
    assert report.steps[-1].phase == "Configuring Microsoft Exchange Server"
    assert report.warnings == (
        "Setup cannot detect an SMTP or Send connector with an address space of '*'. "
        "Mail flow to the Internet may not work properly.",
    )
    assert report.steps[0].messages == report.warnings


def test_setup_install_failure(reference: Path) -> None:
    """The real failed run: the MSI error detail, the 80-column warning kept apart, failure verdict."""
    report = parse_setup_output(sample(reference, "setup-com-mode-install_failed_ex2007sp1.txt"))
    assert report.succeeded is False
    assert report.verdict.startswith("The Exchange Server Setup operation did not complete.")
    assert "visit http://support.microsoft.com" in report.verdict
    assert report.warnings == (
        "The 32-bit version of Exchange Server 2007 is not supported for production use.",
    )
    (error,) = report.errors
    assert "exchangeserver.msi' failed." in error and error.endswith("Error code is 1638.")
    assert report.steps[-1].name == "Organization Preparation"
    assert report.steps[-1].phase == "Configuring Microsoft Exchange Server"


def test_setup_partial_and_failed_step() -> None:
    """A step still running has no status; FAILED steps are listed."""
    text = (
        "Configuring Microsoft Exchange Server\r\n"
        "    Preparing Setup                  ......................... COMPLETED\r\n"
        "    Mailbox Server Role              ......................... FAILED\r\n"
        "     The cluster resource could not be brought online.\r\n"
        "    Finalizing Setup                 ......................... \r\n"
    )
    report = parse_setup_output(text)
    assert [(s.name, s.status) for s in report.steps] == [
        ("Preparing Setup", "COMPLETED"),
        ("Mailbox Server Role", "FAILED"),
        ("Finalizing Setup", ""),
    ]
    assert report.failed_steps[0].messages == ("The cluster resource could not be brought online.",)
    assert report.succeeded is None


def test_setup_garbage() -> None:
    """Text with nothing of setup.com in it is a ParseError; empty output is an empty report."""
    with pytest.raises(ParseError):
        parse_setup_output("'setup.com' is not recognized as an internal or external command,")
    assert parse_setup_output("").steps == ()


@settings(max_examples=150)
@given(st.text(max_size=300))
def test_setup_fuzz(text: str) -> None:
    """Any text: a report or a ParseError."""
    try:
        parse_setup_output(text)
    except ParseError:
        pass


CLIXML = (
    "#< CLIXML\r\n"
    '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
    '<Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T>'
    '<T>System.Object</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for '
    "first use.</AV><AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR>"
    "</MS></Obj>"
    '<S S="Error">Move-ClusteredMailboxServer : The target machine NODE_x005F_2 is not valid.'
    "_x000D__x000A_</S>"
    '<S S="Error">At line:1 char:28_x000D__x000A_</S>'
    '<S S="warning">Careful_x000D__x000A_</S>'
    "</Objs>"
)


def test_clixml_errors_decoded() -> None:
    """Error records joined, escapes decoded, progress dropped, other streams on request."""
    assert clixml_to_text(CLIXML) == (
        "Move-ClusteredMailboxServer : The target machine NODE_2 is not valid.\nAt line:1 char:28"
    )
    assert parse_clixml(CLIXML, streams=("warning",)) == [("warning", "Careful\r\n")]


def test_clixml_plain_and_malformed() -> None:
    """Plain stderr passes through; malformed CLIXML is kept raw by clixml_to_text."""
    assert clixml_to_text("Access is denied.\r\n") == "Access is denied.\r\n"
    broken = '#< CLIXML\r\n<Objs><S S="Error">x</Objs>'
    assert clixml_to_text(broken) == broken
    with pytest.raises(ParseError):
        parse_clixml(broken)
    with pytest.raises(ParseError):
        parse_clixml("no marker")


def test_clixml_two_blocks_and_prefix() -> None:
    """Two commands' CLIXML in one stream, after plain text from a native program."""
    block = '#< CLIXML\r\n<Objs Version="1.1.0.1"><S S="Error">boom_x000A_</S></Objs>\r\n'
    assert clixml_to_text("native says hi\r\n" + block + block) == "native says hi\nboom\nboom"


@given(st.text(max_size=40))
def test_ps_escape_round_trip(text: str) -> None:
    """Encoding every character as _xHHHH_ (UTF-16 units) decodes back to the text."""
    encoded = "".join(
        f"_x{int.from_bytes(text[i : i + 1].encode('utf-16-le', 'surrogatepass')[j : j + 2], 'little'):04X}_"
        for i in range(len(text))
        for j in range(0, len(text[i].encode("utf-16-le", "surrogatepass")), 2)
    )
    assert decode_ps_escapes(encoded) == text.encode("utf-16-le", "surrogatepass").decode(
        "utf-16-le", "replace"
    )
