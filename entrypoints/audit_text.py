"""What ``liudong audit`` prints as tables: a person's timeline with its causes, the
obligations as they stand, a county's obligations with their lifecycles, the audit log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from audit import obligation_view
from audit.history_reports import CountyReport, PersonReport
from contracts import obligation_vocabulary as vocabulary
from contracts.human_time import LOCAL, Zone


def person_table(report: PersonReport, zone: Zone = LOCAL) -> list[str]:
    as_of = zone.show(report.as_of) if report.as_of else "now"
    out = [f"person {report.person_key}  as of {as_of}", ""]
    out.append(f"{'when (' + zone.name + ')':<16}  {'event':<28} {'by':<22} detail")
    for e in report.timeline:
        name = ("↳ " if e.derived else "") + e.event_type
        out.append(f"{zone.minutes(e.occurred_at)}  {name:<28} {e.publisher_id:<22} {e.detail()}")
        if e.causes:
            out.append(f"{'':<18}  caused by " + " <- ".join(c.label(zone) for c in e.causes))
    out += ["", f"obligations as of {as_of}:"]
    out += obligation_table(report.obligations, zone)
    return out


def obligation_table(
    rows: Iterable[obligation_view.ObligationRow], zone: Zone = LOCAL
) -> list[str]:
    out = [
        f"  {'due (' + zone.name + ')':<16}  {'status':<17} {'kind':<24} {'on':<7} {'for':<7} flags"
    ]
    for r in rows:
        out.append(
            f"  {zone.minutes(r.due_at)}  {r.status:<17} {r.kind:<24} "
            f"{r.responsible:<7} {r.counterpart:<7} {','.join(r.flags()) or '-'}"
        )
    return out


def county_table(report: CountyReport, zone: Zone = LOCAL) -> list[str]:
    out = [
        f"county {report.county}  period {report.period} "
        f"[{zone.show(report.start)}, {zone.show(report.end)})  "
        f"{len(report.obligations)} obligation(s)"
    ]
    for ob in report.obligations:
        r = ob.record
        due = zone.minutes(r["due_at"]) if r["due_at"] else "?"
        status = vocabulary.status(vocabulary.Row.of(r))
        out.append("")
        out.append(
            f"{r['obligation_id']}  {r['kind'] or '?'}  on {r['responsible_county']} "
            f"for {r['counterpart_county'] or '?'}  due {due} {zone.name}  {status}  "
            f"person {r['person_key']}"
        )
        for e in ob.lifecycle:
            causes = " <- ".join(c.label(zone) for c in e.causes) or "-"
            out.append(f"  {zone.minutes(e.occurred_at)}  {e.event_type:<22} caused by {causes}")
    return out


def log_table(rows: Sequence[dict[str, Any]], zone: Zone = LOCAL) -> list[str]:
    out = [
        f"{'read at (' + zone.name + ')':<19}  {'operator':<14} {'command':<14} "
        f"{'subject':<24} rows"
    ]
    for r in rows:
        subject = str(r["subject"])
        if r["subject_kind"] == "person":
            subject = f"person {subject}"
        else:
            subject = f"county {subject} {r['period'] or ''}".rstrip()
        as_of = f" as of {zone.show(r['as_of'])}" if r["as_of"] else ""
        out.append(
            f"{zone.at(r['read_at']):%Y-%m-%d %H:%M:%S}  {r['operator']:<14} "
            f"{r['command']:<14} {subject:<24} {r['rows_returned']}{as_of}"
        )
    return out
