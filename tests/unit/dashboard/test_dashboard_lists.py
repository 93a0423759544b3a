"""The dashboard's lists without a database: filters and their refusals, the CSV an office
opens in Excel, flows folded to the top pairs, coverage pages, the league's first period,
what a refused message claims, a campaign's state."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest

from contracts import campaign_status
from dashboard import dead_letter_view, flows, league_view, worklist
from dashboard.auth import Principal

REGION = Principal("r", "region", None)
T = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


# --- worklist ------------------------------------------------------------------------------------


def test_worklist_filters_from_a_query_string() -> None:
    assert worklist.Filter.of({}) == worklist.Filter("open")
    f = worklist.Filter.of(
        {"state": "overdue", "county": "610902", "kind": "inquiry_answer", "min_days_overdue": "7"}
    )
    assert f == worklist.Filter("overdue", "610902", "inquiry_answer", 7)
    assert f.as_json()["min_days_overdue"] == 7
    assert worklist.Filter.of({"county": "", "kind": "", "min_days_overdue": ""}).county is None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"state": "late"}, "state must be one of open, due_soon"),
        ({"county": "61090"}, "6-digit county code"),
        ({"county": "6109O2"}, "6-digit county code"),
        ({"kind": "arrival"}, "kind must be one of arrival_registration"),
        ({"kind": "x'; DROP TABLE obligations"}, "kind must be one of"),
        ({"min_days_overdue": "-1"}, "whole number of days"),
        ({"min_days_overdue": "3.5"}, "whole number of days"),
        ({"min_days_overdue": "99999"}, "whole number of days"),
    ],
)
def test_a_bad_filter_is_refused_in_one_line(query: dict[str, str], message: str) -> None:
    with pytest.raises(worklist.FilterError, match=message) as refused:
        worklist.Filter.of(query)
    assert "\n" not in str(refused.value)


def test_days_overdue_filter_uses_the_clock_and_the_vocabulary() -> None:
    sql, args = worklist.total_sql(REGION, worklist.Filter("breached", min_days_overdue=10), T)
    assert "o.breached_at IS NOT NULL" in sql  # the vocabulary's breached, written once
    assert "coalesce(o.fulfilled_at, o.cancelled_at, $1::timestamptz)" in sql
    assert args == [T, 10]
    due_soon, args = worklist.total_sql(REGION, worklist.Filter("due_soon"), T)
    assert "o.due_at <= $1" in due_soon
    assert args == [T + dt.timedelta(days=7)]


def _record(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "obligation_id": "arrival_registration:abc",
        "person_key": "a" * 64,
        "kind": "arrival_registration",
        "responsible_county": "440306",
        "counterpart_county": "610902",
        "opened_at": T,
        "due_at": T + dt.timedelta(days=30),
        "state": "escalated",
        "breached_at": T + dt.timedelta(days=31),
        "escalated_at": T + dt.timedelta(days=46),
        "fulfilled_at": None,
        "cancelled_at": None,
        "days_overdue": 60,
    }
    return {**row, **changes}


def test_csv_opens_in_excel_with_chinese_headers_and_beijing_time() -> None:
    text = worklist.csv_text([_record()], "zh")
    assert text.startswith("\ufeff")  # the byte-order mark Excel needs for UTF-8
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:3] == ["事项编号", "人员标识", "事项类型"]
    assert rows[0][8] == "办理期限（北京时间）"
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["事项类型"] == "流入登记（接收）"
    assert row["责任县区"] == "宝安区"
    assert row["对方县区"] == "汉滨区"
    assert row["办理期限（北京时间）"] == "2026-03-31 08:00"  # 00:00 UTC is 08:00 in Beijing
    assert row["状态"] == "逾期未办"
    assert (row["曾逾期"], row["已上报督办"], row["逾期天数"]) == ("是", "是", "60")
    assert row["人员标识"] == "a" * 64  # the full key, to paste into liudong audit person
    english = list(csv.reader(io.StringIO(worklist.csv_text([_record()], "en")[1:])))
    assert english[0][8] == "Due (UTC+8)"
    assert english[1][4] == "Bao'an District"
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")


def test_csv_of_nothing_is_its_header() -> None:
    rows = list(csv.reader(io.StringIO(worklist.csv_text([], "en")[1:])))
    assert len(rows) == 1
    assert rows[0][0] == "Obligation"


# --- flows ---------------------------------------------------------------------------------------


def test_flow_query_from_a_query_string() -> None:
    assert flows.FlowQuery.of({}, "prefecture") == flows.FlowQuery("prefecture")
    q = flows.FlowQuery.of({"level": "county", "origin": "610900", "top": "5"}, "prefecture")
    assert q == flows.FlowQuery("county", "610900", None, 5)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"level": "village"}, "level must be one of county"),
        ({"origin": "6109"}, "origin must be a 6-digit"),
        ({"destination": "44030x"}, "destination must be a 6-digit"),
        ({"top": "0"}, "top must be 1..50"),
        ({"top": "51"}, "top must be 1..50"),
        ({"top": "ten"}, "top must be 1..50"),
    ],
)
def test_a_bad_flow_query_is_refused(query: dict[str, str], message: str) -> None:
    with pytest.raises(flows.FlowError, match=message):
        flows.FlowQuery.of(query, "county")


def test_flows_at_a_level_group_by_the_code_prefix_and_filter_within_a_division() -> None:
    pairs, persons, args = flows.flows_sql(REGION, flows.FlowQuery("county", "610000", "440300"))
    assert "left(f.o, 6) AS o" in pairs
    assert "left(f.o, 2) = $1" in pairs  # a province: the first two digits
    assert "left(f.d, 4) = $2" in pairs  # a prefecture: the first four
    assert args == ["61", "4403"]
    assert "count(DISTINCT f.person_key)" in persons
    county_pairs, _, county_args = flows.flows_sql(
        Principal("h", "county", "610902"), flows.FlowQuery("province")
    )
    assert "(f.o = $1 OR f.d = $1)" in county_pairs
    assert county_args == ["610902"]


def test_the_top_pairs_are_shown_and_the_rest_folded_into_others() -> None:
    rows = [{"o": "6109", "d": f"44{n:02d}", "persons": 100 - n} for n in range(20)]
    folded = flows.fold(rows, flows.FlowQuery("prefecture", top=15))
    assert [p["destination"] for p in folded["pairs"]][:2] == ["440000", "440100"]
    assert len(folded["pairs"]) == 15
    assert folded["pairs"][0] == {"origin": "610900", "destination": "440000", "persons": 100}
    assert folded["others"] == {"pairs": 5, "persons": sum(100 - n for n in range(15, 20))}
    assert folded["total_pairs"] == 20
    few = flows.fold(rows[:3], flows.FlowQuery("prefecture"))
    assert few["others"] == {"pairs": 0, "persons": 0}


def _coverage(scope: str, flows_: int, covered: int) -> dict[str, Any]:
    return {"period": "2026-03", "scope": scope, "flows": flows_, "covered": covered}


def test_coverage_by_county_is_sorted_and_paged_in_scope() -> None:
    rows = [
        _coverage("region", 100, 60),
        _coverage("610902", 10, 9),
        _coverage("610921", 10, 2),
        _coverage("610922", 0, 0),  # no flows: no ratio, listed last
        _coverage("440306", 50, 10),  # not the region's own
    ]
    page = flows.county_page(rows, region="610900", which="region", sort="worst", offset=0, limit=2)
    assert [r["scope"] for r in page["items"]] == ["610921", "610902"]
    assert (page["total"], page["below_target"]) == (3, 1)
    second = flows.county_page(
        rows, region="610900", which="region", sort="worst", offset=2, limit=2
    )
    assert [r["scope"] for r in second["items"]] == ["610922"]
    assert second["items"][0]["ratio"] is None
    everyone = flows.county_page(
        rows, region="610900", which="all", sort="flows", offset=0, limit=9
    )
    assert [r["scope"] for r in everyone["items"]] == ["440306", "610902", "610921", "610922"]
    assert everyone["groups"]["440306"] == "440300"


# --- league --------------------------------------------------------------------------------------


def _card(county: str, period: str, combined: float | None) -> dict[str, Any]:
    return {
        "county": county,
        "period": period,
        "revision": 1,
        "origin_score": combined,
        "destination_score": None,
        "combined_score": combined,
    }


def test_the_league_opens_on_the_latest_period_anyone_was_assessed_in() -> None:
    rows = [
        _card("610902", "2026-02", 70.0),
        _card("610921", "2026-02", 80.0),
        _card("610902", "2026-03", None),  # none of the region's assessed in March
        _card("610921", "2026-03", None),
        _card("440306", "2026-03", 90.0),  # (a county outside the region was)
    ]
    league = league_view.league(rows, region="610900", scope="region")
    assert league["period"] == "2026-02"
    assert [a["period"] for a in league["available"]] == ["2026-03", "2026-02"]
    march = league_view.league(rows, region="610900", scope="region", period="2026-03")
    assert (march["period"], march["ranked"]) == ("2026-03", False)
    assert march["average_trend"] == [75.0, None]  # February's average, then nobody's
    everyone = league_view.league(rows, region="610900", scope="all")
    assert everyone["period"] == "2026-03"


def test_the_league_is_paged_with_its_total() -> None:
    ankang = ("610902", "610921", "610922", "610923", "610924", "610925", "610926", "610927")
    rows = [_card(code, "2026-02", float(n)) for n, code in enumerate(ankang)]
    page = league_view.league(rows, region="610900", scope="region", offset=3, limit=3)
    assert (page["total"], page["ranked_count"], page["offset"]) == (8, 8, 3)
    assert [r["rank"] for r in page["table"]] == [4, 5, 6]
    assert page["table"][0]["county"] == "610924"  # the fifth best of eight


# --- dead letters and campaigns ------------------------------------------------------------------


def test_a_refused_message_claims_a_county_only_if_it_says_so() -> None:
    body = b'{"event_type": "outflow_registered", "source_county": "610921", "publisher_id": 7}'
    assert dead_letter_view.claimed(body) == {
        "county": "610921",
        "event_type": "outflow_registered",
        "publisher": None,
    }
    nothing = {"county": None, "event_type": None, "publisher": None}
    assert dead_letter_view.claimed(b'{"event_type": "outflow_registered", "person_') == nothing
    assert dead_letter_view.claimed(b"\xff\xfe") == nothing
    assert dead_letter_view.claimed(b"[1, 2]") == nothing


def test_a_campaign_past_its_deadline_and_not_closed_is_overdue_open() -> None:
    deadline = T + dt.timedelta(days=30)
    assert campaign_status.state_of(False, deadline, T) == "open"
    assert campaign_status.state_of(False, deadline, deadline) == "open"
    assert campaign_status.state_of(False, deadline, deadline + dt.timedelta(days=1)) == (
        "overdue_open"
    )
    assert campaign_status.state_of(True, deadline, deadline + dt.timedelta(days=1)) == "closed"
    assert campaign_status.state_of(False, deadline, None) == "open"  # no tick yet
