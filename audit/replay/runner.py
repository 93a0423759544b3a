"""Running a replay: the validated topic read up to a position, in one process or several.

**Several processes** (``liudong replay --workers N``). Partitions are independent: a
person's events are all on one validated partition, and every partition holds its own copy
of each broadcast event (agreements, campaigns, ticks), so a partition's replay needs no
other. Process ``i`` of ``N`` takes the partitions ``i, i + N, i + 2N, ...``, reads only
those with its own group-less consumer, replays them and hands back an
:class:`~audit.replay.outcome.Outcome`; outcomes are merged in partition order whichever
finishes first (:func:`audit.replay.outcome.merge`). The scorecards, whose fold reads
across partitions, are scored once the partitions' indicators are summed
(:mod:`audit.replay.scorecards`).

Processes are forked from this one before it runs an event loop: they start with the code
already loaded and the Kafka client options already built (a TLS context does not pickle),
so a job carries only plain values. With ``N = 1`` the job runs here.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import multiprocessing
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TextIO

from agents.assessment_config import AssessmentConfig
from audit.replay.derived import Derivation
from audit.replay.engine import Replay
from audit.replay.outcome import Outcome, merge
from audit.replay.reader import BATCH_RECORDS, Progress, ValidatedReader
from contracts.agreement_terms import Defaults
from streams import topics

GC_THRESHOLD = 100_000  # allocations between two collections of the youngest generation
# The forking process's Kafka client options, inherited by the processes it forks.
_CLIENT_OPTIONS: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class Job:
    """One process's share of a replay."""

    bootstrap_servers: str
    prefix: str
    region: str
    ends: Mapping[int, int]  # the position to replay up to (next offset per partition)
    partitions: tuple[int, ...]
    defaults: Defaults = field(default_factory=Defaults)
    as_of: Any = None  # dt.datetime: each partition stops at its first event after it
    digests: bool = False  # canonical digests of the derived events (audit.replay.derived)
    config: AssessmentConfig | None = None  # fold the assessment under this weight file
    county: str | None = None  # keep the cases of this county
    keep: bool = False  # keep every derived entry with its bytes (to name a difference)
    batch_records: int = BATCH_RECORDS
    # The largest record read: topics.read_limit of the deployment's LIUDONG_MAX_EVENT_BYTES.
    max_record_bytes: int = topics.READ_LIMIT_BYTES


async def replay_log(
    bootstrap_servers: str,
    prefix: str,
    *,
    region: str,
    defaults: Defaults | None = None,
    as_of: Any = None,
    ends: Mapping[int, int] | None = None,
    progress: TextIO | None = None,
    keep_outputs: bool = False,
    batch_records: int = BATCH_RECORDS,
    client_options: Mapping[str, Any] | None = None,
    only: Sequence[int] | None = None,
    derivation: Derivation | None = None,
    assess: bool = False,
    max_record_bytes: int = topics.READ_LIMIT_BYTES,
) -> Replay:
    """Replay the validated topic from the earliest offset up to ``ends`` (default: the end
    offsets now), each partition in offset order, in this process; ``only``: just these
    partitions; ``progress`` gets the progress line."""
    replay = Replay(
        region=region,
        defaults=defaults,
        as_of=as_of,
        keep_outputs=keep_outputs,
        derivation=derivation,
        assess=assess,
        max_record_bytes=max_record_bytes,
    )
    reader = ValidatedReader(
        bootstrap_servers,
        topics.VALIDATED.full_name(prefix),
        batch_records=batch_records,
        client_options=client_options,
        only=only,
    )
    await reader.start()
    try:
        stop_at = dict(ends) if ends is not None else await reader.end_offsets()
        for tp in reader.partitions:
            replay.partition(tp.partition)  # every partition has a (possibly empty) state
        bar = Progress(len(reader.partitions), progress) if progress is not None else None
        async for partition, batch in reader.batches(stop_at):
            if replay.feed(partition, batch):
                reader.finish(partition)
            if bar is not None:
                bar.update(replay.read, reader.done)
        if bar is not None:
            bar.update(replay.read, reader.done, final=True)
    finally:
        await reader.stop()
    return replay


async def replay_job(job: Job, *, progress: TextIO | None = None) -> Replay:
    return await replay_log(
        job.bootstrap_servers,
        job.prefix,
        region=job.region,
        defaults=job.defaults,
        as_of=job.as_of,
        ends=job.ends,
        progress=progress,
        batch_records=job.batch_records,
        client_options=_CLIENT_OPTIONS,
        only=job.partitions,
        derivation=Derivation(keep=job.keep) if job.digests or job.keep else None,
        assess=job.config is not None,
        max_record_bytes=job.max_record_bytes,
    )


def run_job(job: Job, progress: TextIO | None = None) -> Outcome:
    """One job, start to end, in the calling process (its own event loop)."""
    with rare_collections():
        replay = asyncio.run(replay_job(job, progress=progress))
        return Outcome.of(replay, config=job.config, county=job.county)


@contextlib.contextmanager
def rare_collections(threshold: int = GC_THRESHOLD) -> Iterator[None]:
    """Python's cyclic garbage collector made rare while a replay runs.

    A replay builds long-lived objects (every case, obligation and book) and frees little;
    the collector scans every tracked object in its oldest generation, ever more of them as
    the cases grow, and finds next to nothing: on 207,000 events it took about a quarter of
    the replay's time. What was loaded before is frozen out of its scans, and a collection
    waits for ``threshold`` new objects instead of 700.
    """
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(threshold, before[1], before[2])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def split(partitions: Sequence[int], workers: int) -> list[tuple[int, ...]]:
    """Process ``i`` of ``workers`` takes every ``workers``-th partition from the ``i``-th;
    never more processes than partitions."""
    ordered = sorted(partitions)
    n = max(1, min(workers, len(ordered)))
    return [tuple(ordered[i::n]) for i in range(n)]


def replay(
    job: Job,
    workers: int = 1,
    *,
    client_options: Mapping[str, Any] | None = None,
    progress: TextIO | None = None,
) -> Outcome:
    """Replay ``job.partitions`` in ``workers`` processes; their merged outcome.

    Call it outside any running event loop (it forks, and each process runs its own loop).
    ``progress`` gets the progress line (one process) or a line per finished process.
    """
    _CLIENT_OPTIONS.clear()
    _CLIENT_OPTIONS.update(client_options or {})
    shares = split(job.partitions, workers)
    if len(shares) == 1:
        return run_job(job, progress)
    jobs = [_share(job, share) for share in shares]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=len(jobs), mp_context=context) as pool:
        futures = [pool.submit(run_job, j) for j in jobs]
        outcomes = []
        for n, future in enumerate(futures, start=1):
            outcome = future.result()
            outcomes.append(outcome)
            if progress is not None:
                print(
                    f"replay: process {n}/{len(jobs)} done: {outcome.read:,} messages of "
                    f"partitions {','.join(map(str, outcome.partitions))}",
                    file=progress,
                    flush=True,
                )
    return merge(outcomes)


def _share(job: Job, partitions: tuple[int, ...]) -> Job:
    return dataclasses.replace(
        job, partitions=partitions, ends={p: job.ends.get(p, 0) for p in partitions}
    )
