"""Agreement coverage (协议覆盖率): the share of flows between counties covered by an agreement
in force when the flow was registered. Pure, no I/O.

A flow is one person's move from one county to another (an outflow or inflow, a move on, a
return home), counted once, at the first event that tells of it (``case_state.FlowRecord``).
It counts for the region and for both counties, and for each county by direction: a flow
leaving it is one of its outflows (its side as origin), one arriving is one of its inflows
(its side as destination). The tally of a partition is a function of its cases alone, so it
is rebuilt from the cases table after a restart. Figures are published per agent partition,
and a reader sums the newest figure of every partition.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from agents.case_state import CaseState, FlowRecord
from agents.derivation import envelope_of
from contracts.events.clock import ClockTicked
from contracts.events.derived import AgreementCoveragePublished, CoverageFigure

NAMESPACE = uuid.UUID("0c7e4f51-2a9d-4b36-8e1f-5d6a7b8c9d01")
REGION_SCOPE = "region"


# Positions in a scope's tally: [flows, covered, outflows, outflows covered, inflows, ...].
FLOWS, OUT, IN = 0, 2, 4


@dataclass
class CoverageTally:
    """period -> scope -> [flows, covered, outflows, outflows covered, inflows, inflows
    covered]; mutable, owned by one partition's agent."""

    periods: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)  # periods changed since last published

    def add(self, flow: FlowRecord) -> None:
        counts = self.periods.setdefault(flow.period, {})
        covered = int(flow.covered)
        for scope, direction in (
            (REGION_SCOPE, None),
            (flow.origin, OUT),
            (flow.destination, IN),
        ):
            tally = counts.setdefault(scope, [0, 0, 0, 0, 0, 0])
            for at in (FLOWS,) if direction is None else (FLOWS, direction):
                tally[at] += 1
                tally[at + 1] += covered
        self.changed.add(flow.period)

    def add_new(self, before: CaseState | None, after: CaseState) -> None:
        """Count the flows ``after`` recorded that ``before`` had not."""
        for flow in after.flows[len(before.flows) if before else 0 :]:
            self.add(flow)

    def figures(self, period: str) -> Mapping[str, list[int]]:
        return self.periods.get(period, {})


def publish(
    tally: CoverageTally, tick: ClockTicked, *, region: str, partition: int
) -> list[AgreementCoveragePublished]:
    """On a tick, the figures of every period that changed since the last publication
    (the caller clears ``tally.changed`` once they are sent)."""
    events = []
    for period in sorted(tally.changed):
        event_id = uuid.uuid5(NAMESPACE, f"{tick.event_id}:{partition}:{period}")
        figures = tuple(
            _figure(scope, counts) for scope, counts in sorted(tally.figures(period).items())
        )
        events.append(
            AgreementCoveragePublished(
                event_id=event_id,
                schema_version=AgreementCoveragePublished.SCHEMA_VERSION,
                **envelope_of(tick, region),
                period=period,
                partition=partition,
                figures=figures,
            )
        )
    return events


def _figure(scope: str, counts: list[int]) -> CoverageFigure:
    flows, covered, outflows, outflows_covered, inflows, inflows_covered = counts
    if scope == REGION_SCOPE:
        return CoverageFigure(scope=scope, flows=flows, covered=covered)
    return CoverageFigure(
        scope=scope,
        flows=flows,
        covered=covered,
        outflows=outflows,
        outflows_covered=outflows_covered,
        inflows=inflows,
        inflows_covered=inflows_covered,
    )


def ratio(flows: int, covered: int) -> float:
    return covered / flows if flows else 0.0
