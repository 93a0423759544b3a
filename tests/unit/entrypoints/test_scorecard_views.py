"""What ``liudong scorecard`` (and the demo) show, from documents to terminal lines: the
league table with a side not assessed, revisions with their reason, the what-if rows and
their changes, an explanation's obligations and the flows behind the coverage."""

from __future__ import annotations

import datetime as dt
import uuid

from agents.assessment_config import load
from contracts.events.derived import ScorecardPublished
from contracts.human_time import zone
from contracts.league import Scores, Standing
from entrypoints.scorecard_docs import (
    card_json,
    flows_doc,
    league_of,
    nothing_for,
    whatif_rows,
)
from entrypoints.scorecard_text import (
    NOT_ASSESSED,
    explanation_lines,
    score,
    table_lines,
    whatif_lines,
)

REGION = "610900"
HANBIN, HANYIN = "610902", "610921"
T0 = dt.datetime(2026, 4, 20, tzinfo=dt.UTC)


def card(
    county: str, origin: float | None, destination: float | None, revision: int = 1
) -> ScorecardPublished:
    scores = [s for s in (origin, destination) if s is not None]
    return ScorecardPublished(
        event_id=uuid.uuid4(),
        schema_version=ScorecardPublished.SCHEMA_VERSION,
        occurred_at=T0,
        recorded_at=T0,
        source_county=REGION,
        publisher_id=f"{REGION}/assessment",
        correlation_id=uuid.uuid4(),
        county=county,
        period="2026-Q1",
        revision=revision,
        reason="first publication" if revision == 1 else "a late answer",
        indicators=(),
        origin_score=origin,
        destination_score=destination,
        combined_score=sum(scores) / len(scores) if scores else None,
    )


def test_score_is_right_aligned_in_terminal_columns_a_chinese_character_taking_two() -> None:
    assert score(81.234, 7) == "  81.23"
    assert score(None, 7) == " " + NOT_ASSESSED  # three characters, six columns
    assert score(None, 4) == NOT_ASSESSED  # never cut


def test_the_league_table_ranks_names_explains_not_assessed_and_lists_revisions() -> None:
    cards = {HANBIN: card(HANBIN, 90.0, 80.0), HANYIN: card(HANYIN, 70.0, None, revision=2)}
    table = league_of(list(cards.values()), region=REGION, scope="region")
    lines = table_lines(table.standings, table.average, cards, ranked=bool(table.ranked))
    assert lines[0].split() == [
        "rank",
        "county",
        "origin",
        "destination",
        "combined",
        "revision",
        "name",
    ]
    assert lines[1].split()[:2] == ["1", HANBIN]
    assert lines[1].endswith("汉滨区")
    assert lines[2].split()[:5] == ["2", HANYIN, "70.00", NOT_ASSESSED, "70.00"]
    assert "region" in lines[3]
    assert lines[3].endswith("average")
    assert any(line.startswith(f"  {NOT_ASSESSED} = not assessed") for line in lines)
    assert lines[-1] == f"  {HANYIN} revision 2: a late answer"


def test_a_league_with_nobody_assessed_says_there_is_no_ranking() -> None:
    cards = {HANBIN: card(HANBIN, None, None)}
    table = league_of(list(cards.values()), region=REGION, scope="region")
    lines = table_lines(table.standings, table.average, cards, ranked=bool(table.ranked))
    assert "  nobody was assessed in this period: no ranking" in lines


def test_a_card_in_json_keeps_a_side_not_assessed_as_null() -> None:
    c = card(HANYIN, 70.0, None)
    standing = Standing(HANYIN, Scores(70.0, None, 70.0), 1, rank=1)
    doc = card_json(standing, c, zone(True))
    assert doc["scores"] == {"origin": 70.0, "destination": None, "combined": 70.0}
    assert doc["assessed"] == {"origin": True, "destination": False}
    assert doc["settled_obligations"] == {"origin": 0, "destination": 0}
    assert doc["published_at"].startswith("2026-04-20T00:00:00")


def test_whatif_rows_give_the_change_in_rank_and_the_lines_show_it() -> None:
    base = [
        Standing(HANBIN, Scores(90.0, 80.0, 85.0), rank=1),
        Standing(HANYIN, Scores(70.0, 60.0, 65.0), rank=2),
    ]
    trial = [
        Standing(HANYIN, Scores(95.0, 60.0, 77.5), rank=1),
        Standing(HANBIN, Scores(60.0, 80.0, 70.0), rank=2),
        Standing("610922", Scores(None, None, None), rank=None),
    ]
    rows = whatif_rows(base, trial)
    assert [(r["county"], r["rank"], r["whatif_rank"], r["rank_change"]) for r in rows] == [
        (HANYIN, 2, 1, 1),
        (HANBIN, 1, 2, -1),
        ("610922", None, None, None),
    ]
    lines = whatif_lines(rows)
    assert lines[1].split()[:6] == [HANYIN, "2", "65.00", "1", "77.50", "+1"]
    assert lines[2].split()[5] == "-1"
    assert lines[3].split()[:5] == ["610922", "-", NOT_ASSESSED, "-", NOT_ASSESSED]


def test_nothing_for_a_period_says_whether_it_has_begun_closed_or_has_no_clock() -> None:
    config = load()
    shown = zone(True)
    assert "no clock tick yet" in nothing_for("2026-Q1", None, shown, config)
    assert "begins after" in nothing_for("2026-Q2", T0 - dt.timedelta(days=30), shown, config)
    assert "yet: it closes at" in nothing_for(
        "2026-Q1", dt.datetime(2026, 3, 5, tzinfo=dt.UTC), shown, config
    )
    assert "none was published" in nothing_for("2025-Q1", T0, shown, config)


class Flow:
    """A case's flow as the replay gives it (the fields ``flows_doc`` reads)."""

    def __init__(self, origin: str, destination: str, period: str, covered: bool) -> None:
        self.origin, self.destination, self.period, self.covered = (
            origin,
            destination,
            period,
            covered,
        )


def test_the_flows_behind_the_coverage_are_the_county_s_own_in_the_period_by_pair() -> None:
    flows = [
        ("p1", Flow(HANYIN, "440306", "2026-01", False)),
        ("p2", Flow(HANYIN, "440306", "2026-02", False)),
        ("p3", Flow(HANYIN, "330106", "2026-03", True)),
        ("p4", Flow(HANYIN, "330106", "2026-04", False)),  # another quarter
        ("p5", Flow(HANBIN, "440306", "2026-01", False)),  # another county
    ]
    doc = flows_doc(flows, HANYIN, "2026-Q1", "origin")
    assert doc == {
        "flows": 3,
        "covered": 1,
        "uncovered": [{"origin": HANYIN, "destination": "440306", "persons": ["p1", "p2"]}],
    }
    assert flows_doc(flows, "440306", "2026-Q1", "destination")["flows"] == 3
    lines = explanation_lines(
        {
            "county": HANYIN,
            "period": "2026-Q1",
            "side": "origin",
            "indicator": "agreement_coverage",
            "numerator": 1,
            "denominator": 3,
            "flows": doc,
        }
    )
    assert lines[0] == f"{HANYIN} 2026-Q1 origin agreement_coverage: 1 / 3 (33.3%)"
    assert "uncovered: 2" in lines[1]
    assert lines[2].endswith("2 person(s) with no agreement in force")
    assert lines[3:] == ["      p1", "      p2"]


def test_an_explanation_lists_its_obligations_and_the_events_of_no_obligation() -> None:
    ob = {
        "obligation_id": "ob-1",
        "kind": "arrival_registration",
        "responsible": "440306",
        "counterpart": HANYIN,
        "opened_at": "2026-01-02T00:00:00+00:00",
        "outcome": "fulfilled_late",
        "events": ["e1", "e2"],
    }
    doc = {
        "county": "440306",
        "period": "2026-Q1",
        "side": "destination",
        "indicator": "feedback_rate",
        "numerator": 0,
        "denominator": 1,
        "numerator_obligations": [],
        "denominator_only_obligations": [ob],
        "numerator_events": [],
        "denominator_events": ["e1", "e2", "e3"],
    }
    lines = explanation_lines(doc)
    assert lines[1] == "  numerator: 0 obligation(s)"
    assert lines[2] == "  denominator only: 1 obligation(s)"
    assert lines[3].split() == [
        "ob-1",
        "arrival_registration",
        "on",
        "440306",
        "for",
        HANYIN,
        "opened",
        "2026-01-02",
        "fulfilled_late",
    ]
    assert lines[4] == "      events e1 e2"
    assert lines[5] == "  also from: e3"
