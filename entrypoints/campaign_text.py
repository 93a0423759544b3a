"""What ``liudong campaign status`` prints: a table per campaign, or one JSON document."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from contracts.campaign_book import Book, Campaign
from contracts.campaign_status import state_of
from contracts.human_time import LOCAL, Zone

STATE_WORDS = {
    "open": "open",
    "overdue_open": "OPEN PAST ITS DEADLINE: extend or close it",
    "closed": "closed",
}


def _state(doc: dict[str, Any], known: Campaign | None, clock: dt.datetime | None) -> str:
    closed = doc["closed"] or (known is not None and known.closed)
    return state_of(closed, None if known is None else known.deadline, clock)


def status_lines(
    report: dict[str, dict[str, Any]], books: Book | None = None, shown: Zone = LOCAL
) -> list[str]:
    if not report:
        return ["no campaign progress published yet"]
    known = books or Book({}, None)
    lines = []
    for cid, doc in report.items():
        rows = doc["figures"]
        total = [sum(r[i] for r in rows.values()) for i in range(3)]
        campaign = known.campaigns.get(cid)
        state = _state(doc, campaign, known.clock)
        head = f"{cid} ({STATE_WORDS[state]})"
        if state == "overdue_open" and campaign is not None and known.clock is not None:
            late = (known.clock - campaign.deadline).days
            head = f"{cid} (OPEN PAST ITS DEADLINE by {late} days: extend or close it)"
        lines.append(f"{head}: {total[0]} assigned, {total[1]} answered, {total[2]} overdue")
        if campaign is not None:
            lines.append(
                f"  period   {shown.minutes(campaign.period_start)} to "
                f"{shown.minutes(campaign.period_end)} {shown.name}"
            )
            lines.append(
                f"  deadline {shown.show(campaign.deadline)}"
                f" (logical clock {shown.show(known.clock)})"
            )
        lines.append(
            f"  {'county':<6}  {'check':<18}  {'assigned':>8}  {'answered':>8}  {'overdue':>7}"
        )
        for (county, check), (assigned, answered, overdue) in sorted(rows.items()):
            lines.append(f"  {county:<6}  {check:<18}  {assigned:>8}  {answered:>8}  {overdue:>7}")
    return lines


def status_json(
    report: dict[str, dict[str, Any]], books: Book | None = None, shown: Zone = LOCAL
) -> str:
    known = books or Book({}, None)
    doc = {}
    for cid, d in report.items():
        campaign = known.campaigns.get(cid)
        figures = [
            {"county": c, "check": k, "assigned": a, "answered": n, "overdue": o}
            for (c, k), (a, n, o) in sorted(d["figures"].items())
        ]
        doc[cid] = {
            "closed": d["closed"] or (campaign is not None and campaign.closed),
            "state": _state(d, campaign, known.clock),
            "clock": shown.iso(known.clock),
            "period_start": None if campaign is None else shown.iso(campaign.period_start),
            "period_end": None if campaign is None else shown.iso(campaign.period_end),
            "deadline": None if campaign is None else shown.iso(campaign.deadline),
            "counties": [] if campaign is None else sorted(campaign.counties),
            "assigned": sum(f["assigned"] for f in figures),
            "answered": sum(f["answered"] for f in figures),
            "overdue": sum(f["overdue"] for f in figures),
            "figures": figures,
        }
    return json.dumps(doc, ensure_ascii=False, indent=1)
