"""The one obligation vocabulary: an obligation's life cycle, and the counts an operator reads,
with their Chinese and English labels and how each is computed. Pure, no I/O.

Every reader imports it: the case rules (the authority on transitions), the projector's SQL
guards and counts, ``liudong obligations``, the dashboard, the assessment, the replay, the
audit and the demo. The same question therefore gets the same number everywhere.

**Life cycle.** An obligation is ``opened``, may be ``reminded``, is ``breached`` on the
first logical-clock tick past its due instant, ``escalated`` to the region later still, and
ends ``fulfilled`` (on time or late: the breach stands) or ``cancelled``. :data:`MOVES_FROM`
says from which states each transition may move it; a transition from any other state leaves
the state as it is (a late tick cannot reopen a fulfilled obligation).

**Counts.** What an operator reads is not the life-cycle state but these counts, which may
overlap (an obligation answered after its escalation is breached, escalated and fulfilled
late):

===================  ==========  ==================  =====================================
name                 中文         English             an obligation counts when
===================  ==========  ==================  =====================================
open                 未办结       Open                neither fulfilled nor cancelled
due_soon             7日内到期    Due within 7 days   open, not yet past due, due by the
                                                      logical clock plus 7 days
overdue              逾期未办     Overdue             open and past due (a tick breached it)
breached             逾期         Breached            ever past due unanswered, answered
                                                      since or not
fulfilled_on_time    按时办结     Fulfilled on time   fulfilled and never breached
fulfilled_late       逾期办结     Fulfilled late      fulfilled after it was breached
escalated            已上报督办   Escalated           ever escalated to the region
cancelled            已取消       Cancelled           cancelled (the duty lapsed)
===================  ==========  ==================  =====================================

The Chinese labels are the words a county office uses: 逾期 for a deadline missed (违约
would read as a breach of contract), 上报督办 for a case sent up to the region, 办结 for a
duty done.

**Terms.** Two more words every reader states the same way (:data:`TERMS`): *fulfilled*
(办结, on time or late) and *settled* (已计分): fulfilled, or past due whether answered
since or not, which is what the assessment's scores count (:func:`settled`). Settled is not
written with 办 or 结: a breached obligation still unanswered is settled (it counts against
its county) and 未办结 (open) at once, and the two words must not read as the same thing.

"Past due" is decided by the logical clock, as the agents decided it: an obligation is past
due once the tick that breached it was applied, so every view agrees without a clock of its
own. Only ``due_soon`` looks ahead, from the logical clock a reader passes in.

A row shows one **status**: the first of ``overdue``, ``open``, ``fulfilled_late``,
``fulfilled_on_time``, ``cancelled`` it is counted in. ``--state`` in the CLI and ``?state=``
in the API accept exactly the count names, and list what the count counts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, Protocol

from contracts.languages import Lang

LifecycleState = Literal["opened", "reminded", "breached", "escalated", "fulfilled", "cancelled"]
LIFECYCLE: tuple[LifecycleState, ...] = (
    "opened",
    "reminded",
    "breached",
    "escalated",
    "fulfilled",
    "cancelled",
)
OPEN_STATES: frozenset[LifecycleState] = frozenset({"opened", "reminded", "breached", "escalated"})
CLOSED_STATES: frozenset[LifecycleState] = frozenset({"fulfilled", "cancelled"})
ANY_STATE: frozenset[LifecycleState] = frozenset(LIFECYCLE)

# Transition -> the states it may move an obligation from (to the state of the same name).
MOVES_FROM: Mapping[LifecycleState, frozenset[LifecycleState]] = MappingProxyType(
    {
        "reminded": frozenset({"opened"}),
        "breached": frozenset({"opened", "reminded"}),
        "escalated": OPEN_STATES,
        "fulfilled": OPEN_STATES,
        "cancelled": OPEN_STATES,
    }
)

DUE_SOON = dt.timedelta(days=7)


def after(state: LifecycleState, transition: LifecycleState) -> LifecycleState:
    """The state after ``transition``: its own name if allowed from ``state``, else ``state``."""
    return transition if state in MOVES_FROM[transition] else state


class Facts(Protocol):
    """What the counts read of an obligation (each reader's row type has these)."""

    @property
    def state(self) -> str: ...

    @property
    def breached(self) -> bool: ...

    @property
    def escalated(self) -> bool: ...

    @property
    def due_at(self) -> dt.datetime | None: ...


CountName = Literal[
    "open",
    "due_soon",
    "overdue",
    "breached",
    "fulfilled_on_time",
    "fulfilled_late",
    "escalated",
    "cancelled",
]


@dataclass(frozen=True, slots=True)
class Count:
    """One count, stated once: Python (:meth:`holds`) and SQL (:func:`sql`) both read it."""

    name: CountName
    zh: str
    en: str
    meaning: str
    states: frozenset[LifecycleState]  # the life-cycle states it takes
    breached: bool | None = None  # True: ever breached; False: never; None: either
    escalated: bool | None = None
    due_within: dt.timedelta | None = None  # due by the logical clock plus this

    def holds(self, facts: Facts, clock: dt.datetime | None = None) -> bool:
        if facts.state not in self.states:
            return False
        if self.breached is not None and facts.breached != self.breached:
            return False
        if self.escalated is not None and facts.escalated != self.escalated:
            return False
        if self.due_within is not None:
            if clock is None or facts.due_at is None:
                return False
            return facts.due_at <= clock + self.due_within
        return True

    def label(self, lang: Lang = "zh") -> str:
        return self.zh if lang == "zh" else self.en


COUNTS: tuple[Count, ...] = (
    Count("open", "未办结", "Open", "neither fulfilled nor cancelled", OPEN_STATES),
    Count(
        "due_soon",
        "7日内到期",
        "Due within 7 days",
        "open, not yet past due, due within 7 days of the logical clock",
        OPEN_STATES,
        breached=False,
        due_within=DUE_SOON,
    ),
    Count(
        "overdue",
        "逾期未办",
        "Overdue",
        "open and past due (the logical clock passed its due instant)",
        OPEN_STATES,
        breached=True,
    ),
    Count(
        "breached",
        "逾期",
        "Breached",
        "ever past due unanswered, whether answered late since or not",
        ANY_STATE,
        breached=True,
    ),
    Count(
        "fulfilled_on_time",
        "按时办结",
        "Fulfilled on time",
        "fulfilled and never breached",
        frozenset({"fulfilled"}),
        breached=False,
    ),
    Count(
        "fulfilled_late",
        "逾期办结",
        "Fulfilled late",
        "fulfilled after it was breached (the breach stands)",
        frozenset({"fulfilled"}),
        breached=True,
    ),
    Count(
        "escalated",
        "已上报督办",
        "Escalated",
        "ever escalated to the region",
        ANY_STATE,
        escalated=True,
    ),
    Count(
        "cancelled", "已取消", "Cancelled", "cancelled: the duty lapsed", frozenset({"cancelled"})
    ),
)
BY_NAME: Mapping[str, Count] = MappingProxyType({c.name: c for c in COUNTS})
NAMES: tuple[CountName, ...] = tuple(c.name for c in COUNTS)
STATUS_ORDER: tuple[CountName, ...] = (
    "overdue",
    "open",
    "fulfilled_late",
    "fulfilled_on_time",
    "cancelled",
)


def count(name: str) -> Count:
    """The count called ``name``; ValueError (one line, listing the names) for any other."""
    found = BY_NAME.get(name)
    if found is None:
        raise ValueError(f"{name!r} is not an obligation count: use one of {', '.join(NAMES)}")
    return found


def holds(name: str, facts: Facts, clock: dt.datetime | None = None) -> bool:
    return count(name).holds(facts, clock)


def status(facts: Facts) -> CountName:
    """The one status a row shows (see the module docstring)."""
    for name in STATUS_ORDER:
        if BY_NAME[name].holds(facts):
            return name
    raise ValueError(f"obligation in unknown state {facts.state!r}")


@dataclass(frozen=True, slots=True)
class Term:
    """A word the counts do not name but every reader uses, with what it means."""

    name: str
    zh: str
    en: str
    meaning: tuple[str, str]  # (中文, English)

    def label(self, lang: Lang = "zh") -> str:
        return self.zh if lang == "zh" else self.en

    def definition(self, lang: Lang = "zh") -> str:
        """``已计分：...`` or ``Settled: ...``: the term and its meaning, one sentence."""
        zh, en = self.meaning
        return f"{self.zh}：{zh}" if lang == "zh" else f"{self.en}: {en}"


FULFILLED = Term(
    "fulfilled",
    "办结",
    "Fulfilled",
    ("按时办结或逾期办结。", "answered, on time or late."),
)
SETTLED = Term(
    "settled",
    "已计分",
    "Settled",
    (
        "已办结（按时或逾期）或已逾期。未到期的和已取消的义务不计入任何一方。",
        "fulfilled (on time or late) or past due. Obligations not yet due and cancelled "
        "ones count against nobody.",
    ),
)
TERMS: tuple[Term, ...] = (FULFILLED, SETTLED)


def settled(facts: Facts) -> bool:
    """:data:`SETTLED`: decided either way, fulfilled (on time or late) or past due. Open ones
    not yet due and cancelled ones are not settled (what the assessment counts)."""
    return facts.state != "cancelled" and (
        BY_NAME["fulfilled_on_time"].holds(facts) or BY_NAME["breached"].holds(facts)
    )


def counts(rows: Iterable[Facts], clock: dt.datetime | None = None) -> dict[str, int]:
    """Every count over ``rows``, in vocabulary order."""
    out: dict[str, int] = dict.fromkeys(NAMES, 0)
    for row in rows:
        for c in COUNTS:
            if c.holds(row, clock):
                out[c.name] += 1
    return out


def labels() -> dict[str, dict[str, str]]:
    """The counts' labels for a page: ``{name: {"zh": ..., "en": ...}}``, in order."""
    return {c.name: {"zh": c.zh, "en": c.en} for c in COUNTS}


def term_labels() -> dict[str, dict[str, str]]:
    """The terms' labels for a page: ``{name: {"zh": ..., "en": ...}}``."""
    return {t.name: {"zh": t.zh, "en": t.en} for t in TERMS}


# --- the projection's rows and SQL ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """The facts of a row of the projection's ``obligations`` table: the columns :func:`sql`
    reads (``state``, ``breached_at``, ``escalated_at``, ``due_at``)."""

    state: str
    breached: bool
    escalated: bool
    due_at: dt.datetime | None

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> Row:
        return cls(
            state=record["state"],
            breached=record["breached_at"] is not None,
            escalated=record["escalated_at"] is not None,
            due_at=record["due_at"],
        )


_ALIAS = re.compile(r"^[a-z][a-z0-9_]{0,15}$")


def sql(name: str, *, alias: str = "o", horizon_arg: int | None = None) -> str:
    """The count as a boolean SQL predicate over the projection's ``obligations`` table.

    Built from this module's constants only: state names, and the table's columns
    (``state``, ``breached_at``, ``escalated_at``, ``due_at``) under ``alias``. A count that
    looks ahead compares ``due_at`` with the ``$horizon_arg`` parameter, which the caller
    binds to :func:`horizon` of its logical clock (NULL: nothing is due soon).
    """
    c = count(name)
    if not _ALIAS.match(alias):
        raise ValueError(f"unexpected table alias {alias!r}")
    parts = []
    if c.states != ANY_STATE:
        listed = ", ".join(f"'{s}'" for s in LIFECYCLE if s in c.states)
        parts.append(alias + ".state IN (" + listed + ")")
    if c.breached is not None:
        parts.append(alias + ".breached_at IS " + ("NOT NULL" if c.breached else "NULL"))
    if c.escalated is not None:
        parts.append(alias + ".escalated_at IS " + ("NOT NULL" if c.escalated else "NULL"))
    if c.due_within is not None:
        if horizon_arg is None:
            raise ValueError(f"{name} looks ahead from the logical clock: pass horizon_arg")
        parts.append(alias + ".due_at <= $" + str(int(horizon_arg)))
    return "(" + " AND ".join(parts) + ")" if parts else "TRUE"


def horizon(clock: dt.datetime | None) -> dt.datetime | None:
    """What ``due_soon``'s SQL compares ``due_at`` with, for a logical clock (None: none)."""
    return None if clock is None else clock + DUE_SOON


def guard_sql(transition: LifecycleState, *, table: str = "obligations") -> str:
    """The projector's guard for ``transition`` as an SQL CASE over ``table.state``."""
    if not _ALIAS.match(table):
        raise ValueError(f"unexpected table name {table!r}")
    listed = ", ".join(f"'{s}'" for s in LIFECYCLE if s in MOVES_FROM[transition])
    column = table + ".state"
    return (
        "CASE WHEN " + column + " IN (" + listed + ") THEN '" + transition + "' ELSE " + column
    ) + " END"
