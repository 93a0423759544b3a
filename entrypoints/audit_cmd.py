"""``liudong audit person|county|log``: the histories :mod:`audit.history` reads, as tables or
JSON, each read recorded in the audit log (:mod:`entrypoints.audit_actions`).

Import-light (argparse only at import): ``entrypoints/cli.py`` calls :func:`add_parser` while
building its parser, for every command, and :func:`run` to dispatch.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from entrypoints.arguments import (
    AddParser,
    UsageParser,
    county_code,
    instant,
    period,
    positive_int,
    utc_flag,
)

if TYPE_CHECKING:
    from infra.settings import Settings


def add_parser(add: AddParser) -> None:
    audit = add("audit", help="timelines with their causes; reads are audited")
    audit_sub = audit.add_subparsers(dest="action", required=True, parser_class=UsageParser)
    person = audit_sub.add_parser("person", help="a person's events and decisions")
    person.add_argument(
        "subject", help="a national ID number, a person key or a unique prefix (8+ hex) of one"
    )
    person.add_argument("--as-of", type=instant)
    county = audit_sub.add_parser("county", help="a county's obligations in a period")
    county.add_argument("county", type=county_code)
    county.add_argument("--period", required=True, type=period, help="2026-03, 2026-Q1 or 2026")
    audit_log = audit_sub.add_parser("log", help="who read which personal data, when")
    audit_log.add_argument("--limit", type=positive_int, default=50)
    for each in (person, county, audit_log):
        each.add_argument("--format", choices=("table", "json"), default="table")
        utc_flag(each)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from contracts.human_time import zone
    from entrypoints.audit_actions import cmd_audit_county, cmd_audit_log, cmd_audit_person

    shown = zone(args.utc)
    if args.action == "person":
        return cmd_audit_person(
            settings, args.subject, as_of=args.as_of, fmt=args.format, zone=shown
        )
    if args.action == "county":
        return cmd_audit_county(
            settings, args.county, period=args.period, fmt=args.format, zone=shown
        )
    return cmd_audit_log(settings, limit=args.limit, fmt=args.format, zone=shown)
