"""``liudong audit person|county|log``: histories from the projection (:mod:`audit.history`)."""

from __future__ import annotations

import argparse

from infra.settings import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    from audit import history
    from contracts.human_time import zone

    shown = zone(args.utc)
    if args.action == "person":
        return history.cmd_audit_person(
            settings, args.subject, as_of=args.as_of, fmt=args.format, zone=shown
        )
    if args.action == "county":
        return history.cmd_audit_county(
            settings, args.county, period=args.period, fmt=args.format, zone=shown
        )
    return history.cmd_audit_log(settings, limit=args.limit, fmt=args.format, zone=shown)
