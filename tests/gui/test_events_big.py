"""Issue 10 item 9: an event with a 20 MB message is shown as a bounded preview, whole on demand."""

from __future__ import annotations

import dataclasses

from ccrgui.gui.events.preview import PREVIEW_CHARS, bounded, elide
from ccrgui.gui.events.view import EventsView
from ccrgui.remote.api import EventBatch, LogQuery
from tests.gui.test_events_view import FakeEventSession, make_event


def test_selecting_an_event_with_a_huge_message_shows_a_bounded_preview(qtbot) -> None:  # type: ignore[no-untyped-def]
    message = (
        "A long line of text logged by a program. " * 40 + "\r\n"
    ) * 1_200  # about 2 MB (the report: 20 MB froze the GUI for 7 s)
    base = make_event("EXNODE1", 1, message=message, data={"Dump": "x" * 500_000, "Name": "G"})
    huge = dataclasses.replace(base, xml_parts=("<Event>", "y" * 300_000, "</Event>"))
    session = FakeEventSession()
    view = EventsView(lambda: session)
    qtbot.addWidget(view)
    view.add_batch(EventBatch(LogQuery("EXNODE1", "System"), (huge, make_event("EXNODE1", 2))))
    row = next(r for r in range(view.proxy.rowCount()) if view.proxy.event_at(r).record_id == 1)  # type: ignore[union-attr]
    view.select_proxy_row(row)
    general = view.general_text.toPlainText()
    assert len(general) < PREVIEW_CHARS + 2_000
    assert "more characters not shown" in general and "Event ID:      1069" in general  # fields kept
    assert len(view.data_text.toPlainText()) < PREVIEW_CHARS + 200
    assert "Name: G" in view.data_text.toPlainText()
    assert len(view.xml_text.toPlainText()) < PREVIEW_CHARS + 200
    assert view.full_text_button.isVisibleTo(view)
    view.full_text_button.click()  # on demand: the whole texts
    assert message.strip().replace("\r\n", "\n") in view.general_text.toPlainText().replace("\r\n", "\n")
    assert len(view.xml_text.toPlainText()) == len(huge.raw_xml)
    assert not view.full_text_button.isVisibleTo(view)
    view.select_proxy_row(1 - row)  # an ordinary event: no button
    assert not view.full_text_button.isVisibleTo(view)


def test_elide_ends_at_a_line_break_near_the_limit() -> None:
    text = "\n".join(f"line {i}" for i in range(10_000))
    head, left = elide(text, 1_000)
    assert head.endswith(tuple("0123456789")) and len(head) <= 1_000 and len(head) + left == len(text)
    assert bounded("short") == ("short", False)
    one_line = "z" * 5_000
    assert elide(one_line, 1_000) == ("z" * 1_000, 4_000)
