"""The command lines the backend builds: every name quoted by `ccrgui.quoting`."""

from __future__ import annotations

import pytest

from ccrgui.quoting import UnsafeValueError
from ccrgui.remote import scripts


def test_cluster_exe_lines_use_msvcrt_quoting() -> None:
    assert scripts.group_move_line("Cluster Group", None) == 'cluster.exe group "Cluster Group" /move'
    assert (
        scripts.group_move_line('a "b" & %c%', "Node 2")
        == 'cluster.exe group "a \\"b\\" & %c%" /move:"Node 2"'
    )
    assert scripts.node_pause_line("EXNODE2") == "cluster.exe node EXNODE2 /pause"
    with pytest.raises(UnsafeValueError):
        scripts.group_online_line("two\nlines")
    with pytest.raises(UnsafeValueError):
        scripts.group_offline_line("/switch-like")


def test_exchange_commands_use_powershell_literals() -> None:
    line = scripts.move_cms_command("EXCH1", "N‘2’", "it's $(rm) `x`", validate_only=True)
    assert line == (
        "Move-ClusteredMailboxServer -Identity 'EXCH1' -TargetMachine 'N‘‘2’’' "
        "-MoveComment 'it''s $(rm) `x`' -ValidateOnly -Confirm:$false"
    )
    assert scripts.stop_cms_command("EXCH1", "r'") == (
        "Stop-ClusteredMailboxServer -Identity 'EXCH1' -StopReason 'r''' -Confirm:$false"
    )
    assert "-SuspendComment 'a''b'" in scripts.suspend_copy_command("EXCH1\\SG", "a'b")


def test_wevtutil_line_and_native_sections() -> None:
    line = scripts.wevtutil_query_line("System", "*[System[(EventID=1135)]]", 50, True)
    assert line == "wevtutil.exe qe System /q:*[System[(EventID=1135)]] /f:RenderedXml /rd:true /c:50"
    spaced = scripts.wevtutil_query_line(
        "Microsoft-Windows-FailoverClustering/Operational", "*[System[Level <= 2]]", 5, False
    )
    assert '"/q:*[System[Level <= 2]]"' in spaced and "/rd:false" in spaced
    with pytest.raises(ValueError):
        scripts.wevtutil_query_line("System", "*", 0, True)
    section = scripts.native_section("nodes", "cluster.exe", ["node"])
    assert "& cluster.exe 'node' 2>&1 | Out-String" in section
    with pytest.raises(ValueError):
        scripts.native_section("bad name", "cluster.exe", [])
    with pytest.raises(UnsafeValueError):
        scripts.native_section("x", "cluster.exe", ['has "quote"'])
