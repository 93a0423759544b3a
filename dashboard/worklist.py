"""The obligations worklist: filtered by state, responsible county, kind and days overdue,
with its total, one page of rows, and the same rows as CSV for a spreadsheet.

The states are the vocabulary's counts (:mod:`contracts.obligation_vocabulary`), so the
list of a state has as many rows as its tile says. **Days overdue** is how far past its due
instant an obligation went, in whole days: to its answer (or cancellation) if it has one,
else to the logical clock; an obligation never breached has none. The filter keeps rows at
least that many days overdue.

The CSV is UTF-8 with a byte-order mark (Excel on a county office PC reads Chinese
correctly only then), times in Beijing time, headers in the page's language.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts import obligation_vocabulary as vocabulary
from contracts.human_time import LOCAL
from contracts.languages import Lang
from contracts.words.obligations import OBLIGATION_KINDS
from contracts.words.table import word
from dashboard import scope
from dashboard.auth import Principal
from dashboard.csv_words import HEADERS, YES_NO
from dashboard.figures import with_status
from dashboard.names import chinese, english
from dashboard.sql_args import Args

DEFAULT_STATE = "open"
PAGE = 50
MAX_PAGE = 500
CSV_LIMIT = 100_000  # rows in one export; the page says so when there are more
BOM = "\ufeff"
_COUNTY = re.compile(r"^[0-9]{6}$")
_KIND = re.compile(r"^[a-z_]{1,40}$")


class FilterError(ValueError):
    """A filter the worklist does not take; the message is one line for the operator."""


@dataclass(frozen=True, slots=True)
class Filter:
    state: str = DEFAULT_STATE
    county: str | None = None  # the responsible county
    kind: str | None = None
    min_days_overdue: int | None = None

    @classmethod
    def of(cls, query: Mapping[str, str]) -> Filter:
        """From a request's query string; FilterError for anything it cannot take."""
        state = query.get("state") or DEFAULT_STATE
        if state not in vocabulary.NAMES:
            raise FilterError(f"state must be one of {', '.join(vocabulary.NAMES)}")
        county = query.get("county") or None
        if county is not None and not _COUNTY.match(county):
            raise FilterError("county must be a 6-digit county code")
        kind = query.get("kind") or None
        if kind is not None and (not _KIND.match(kind) or kind not in OBLIGATION_KINDS):
            raise FilterError(f"kind must be one of {', '.join(OBLIGATION_KINDS)}")
        days = query.get("min_days_overdue") or None
        if days is not None and (not days.isdigit() or int(days) > 10_000):
            raise FilterError("min_days_overdue must be a whole number of days, 0..10000")
        return cls(state, county, kind, None if days is None else int(days))

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "county": self.county,
            "kind": self.kind,
            "min_days_overdue": self.min_days_overdue,
        }


COLUMNS = (
    "o.obligation_id, o.person_key, o.kind, o.responsible_county, o.counterpart_county,"
    " o.opened_at, o.due_at, o.state, o.urgent, o.agreement_id, o.reminded_at, o.breached_at,"
    " o.escalated_at, o.escalated_to, o.fulfilled_at, o.cancelled_at, o.late"
)


def _days_overdue(clock: str) -> str:
    """Whole days past due, to the answer or the clock; NULL unless breached."""
    return (
        "CASE WHEN " + vocabulary.sql("breached", alias="o") + " THEN floor(extract(epoch FROM"
        " (coalesce(o.fulfilled_at, o.cancelled_at, " + clock + "::timestamptz) - o.due_at))"
        " / 86400)::int END"
    )


def where(p: Principal, f: Filter, clock: dt.datetime | None, args: Args) -> str:
    """The WHERE clause of ``f`` in ``p``'s scope (its values appended to ``args``)."""
    c = vocabulary.count(f.state)
    horizon = args.next if c.due_within is not None else None
    if horizon is not None:
        args.add(vocabulary.horizon(clock))
    parts = [vocabulary.sql(f.state, alias="o", horizon_arg=horizon)]
    w = scope.obligations(p, arg=args.next)
    args.extend(w.args)
    parts.append(w.sql)
    if f.county is not None:
        parts.append("o.responsible_county = " + args.add(f.county))
    if f.kind is not None:
        parts.append("o.kind = " + args.add(f.kind))
    if f.min_days_overdue is not None:
        parts.append(_days_overdue(args.add(clock)) + " >= " + args.add(f.min_days_overdue))
    return " AND ".join(parts)


def total_sql(p: Principal, f: Filter, clock: dt.datetime | None) -> tuple[str, list[Any]]:
    args = Args()
    clause = where(p, f, clock, args)
    return "SELECT count(*) FROM obligations o WHERE " + clause, args.values  # noqa: S608


def rows_sql(
    p: Principal, f: Filter, clock: dt.datetime | None, limit: int, offset: int
) -> tuple[str, list[Any]]:
    """One page of the rows, due first, each with its days overdue."""
    args = Args()
    clause = where(p, f, clock, args)
    days = _days_overdue(args.add(clock))
    sql = (
        "SELECT " + COLUMNS + ", " + days + " AS days_overdue"  # noqa: S608
        " FROM obligations o WHERE " + clause + " ORDER BY o.due_at NULLS LAST, o.obligation_id"
        " LIMIT " + args.add(limit) + " OFFSET " + args.add(offset)
    )
    return sql, args.values


async def page(
    conn: Any, p: Principal, f: Filter, clock: dt.datetime | None, limit: int, offset: int
) -> dict[str, Any]:
    count_sql, count_args = total_sql(p, f, clock)
    total = int(await conn.fetchval(count_sql, *count_args))
    sql, args = rows_sql(p, f, clock, limit, offset)
    items = [with_status(r) for r in await conn.fetch(sql, *args)]
    return {"filter": f.as_json(), "total": total, "items": items}


# --- CSV -----------------------------------------------------------------------------------------


def _time(value: dt.datetime | None) -> str:
    return "" if value is None else LOCAL.minutes(value)


def _name(code: str | None, lang: Lang) -> str:
    if not code:
        return ""
    return chinese(code) if lang == "zh" else english(code)


def csv_text(records: list[Mapping[str, Any]], lang: Lang) -> str:
    """The rows as CSV text, byte-order mark first."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS[lang])
    yes, no = YES_NO[lang]
    for r in records:
        status = vocabulary.count(vocabulary.status(vocabulary.Row.of(r))).label(lang)
        writer.writerow(
            (
                r["obligation_id"],
                r["person_key"],
                word(OBLIGATION_KINDS, r["kind"] or "", lang),
                r["responsible_county"],
                _name(r["responsible_county"], lang),
                r["counterpart_county"] or "",
                _name(r["counterpart_county"], lang),
                _time(r["opened_at"]),
                _time(r["due_at"]),
                status,
                yes if r["breached_at"] is not None else no,
                yes if r["escalated_at"] is not None else no,
                "" if r["days_overdue"] is None else r["days_overdue"],
                _time(r["fulfilled_at"]),
                _time(r["cancelled_at"]),
            )
        )
    return out.getvalue()


async def export(conn: Any, p: Principal, f: Filter, clock: dt.datetime | None, lang: Lang) -> str:
    sql, args = rows_sql(p, f, clock, CSV_LIMIT, 0)
    return csv_text(list(await conn.fetch(sql, *args)), lang)
