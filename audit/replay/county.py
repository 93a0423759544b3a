"""``liudong replay --county CODE [--as-of INSTANT]``: one county's state at an instant, from
the log, for an auditor. Pure apart from printing.

What the county was party to when the log reached the instant (the replay's state): its
cases (:func:`audit.replay.outcome.party`), the obligations it was responsible for or
counterpart to, each with the vocabulary's status and counts
(:mod:`contracts.obligation_vocabulary`), and its scorecards for the periods closed by then
(:mod:`audit.replay.scorecards`). Labels are Chinese first, English after; times in
Beijing time (``--utc``: UTC), zone named; person keys in full. Person keys are personal
data: the command records the read in the audit log before it shows anything.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agents.case_state import CaseState, Obligation
from audit.replay.scorecards import Card
from contracts import divisions
from contracts import obligation_vocabulary as vocabulary
from contracts.human_time import LOCAL, Zone
from contracts.words.assessment import LEAGUE

# A side with no score: too few settled obligations of its own.
NOT_ASSESSED, NOT_ASSESSED_EN = LEAGUE["not_assessed"]
CASE_STATUS = {
    "active": "在册 active",
    "lost_contact": "失联 lost contact",
    "closed": "结案 closed",
}


@dataclass(frozen=True, slots=True)
class Held:
    """One obligation of the county, with the person it concerns."""

    person_key: str
    obligation: Obligation

    @property
    def status(self) -> vocabulary.CountName:
        return vocabulary.status(self.obligation)


@dataclass(frozen=True, slots=True)
class CountySnapshot:
    county: str
    as_of: dt.datetime | None
    clock: dt.datetime | None  # the logical clock the replay reached
    cases: tuple[CaseState, ...]
    obligations: tuple[Held, ...]  # due first
    cards: tuple[Card, ...]  # by period

    @classmethod
    def of(
        cls,
        county: str,
        cases: Sequence[CaseState],
        cards: Sequence[Card],
        *,
        as_of: dt.datetime | None,
        clock: dt.datetime | None,
    ) -> CountySnapshot:
        held = [
            Held(case.person_key, ob)
            for case in cases
            for ob in case.obligations
            if county in (ob.responsible, ob.counterpart)
        ]
        held.sort(key=lambda h: (h.obligation.due_at, h.obligation.obligation_id))
        mine = sorted((c for c in cards if c.county == county), key=lambda c: c.period)
        return cls(county, as_of, clock, tuple(cases), tuple(held), tuple(mine))

    @property
    def rows(self) -> int:
        """What the audit log records as read: cases, obligations and scorecards shown."""
        return len(self.cases) + len(self.obligations) + len(self.cards)

    def counts(self) -> dict[str, int]:
        return vocabulary.counts((h.obligation for h in self.obligations), self.clock)

    def as_json(self, zone: Zone = LOCAL) -> dict[str, Any]:
        return {
            "county": self.county,
            "name": divisions.name_of(self.county),
            "as_of": zone.iso(self.as_of),
            "logical_clock": zone.iso(self.clock),
            "cases": [_case_json(c, zone) for c in self.cases],
            "counts": self.counts(),
            "obligations": [_held_json(h, zone) for h in self.obligations],
            "scorecards": [c.as_json() for c in self.cards],
        }

    def lines(self, zone: Zone = LOCAL) -> list[str]:
        when = zone.show(self.as_of) if self.as_of else "日志末尾 the log's end"
        out = [
            f"县 county {self.county} {divisions.name_of(self.county)}  截至 as of {when}  "
            f"逻辑时钟 logical clock {zone.show(self.clock)}",
            "",
            f"案件 cases: {len(self.cases)}",
            _row(
                ["人员 person key", "流出地", "流入地", "负责县", "状态 status"],
                f"最近活动 last activity ({zone.name})",
                CASE_WIDTHS,
            ),
        ]
        for c in self.cases:
            status = CASE_STATUS.get(c.status, c.status)
            where = [c.origin or "-", c.destination or "-", c.owner or "-"]
            out.append(
                _row([c.person_key, *where, status], zone.minutes(c.last_activity), CASE_WIDTHS)
            )
        counts = self.counts()
        out += ["", f"义务 obligations: {len(self.obligations)}"]
        out += [f"  {c.zh} {c.en}: {counts[c.name]}" for c in vocabulary.COUNTS if counts[c.name]]
        head = [f"到期 due ({zone.name})", "状态 status", "类型 kind", "责任县", "对方"]
        out.append(_row(head, "人员 person key", OBLIGATION_WIDTHS))
        for h in self.obligations:
            ob, count = h.obligation, vocabulary.BY_NAME[h.status]
            flags = [n for n, on in (("reminded", ob.reminded), ("escalated", ob.escalated)) if on]
            status = f"{count.zh} {count.en}" + (f" ({','.join(flags)})" if flags else "")
            due = zone.minutes(ob.due_at)
            out.append(
                _row([due, status, ob.kind, ob.responsible, ob.counterpart], h.person_key,
                     OBLIGATION_WIDTHS)
            )  # fmt: skip
        out += ["", f"考核 scorecards (closed periods): {len(self.cards)}"]
        out.append(
            _row(
                ["期间 period", "流出地 origin", "流入地 destination"], "综合 combined", CARD_WIDTHS
            )
        )
        for card in self.cards:
            scores = [_score(card.origin), _score(card.destination)]
            out.append(_row([card.period, *scores], _score(card.combined), CARD_WIDTHS))
        if any(None in (c.origin, c.destination) for c in self.cards):
            out.append(
                f"  {NOT_ASSESSED} = {NOT_ASSESSED_EN}: too few settled obligations of its own"
            )
        return out


CASE_WIDTHS = (64, 6, 6, 6, 18)
OBLIGATION_WIDTHS = (20, 30, 24, 6, 6)
CARD_WIDTHS = (12, 14, 18)


def _columns(text: str) -> int:
    """Terminal columns ``text`` takes (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _row(cells: Sequence[str], last: str, widths: Sequence[int]) -> str:
    padded = [
        cell + " " * max(width - _columns(cell), 0)
        for cell, width in zip(cells, widths, strict=True)
    ]
    return "  " + "  ".join([*padded, last])


def _score(value: float | None) -> str:
    return NOT_ASSESSED if value is None else f"{value:.2f}"


def _case_json(case: CaseState, zone: Zone) -> dict[str, Any]:
    return {
        "person_key": case.person_key,
        "origin": case.origin,
        "destination": case.destination,
        "owner": case.owner,
        "status": case.status,
        "last_activity": zone.iso(case.last_activity),
        "obligations": len(case.obligations),
        "open_obligations": len(case.open_obligations()),
    }


def _held_json(h: Held, zone: Zone) -> dict[str, Any]:
    ob = h.obligation
    return {
        "obligation_id": ob.obligation_id,
        "person_key": h.person_key,
        "kind": ob.kind,
        "responsible": ob.responsible,
        "counterpart": ob.counterpart,
        "status": h.status,
        "status_zh": vocabulary.BY_NAME[h.status].zh,
        "state": ob.state,
        "reminded": ob.reminded,
        "breached": ob.breached,
        "escalated": ob.escalated,
        "late": ob.late,
        "opened_at": zone.iso(ob.opened_at),
        "due_at": zone.iso(ob.due_at),
    }
