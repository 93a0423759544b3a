"""The tables ``liudong audit`` prints (entrypoints.audit_text): times in the zone named in
the header, derived events marked, each cause chain on its own line, a county's obligations
with their lifecycles, and the audit log's reads."""

from __future__ import annotations

import datetime as dt

from audit.history_reports import Cause, CountyObligation, CountyReport, Entry, PersonReport
from audit.obligation_view import ObligationRow
from contracts.human_time import LOCAL, UTC
from entrypoints.audit_text import county_table, log_table, obligation_table, person_table

AT = dt.datetime(2026, 3, 1, 0, 30, tzinfo=dt.UTC)
KEY = "ab" * 32


def row() -> ObligationRow:
    return ObligationRow(
        "ob-1", "arrival_registration", KEY, "610902", "440306", AT, AT + dt.timedelta(days=30)
    )


def test_a_person_table_marks_derived_events_and_their_causes() -> None:
    reported = Entry("e1", "outflow_registered", False, AT, "440306", "440306/node", {}, ())
    cause = Cause("e1", "outflow_registered", AT, "440306/node")
    derived = Entry(
        "e2", "obligation_opened", True, AT, "610902", "610900/region", {"kind": "x"}, (cause,)
    )
    lines = person_table(PersonReport(KEY, None, [reported, derived], [row()]), LOCAL)
    assert lines[0] == f"person {KEY}  as of now"
    assert "(UTC+8)" in lines[2]
    assert lines[3].startswith("2026-03-01 08:30  outflow_registered")
    assert lines[4].startswith("2026-03-01 08:30  ↳ obligation_opened")
    assert lines[5].strip() == "caused by outflow_registered e1 2026-03-01 08:30"
    assert lines[-2].startswith("  due (UTC+8)")
    assert "arrival_registration" in lines[-1]
    assert lines[-1].endswith(" -")  # no flags


def test_an_obligation_table_shows_due_times_in_the_zone_asked_for() -> None:
    lines = obligation_table([row()], UTC)
    assert "(UTC)" in lines[0]
    assert lines[1].startswith("  2026-03-31 00:30  ")


def test_a_county_table_lists_each_obligation_with_its_lifecycle() -> None:
    record = {
        "obligation_id": "ob-1",
        "kind": "arrival_registration",
        "responsible_county": "610902",
        "counterpart_county": "440306",
        "due_at": AT,
        "person_key": KEY,
        "state": "opened",
        "breached_at": None,
        "escalated_at": None,
    }
    opened = Entry("e2", "obligation_opened", True, AT, "610902", "610900/region", {}, ())
    report = CountyReport(
        "610902", "2026-Q1", AT, AT + dt.timedelta(days=90), [CountyObligation(record, (opened,))]
    )
    lines = county_table(report, UTC)
    assert lines[0].startswith("county 610902  period 2026-Q1 [")
    assert lines[0].endswith("1 obligation(s)")
    assert lines[2].startswith("ob-1  arrival_registration  on 610902 for 440306  due ")
    assert lines[3] == "  2026-03-01 00:30  obligation_opened      caused by -"


def test_the_audit_log_names_who_read_what() -> None:
    rows = [
        {
            "read_at": AT,
            "operator": "auditor-7",
            "command": "audit person",
            "subject_kind": "person",
            "subject": "abcdef01",
            "period": None,
            "as_of": None,
            "rows_returned": 3,
        },
        {
            "read_at": AT,
            "operator": "auditor-7",
            "command": "audit county",
            "subject_kind": "county",
            "subject": "610902",
            "period": "2026-Q1",
            "as_of": AT,
            "rows_returned": 5,
        },
    ]
    lines = log_table(rows, LOCAL)
    assert "(UTC+8)" in lines[0]
    assert lines[1].startswith("2026-03-01 08:30:00  auditor-7")
    assert "person abcdef01" in lines[1]
    assert lines[1].endswith(" 3")
    assert "county 610902 2026-Q1" in lines[2]
    assert lines[2].endswith(" 5 as of 2026-03-01 08:30 UTC+8")
