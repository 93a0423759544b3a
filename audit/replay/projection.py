"""The live projection's obligations, compared with a replay's: the second check of
``replay --verify``, made when the live system is at rest.

The projector records how far it read the *obligations* topic, not the validated one, so
the two states are compared at a point where the live system rests on one validated
position ``V``:

1. ``V`` = the validated topic's end offsets now;
2. the cases agent (consumer group ``<prefix>-workers``) has committed ``V`` on every
   partition. Its outputs are acknowledged by the broker before its offsets are committed,
   so the obligations topic then holds everything derived from the log up to ``V``;
3. ``O`` = the obligations topic's end offsets now;
4. the validated end offsets are still ``V`` (no input arrived while ``O`` was read, so
   nothing beyond ``V`` was derived into ``O``);
5. in one repeatable-read transaction, ``projection_offsets`` for the obligations topic
   equals ``O`` exactly and the ``obligations`` rows are read.

Any step that fails (agent or projector behind, new input) starts over after a short pause,
until ``wait_s`` runs out (:class:`NotAtRest`, saying which side is behind). The replay's
obligation rows up to ``V`` are then compared with the projection's; on a difference the
first differing obligation (smallest id) is named with its differing fields. The
projection holds current state only, so this check does not apply to an earlier instant.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TextIO

import asyncpg

from audit.replay import digest
from audit.replay.engine import Replay
from audit.replay.reader import committed_offsets, end_offsets
from audit.replay.runner import replay_log
from contracts.agreement_terms import Defaults
from infra.projection import reads
from streams import topics


class NotAtRest(RuntimeError):
    """The live system did not come to rest on one validated position in time."""


@dataclass(frozen=True, slots=True)
class LiveState:
    validated: Mapping[int, int]  # the validated position V (next offset per partition)
    obligations: Mapping[int, int]  # the obligations position O the projection reflects
    rows: list[digest.ObligationRow]

    @property
    def digest(self) -> str:
        """Per partition, as a replay digests its state (:func:`digest.partitioned`)."""
        return digest.partitioned(self.rows, len(self.validated))

    def digests(self) -> dict[int, str]:
        parts = digest.by_partition(self.rows, len(self.validated))
        return {p: digest.digest(rows) for p, rows in parts.items()}


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
        bootstrap, topics.workers_group(prefix), list(v_end), client_options
    )
    behind = {tp.partition: end - max(committed[tp], 0) for tp, end in v_end.items()}
    if any(n > 0 for n in behind.values()):
        lag = sum(n for n in behind.values() if n > 0)
        return (
            None,
            f"the cases agent ({topics.workers_group(prefix)}) is {lag} validated events behind",
        )
    o_end = await end_offsets(bootstrap, obligations, client_options)
    if await end_offsets(bootstrap, validated, client_options) != v_end:
        return None, "new validated events keep arriving"
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        projected = await reads.projected_offsets(conn, obligations)
        records = await reads.obligation_rows(conn)
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
