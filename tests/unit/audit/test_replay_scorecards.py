"""The scorecards a replay implies are the assessment service's: folded from the same
records by the same rules, whether one process replays every partition or several share
them; the live topic's newest revisions compared in the same form."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agents import assessment_config, assessment_figures, assessment_state
from agents import assessment_rules as rules
from agents.assessment import WANTED
from agents.assessment_config import AssessmentConfig
from audit.replay import scorecards
from audit.replay.engine import Replay
from audit.replay.outcome import Outcome, merge
from contracts import unions
from contracts.events.derived import IndicatorValue, ScorecardPublished
from streams import topics
from streams.codec import Codec
from tests.unit.replay_fixtures import CONFIG, Log, Record, feed, live_records, simulated_log

REGION = CONFIG.region


@pytest.fixture(scope="module")
def config() -> AssessmentConfig:
    return assessment_config.load()


@pytest.fixture(scope="module")
def log() -> Log:
    return simulated_log()


def outcome(log: Log, config: AssessmentConfig, partitions: tuple[int, ...]) -> Outcome:
    replay = feed(Replay(region=REGION, assess=True), log, partitions)
    return Outcome.of(replay, config=config)


def services_cards(
    log: Log, records: dict[str, list[Record]], config: AssessmentConfig
) -> list[scorecards.Card]:
    """What the assessment service publishes first for this log: its fold of the topics it
    reads (its byte test on the alerts and validated topics), then its publication rule."""
    state = assessment_state.AssessmentState()
    sources: list[tuple[topics.TopicSpec, list[bytes | None]]] = [
        (topics.OBLIGATIONS, [r.value for r in records["obligations"]]),
        (topics.ALERTS, [r.value for r in records["alerts"]]),
        (topics.VALIDATED, [v for values in log.values() for v in values]),
    ]
    for spec, values in sources:
        codec: Codec[Any] = Codec(spec.union, max_bytes=topics.READ_LIMIT_BYTES)
        wanted = WANTED[spec.name]
        for value in values:
            if value is None or (wanted is not None and not any(w in value for w in wanted)):
                continue
            event = codec.decode(value).event
            rules.fold(state, event)
    cards = rules.publications(state, {}, config, region=REGION)
    return scorecards.of_published(cards)


def test_the_replays_scorecards_are_the_services_first_publications(
    log: Log, config: AssessmentConfig
) -> None:
    mine = outcome(log, config, (0, 1, 2)).scorecards(config)
    assert mine is not None
    theirs = services_cards(log, live_records(log), config)
    assert len(mine) > 20
    assert any(c.combined is not None for c in mine)
    assert scorecards.first_difference(mine, theirs) is None
    assert scorecards.digest(mine) == scorecards.digest(theirs)


def test_partitions_replayed_apart_give_the_same_scorecards(
    log: Log, config: AssessmentConfig
) -> None:
    whole = outcome(log, config, (0, 1, 2))
    parts = merge([outcome(log, config, (2,)), outcome(log, config, (0, 1))])
    assert parts.partitions == (0, 1, 2)
    assert scorecards.digest(parts.scorecards(config) or []) == scorecards.digest(
        whole.scorecards(config) or []
    )
    assert parts.assessed_clock == whole.assessed_clock


def _card(revision: int, numerator: int, **extra: object) -> ScorecardPublished:
    values = tuple(
        IndicatorValue(name=i.name, side=i.side, numerator=numerator if n == 0 else 0,
                       denominator=numerator if n == 0 else 0)
        for n, i in enumerate(assessment_figures.values(None))
    )  # fmt: skip
    data = {
        "event_id": f"00000000-0000-5000-8000-{revision:012d}",
        "event_type": "scorecard_published",
        "schema_version": ScorecardPublished.SCHEMA_VERSION,
        "occurred_at": "2026-04-02T00:00:00Z",
        "recorded_at": "2026-04-02T00:00:00Z",
        "source_county": REGION,
        "publisher_id": f"{REGION}/assessment",
        "correlation_id": f"00000000-0000-5000-8000-{revision:012d}",
        "county": "610902",
        "period": "2026-03",
        "revision": revision,
        "reason": "first publication",
        "indicators": [v.model_dump() for v in values],
        "origin_score": None,
        "destination_score": None,
        "combined_score": None,
        **extra,
    }
    codec: Codec[ScorecardPublished] = Codec(unions.ScorecardEvent)
    return codec.decode(json.dumps(data).encode()).event


def test_the_newest_revision_counts_and_an_empty_card_is_left_out() -> None:
    first, second = _card(1, 3), _card(2, 4)
    (card,) = scorecards.of_published([second, first])
    assert card.indicators[0].numerator == 4
    assert scorecards.of_published([_card(1, 0)]) == []


def test_a_differing_scorecard_names_its_figures() -> None:
    (replayed,) = scorecards.of_published([_card(1, 3)])
    (live,) = scorecards.of_published([_card(1, 4, combined_score=50.0)])
    difference = scorecards.first_difference([replayed], [live])
    assert difference is not None
    name = replayed.indicators[0].name
    assert difference.describe() == (
        f"scorecard 610902 2026-03: combined_score replayed=None live=50.0; "
        f"{name} ({replayed.indicators[0].side}) replayed=3/3 live=4/4"
    )
    missing = scorecards.first_difference([replayed], [])
    assert missing is not None
    assert missing.describe().endswith("in the replay, not on the live scorecards topic")
    assert scorecards.first_difference([replayed], [replayed]) is None
