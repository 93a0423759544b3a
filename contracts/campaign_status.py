"""A clean-up campaign's state for people: open, open past its deadline, or closed.

The logical clock decides "past its deadline", as it decides every deadline: a campaign is
``overdue_open`` once the clock has passed its deadline and the region has neither extended
nor closed it. ``liudong campaign status`` and the dashboard both say it with this rule;
``liudong campaign status`` and the bulletin read a campaign's progress with :func:`progress`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from contracts.events.derived import CampaignProgressPublished

State = Literal["open", "overdue_open", "closed"]
STATES: tuple[State, ...] = ("open", "overdue_open", "closed")


def state_of(closed: bool, deadline: dt.datetime | None, clock: dt.datetime | None) -> State:
    if closed:
        return "closed"
    if deadline is not None and clock is not None and clock > deadline:
        return "overdue_open"
    return "open"


def progress(events: Sequence[Any], campaign_id: str | None) -> dict[str, dict[str, Any]]:
    """Per campaign: the sum over partitions of each one's newest figures, by county and kind."""
    newest: dict[tuple[str, int], CampaignProgressPublished] = {}
    for e in events:
        if not isinstance(e, CampaignProgressPublished):
            continue
        if campaign_id is not None and e.campaign_id != campaign_id:
            continue
        key = (e.campaign_id, e.partition)
        if key not in newest or e.occurred_at >= newest[key].occurred_at:
            newest[key] = e
    out: dict[str, dict[str, Any]] = {}
    for (cid, _), e in sorted(newest.items()):
        doc = out.setdefault(cid, {"closed": False, "figures": {}})
        doc["closed"] = doc["closed"] or e.closed
        for f in e.figures:
            row = doc["figures"].setdefault((f.county, f.check), [0, 0, 0])
            row[0] += f.assigned
            row[1] += f.answered
            row[2] += f.overdue
    return out
