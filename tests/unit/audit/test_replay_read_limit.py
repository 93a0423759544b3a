"""The readers that audit the log decode what the gate admits: an event as large as the
deployment's LIUDONG_MAX_EVENT_BYTES (above the catalog's 10 MiB floor) is read, not counted
undecodable, once the reader is given that deployment's limit."""

from __future__ import annotations

import pytest

from audit.replay.engine import Replay
from disclosure.bulletin.log_fold import LogFold
from streams import topics
from streams.codec import DecodeError
from tests.unit.replay_fixtures import CONFIG, simulated_log

LARGE_EVENT = 12 * 1024 * 1024


def padded_event() -> bytes:
    """A real event of the log, padded with JSON whitespace past the 10 MiB floor."""
    value = simulated_log()[0][0]
    return value + b" " * (topics.READ_LIMIT_BYTES + 1024 - len(value))


def test_the_replay_decodes_an_event_as_large_as_the_deployment_admits() -> None:
    value = padded_event()
    with pytest.raises(DecodeError) as refused:
        Replay(region=CONFIG.region).decode(value)
    assert refused.value.code == "oversize"
    large = Replay(region=CONFIG.region, max_record_bytes=topics.read_limit(LARGE_EVENT))
    assert large.decode(value) == Replay(region=CONFIG.region).decode(simulated_log()[0][0])


def test_the_bulletin_s_fold_decodes_an_event_as_large_as_the_deployment_admits() -> None:
    value = padded_event()
    floor = LogFold()
    floor.absorb("validated", 0, 0, value)
    assert floor.undecodable == 1
    large = LogFold(max_record_bytes=topics.read_limit(LARGE_EVENT))
    large.absorb("validated", 0, 0, value)
    assert large.undecodable == 0
