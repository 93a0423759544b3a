"""A clean-up campaign's state for people: open, open past its deadline, or closed.

The logical clock decides "past its deadline", as it decides every deadline: a campaign is
``overdue_open`` once the clock has passed its deadline and the region has neither extended
nor closed it. ``liudong campaign status`` and the dashboard both say it with this rule.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

State = Literal["open", "overdue_open", "closed"]
STATES: tuple[State, ...] = ("open", "overdue_open", "closed")


def state_of(closed: bool, deadline: dt.datetime | None, clock: dt.datetime | None) -> State:
    if closed:
        return "closed"
    if deadline is not None and clock is not None and clock > deadline:
        return "overdue_open"
    return "open"
