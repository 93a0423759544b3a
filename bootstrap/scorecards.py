"""What ``liudong scorecard`` reads from the log: the newest scorecards, the logical clock,
the assessment state folded again, and the flows the cases record (from a replay)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from bootstrap import client_options

if TYPE_CHECKING:
    from agents.assessment_config import AssessmentConfig
    from agents.assessment_state import AssessmentState
    from contracts.events.derived import ScorecardPublished
    from infra.settings import Settings


def newest_cards(bootstrap: str, settings: Settings) -> dict[tuple[str, str], ScorecardPublished]:
    """The newest revision of every (county, period) on the scorecards topic."""
    from agents import assessment_rules as rules
    from contracts import unions
    from streams import topics
    from streams.topic_reader import read_all

    cards = asyncio.run(
        read_all(
            bootstrap,
            topics.SCORECARDS.full_name(settings.topic_prefix),
            unions.ScorecardEvent,
            client_options=client_options(settings),
        )
    )
    return rules.newest(cards)


def log_clock(bootstrap: str, settings: Settings) -> Any:
    """The newest clock tick on the validated topic (None before the first)."""
    from streams import topics
    from streams.logical_clock import latest_tick

    topic = topics.VALIDATED.full_name(settings.topic_prefix)
    return asyncio.run(latest_tick(bootstrap, topic, client_options=client_options(settings)))


def fold_log(bootstrap: str, settings: Settings, config: AssessmentConfig) -> AssessmentState:
    """The assessment service's state, folded from the log under ``config``; nothing kept."""
    from bootstrap import services

    service = services.assessment_service(
        settings, bootstrap, config, keep_snapshot=False, topic_wait_s=5.0
    )
    return asyncio.run(service.load())


def replayed_flows(bootstrap: str, settings: Settings) -> list[tuple[str, Any]]:
    """Every flow the log records, with its person: (person key, ``case_state.FlowRecord``).

    The coverage figures are sums; which flows they count is in the cases, rebuilt here by
    the audit replay (the cases agent's own decisions).
    """
    from audit.replay import replay_log
    from streams import topics

    replay = asyncio.run(
        replay_log(
            bootstrap,
            settings.topic_prefix,
            region=settings.region_code,
            client_options=client_options(settings),
            max_record_bytes=topics.read_limit(settings.max_event_bytes),
        )
    )
    return [(case.person_key, flow) for case in replay.cases() for flow in case.flows]
