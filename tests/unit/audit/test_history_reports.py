"""The JSON and text forms of what ``liudong audit`` shows (audit.history_reports): times in
the zone asked for, a cause not in the archive said so, long details cut, the read named."""

from __future__ import annotations

import datetime as dt
import uuid

from audit.history_reports import Cause, Entry, PersonReport, jsonable
from contracts.human_time import LOCAL, UTC
from infra.projection import reads

AT = dt.datetime(2026, 3, 1, 0, 30, tzinfo=dt.UTC)
KEY = "ab" * 32


def entry(fields: dict[str, object], causes: tuple[Cause, ...] = ()) -> Entry:
    return Entry("e1", "obligation_opened", True, AT, "610902", "610902/office-1", fields, causes)


def test_an_entry_shows_its_chain_in_the_zone_asked_for() -> None:
    reported = Cause("c2", "outflow_registered", AT, "610902/office-1")
    missing = Cause("c3", "(not in the archive)", None, None)
    shown = entry({"kind": "arrival_registration"}, (reported, missing)).as_json(LOCAL)
    assert shown["occurred_at"] == "2026-03-01T08:30:00+08:00"
    assert [c["occurred_at"] for c in shown["causation_chain"]] == [
        "2026-03-01T08:30:00+08:00",
        None,
    ]
    assert reported.label(UTC) == "outflow_registered c2 2026-03-01 00:30"
    assert missing.label(UTC) == "(not in the archive) c3"


def test_a_long_detail_is_cut_to_its_width() -> None:
    long = entry({"note": "x" * 40, "kind": "inquiry_answer"})
    detail = long.detail(width=30)
    assert len(detail) == 30
    assert detail.endswith("…")
    assert detail.startswith("kind=inquiry_answer, note=")
    assert entry({"kind": "a"}).detail() == "kind=a"


def test_times_and_ids_become_json_text() -> None:
    event_id = uuid.UUID(int=7)
    assert jsonable(AT, UTC) == "2026-03-01T00:30:00+00:00"
    assert jsonable(event_id) == str(event_id)
    assert jsonable(3) == 3


def test_a_report_names_the_read_that_made_it() -> None:
    read = reads.AuditedRead("auditor-7", "audit person", "person", KEY, rows=2, read_at=AT)
    shown = PersonReport(KEY, None, read=read).as_json(UTC)
    assert shown["audit"] == {
        "read_id": str(read.read_id),
        "operator": "auditor-7",
        "read_at": "2026-03-01T00:30:00+00:00",
        "rows_returned": 2,
    }
    assert PersonReport(KEY, AT).as_json(UTC)["audit"] is None
