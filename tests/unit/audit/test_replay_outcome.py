"""What replays of disjoint partitions found adds up to what one replay of all of them
finds, whichever finished first; partitions are shared out among processes evenly."""

from __future__ import annotations

import pytest

from agents import assessment_config
from audit.replay import digest
from audit.replay.derived import Derivation
from audit.replay.engine import Replay
from audit.replay.outcome import Outcome, merge, party
from audit.replay.runner import split
from contracts import obligation_vocabulary as vocabulary
from tests.unit.replay_fixtures import CONFIG, feed, simulated_log

REGION = CONFIG.region


def outcome(partitions: tuple[int, ...], *, county: str | None = None) -> Outcome:
    config = assessment_config.load()
    replay = Replay(region=REGION, derivation=Derivation(), assess=True)
    return Outcome.of(feed(replay, simulated_log(), partitions), config=config, county=county)


def test_outcomes_of_disjoint_partitions_merge_into_the_whole() -> None:
    county = "610902"
    whole = outcome((0, 1, 2), county=county)
    for order in ([(0,), (1,), (2,)], [(2,), (0, 1)], [(1, 2), (0,)]):
        parts = merge([outcome(p, county=county) for p in order])
        assert parts.summary() == whole.summary()
        assert parts.digests == whole.digests
        assert parts.records == whole.records
        assert parts.rows == whole.rows
        assert parts.county_cases == whole.county_cases
    assert whole.summary().obligations > 100
    assert whole.county_cases
    assert all(party(c, county) for c in whole.county_cases)


def test_a_partition_replayed_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="partition 1 was replayed twice"):
        merge([outcome((0, 1)), outcome((1,))])


def test_counts_and_digest_handed_over_in_parts_are_the_vocabularys_over_every_row() -> None:
    replay = feed(Replay(region=REGION), simulated_log())
    summary = merge(
        [Outcome.of(feed(Replay(region=REGION), simulated_log(), (p,))) for p in (0, 1, 2)]
    ).summary()
    obligations = [ob for case in replay.cases() for ob in case.obligations]
    assert summary.counts == vocabulary.counts(obligations, replay.clock())
    assert summary.counts["due_soon"] > 0  # the count that looks ahead from the clock
    assert summary.digest == digest.partitioned(replay.rows(), 3)
    plain = Outcome.of(replay)
    assert (plain.digests, plain.cards, plain.rows) == (None, None, None)
    assert Outcome.of(replay, keep_rows=True).rows == tuple(replay.rows())


def test_partitions_are_shared_out_in_turn_and_never_to_idle_processes() -> None:
    assert split([3, 0, 1, 2, 4, 5], 2) == [(0, 2, 4), (1, 3, 5)]
    assert split(range(6), 4) == [(0, 4), (1, 5), (2,), (3,)]
    assert split([0, 1], 8) == [(0,), (1,)]
    assert split([0, 1, 2], 1) == [(0, 1, 2)]


def test_a_county_is_party_to_a_case_through_either_end_a_registration_or_an_obligation() -> None:
    case = next(c for c in outcome((0,), county="610902").county_cases if c.obligations)
    assert party(case, "610902")
    other = case.evolve(origin=None, destination=None, owner=None, registrations=(), obligations=())
    assert not party(other, "610902")
