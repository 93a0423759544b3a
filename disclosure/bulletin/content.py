"""Every figure of a bulletin, computed from the folded log and the weight file. Pure.

Nothing is counted here that the project counts elsewhere: the league is
:func:`agents.assessment_rules.standings` (ranked by :mod:`contracts.league`), the indicators
are :func:`agents.assessment_figures.tally` and :func:`~agents.assessment_figures.values`,
scores :mod:`agents.assessment_config`, periods :mod:`contracts.periods`, breaches and
escalations the vocabulary's counts (:mod:`contracts.obligation_vocabulary`), campaign
progress :func:`contracts.campaign_status.progress`. What this module adds is the selection and
arrangement a bulletin needs: which counties (the league's scope), the region's coverage,
the previous period, which campaigns ran in the period.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import get_args

from agents import assessment_config as cfg
from agents import assessment_figures, assessment_state
from agents import assessment_rules as rules
from agents.assessment_config import AssessmentConfig, Side
from contracts import league as league_module
from contracts import obligation_vocabulary as vocabulary
from contracts import periods
from contracts.campaign_book import Campaign
from contracts.campaign_status import progress as campaign_progress
from contracts.events.derived import ObligationKind
from disclosure.bulletin.log_fold import LogFold

KINDS: tuple[str, ...] = get_args(ObligationKind)
COUNTED: tuple[vocabulary.CountName, ...] = ("breached", "escalated")


class NotReady(LookupError):
    """The log up to the positions holds no bulletin for the period; the message is one line."""


@dataclass(frozen=True, slots=True)
class Fraction:
    numerator: int
    denominator: int

    @property
    def ratio(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    side: Side
    name: str
    fraction: Fraction
    score: float | None  # None: the indicator does not apply (nothing to count)


@dataclass(frozen=True, slots=True)
class CountyIndicators:
    county: str
    settled: dict[Side, int]  # settled obligations of its own per side (the sample)
    rows: tuple[IndicatorRow, ...]


@dataclass(frozen=True, slots=True)
class CoverageRow:
    county: str
    outflows: Fraction  # covered / flows leaving it
    inflows: Fraction  # covered / flows arriving in it


@dataclass(frozen=True, slots=True)
class BreachRow:
    county: str
    by_kind: dict[str, dict[str, int]]  # kind -> count name -> obligations

    def total(self, name: str) -> int:
        return sum(c[name] for c in self.by_kind.values())


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    record: Campaign
    closed: bool
    by_check: tuple[tuple[str, int, int, int], ...]  # check, assigned, answered, overdue
    by_county: tuple[tuple[str, int, int, int], ...]  # county, assigned, answered, overdue
    results: tuple[tuple[str, int], ...]  # result, tasks


@dataclass(frozen=True, slots=True)
class Movement:
    county: str
    rank: int | None
    previous_rank: int | None
    combined: float | None
    previous_combined: float | None

    @property
    def climbed(self) -> int | None:
        """Places climbed (negative: fell); None unless ranked in both periods."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank

    @property
    def score_change(self) -> float | None:
        if self.combined is None or self.previous_combined is None:
            return None
        return round(self.combined - self.previous_combined, 2)


@dataclass(frozen=True, slots=True)
class Content:
    period: periods.Period
    previous: periods.Period
    scope: league_module.Scope
    region: str
    clock: dt.datetime
    config: AssessmentConfig
    league: league_module.League
    previous_league: league_module.League
    indicators: tuple[CountyIndicators, ...]
    coverage: tuple[CoverageRow, ...]
    region_coverage: Fraction
    kinds: tuple[str, ...]  # obligation kinds with any obligation in the breaches table
    breaches: tuple[BreachRow, ...]
    campaigns: tuple[CampaignSummary, ...]
    movement: tuple[Movement, ...]

    def coverage_target(self, side: Side) -> float:
        return self.config.rule(side, "agreement_coverage").target


def previous_of(period: periods.Period) -> periods.Period:
    """The period of the same kind just before ``period``."""
    before = period.start - dt.timedelta(days=1)
    if period.kind == "month":
        return periods.month_of(before)
    if period.kind == "quarter":
        return periods.quarter_of(before)
    return periods.year_of(before)


def closed_periods(
    state: assessment_state.AssessmentState, config: AssessmentConfig
) -> list[periods.Period]:
    """The months and quarters with obligations that the log has closed, newest first (a
    quarter before its last month)."""
    found = [
        periods.parse(text, assessment_state.ASSESSED_KINDS)
        for text in state.by_period
        if rules.closed(state, text, config)
    ]
    return sorted(found, key=lambda p: (p.end, p.kind == "quarter"), reverse=True)


def newest_closed(
    state: assessment_state.AssessmentState, config: AssessmentConfig
) -> periods.Period | None:
    """The period a reader is shown first: the newest closed quarter, else month."""
    closed = closed_periods(state, config)
    quarters = [p for p in closed if p.kind == "quarter"]
    newest = quarters or closed
    return newest[0] if newest else None


def compute(
    log: LogFold,
    period_text: str,
    config: AssessmentConfig,
    *,
    region: str,
    scope: league_module.Scope,
) -> Content:
    """The bulletin of ``period_text`` (a month or a quarter); NotReady when the log up to its
    positions has not closed the period."""
    period = periods.parse(period_text, assessment_state.ASSESSED_KINDS)
    state = log.assessment
    closes = period.closes_at(dt.timedelta(days=config.close_after_days))
    if log.clock is None:
        raise NotReady(f"no bulletin for {period}: the log read holds no clock tick")
    if not rules.closed(state, period.text, config):
        raise NotReady(
            f"no bulletin for {period} yet: it closes at {closes:%Y-%m-%d %H:%M} UTC "
            f"(the log's clock is at {log.clock:%Y-%m-%d %H:%M} UTC)"
        )
    previous = previous_of(period)
    table = rules.standings(state, period.text, config, region=region, scope=scope)
    before = rules.standings(state, previous.text, config, region=region, scope=scope)
    figures = assessment_figures.tally(state, period.text, lineage=False)
    mine = sorted(c for c in figures if league_module.in_scope(c, region, scope))
    return Content(
        period=period,
        previous=previous,
        scope=scope,
        region=region,
        clock=log.clock,
        config=config,
        league=table,
        previous_league=before,
        indicators=tuple(_indicators(s.county, figures, config) for s in table.standings),
        coverage=tuple(_coverage(c, figures) for c in mine if _has_flows(c, figures)),
        region_coverage=_region_coverage(figures),
        kinds=_kinds(state, period, region, scope),
        breaches=_breaches(state, period, region, scope),
        campaigns=_campaigns(log, period, region, scope),
        movement=_movement(table, before),
    )


def _indicators(
    county: str, figures: dict[str, assessment_figures.CountyFigures], config: AssessmentConfig
) -> CountyIndicators:
    values = assessment_figures.values(figures.get(county))
    rows = []
    for v in values:
        rule = config.rule(v.side, v.name)
        better = cfg.BY_NAME[v.name].better
        score = cfg.indicator_score(v.numerator, v.denominator, rule, better)
        rows.append(IndicatorRow(v.side, v.name, Fraction(v.numerator, v.denominator), score))
    as_figures = assessment_figures.as_figures(values)
    settled: dict[Side, int] = {side: cfg.settled(as_figures, side) for side in cfg.SIDES}
    return CountyIndicators(county, settled, tuple(rows))


def _flows(
    county: str, figures: dict[str, assessment_figures.CountyFigures], side: Side
) -> Fraction:
    lineage = figures.get(county, {}).get((side, "agreement_coverage"))
    if lineage is None:
        return Fraction(0, 0)
    return Fraction(lineage.numerator, lineage.denominator)


def _has_flows(county: str, figures: dict[str, assessment_figures.CountyFigures]) -> bool:
    return any(_flows(county, figures, side).denominator for side in cfg.SIDES)


def _coverage(county: str, figures: dict[str, assessment_figures.CountyFigures]) -> CoverageRow:
    return CoverageRow(
        county, _flows(county, figures, "origin"), _flows(county, figures, "destination")
    )


def _region_coverage(figures: dict[str, assessment_figures.CountyFigures]) -> Fraction:
    """Every flow of the period once: each is exactly one county's outflow."""
    parts = [_flows(c, figures, "origin") for c in sorted(figures)]
    return Fraction(sum(p.numerator for p in parts), sum(p.denominator for p in parts))


def _period_obligations(
    state: assessment_state.AssessmentState,
    period: periods.Period,
    region: str,
    scope: league_module.Scope,
) -> list[assessment_state.AssessedObligation]:
    ids = state.by_period.get(period.text, set())
    return [
        ob
        for ob in rules.iter_obligations(state, ids)
        if league_module.in_scope(ob.responsible, region, scope)
    ]


def _kinds(
    state: assessment_state.AssessmentState,
    period: periods.Period,
    region: str,
    scope: league_module.Scope,
) -> tuple[str, ...]:
    present = {ob.kind for ob in _period_obligations(state, period, region, scope)}
    return tuple(k for k in KINDS if k in present)


def _breaches(
    state: assessment_state.AssessmentState,
    period: periods.Period,
    region: str,
    scope: league_module.Scope,
) -> tuple[BreachRow, ...]:
    grouped: dict[str, dict[str, list[assessment_state.AssessedObligation]]] = {}
    for ob in _period_obligations(state, period, region, scope):
        grouped.setdefault(ob.responsible, {}).setdefault(ob.kind, []).append(ob)
    rows = []
    for county in sorted(grouped):
        by_kind: dict[str, dict[str, int]] = {}
        for kind in KINDS:
            obs = grouped[county].get(kind)
            if obs:
                counts = vocabulary.counts(obs)
                by_kind[kind] = {str(name): counts[name] for name in COUNTED}
        rows.append(BreachRow(county, by_kind))
    return tuple(rows)


def _campaigns(
    log: LogFold, period: periods.Period, region: str, scope: league_module.Scope
) -> tuple[CampaignSummary, ...]:
    """Campaigns that checked the period's records (their own period overlaps it) or ran in
    it (opening to deadline, or closing), as the log tells them at its positions."""
    c = log.campaigns
    report = campaign_progress(c.progress, None)
    out = []
    for cid in sorted(c.campaigns):
        record = c.campaigns[cid]
        ends = record.closed_at or record.deadline
        checked = record.period_start < period.end and record.period_end > period.start
        ran = record.opened_at < period.end and ends >= period.start
        if not (checked or ran):
            continue
        doc = report.get(cid, {"closed": False, "figures": {}})
        checks: dict[str, list[int]] = {}
        counties: dict[str, list[int]] = {}
        for (county, check), figures in sorted(doc["figures"].items()):
            for table, key in ((checks, check), (counties, county)):
                row = table.setdefault(key, [0, 0, 0])
                for i in range(3):
                    row[i] += figures[i]
        results = Counter(
            c.results[task]
            for task, assigned in sorted(c.tasks.items())
            if assigned.campaign_id == cid and task in c.results
        )
        out.append(
            CampaignSummary(
                record=record,
                closed=bool(doc["closed"]) or record.closed_at is not None,
                by_check=tuple((k, *checks[k]) for k in sorted(checks)),  # type: ignore[misc]
                by_county=tuple(
                    (k, *counties[k])  # type: ignore[misc]
                    for k in sorted(counties)
                    if league_module.in_scope(k, region, scope)
                ),
                results=tuple(sorted(results.items())),
            )
        )
    return tuple(out)


def _movement(now: league_module.League, before: league_module.League) -> tuple[Movement, ...]:
    previous = {s.county: s for s in before.standings}
    rows = []
    for s in now.standings:
        b = previous.get(s.county)
        rows.append(
            Movement(
                s.county,
                s.rank,
                b.rank if b else None,
                s.scores.combined,
                b.scores.combined if b else None,
            )
        )
    return tuple(rows)
