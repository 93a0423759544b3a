"""``liudong replay --verify``: the replay against what the live system derived, while it runs.

1. **The position** ``V``: with ``--at-position``, the one given (no further than the live
   workers have derived); otherwise how far they have derived (their committed offsets,
   :func:`audit.replay.live.derived_position`), or, when the live system comes to rest
   within ``wait_s``, the position it rests on (then the projection is compared too). With
   ``--as-of T`` each partition stops before its first event after ``T``, so ``V`` is where
   the replay stopped: the state as of ``T``.
2. **The replay** up to ``V``, in ``workers`` processes (:mod:`audit.replay.runner`), with
   the canonical digests of every derived event and the assessment fold.
3. **Every derived topic** (obligations with verification tasks; alerts with coverage figures
   and campaign progress) read from the live log, restricted to records caused below ``V``
   (:mod:`audit.replay.live`), and compared digest by digest per validated partition. On
   a difference, that partition is replayed again keeping every record, and the first
   differing record is named: topic, live position, the validated record that caused it.
4. **Scorecards**: the replay's scorecards (the assessment fold of its derived events, under
   the weight file) against the newest revision per county and period on the live
   scorecards topic. The assessment service publishes when it has read what the workers
   derived, which says nothing of ``V``: the two are compared when nothing has been derived
   past ``V`` and ``V`` is the log's end (at rest), waiting up to ``wait_s`` for the service
   to catch up; otherwise the replay's digest is given and the comparison is not made.
5. **The projection** (:mod:`audit.replay.projection`), when the live system rests on
   ``V``: the replay's obligation rows against the projector's table.

Each check says ``match``, ``DIFFERENT`` (with the first difference) or ``not compared``
(with why). The verification holds when no check differs and the derived topics or the
projection were compared.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

import asyncpg

from agents.assessment_config import AssessmentConfig
from audit.replay import derived, projection, scorecards
from audit.replay.digest import Difference as RowDifference
from audit.replay.digest import ObligationRow
from audit.replay.live import LiveTopic, derived_position, read_live
from audit.replay.outcome import Outcome
from audit.replay.positions import Position, check_within
from audit.replay.runner import Job, replay, replay_log
from contracts import unions
from contracts.agreement_terms import Defaults
from streams import routing, topics
from streams.topic_reader import read_all

Status = Literal["match", "DIFFERENT", "not compared"]
MATCH: Status = "match"
DIFFERENT: Status = "DIFFERENT"
NOT_COMPARED: Status = "not compared"
POLL_S = 0.5


@dataclass(frozen=True, slots=True)
class Request:
    """What to verify, and where."""

    bootstrap_servers: str
    prefix: str  # the validated topic's deployment prefix
    region: str
    config: AssessmentConfig
    derived_prefix: str | None = None  # read the derived topics under another prefix
    dsn: str | None = None  # the projection database (None: no projection check)
    as_of: dt.datetime | None = None
    at_position: Position | None = None
    workers: int = 1
    wait_s: float = 10.0
    defaults: Defaults = field(default_factory=Defaults)
    client_options: Mapping[str, Any] | None = None
    max_record_bytes: int = topics.READ_LIMIT_BYTES  # topics.read_limit of the deployment

    @property
    def derived_from(self) -> str:
        return self.derived_prefix or self.prefix

    @property
    def validated_topic(self) -> str:
        return topics.VALIDATED.full_name(self.prefix)


@dataclass(frozen=True, slots=True)
class TopicCheck:
    name: str  # the catalog name
    topic: str  # the live topic read
    status: Status
    replayed: str  # topic digest of the replay
    live: str | None
    replayed_records: int
    live_records: int | None
    ends: Mapping[int, int]  # the live topic's end offsets read up to
    beyond: int = 0  # live records caused past V
    difference: derived.Difference | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ScorecardCheck:
    status: Status
    replayed: str
    live: str | None
    cards: int  # the replay's scorecards
    difference: scorecards.CardDifference | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ProjectionCheck:
    status: Status
    replayed: str
    live: str | None
    differing: int = 0
    difference: RowDifference | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Verification:
    request: Request
    position: dict[int, int]  # V: what was compared (next offset per validated partition)
    log_end: dict[int, int]  # the validated topic's end offsets when V was fixed
    outcome: Outcome
    topic_checks: tuple[TopicCheck, ...]
    scorecard_check: ScorecardCheck
    projection_check: ProjectionCheck
    cards: tuple[scorecards.Card, ...] = ()

    def checks(self) -> list[tuple[str, Status]]:
        out = [(t.name, t.status) for t in self.topic_checks]
        out.append(("scorecards", self.scorecard_check.status))
        out.append(("projection", self.projection_check.status))
        return out

    @property
    def different(self) -> bool:
        return any(status == DIFFERENT for _, status in self.checks())

    @property
    def compared(self) -> bool:
        """The derived topics, or at least the projection, were compared."""
        return all(t.status != NOT_COMPARED for t in self.topic_checks) or (
            self.projection_check.status != NOT_COMPARED
        )

    @property
    def ok(self) -> bool:
        return self.compared and not self.different

    def short_of_instant(self) -> list[int]:
        """With an instant: the partitions the live workers have not derived up to it yet
        (verified only as far as they have)."""
        if self.request.as_of is None:
            return []
        cut = set(self.outcome.cut)
        return [
            p for p in sorted(self.position) if p not in cut and self.position[p] < self.log_end[p]
        ]


def verify(request: Request, *, progress: TextIO | None = None) -> Verification:
    """Run the whole verification; call it outside any running event loop (the replay
    forks its processes). Kafka and database errors propagate."""
    position, log_end, rest = asyncio.run(_position(request))
    partitions = tuple(sorted(log_end))
    job = Job(
        request.bootstrap_servers,
        request.prefix,
        request.region,
        position,
        partitions,
        request.defaults,
        request.as_of,
        digests=True,
        config=request.config,
        max_record_bytes=request.max_record_bytes,
    )
    outcome = replay(job, request.workers, client_options=request.client_options, progress=progress)
    reached = {p: outcome.positions.get(p, 0) for p in partitions}
    cards = outcome.scorecards(request.config) or []
    checks, live_cards = asyncio.run(_live(request, outcome, reached, log_end, cards))
    projected = _projection(request, outcome, rest, reached)
    return Verification(
        request,
        reached,
        log_end,
        outcome,
        checks,
        live_cards,
        projected,
        tuple(cards),
    )


async def _position(
    request: Request,
) -> tuple[dict[int, int], dict[int, int], projection.LiveState | str]:
    """``V``, the log's end, and the projection at rest on ``V`` (or why not)."""
    reached, log_end = await derived_position(
        request.bootstrap_servers, request.prefix, request.validated_topic, request.client_options
    )
    if request.at_position is not None:
        check_within(request.at_position, log_end, reached)
        return (
            dict(request.at_position),
            log_end,
            "a position was given: the projection holds current state",
        )
    if request.as_of is not None:
        return reached, log_end, "an instant was given: the projection holds current state"
    if request.dsn is None:
        return reached, log_end, "no projection database"
    try:
        state = await projection.live_state(
            request.bootstrap_servers,
            request.prefix,
            request.dsn,
            wait_s=request.wait_s,
            client_options=request.client_options,
        )
    except projection.NotAtRest as exc:
        return reached, log_end, str(exc)
    except (OSError, asyncpg.PostgresError) as exc:
        return reached, log_end, f"the projection database: {type(exc).__name__}: {exc}"
    return dict(state.validated), dict(state.validated), state


async def _live(
    request: Request,
    outcome: Outcome,
    position: dict[int, int],
    log_end: dict[int, int],
    cards: list[scorecards.Card],
) -> tuple[tuple[TopicCheck, ...], ScorecardCheck]:
    checks = []
    for spec in derived.DERIVED_TOPICS:
        live = await read_live(
            request.bootstrap_servers,
            spec.name,
            spec.full_name(request.derived_from),
            request.validated_topic,
            position,
            client_options=request.client_options,
        )
        checks.append(await _topic_check(request, outcome, live, position))
    at_rest = position == log_end and all(c.beyond == 0 for c in checks)
    return tuple(checks), await _scorecard_check(request, cards, at_rest)


def judge(outcome: Outcome, live: LiveTopic) -> tuple[TopicCheck, int | None]:
    """A derived topic's check from the digests alone, and the validated partition whose
    first difference is still to be named (None: nothing to name)."""
    mine = (outcome.digests or {}).get(live.name, {})
    theirs = live.digests()
    base = TopicCheck(
        live.name,
        live.topic,
        NOT_COMPARED,
        derived.topic_digest(mine),
        derived.topic_digest(theirs),
        (outcome.records or {}).get(live.name, 0),
        live.records,
        live.ends,
        live.beyond,
    )
    if live.read and live.uncaused == live.read:
        why = (
            f"its {live.read} records name no cause (written by workers that do not tag "
            "their outputs with it)"
        )
        return dataclasses.replace(base, live=None, live_records=None, note=why), None
    if live.uncaused:
        why = f"{live.uncaused} record(s) name no cause; the first at {live.first_uncaused}"
        return dataclasses.replace(base, status=DIFFERENT, note=why), None
    if base.live == base.replayed:
        return dataclasses.replace(base, status=MATCH), None
    partition = min(p for p in live.position if mine.get(p) != theirs.get(p))
    return dataclasses.replace(base, status=DIFFERENT), partition


async def _topic_check(
    request: Request, outcome: Outcome, live: LiveTopic, position: dict[int, int]
) -> TopicCheck:
    check, partition = judge(outcome, live)
    if partition is None:
        return check
    difference = await _first_difference(request, live.name, partition, position)
    return dataclasses.replace(check, difference=difference)


async def _first_difference(
    request: Request, name: str, partition: int, position: dict[int, int]
) -> derived.Difference | None:
    """Replay ``partition`` again keeping every derived record, read the live topic's records
    of that partition with theirs, and find the first that differs."""
    kept = derived.Derivation(keep=True)
    await replay_log(
        request.bootstrap_servers,
        request.prefix,
        region=request.region,
        defaults=request.defaults,
        as_of=request.as_of,
        ends={partition: position[partition]},
        client_options=request.client_options,
        max_record_bytes=request.max_record_bytes,
        only=[partition],
        derivation=kept,
    )
    spec = next(s for s in derived.DERIVED_TOPICS if s.name == name)
    live = await read_live(
        request.bootstrap_servers,
        name,
        spec.full_name(request.derived_from),
        request.validated_topic,
        {partition: position[partition]},
        keep={partition},
        client_options=request.client_options,
    )
    return derived.first_difference(
        name,
        partition,
        kept.part(name, partition).kept or [],
        live.parts[partition].kept or [],
    )


async def _scorecard_check(
    request: Request, cards: list[scorecards.Card], at_rest: bool
) -> ScorecardCheck:
    replayed = scorecards.digest(cards)
    if request.as_of is not None or request.at_position is not None:
        why = "the live scorecards hold current figures, not those of an earlier position"
        return ScorecardCheck(NOT_COMPARED, replayed, None, len(cards), note=why)
    if not at_rest:
        why = "input arrived past the position verified (the live scorecards may include it)"
        return ScorecardCheck(NOT_COMPARED, replayed, None, len(cards), note=why)
    topic = topics.SCORECARDS.full_name(request.derived_from)
    deadline = time.monotonic() + request.wait_s
    while True:
        published = await read_all(
            request.bootstrap_servers,
            topic,
            unions.ScorecardEvent,
            client_options=request.client_options,
        )
        live = scorecards.of_published(published)
        found = scorecards.digest(live)
        if found == replayed:
            return ScorecardCheck(MATCH, replayed, found, len(cards))
        if time.monotonic() >= deadline:
            break
        await asyncio.sleep(POLL_S)  # the assessment service may not have caught up yet
    if not live:
        why = f"{topic} holds no scorecard: is the assessment service (liudong assess) running?"
        return ScorecardCheck(NOT_COMPARED, replayed, found, len(cards), note=why)
    difference = scorecards.first_difference(cards, live)
    return ScorecardCheck(DIFFERENT, replayed, found, len(cards), difference)


def _projection(
    request: Request,
    outcome: Outcome,
    rest: projection.LiveState | str,
    position: dict[int, int],
) -> ProjectionCheck:
    replayed = outcome.summary().digest
    if isinstance(rest, str):
        return ProjectionCheck(NOT_COMPARED, replayed, None, note=rest)
    if dict(rest.validated) != position:
        why = "the replay stopped before the projection's position"
        return ProjectionCheck(NOT_COMPARED, replayed, None, note=why)
    theirs = rest.digests()
    wrong = sorted(p for p in position if outcome.row_digests.get(p) != theirs.get(p))
    if not wrong:
        return ProjectionCheck(MATCH, replayed, rest.digest)
    # The partitions that differ, replayed again keeping their rows, name the difference.
    mine = asyncio.run(_rows(request, wrong, position))
    count = len(position)
    held = [r for r in rest.rows if routing.person_partition(r.person_key, count) in wrong]
    result = projection.compare(mine, projection.LiveState(rest.validated, rest.obligations, held))
    return ProjectionCheck(DIFFERENT, replayed, rest.digest, result.differing, result.difference)


async def _rows(
    request: Request, partitions: list[int], position: dict[int, int]
) -> list[ObligationRow]:
    again = await replay_log(
        request.bootstrap_servers,
        request.prefix,
        region=request.region,
        defaults=request.defaults,
        ends={p: position[p] for p in partitions},
        client_options=request.client_options,
        max_record_bytes=request.max_record_bytes,
        only=partitions,
    )
    return again.rows()
