"""The one obligation vocabulary (contracts.obligation_vocabulary), by hand-made cases."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import pytest

from contracts import obligation_vocabulary as vocabulary

NOW = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Ob:
    state: str
    breached: bool = False
    escalated: bool = False
    due_at: dt.datetime | None = NOW + 3 * DAY


def names(ob: Ob, clock: dt.datetime | None = NOW) -> set[str]:
    return {c.name for c in vocabulary.COUNTS if c.holds(ob, clock)}


def test_each_count_as_the_table_says() -> None:
    assert names(Ob("opened")) == {"open", "due_soon"}
    assert names(Ob("reminded", due_at=NOW + 30 * DAY)) == {"open"}
    assert names(Ob("breached", breached=True)) == {"open", "overdue", "breached"}
    # escalated and still unanswered: open, overdue, breached and escalated at once
    assert names(Ob("escalated", breached=True, escalated=True)) == {
        "open",
        "overdue",
        "breached",
        "escalated",
    }
    assert names(Ob("fulfilled")) == {"fulfilled_on_time"}
    # answered late: the breach stands
    assert names(Ob("fulfilled", breached=True)) == {"fulfilled_late", "breached"}
    assert names(Ob("fulfilled", breached=True, escalated=True)) == {
        "fulfilled_late",
        "breached",
        "escalated",
    }
    assert names(Ob("cancelled")) == {"cancelled"}


def test_due_soon_looks_ahead_from_the_logical_clock_only() -> None:
    soon = Ob("opened", due_at=NOW + 7 * DAY)
    later = Ob("opened", due_at=NOW + 7 * DAY + dt.timedelta(seconds=1))
    assert vocabulary.holds("due_soon", soon, NOW)
    assert not vocabulary.holds("due_soon", later, NOW)
    assert not vocabulary.holds("due_soon", soon, None)  # no clock: nothing is due soon
    assert not vocabulary.holds("due_soon", Ob("breached", breached=True), NOW)  # overdue


def test_one_status_per_row_the_first_count_it_is_in() -> None:
    assert vocabulary.status(Ob("escalated", breached=True, escalated=True)) == "overdue"
    assert vocabulary.status(Ob("reminded")) == "open"
    assert vocabulary.status(Ob("fulfilled", breached=True)) == "fulfilled_late"
    assert vocabulary.status(Ob("fulfilled")) == "fulfilled_on_time"
    assert vocabulary.status(Ob("cancelled")) == "cancelled"
    with pytest.raises(ValueError, match="unknown state"):
        vocabulary.status(Ob("lost"))


def test_every_possible_obligation_has_exactly_one_status() -> None:
    for state, breached, escalated in itertools.product(
        vocabulary.LIFECYCLE, (False, True), (False, True)
    ):
        ob = Ob(state, breached, escalated)
        in_counts = names(ob) & set(vocabulary.STATUS_ORDER)
        assert vocabulary.status(ob) in in_counts
        # open and fulfilled or cancelled never overlap
        assert len(in_counts - {"overdue"}) == 1, (ob, in_counts)


def test_the_counts_of_a_set() -> None:
    rows = [
        Ob("opened"),
        Ob("breached", breached=True),
        Ob("fulfilled", breached=True),
        Ob("fulfilled"),
        Ob("cancelled"),
    ]
    assert vocabulary.counts(rows, NOW) == {
        "open": 2,
        "due_soon": 1,
        "overdue": 1,
        "breached": 2,
        "fulfilled_on_time": 1,
        "fulfilled_late": 1,
        "escalated": 0,
        "cancelled": 1,
    }
    assert list(vocabulary.counts([], NOW)) == list(vocabulary.NAMES)


def test_settled_means_decided_either_way() -> None:
    assert vocabulary.settled(Ob("fulfilled"))
    assert vocabulary.settled(Ob("fulfilled", breached=True))
    assert vocabulary.settled(Ob("breached", breached=True))
    assert not vocabulary.settled(Ob("opened"))
    assert not vocabulary.settled(Ob("cancelled"))


def test_transitions_move_only_from_the_states_they_may() -> None:
    assert vocabulary.after("opened", "reminded") == "reminded"
    assert vocabulary.after("breached", "reminded") == "breached"
    assert vocabulary.after("reminded", "breached") == "breached"
    assert vocabulary.after("escalated", "breached") == "escalated"
    assert vocabulary.after("breached", "escalated") == "escalated"
    for closed in vocabulary.CLOSED_STATES:
        for transition in vocabulary.MOVES_FROM:
            assert vocabulary.after(closed, transition) == closed  # a late tick reopens nothing
    for open_state in vocabulary.OPEN_STATES:
        assert vocabulary.after(open_state, "fulfilled") == "fulfilled"
        assert vocabulary.after(open_state, "cancelled") == "cancelled"


def test_labels_in_both_languages_for_every_count() -> None:
    labels = vocabulary.labels()
    assert list(labels) == list(vocabulary.NAMES)
    assert labels["breached"] == {"zh": "逾期", "en": "Breached"}
    assert labels["fulfilled_late"] == {"zh": "逾期办结", "en": "Fulfilled late"}
    assert all(v["zh"] and v["en"] for v in labels.values())


def test_an_unknown_count_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match="'late' is not an obligation count: use one of open, "):
        vocabulary.count("late")


def test_the_sql_is_built_from_the_same_statement() -> None:
    assert vocabulary.sql("open") == "(o.state IN ('opened', 'reminded', 'breached', 'escalated'))"
    assert vocabulary.sql("breached", alias="x") == "(x.breached_at IS NOT NULL)"
    assert vocabulary.sql("fulfilled_late") == (
        "(o.state IN ('fulfilled') AND o.breached_at IS NOT NULL)"
    )
    assert vocabulary.sql("due_soon", horizon_arg=4).endswith("AND o.due_at <= $4)")
    with pytest.raises(ValueError, match="horizon_arg"):
        vocabulary.sql("due_soon")
    with pytest.raises(ValueError, match="alias"):
        vocabulary.sql("open", alias="o; DROP TABLE obligations")
    assert vocabulary.guard_sql("breached") == (
        "CASE WHEN obligations.state IN ('opened', 'reminded') THEN 'breached' "
        "ELSE obligations.state END"
    )
    assert vocabulary.horizon(NOW) == NOW + 7 * DAY
    assert vocabulary.horizon(None) is None


def test_a_projected_row_reads_its_columns() -> None:
    record = {"state": "fulfilled", "breached_at": NOW, "escalated_at": None, "due_at": NOW}
    row = vocabulary.Row.of(record)
    assert (row.breached, row.escalated) == (True, False)
    assert vocabulary.status(row) == "fulfilled_late"
