"""Whole-name matching of "events that name an object" (issue 10 item 8)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccrgui.domain.mentions import names_object
from ccrgui.domain.model import Event, EventLevel


def _event(message: str = "", **data: str) -> Event:
    return Event(
        node="EXNODE1",
        log="System",
        provider="Microsoft-Windows-FailoverClustering",
        event_id=1069,
        level=EventLevel.ERROR,
        time_created=datetime(2026, 11, 25, 12, tzinfo=UTC),
        message=message,
        data=data,
    )


@pytest.mark.parametrize(
    ("event", "name", "named"),
    [
        (_event(ResourceGroup="Grp A"), "Grp", False),
        (_event(ResourceGroup="Grp A"), "Grp A", True),
        (_event(ResourceGroup=" grp a "), "GRP A", True),
        (_event(ResourceGroup="EXCH1-test"), "EXCH1", False),
        (_event(ResourceGroup="EXCH10"), "EXCH1", False),
        (_event(StorageGroup="EXCH1\\First Storage Group"), "EXCH1", True),
        (_event(Share="\\\\HUB1\\FSW_EXCH1"), "HUB1", True),
        (_event("Cluster resource 'Disk' in clustered role 'Grp A' failed."), "Grp", False),
        (_event("Cluster resource 'Disk' in clustered role 'Grp A' failed."), "grp a", True),
        (_event("Replication for storage group 'EXCH1\\SG1' has been resumed."), "EXCH1", True),
        (_event("Cluster node EXNODE2-OLD was removed."), "EXNODE2", False),
        (_event("Resource 'Grp \"q\" & 'x'' failed."), "Grp \"q\" & 'x'", True),
        (_event(ResourceGroup="Grp"), "", False),
    ],
)
def test_whole_names_only(event: Event, name: str, named: bool) -> None:
    assert names_object(event, name) is named


_NAME_CHARS = st.characters(blacklist_characters="'\"\\", blacklist_categories=["Cs"])


@given(st.text(_NAME_CHARS, min_size=1), st.text(_NAME_CHARS, min_size=1))
def test_a_longer_name_never_names_its_prefix(name: str, tail: str) -> None:
    longer = name + tail
    event = _event(f"Role '{longer}' failed.", ResourceGroup=longer)
    same = name.strip().casefold() == longer.strip().casefold()  # the tail was only blanks
    assert names_object(event, name) is (same and bool(name.strip()))
    assert names_object(event, longer) is bool(longer.strip())
