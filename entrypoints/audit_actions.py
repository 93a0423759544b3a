"""What ``liudong audit person|county|log`` do: read the projection through
:mod:`audit.history` (each read recorded in the audit log), print a table
(:mod:`entrypoints.audit_text`) or JSON, and say in one line when there is nothing to show
(exit 1) or the subject or period is not valid (exit 2)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

from audit.history import (
    EXIT_ERROR,
    EXIT_NOTHING,
    NotInLog,
    audit_rows,
    operator,
    person_by_prefix,
    read_county,
    read_person,
    resolve_person,
    run_on_projection,
)
from audit.history_reports import CountyReport, PersonReport, jsonable
from contracts import periods
from contracts.human_time import LOCAL, Zone
from entrypoints.audit_text import county_table, log_table, person_table
from infra.projection import reads
from infra.settings import Settings


def cmd_audit_person(
    settings: Settings,
    subject: str,
    *,
    as_of: dt.datetime | None = None,
    fmt: str = "table",
    zone: Zone = LOCAL,
) -> int:
    try:
        asked = resolve_person(subject, _secret(settings))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR

    async def go(conn: Any) -> tuple[PersonReport, reads.LogSpan, Any]:
        who = operator()
        key = asked.key or await person_by_prefix(conn, asked.prefix or "", who)
        report = await read_person(conn, key, as_of=as_of, prefix=settings.topic_prefix, who=who)
        return report, await reads.log_span(conn), await reads.person_span(conn, key)

    try:
        done = run_on_projection(settings, go)
    except NotInLog as exc:
        return _nothing(str(exc))
    if done is None:
        return EXIT_ERROR
    report, span, first_seen = done
    if not report.timeline:
        if first_seen is None:
            return _nothing(f"no person with key {report.person_key} in the log")
        return _nothing(
            f"person {report.person_key} has no events by {zone.show(as_of)}: "
            f"the first is at {zone.show(first_seen)}"
        )
    if as_of is not None and span.last is not None and as_of > span.last:
        print(
            f"note: {zone.show(as_of)} is after the log's last event ({zone.show(span.last)}): "
            "this is the person's whole history so far",
            file=sys.stderr,
        )
    if fmt == "json":
        print(json.dumps(report.as_json(zone), ensure_ascii=False, indent=1))
    else:
        print("\n".join(person_table(report, zone)))
        print(f"{len(report.timeline)} event(s); this read is in the audit log", file=sys.stderr)
    return 0


def cmd_audit_county(
    settings: Settings, county: str, *, period: str, fmt: str = "table", zone: Zone = LOCAL
) -> int:
    try:
        asked = periods.parse(period)
    except periods.PeriodError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR

    async def go(conn: Any) -> tuple[CountyReport | None, reads.LogSpan, bool]:
        span = await reads.log_span(conn)
        known = await reads.county_is_party(conn, county)
        if not known or span.clock is None or asked.start > span.clock:
            return None, span, known
        report = await read_county(
            conn, county, period=asked.text, prefix=settings.topic_prefix, who=operator()
        )
        return report, span, known

    done = run_on_projection(settings, go)
    if done is None:
        return EXIT_ERROR
    report, span, known = done
    if not known:
        return _nothing(f"county {county} is party to no obligation in the log")
    if report is None:
        return _nothing(
            f"period {asked.text} begins after the log's clock ({zone.show(span.clock)}): "
            "nothing to show"
        )
    if span.clock is not None and span.clock < asked.end:
        print(
            f"note: period {asked.text} is not over: the log's clock is at "
            f"{zone.show(span.clock)}, the period ends at {zone.show(asked.end)}",
            file=sys.stderr,
        )
    if fmt == "json":
        print(json.dumps(report.as_json(zone), ensure_ascii=False, indent=1))
    else:
        print("\n".join(county_table(report, zone)))
    if not report.obligations:
        return _nothing(f"no obligation of county {county} was live in {asked.text}")
    return 0


def cmd_audit_log(
    settings: Settings, *, limit: int = 50, fmt: str = "table", zone: Zone = LOCAL
) -> int:
    async def go(conn: Any) -> list[dict[str, Any]]:
        return await audit_rows(conn, limit)

    rows = run_on_projection(settings, go)
    if rows is None:
        return EXIT_ERROR
    if fmt == "json":
        doc = [{k: jsonable(v, zone) for k, v in r.items()} for r in rows]
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        print("\n".join(log_table(rows, zone)))
    return 0


def _nothing(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_NOTHING


def _secret(settings: Settings) -> bytes | None:
    """The person-key secret if one is configured or was generated; never generates one."""
    configured = settings.person_key_secret
    if configured is not None:
        return configured.get_secret_value().encode()
    path = settings.keys_dir / "person-key.secret"
    return path.read_text().strip().encode() if path.exists() else None
