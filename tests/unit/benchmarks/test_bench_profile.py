"""The profile's time split: each sample of the event loop thread is pure work, framework or
a wait; other threads are counted apart; the top frames name where the busy time goes."""

from __future__ import annotations

from benchmarks import profile

LOOP = ";".join(
    [
        "thread (0x1): MainThread",
        "<module> (entrypoints/cli.py:9)",
        "BaseEventLoop._run_once (asyncio/base_events.py:1922)",
    ]
)
RUN = f"{LOOP};Handle._run (asyncio/events.py:80)"
CONSUMER = "thread (0x2): AIOKafkaConsumerThread;run (mode/threads.py:60)"
VERIFY = ";".join(
    [
        "handle (agents/gate.py:150)",
        "decide (agents/gate_rules.py:80)",
        "verify (streams/signing.py:60)",
        "Check.run (streams/signing.py:77)",
    ]
)
RAW = [
    f"{LOOP};EpollSelector.select (selectors.py:468) 50",
    f"{RUN};{VERIFY} 30",
    f"{RUN};Consumer._drain_messages (faust/transport/consumer.py:1190) 15",
    f"{RUN};TypeAdapter.validate_json (pydantic/type_adapter.py:300) 5",
    f"{CONSUMER};EpollSelector.select (selectors.py:468) 40",
    f"{CONSUMER};Fetcher._proc_fetch_request (aiokafka/consumer/fetcher.py:700) 10",
    "not a stack line",
]


def test_each_loop_sample_is_pure_work_framework_or_a_wait() -> None:
    s = profile.split(profile.parse(RAW))
    assert (s.samples, s.pure, s.framework, s.waits) == (100, 35, 15, 50)
    assert (s.other_threads_busy, s.other_threads) == (10, 50)
    assert s.share(s.pure) == 0.35


def test_the_top_frames_leave_waits_and_other_threads_out() -> None:
    own, under = profile.top_frames(profile.parse(RAW), 3)
    assert own[0] == ("Check.run (streams/signing.py:77)", 30)
    assert ("EpollSelector.select (selectors.py:468)", 50) not in own
    assert under[0][1] == 50  # the loop's own frames are under every busy sample
    text = profile.summary(profile.parse(RAW), 3)
    assert "pure work 35, framework 15, waits 50" in text


def test_an_empty_profile_has_no_shares() -> None:
    s = profile.split([])
    assert s.samples == 0
    assert s.share(s.pure) is None
