"""What a replay of some partitions found, in a form that travels between processes and adds
up: :class:`Outcome`; and the :class:`Summary` an operator reads. Pure, no I/O.

A replay process hands back one outcome for the partitions it replayed; outcomes of
disjoint partitions :func:`merge` into the outcome of all of them, whichever process
finished first: counts add, sets join, positions and obligation rows are per partition, the
clock and the event-time span take their extremes. The summary's counts use the merged
clock, as one process replaying everything would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agents import case_rules, coverage_rules
from agents.case_state import CaseState
from audit.replay import digest as digest_module
from audit.replay import scorecards
from audit.replay.digest import ObligationRow
from contracts import obligation_vocabulary as vocabulary
from contracts.human_time import LOCAL, Zone
from streams.event_counts import COUNTY_EVENTS, MESSAGES

if TYPE_CHECKING:
    from agents.assessment_config import AssessmentConfig
    from audit.replay.engine import PartitionReplay, Replay


@dataclass(frozen=True, slots=True)
class Summary:
    events: int  # messages read (streams.event_counts)
    applied: int  # events applied (before each partition's cut)
    undecodable: int
    cases: int
    obligations: int
    counts: Mapping[str, int]  # the vocabulary's counts (contracts.obligation_vocabulary)
    clock: dt.datetime | None  # the logical clock reached: the newest tick applied
    alerts: int  # distinct alert ids raised
    coverage: Mapping[str, tuple[int, int]]  # period -> (flows, covered), region scope
    positions: Mapping[int, int]  # partition -> next offset read
    cut: tuple[int, ...]  # partitions stopped by as_of
    digest: str
    first_event: dt.datetime | None = None  # event time of the earliest event applied
    last_event: dt.datetime | None = None  # and of the newest
    county_events: int = 0  # the events among the messages, a broadcast one once

    def as_json(self, zone: Zone = LOCAL) -> dict[str, Any]:
        return {
            "events": self.events,
            "messages": self.events,
            "county_events": self.county_events,
            "applied": self.applied,
            "undecodable": self.undecodable,
            "cases": self.cases,
            "obligations": self.obligations,
            "counts": dict(self.counts),
            "clock": zone.iso(self.clock),
            "first_event": zone.iso(self.first_event),
            "last_event": zone.iso(self.last_event),
            "alerts": self.alerts,
            "coverage": {
                period: {"flows": f, "covered": c, "ratio": coverage_rules.ratio(f, c)}
                for period, (f, c) in sorted(self.coverage.items())
            },
            "positions": {str(p): o for p, o in sorted(self.positions.items())},
            "cut_by_as_of": list(self.cut),
            "digest": self.digest,
        }

    def lines(self, zone: Zone = LOCAL) -> list[str]:
        out = [
            f"{MESSAGES} read    {self.events} ({self.county_events} {COUNTY_EVENTS}: a broadcast"
            f" event is one message per partition; {self.applied} applied, "
            f"{self.undecodable} undecodable)",
            f"cases            {self.cases}",
            f"logical clock    {zone.show(self.clock)}",
            f"obligations      {self.obligations}",
        ]
        for c in vocabulary.COUNTS:
            out.append(f"  {c.name:<17} {self.counts[c.name]:>7}  {c.zh} / {c.en}")
        out.append(f"alerts           {self.alerts}")
        for period, (flows, covered) in sorted(self.coverage.items()):
            pct = 100 * coverage_rules.ratio(flows, covered)
            out.append(f"coverage {period}  {covered}/{flows} flows covered ({pct:.1f}%)")
        out.append(f"digest           {self.digest}")
        return out


# Counts that look ahead from the logical clock (due soon): decided once the clock of every
# partition is known. A far instant tells which obligations such a count could take at all.
LOOKING_AHEAD = tuple(c for c in vocabulary.COUNTS if c.due_within is not None)
_FAR = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the vocabulary's counts read of an obligation, small enough to hand over."""

    state: str
    breached: bool
    escalated: bool
    due_at: dt.datetime | None

    @classmethod
    def of(cls, ob: vocabulary.Facts) -> Facts:
        return cls(ob.state, ob.breached, ob.escalated, ob.due_at)


def tally(obligations: Iterable[vocabulary.Facts]) -> tuple[dict[str, int], list[Facts]]:
    """The counts that need no clock, and the obligations a count looking ahead may take."""
    fixed: dict[str, int] = {c.name: 0 for c in vocabulary.COUNTS if c.due_within is None}
    pending: list[Facts] = []
    for ob in obligations:
        for name in fixed:
            if vocabulary.BY_NAME[name].holds(ob):
                fixed[name] += 1
        if any(c.holds(ob, _FAR) for c in LOOKING_AHEAD):
            pending.append(Facts.of(ob))
    return fixed, pending


def counts(
    fixed: Mapping[str, int], pending: Iterable[Facts], clock: dt.datetime | None
) -> dict[str, int]:
    """Every count in vocabulary order, the looking-ahead ones at ``clock``."""
    held = list(pending)
    out = dict(fixed)
    for c in LOOKING_AHEAD:
        out[c.name] = sum(1 for f in held if c.holds(f, clock))
    return {name: out[name] for name in vocabulary.NAMES}


@dataclass(frozen=True, slots=True)
class Outcome:
    partitions: tuple[int, ...]  # the partitions replayed
    read: int = 0
    county_events: int = 0
    applied: int = 0
    undecodable: int = 0
    cases: int = 0
    positions: Mapping[int, int] = field(default_factory=dict)  # next offset read
    cut: tuple[int, ...] = ()  # partitions stopped by as_of
    first_cut: dt.datetime | None = None  # the earliest event a partition stopped at
    first_event: dt.datetime | None = None
    last_event: dt.datetime | None = None
    clock: dt.datetime | None = None  # the newest tick applied
    alert_ids: frozenset[str] = frozenset()
    coverage: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # region scope
    obligations: int = 0
    row_digests: Mapping[int, str] = field(default_factory=dict)  # per partition (digest.py)
    fixed_counts: Mapping[str, int] = field(default_factory=dict)  # the clock-free counts
    pending: tuple[Facts, ...] = ()  # what the counts looking ahead may take
    rows: tuple[ObligationRow, ...] | None = None  # every row, by id, when asked for
    # Derived topic -> validated partition -> canonical digest (audit.replay.derived).
    digests: Mapping[str, Mapping[int, str]] | None = None
    records: Mapping[str, int] | None = None  # derived topic -> canonical records
    cards: scorecards.Partial | None = None  # this replay's scorecard indicators
    assessed_clock: dt.datetime | None = None  # the assessment fold's event-time clock
    county_cases: tuple[CaseState, ...] = ()  # the cases of the county asked about

    @classmethod
    def of(
        cls,
        replay: Replay,
        *,
        config: AssessmentConfig | None = None,
        county: str | None = None,
        keep_rows: bool = False,
    ) -> Outcome:
        """What ``replay`` found; scorecard indicators under ``config`` when it folded the
        assessment; the cases of ``county`` and every obligation row when asked."""
        parts = replay.partitions
        row_digests, kept = _row_digests(parts, keep_rows)
        fixed, pending = tally(ob for case in replay.cases() for ob in case.obligations)
        cuts = [p.first_cut for p in parts.values() if p.first_cut is not None]
        ticks = [p.last_tick for p in parts.values() if p.last_tick is not None]
        digests, records = _derived(replay)
        cards, assessed = None, None
        if replay.assessment is not None and config is not None:
            assessed = replay.assessment.clock
            cards = scorecards.partial(replay.assessment, config, region=replay.region)
        return cls(
            partitions=tuple(sorted(parts)),
            read=replay.read,
            county_events=replay.county_events,
            applied=sum(p.applied for p in parts.values()),
            undecodable=replay.undecodable,
            cases=sum(len(p.cases) for p in parts.values()),
            positions=dict(replay.positions),
            cut=tuple(sorted(n for n, p in parts.items() if p.cut)),
            first_cut=min(cuts, default=None),
            first_event=replay.first_event,
            last_event=replay.last_event,
            clock=max(ticks, default=None),
            alert_ids=frozenset(
                case_rules.alert_id_of(pair) for p in parts.values() for pair in p.alerts
            ),
            coverage=_region_coverage(parts),
            obligations=sum(len(c.obligations) for c in replay.cases()),
            row_digests=row_digests,
            fixed_counts=fixed,
            pending=tuple(pending),
            rows=None if kept is None else tuple(sorted(kept, key=lambda r: r.obligation_id)),
            digests=digests,
            records=records,
            cards=cards,
            assessed_clock=assessed,
            county_cases=() if county is None else _cases_of(replay, county),
        )

    def summary(self) -> Summary:
        return Summary(
            events=self.read,
            applied=self.applied,
            undecodable=self.undecodable,
            cases=self.cases,
            obligations=self.obligations,
            counts=counts(self.fixed_counts, self.pending, self.clock),
            clock=self.clock,
            alerts=len(self.alert_ids),
            coverage=dict(self.coverage),
            positions=dict(self.positions),
            cut=self.cut,
            digest=digest_module.combine(self.row_digests),
            first_event=self.first_event,
            last_event=self.last_event,
            county_events=self.county_events,
        )

    def scorecards(self, config: AssessmentConfig) -> list[scorecards.Card] | None:
        """The replay's scorecards (None: it did not fold the assessment)."""
        if self.cards is None:
            return None
        return scorecards.combine([self.cards], self.assessed_clock, config)


def _row_digests(
    parts: Mapping[int, PartitionReplay], keep_rows: bool
) -> tuple[dict[int, str], list[ObligationRow] | None]:
    """Each partition's digest of its obligation rows, and the rows themselves if kept."""
    row_digests: dict[int, str] = {}
    kept: list[ObligationRow] | None = [] if keep_rows else None
    for n, part in parts.items():
        rows = digest_module.rows_of_cases(part.cases.values())
        row_digests[n] = digest_module.digest(rows)
        if kept is not None:
            kept.extend(rows)
    return row_digests, kept


def _region_coverage(parts: Mapping[int, PartitionReplay]) -> dict[str, tuple[int, int]]:
    """Per period, the region's flows and the flows an agreement covered."""
    coverage: dict[str, tuple[int, int]] = {}
    for p in parts.values():
        for period, scopes in p.coverage.periods.items():
            flows, covered = scopes.get(coverage_rules.REGION_SCOPE, [0, 0])[:2]
            old = coverage.get(period, (0, 0))
            coverage[period] = (old[0] + flows, old[1] + covered)
    return coverage


def _derived(
    replay: Replay,
) -> tuple[dict[str, dict[int, str]] | None, dict[str, int] | None]:
    """The derived topics' digests per partition and their record counts, if derived."""
    if replay.derivation is None:
        return None, None
    parts = replay.partitions
    digests = replay.derivation.digests(parts)
    records = {
        topic: sum(replay.derivation.part(topic, p).lines for p in parts) for topic in digests
    }
    return digests, records


def _cases_of(replay: Replay, county: str) -> tuple[CaseState, ...]:
    return tuple(
        sorted((c for c in replay.cases() if party(c, county)), key=lambda c: c.person_key)
    )


def party(case: CaseState, county: str) -> bool:
    """Whether ``county`` is party to the case: either end of the person's move, the county
    that holds the case, a county the person registered in, or one side of an obligation."""
    if county in (case.origin, case.destination, case.owner):
        return True
    if any(r.county == county for r in case.registrations):
        return True
    return any(county in (o.responsible, o.counterpart) for o in case.obligations)


def merge(outcomes: Iterable[Outcome]) -> Outcome:
    """The outcome of every partition the outcomes replayed (partitions must not overlap)."""
    items = list(outcomes)
    seen: set[int] = set()
    for o in items:
        overlap = seen & set(o.partitions)
        if overlap:
            raise ValueError(f"partition {min(overlap)} was replayed twice")
        seen |= set(o.partitions)
    coverage: dict[str, tuple[int, int]] = {}
    for o in items:
        for period, (flows, covered) in o.coverage.items():
            old = coverage.get(period, (0, 0))
            coverage[period] = (old[0] + flows, old[1] + covered)
    digests: dict[str, dict[int, str]] | None = None
    records: dict[str, int] | None = None
    if items and all(o.digests is not None for o in items):
        digests, records = {}, {}
        for o in items:
            for topic, parts in (o.digests or {}).items():
                digests.setdefault(topic, {}).update(parts)
            for topic, n in (o.records or {}).items():
                records[topic] = records.get(topic, 0) + n
    cards: list[scorecards.Partial] | None = None
    if items and all(o.cards is not None for o in items):
        cards = [o.cards for o in items if o.cards is not None]
    return Outcome(
        partitions=tuple(sorted(seen)),
        read=sum(o.read for o in items),
        county_events=sum(o.county_events for o in items),
        applied=sum(o.applied for o in items),
        undecodable=sum(o.undecodable for o in items),
        cases=sum(o.cases for o in items),
        positions={p: n for o in items for p, n in o.positions.items()},
        cut=tuple(sorted(p for o in items for p in o.cut)),
        first_cut=_extreme(min, (o.first_cut for o in items)),
        first_event=_extreme(min, (o.first_event for o in items)),
        last_event=_extreme(max, (o.last_event for o in items)),
        clock=_extreme(max, (o.clock for o in items)),
        alert_ids=frozenset().union(*(o.alert_ids for o in items)),
        coverage=coverage,
        obligations=sum(o.obligations for o in items),
        row_digests={p: d for o in items for p, d in o.row_digests.items()},
        fixed_counts={
            name: sum(o.fixed_counts.get(name, 0) for o in items) for name in items[0].fixed_counts
        }
        if items
        else {},
        pending=tuple(f for o in items for f in o.pending),
        rows=_rows(items),
        digests=digests,
        records=records,
        cards=_summed(cards),
        assessed_clock=_extreme(max, (o.assessed_clock for o in items)),
        county_cases=tuple(
            sorted((c for o in items for c in o.county_cases), key=lambda c: c.person_key)
        ),
    )


def _rows(items: list[Outcome]) -> tuple[ObligationRow, ...] | None:
    if not items or any(o.rows is None for o in items):
        return None
    return tuple(sorted((r for o in items for r in o.rows or ()), key=lambda r: r.obligation_id))


def _summed(parts: list[scorecards.Partial] | None) -> scorecards.Partial | None:
    """Partial scorecards added up, still unscored (scored once, with the merged clock)."""
    if parts is None:
        return None
    out: scorecards.Partial = {}
    for part in parts:
        for key, values in part.items():
            held = out.get(key)
            out[key] = values if held is None else tuple(scorecards.add(held, values))
    return out


def _extreme(
    pick: Callable[[list[dt.datetime]], dt.datetime], values: Iterable[dt.datetime | None]
) -> dt.datetime | None:
    found = [v for v in values if v is not None]
    return pick(found) if found else None
