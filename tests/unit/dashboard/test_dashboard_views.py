"""Pure pieces of the dashboard: names, league, decisions, throughput, lag, metrics, CLI."""

from __future__ import annotations

import argparse
import io
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from contracts import divisions
from dashboard import case_view, league_view, names
from dashboard.lag import compute_lag, unavailable
from dashboard.live import Throughput
from dashboard.metrics import HttpMetrics, ProjectionMetrics
from entrypoints import dashboard_cmd
from infra.metrics import new_registry, render


def test_county_names_in_both_languages() -> None:
    assert names.names(["610902", "440306", "441900", "610900"]) == {
        "440306": {"zh": "宝安区", "en": "Bao'an District"},
        "441900": {"zh": "东莞市", "en": "Dongguan City"},
        "610900": {"zh": "安康市", "en": "Ankang City"},
        "610902": {"zh": "汉滨区", "en": "Hanbin District"},
    }
    assert names.english("610921") == "Hanyin County"
    assert names.english("610981") == "Xunyang City"
    assert names.english("110105") == "Chaoyang District"
    assert names.english("130102") == "Chang'an District"  # Shijiazhuang's, as Xi'an's
    assert names.english("422828") == "Hefeng County"
    assert names.english("000000") == "County 000000"
    assert names.english("310115") == "Pudong New Area"
    # A municipality's districts group under the municipality, by name.
    assert names.chinese("110100") == "北京市"
    assert names.english("110100") == "Beijing"
    assert names.english("610000") == "Shaanxi"


def test_every_division_has_one_english_name_and_one_chinese_name() -> None:
    for division in divisions.all_divisions():
        english = names.english(division.code)
        assert english, division
        assert not english.startswith("County "), division
        assert english.isascii(), (division, english)
        assert names.chinese(division.code)


def test_a_county_groups_into_its_prefecture_and_province() -> None:
    assert names.group_of("610902", "county") == "610902"
    assert names.group_of("610902", "prefecture") == "610900"
    assert names.group_of("610902", "province") == "610000"
    assert names.group_of("110105", "prefecture") == "110100"
    assert names.chinese(names.group_of("469001", "prefecture")) == "海南省直辖县"


def _card(county: str, period: str, origin: Any, destination: Any, combined: Any) -> Any:
    return {
        "county": county,
        "period": period,
        "revision": 1,
        "origin_score": origin,
        "destination_score": destination,
        "combined_score": combined,
    }


def test_league_ranks_the_latest_period_with_trends() -> None:
    hanbin, hanyin, xunyang, baoan = "610902", "610921", "610981", "440306"
    rows: list[dict[str, Any]] = [
        _card(hanbin, "2026-01", 50.0, None, 50.0),
        _card(hanbin, "2026-02", 70.0, None, 70.0),
        _card(hanyin, "2026-02", 80.0, None, 80.0),
        _card(xunyang, "2026-02", None, None, None),  # assessed on neither side
        _card(baoan, "2026-02", None, 95.0, 95.0),  # outside the region
    ]
    league = league_view.league(rows, region="610900", scope="region")
    assert league["period"] == "2026-02"
    assert [(r["rank"], r["county"], r["trend"]) for r in league["table"]] == [
        (1, hanyin, [None, 80.0]),
        (2, hanbin, [50.0, 70.0]),
        (None, xunyang, [None, None]),
    ]
    assert league["average"] == {"origin": 75.0, "destination": None, "combined": 75.0}
    everyone = league_view.league(rows, region="610900", scope="all")
    assert [r["county"] for r in everyone["table"]][:1] == [baoan]
    nobody = league_view.league(
        [_card(xunyang, "2026-02", None, None, None)], region="610900", scope="region"
    )
    assert (nobody["ranked"], [r["rank"] for r in nobody["table"]]) == (False, [None])
    assert league_view.league([], region="610900", scope="region")["table"] == []
    assert league["period_label"] == {"zh": "2026年2月", "en": "February 2026"}
    # A quarter that ends with its last month is the latest period; its trend is quarters.
    with_quarter = [*rows, _card(hanbin, "2026-Q1", 60.0, None, 60.0)]
    quarterly = league_view.league(with_quarter, region="610900", scope="region")
    assert (quarterly["period"], quarterly["periods"]) == ("2026-Q1", ["2026-Q1"])
    later = [*with_quarter, _card(hanbin, "2026-04", 61.0, None, 61.0)]
    assert league_view.league(later, region="610900", scope="region")["period"] == "2026-04"


def test_decisions_attach_lifecycle_events_with_causes() -> None:
    cause = {"event_type": "clock_ticked"}
    events = [
        {
            "derived": False,
            "payload": {"obligation_id": "x"},
            "event_type": "outflow_registered",
            "occurred_at": "t0",
            "event_id": "e0",
            "cause": None,
        },
        {
            "derived": True,
            "payload": {"obligation_id": "x"},
            "event_type": "obligation_breached",
            "occurred_at": "t1",
            "event_id": "e1",
            "cause": cause,
        },
    ]
    obligations: list[dict[str, Any]] = [{"obligation_id": "x"}, {"obligation_id": "y"}]
    case_view.decisions(events, obligations)
    assert obligations[0]["history"] == [
        {"event_type": "obligation_breached", "occurred_at": "t1", "event_id": "e1", "cause": cause}
    ]
    assert obligations[1]["history"] == []


def test_throughput_rates() -> None:
    t = Throughput(window=4)
    assert t.rate() == 0.0
    for second, count in enumerate((0, 10, 30, 30, 60)):
        t.record(float(second), count)
    assert len(t.samples) == 4  # the window
    assert t.series() == [20.0, 0.0, 30.0]
    assert t.rate(over=3) == pytest.approx(50 / 3)


def test_lag_per_topic() -> None:
    stored = {("v", 0): 5, ("v", 1): 7, ("o", 0): 3}
    end = {("v", 0): 9, ("v", 1): 7, ("o", 0): 2}
    assert compute_lag(end, stored) == {"available": True, "total": 4, "by_topic": {"v": 4, "o": 0}}
    assert unavailable("kafka down")["available"] is False


def test_metrics_render_in_prometheus_text_format() -> None:
    registry = new_registry()
    HttpMetrics(registry)
    projection = ProjectionMetrics(registry)
    projection.update(
        counts={"open": 3, "overdue": 1, "breached": 4},
        dead_letters=[{"reason_code": "bad_signature", "detected_by": "gate", "n": 3}],
        events=42,
        lag_by_topic={"liudong.validated": 7},
    )
    body, content_type = render(registry)
    assert content_type.startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(body.decode())
        for s in f.samples
    }
    assert samples[("liudong_obligations_open", ())] == 3
    assert samples[("liudong_obligations", (("count", "breached"),))] == 4
    assert samples[("liudong_events_archived", ())] == 42
    assert samples[("liudong_projector_lag_messages", (("topic", "liudong.validated"),))] == 7
    projection.database_down()
    assert b"liudong_dashboard_database_up 0.0" in render(registry)[0]


def test_cli_parser_and_password_input() -> None:
    parser = argparse.ArgumentParser()
    dashboard_cmd.configure_parser(parser)
    serve = parser.parse_args(["--port", "0"])
    assert (serve.port, serve.dashboard_action) == (0, None)
    add = parser.parse_args(
        ["add-user", "hanbin", "--role", "county", "--county", "610902", "--password-stdin"]
    )
    assert (add.dashboard_action, add.username, add.county) == ("add-user", "hanbin", "610902")
    assert (
        dashboard_cmd.read_password(True, io.StringIO("pw with spaces\nrest\n")) == "pw with spaces"
    )
    with pytest.raises(ValueError, match="no password"):
        dashboard_cmd.read_password(True, io.StringIO(""))


def test_the_server_binds_loopback_only() -> None:
    from dashboard.server import DashboardConfig

    assert DashboardConfig(dsn="postgresql://x", host="::1").host == "::1"
    with pytest.raises(ValueError, match="loopback"):
        DashboardConfig(dsn="postgresql://x", host="0.0.0.0")  # noqa: S104 (the refused case)
