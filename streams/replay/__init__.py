"""``liudong replay [--as-of INSTANT] [--verify]``: derived state rebuilt from the log.

- :mod:`streams.replay.engine`: the cases agent's decisions per partition, without Faust.
- :mod:`streams.replay.reader`: the validated topic read from the start, with no group.
- :mod:`streams.replay.digest`: the canonical obligation rows and their SHA-256.

**Verifying against the live projection.** The projector records how far it read the
*obligations* topic, not the validated one, so the two states are compared at a point where
the live system is at rest on one validated position ``V``:

1. ``V`` = the validated topic's end offsets now;
2. the cases agent (consumer group ``<prefix>-workers``) has committed ``V`` on every
   partition. Its outputs are acknowledged by the broker before its offsets are committed
   (``agents.emit``), so the obligations topic then holds everything derived from the log
   up to ``V``;
3. ``O`` = the obligations topic's end offsets now;
4. the validated end offsets are still ``V`` (no input arrived while ``O`` was read, so
   nothing beyond ``V`` was derived into ``O``);
5. in one repeatable-read transaction, ``projection_offsets`` for the obligations topic
   equals ``O`` exactly and the ``obligations`` rows are read.

Any step that fails (agent or projector behind, new input) starts over after a short pause,
until ``wait_s`` runs out (exit 2, saying which side is behind). The replay then reads the
validated topic up to ``V`` and both digests are compared; on a difference the first
differing obligation (smallest id) is named with its differing fields, and the exit code
is 1. ``--as-of`` cannot be verified this way (the projection holds only current state),
so ``--verify`` with ``--as-of`` is refused.

The summary counts obligations in the vocabulary's words (:mod:`contracts.obligation_vocabulary`),
as every other view does. An ``--as-of`` instant before the log's first event finds nothing
(exit 1); one past its last event says that the state shown is the log's end.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TextIO

import asyncpg
from aiokafka.errors import KafkaError

from agents.agreement_terms import Defaults
from infra.kafka.client_security import aiokafka_options
from infra.projection import queries
from infra.settings import Settings
from streams import topics
from streams.human_time import LOCAL, Zone
from streams.replay import digest
from streams.replay.engine import PartitionReplay, Replay, Summary
from streams.replay.reader import Progress, ValidatedReader, committed_offsets, end_offsets

__all__ = [
    "LiveState",
    "NotAtRest",
    "PartitionReplay",
    "Replay",
    "Summary",
    "cmd_replay",
    "live_state",
    "replay_log",
]

EXIT_DIFFERENT = 1
EXIT_NOTHING = 1
EXIT_ERROR = 2


class NotAtRest(RuntimeError):
    """The live system did not come to rest on one validated position in time."""


@dataclass(frozen=True, slots=True)
class LiveState:
    validated: Mapping[int, int]  # the validated position V (next offset per partition)
    obligations: Mapping[int, int]  # the obligations position O the projection reflects
    rows: list[digest.ObligationRow]

    @property
    def digest(self) -> str:
        return digest.digest(self.rows)


def workers_group(prefix: str) -> str:
    """The live workers' consumer group: the Faust app id (``streams.app.build_app``)."""
    return f"{prefix}-workers"


async def replay_log(
    bootstrap_servers: str,
    prefix: str,
    *,
    region: str,
    defaults: Defaults | None = None,
    as_of: dt.datetime | None = None,
    ends: Mapping[int, int] | None = None,
    progress: TextIO | None = None,
    keep_outputs: bool = False,
    batch_records: int = 5000,
    client_options: Mapping[str, Any] | None = None,
) -> Replay:
    """Replay the validated topic from the earliest offset up to ``ends`` (default: the end
    offsets now), each partition in offset order; ``progress`` gets the progress line."""
    replay = Replay(region=region, defaults=defaults, as_of=as_of, keep_outputs=keep_outputs)
    reader = ValidatedReader(
        bootstrap_servers,
        topics.VALIDATED.full_name(prefix),
        batch_records=batch_records,
        client_options=client_options,
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


async def live_state(
    bootstrap_servers: str,
    prefix: str,
    dsn: str,
    *,
    wait_s: float = 60.0,
    poll_s: float = 0.5,
    client_options: Mapping[str, Any] | None = None,
) -> LiveState:
    """The projection's obligations at a validated position the live system rests on.

    See the module docstring for why this position is the one the rows reflect.
    """
    validated = topics.VALIDATED.full_name(prefix)
    obligations = topics.OBLIGATIONS.full_name(prefix)
    deadline = time.monotonic() + wait_s
    why = "not checked yet"
    conn = await asyncpg.connect(dsn)
    try:
        while True:
            found, why = await _at_rest(
                bootstrap_servers, prefix, validated, obligations, conn, client_options
            )
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise NotAtRest(f"the live system did not come to rest in {wait_s:g}s: {why}")
            await asyncio.sleep(poll_s)
    finally:
        await conn.close()


async def _at_rest(
    bootstrap: str,
    prefix: str,
    validated: str,
    obligations: str,
    conn: Any,
    client_options: Mapping[str, Any] | None,
) -> tuple[LiveState | None, str]:
    v_end = await end_offsets(bootstrap, validated, client_options)
    committed = await committed_offsets(
        bootstrap, workers_group(prefix), list(v_end), client_options
    )
    behind = {tp.partition: end - max(committed[tp], 0) for tp, end in v_end.items()}
    if any(n > 0 for n in behind.values()):
        lag = sum(n for n in behind.values() if n > 0)
        return None, f"the cases agent ({workers_group(prefix)}) is {lag} validated events behind"
    o_end = await end_offsets(bootstrap, obligations, client_options)
    if await end_offsets(bootstrap, validated, client_options) != v_end:
        return None, "new validated events keep arriving"
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        projected = await queries.projected_offsets(conn, obligations)
        records = await queries.obligation_rows(conn)
    gap = {tp.partition: end - projected.get(tp.partition, 0) for tp, end in o_end.items()}
    if any(n > 0 for n in gap.values()):
        return (
            None,
            f"the projector is {sum(n for n in gap.values() if n > 0)} obligation events behind",
        )
    if any(n < 0 for n in gap.values()):
        return None, "the projector moved past the obligations position (new derived events)"
    state = LiveState(
        validated={tp.partition: n for tp, n in v_end.items()},
        obligations={tp.partition: n for tp, n in o_end.items()},
        rows=sorted(digest.ObligationRow.of_record(r) for r in records),
    )
    return state, "at rest"


@dataclass(frozen=True, slots=True)
class Verification:
    live: LiveState
    replayed: list[digest.ObligationRow]
    difference: digest.Difference | None
    differing: int  # how many obligation ids differ

    @property
    def ok(self) -> bool:
        return self.difference is None


def compare(replayed: list[digest.ObligationRow], live: LiveState) -> Verification:
    first = digest.first_difference(replayed, live.rows)
    mine = {r.obligation_id: r for r in replayed}
    theirs = {r.obligation_id: r for r in live.rows}
    differing = sum(1 for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))
    return Verification(live, replayed, first, differing)


async def replay_and_verify(
    bootstrap_servers: str,
    prefix: str,
    dsn: str,
    *,
    region: str,
    defaults: Defaults | None = None,
    wait_s: float = 60.0,
    progress: TextIO | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> tuple[Replay, Verification]:
    live = await live_state(
        bootstrap_servers, prefix, dsn, wait_s=wait_s, client_options=client_options
    )
    replay = await replay_log(
        bootstrap_servers,
        prefix,
        region=region,
        defaults=defaults,
        ends=live.validated,
        progress=progress,
        client_options=client_options,
    )
    return replay, compare(replay.rows(), live)


# --- the command ------------------------------------------------------------------------------


def cmd_replay(
    settings: Settings,
    *,
    as_of: dt.datetime | None = None,
    verify: bool = False,
    fmt: str = "table",
    wait_s: float = 60.0,
    zone: Zone = LOCAL,
) -> int:
    """``liudong replay``: 0 on success (and, with ``verify``, equal digests), 1 when the
    replay and the live projection differ or ``as_of`` precedes the log, 2 on a usage or
    environment error."""
    from streams.cli import resolve_bootstrap

    if verify and as_of is not None:
        print(
            "error: --verify compares with the live projection, which holds current state "
            "only: drop --as-of",
            file=sys.stderr,
        )
        return EXIT_ERROR
    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_ERROR
    prefix, region = settings.topic_prefix, settings.region_code
    options = aiokafka_options(settings)
    started = time.monotonic()
    try:
        if not verify:
            replay = asyncio.run(
                replay_log(
                    bootstrap,
                    prefix,
                    region=region,
                    as_of=as_of,
                    progress=sys.stderr,
                    client_options=options,
                )
            )
            summary = replay.summary()
            if as_of is not None and summary.applied == 0:
                print(
                    f"error: the log has no event by {zone.show(as_of)}"
                    + (
                        f" (its first is at {zone.show(first)})"
                        if (first := _first(replay))
                        else ""
                    ),
                    file=sys.stderr,
                )
                return EXIT_NOTHING
            if as_of is not None and not summary.cut:
                print(
                    f"note: {zone.show(as_of)} is after the log's last event "
                    f"({zone.show(summary.last_event)}): this is the state at the log's end",
                    file=sys.stderr,
                )
            _print_summary(summary, fmt, as_of, time.monotonic() - started, zone=zone)
            return 0
        from infra.postgres import resolve_dsn

        replay, result = asyncio.run(
            replay_and_verify(
                bootstrap,
                prefix,
                resolve_dsn(settings),
                region=region,
                wait_s=wait_s,
                progress=sys.stderr,
                client_options=options,
            )
        )
    except (LookupError, NotAtRest, KafkaError, OSError, asyncpg.PostgresError) as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    _print_summary(replay.summary(), fmt, None, time.monotonic() - started, result, zone=zone)
    if result.difference is not None:
        print(
            f"verify: DIFFERENT ({result.differing} obligation(s)); first: "
            f"{result.difference.describe()}",
            file=sys.stderr,
        )
        return EXIT_DIFFERENT
    return 0


def _first(replay: Replay) -> dt.datetime | None:
    """The event time of the first event a partition stopped at (the log's first, when
    nothing was applied)."""
    return min((p.first_cut for p in replay.partitions.values() if p.first_cut), default=None)


def _print_summary(
    summary: Summary,
    fmt: str,
    as_of: dt.datetime | None,
    elapsed_s: float,
    result: Verification | None = None,
    *,
    zone: Zone = LOCAL,
) -> None:
    rate = summary.events / elapsed_s if elapsed_s > 0 else 0.0
    if fmt == "json":
        data = summary.as_json(zone)
        data["as_of"] = zone.iso(as_of)
        data["events_per_second"] = round(rate)
        if result is not None:
            data["verify"] = {
                "ok": result.ok,
                "live_digest": result.live.digest,
                "validated_position": {str(p): o for p, o in sorted(result.live.validated.items())},
                "obligations_position": {
                    str(p): o for p, o in sorted(result.live.obligations.items())
                },
                "differing": result.differing,
                "first_difference": result.difference.as_json() if result.difference else None,
            }
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return
    if as_of is not None:
        print(f"as of            {zone.show(as_of)} (partitions cut: {list(summary.cut)})")
    print("\n".join(summary.lines(zone)))
    print(f"replayed in      {elapsed_s:.1f}s ({rate:,.0f} messages/s)")
    if result is not None:
        position = ", ".join(f"{p}:{o}" for p, o in sorted(result.live.validated.items()))
        verdict = "match" if result.ok else "DIFFERENT"
        print(f"live digest      {result.live.digest} (validated at {position}): {verdict}")
