"""Output formats: Format-List / Format-Table / Out-String on the 80-column buffer, ConvertTo-Xml,
ConvertTo-Csv, compared with the real EMS console sample and PowerShell's own test vectors."""

from __future__ import annotations

from pathlib import Path

from test_powershell_rig import SNAPIN, PSRig, rig  # noqa: F401 - fixture

from ccrgui.lab.powershell.formatting import format_list, format_table
from ccrgui.lab.powershell.values import PSObject, PSProperty, StrArray

SAMPLE = "ems/ems-get-umserver_get-exchangeserver-fl_ex2007sp1.txt"


def sample_fl_lines(reference: Path) -> list[str]:
    """The `Get-ExchangeServer | fl` lines of the real EMS console copy (both servers)."""
    lines = (reference / SAMPLE).read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith(">Get-ExchangeServer | fl")) + 1
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("[PS]"))
    return lines[start:end]


def objects_from_sample(lines: list[str]) -> list[PSObject]:
    objs: list[PSObject] = []
    entries: list[tuple[str, str]] = []
    for line in lines:
        if line.startswith(" " * 36):
            label, value = entries[-1]
            entries[-1] = (label, value + line[36:])
        else:
            label, _, value = line.partition(" :")
            entries.append((label.strip(), value[1:] if value.startswith(" ") else value))
    current: PSObject | None = None
    for label, value in entries:
        if label == "Name":
            current = PSObject("Microsoft.Exchange.Data.Directory.Management.ExchangeServer")
            objs.append(current)
        assert current is not None
        v: object = value if value else None
        if value.startswith("{") and value.endswith("}"):
            v = StrArray(x for x in value[1:-1].split(", ") if x)
        current.props.append(PSProperty(label, v))
    return objs


def test_format_list_matches_real_ems_console(reference: Path) -> None:
    lines = sample_fl_lines(reference)
    objs = objects_from_sample(lines)
    assert len(objs) == 2
    text = format_list(objs, 80, limit=16)  # the EMS profile sets $FormatEnumerationLimit = 16
    got = [line for line in text.split("\r\n") if line]
    assert got == lines


def test_get_exchange_server_has_the_real_property_names_in_order(rig: PSRig, reference: Path) -> None:  # noqa: F811
    expected = [p.name for p in objects_from_sample(sample_fl_lines(reference))[1].props]
    r = rig.ems("Get-ExchangeServer EXCH1 | Format-List")
    labels = [
        line.partition(" :")[0].strip()
        for line in r.out.split("\r\n")
        if " : " in line or line.endswith(" :")
    ]
    assert labels == expected
    assert "AdminDisplayVersion               : Version 8.1 (Build 240.6)\r\n" in r.out
    assert "IsMemberOfCluster                 : Yes\r\n" in r.out


def test_format_list_layout() -> None:
    a = PSObject(
        "T", [PSProperty("Name", "x"), PSProperty("LongerLabel", StrArray(["a", "b"])), PSProperty("E", None)]
    )
    b = PSObject("T", [PSProperty("Name", "y"), PSProperty("LongerLabel", StrArray()), PSProperty("E", "")])
    assert format_list([a, b]) == (
        "\r\n\r\nName        : x\r\nLongerLabel : {a, b}\r\nE           :\r\n"
        "\r\nName        : y\r\nLongerLabel : {}\r\nE           :\r\n\r\n\r\n"
    )


def test_enumeration_limit_is_four_without_the_ems_profile() -> None:
    o = PSObject("T", [PSProperty("N", StrArray(["1", "2", "3", "4", "5"]))])
    assert "N : {1, 2, 3, 4...}\r\n" in format_list([o])


def test_format_table_layout() -> None:
    rows = [
        PSObject("T", [PSProperty("Name", "First Storage Group"), PSProperty("Queue", 12)]),
        PSObject("T", [PSProperty("Name", "x" * 60), PSProperty("Queue", 3)]),
    ]
    text = format_table(rows, 80)
    lines = text.split("\r\n")
    assert lines[0] == ""
    assert lines[1] == "Name" + " " * 35 + " " + " " * 34 + "Queue"
    assert lines[2] == "----" + " " * 35 + " " + " " * 34 + "-----"
    assert lines[3] == "First Storage Group" + " " * 20 + " " + " " * 37 + "12"
    assert lines[4] == "x" * 36 + "..." + " " + " " * 38 + "3"
    assert text.endswith("\r\n\r\n\r\n")


def test_storage_group_copy_status_default_view(rig: PSRig) -> None:  # noqa: F811
    r = rig.ems("Get-StorageGroupCopyStatus")
    lines = r.out.split("\r\n")
    assert lines[1].split() == [
        "Name",
        "SummaryCopyS...",
        "CopyQueueLength",
        "ReplayQueueL...",
        "LastInspecte...",
    ]
    assert lines[3].startswith("First Storag... ")
    assert "Healthy" in lines[3]


def test_convertto_xml_as_string_matches_powershell_format(rig: PSRig) -> None:  # noqa: F811
    r = rig.cmd(
        "'x' | Select-Object @{n='prop1';e={'val1'}}, @{n='prop2';e={'val2'}} | ConvertTo-Xml -As String"
    )
    assert r.out == (
        '<?xml version="1.0"?>\r\n<Objects>\r\n'
        '  <Object Type="System.Management.Automation.PSCustomObject">\r\n'
        '    <Property Name="prop1" Type="System.String">val1</Property>\r\n'
        '    <Property Name="prop2" Type="System.String">val2</Property>\r\n  </Object>\r\n</Objects>\r\n'
    )


def test_convertto_xml_stream_and_notypeinformation(rig: PSRig) -> None:  # noqa: F811
    r = rig.cmd(
        "$s = 'x' | Select-Object @{n='p';e={'v'}} | ConvertTo-Xml -As Stream; $s.Count; $s[2];"
        " 'x' | Select-Object @{n='p';e={'v'}} | ConvertTo-Xml -As String -NoTypeInformation"
    )
    assert r.out == (
        '4\r\n<Object Type="System.Management.Automation.PSCustomObject">\r\n'
        '  <Property Name="p" Type="System.String">v</Property>\r\n</Object>\r\n'
        '<?xml version="1.0"?>\r\n<Objects>\r\n  <Object>\r\n    <Property Name="p">v</Property>\r\n'
        "  </Object>\r\n</Objects>\r\n"
    )


def test_convertto_xml_collections_nulls_and_types(rig: PSRig) -> None:  # noqa: F811
    r = rig.ems(
        "Get-ClusteredMailboxServerStatus | Select-Object Identity, State, OperationalMachines,"
        " FailedResources,"
        " @{n='Nothing';e={$null}}, @{n='Count';e={3}}, @{n='Flag';e={$true}}, @{n='Empty';e={''}}"
        ' | ConvertTo-Xml -As String | ForEach-Object { [Console]::Out.Write($_ + "`r`n") }'
    )
    assert r.err == ""
    assert r.out == (
        '<?xml version="1.0"?>\r\n<Objects>\r\n'
        '  <Object Type="System.Management.Automation.PSCustomObject">\r\n'
        '    <Property Name="Identity" Type="System.String">EXCH1</Property>\r\n'
        '    <Property Name="State" Type="Microsoft.Exchange.Management.SystemConfigurationTasks.'
        'ClusteredMailboxServerState">Online</Property>\r\n'
        '    <Property Name="OperationalMachines" Type="System.String[]">\r\n'
        '      <Property Type="System.String">EXNODE1 &lt;Active, Quorum Owner&gt;</Property>\r\n'
        '      <Property Type="System.String">EXNODE2</Property>\r\n'
        "    </Property>\r\n"
        '    <Property Name="FailedResources" Type="System.String[]" />\r\n'
        '    <Property Name="Nothing" Type="System.Object" />\r\n'
        '    <Property Name="Count" Type="System.Int32">3</Property>\r\n'
        '    <Property Name="Flag" Type="System.Boolean">True</Property>\r\n'
        '    <Property Name="Empty" Type="System.String" />\r\n'
        "  </Object>\r\n</Objects>\r\n"
    )


def test_convertto_xml_of_wmi_values(rig: PSRig) -> None:  # noqa: F811
    r = rig.cmd(
        "Get-WmiObject Win32_OperatingSystem | Select-Object Caption, Version, CSDVersion,"
        " TotalVisibleMemorySize,"
        " FreePhysicalMemory, LastBootUpTime | ConvertTo-Xml -As String"
        " | ForEach-Object { [Console]::Out.Write($_) }"
    )
    assert '<Property Name="Version" Type="System.String">6.0.6001</Property>' in r.out
    assert '<Property Name="CSDVersion" Type="System.String">Service Pack 1</Property>' in r.out
    assert '<Property Name="TotalVisibleMemorySize" Type="System.UInt64">16776192</Property>' in r.out
    assert '<Property Name="LastBootUpTime" Type="System.String">20' in r.out


def test_convertto_csv(rig: PSRig) -> None:  # noqa: F811
    r = rig.cmd("'ab' | Select-Object @{n='A';e={'x\"y'}}, Length | ConvertTo-Csv -NoTypeInformation")
    assert r.out == '"A","Length"\r\n"x""y","2"\r\n'


def test_out_string_of_objects_and_strings(rig: PSRig) -> None:  # noqa: F811
    r = rig.cmd(
        "$t = 'a','b' | Out-String; $t.Length;"
        " $u = [datetime]'2009-01-26 14:02:03' | Out-String -Stream; $u.Count;"
        " [datetime]'2009-01-26 14:02:03'"
    )
    assert r.out == "6\r\n4\r\n\r\nMonday, January 26, 2009 2:02:03 PM\r\n\r\n\r\n"


def test_snapin_listing(rig: PSRig) -> None:  # noqa: F811
    r = rig.cmd(SNAPIN + "; (Get-PSSnapin | Where-Object {$_.Name -match 'Exchange.Management'}).Name")
    assert r.out == "Microsoft.Exchange.Management.PowerShell.Admin\r\n"
