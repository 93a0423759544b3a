"""``liudong replay``: the command. It wires settings to the replay and prints.

* ``replay [--as-of I | --at-position P:O,...] [--workers N]``: the state the log gives,
  summed up in the vocabulary's words;
* ``--county CODE``: that county's snapshot instead (:mod:`audit.replay.county`), its read
  recorded in the audit log first;
* ``--verify [--derived-prefix P] [--wait S] [--report FILE]``: the replay against the live
  derived topics, scorecards and projection (:mod:`audit.replay.verify`), and the signed
  record of it (:mod:`audit.replay.report`);
* ``--check-report FILE [--recompute]``: a record's signature, and what the log gives now.

The flags and their combinations: :mod:`audit.replay.options`; the exit codes:
:mod:`audit.replay.exits`; ``--check-report``: :mod:`audit.replay.check_report`; a
verification in words: :mod:`audit.replay.verification_text`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
import time
from typing import Any

from agents import assessment_config
from agents.assessment_config import AssessmentConfig, ConfigError
from audit.replay import report as records
from audit.replay.check_report import check_report
from audit.replay.county import CountySnapshot
from audit.replay.exits import (
    ENVIRONMENT_ERRORS,
    EXIT_DIFFERENT,
    EXIT_ERROR,
    EXIT_NOTHING,
    error,
)
from audit.replay.options import Options, usage_problem
from audit.replay.outcome import Outcome, Summary
from audit.replay.positions import check_within
from audit.replay.reader import end_offsets
from audit.replay.runner import Job, replay
from audit.replay.verification_text import differences, verification_json, verification_lines
from audit.replay.verify import Request, Verification, verify
from contracts.human_time import LOCAL, Zone
from infra.kafka.client_security import aiokafka_options
from infra.projection import reads
from infra.settings import Settings
from streams import topics
from streams.keys import KeyFileError


def cmd_replay(
    settings: Settings,
    *,
    as_of: dt.datetime | None = None,
    verify: bool = False,
    fmt: str = "table",
    wait_s: float = 10.0,
    zone: Zone = LOCAL,
    **more: Any,
) -> int:
    """``liudong replay`` (see the module docstring for the exit codes)."""
    options = Options(as_of=as_of, verify=verify, fmt=fmt, wait_s=wait_s, zone=zone, **more)
    return run(settings, options)


def run(settings: Settings, o: Options) -> int:
    from infra.kafka.address import resolve_bootstrap

    problem = usage_problem(o)
    if problem is not None:
        return error(problem)
    try:
        config = assessment_config.load(o.config)
    except ConfigError as exc:
        return error(str(exc))
    if o.check_report is not None:
        return check_report(settings, o, o.check_report, config)
    region_key = None
    if o.report is not None:
        from infra.region import region_private_key

        try:
            region_key = region_private_key(settings)
        except KeyFileError as exc:
            return error(f"{exc}: the record is signed with the region's key")
    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_ERROR
    started = time.monotonic()
    try:
        if o.verify:
            return _verify(settings, o, config, bootstrap, region_key, started)
        outcome = _replay(settings, o, config, bootstrap)
    except ENVIRONMENT_ERRORS as exc:
        return error(f"{type(exc).__name__}: {exc}")
    summary = outcome.summary()
    if o.as_of is not None:
        edge = _as_of_edges(outcome, summary, o.as_of, o.zone)
        if edge is not None:
            return edge
    if o.county is not None:
        return _show_county(settings, o, o.county, outcome, config)
    _print_summary(summary, o, time.monotonic() - started)
    return 0


def _replay(settings: Settings, o: Options, config: AssessmentConfig, bootstrap: str) -> Outcome:
    options = aiokafka_options(settings)
    validated = topics.VALIDATED.full_name(settings.topic_prefix)
    found = asyncio.run(end_offsets(bootstrap, validated, options))
    log_end = {tp.partition: n for tp, n in found.items()}
    ends = log_end
    if o.at_position is not None:
        check_within(o.at_position, log_end, log_end, limit="the log's end")
        ends = dict(o.at_position)
    job = Job(
        bootstrap,
        settings.topic_prefix,
        settings.region_code,
        ends,
        tuple(sorted(log_end)),
        as_of=o.as_of,
        config=config if o.county is not None else None,
        county=o.county,
        max_record_bytes=topics.read_limit(settings.max_event_bytes),
    )
    return replay(job, o.workers, client_options=options, progress=sys.stderr)


def _as_of_edges(outcome: Outcome, summary: Summary, at: dt.datetime, zone: Zone) -> int | None:
    """An instant before the log's first event (exit 1), or after its last (a note)."""
    if summary.applied == 0:
        first = outcome.first_cut
        since = f" (its first is at {zone.show(first)})" if first else ""
        return error(f"the log has no event by {zone.show(at)}{since}", EXIT_NOTHING)
    if not summary.cut:
        print(
            f"note: {zone.show(at)} is after the log's last event "
            f"({zone.show(summary.last_event)}): this is the state at the log's end",
            file=sys.stderr,
        )
    return None


def _show_county(
    settings: Settings, o: Options, county: str, outcome: Outcome, config: AssessmentConfig
) -> int:
    from audit.history import log_read, operator

    snapshot = CountySnapshot.of(
        county,
        outcome.county_cases,
        outcome.scorecards(config) or [],
        as_of=o.as_of,
        clock=outcome.clock,
    )
    if not snapshot.cases:
        return error(f"county {county} is party to no case in the log", EXIT_NOTHING)
    read = reads.AuditedRead(
        operator(), "replay county", "county", county, as_of=o.as_of, rows=snapshot.rows
    )
    if log_read(settings, read) is None:
        return EXIT_ERROR  # not recorded: nothing is shown
    if o.fmt == "json":
        doc = snapshot.as_json(o.zone)
        doc["audit"] = {"read_id": str(read.read_id), "operator": read.operator}
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        print("\n".join(snapshot.lines(o.zone)))
        print("this read is in the audit log", file=sys.stderr)
    return 0


def _print_summary(
    summary: Summary, o: Options, elapsed_s: float, v: Verification | None = None
) -> None:
    rate = summary.events / elapsed_s if elapsed_s > 0 else 0.0
    zone = o.zone
    if o.fmt == "json":
        data = summary.as_json(zone)
        data["as_of"] = zone.iso(o.as_of)
        data["workers"] = o.workers
        data["events_per_second"] = round(rate)
        if v is not None:
            data["verify"] = verification_json(v)
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return
    if o.as_of is not None:
        print(f"as of            {zone.show(o.as_of)} (partitions cut: {list(summary.cut)})")
    print("\n".join(summary.lines(zone)))
    done = "replayed and verified in" if v is not None else "replayed in     "
    print(f"{done} {elapsed_s:.1f}s ({rate:,.0f} messages/s, {o.workers} process(es))")
    if v is not None:
        print("\n".join(verification_lines(v)))


def _verify(
    settings: Settings,
    o: Options,
    config: AssessmentConfig,
    bootstrap: str,
    region_key: Any,
    started: float,
) -> int:
    from infra.postgres import resolve_dsn

    try:
        dsn: str | None = (
            resolve_dsn(settings) if o.as_of is None and o.at_position is None else None
        )
    except (OSError, RuntimeError) as exc:  # no database to compare with: the rest still runs
        print(f"note: no projection database ({exc})", file=sys.stderr)
        dsn = None
    request = Request(
        bootstrap,
        settings.topic_prefix,
        settings.region_code,
        config,
        derived_prefix=o.derived_prefix,
        dsn=dsn,
        as_of=o.as_of,
        at_position=o.at_position,
        workers=o.workers,
        wait_s=o.wait_s,
        client_options=aiokafka_options(settings),
        max_record_bytes=topics.read_limit(settings.max_event_bytes),
    )
    v = verify(request, progress=sys.stderr)
    summary = v.outcome.summary()
    if o.as_of is not None:
        edge = _as_of_edges(v.outcome, summary, o.as_of, o.zone)
        if edge is not None:
            return edge
    _print_summary(summary, o, time.monotonic() - started, v)
    for line in differences(v):
        print(line, file=sys.stderr)
    if o.report is not None:
        doc = records.document(
            v,
            weight_file=o.config or assessment_config.DEFAULT_PATH,
            region=settings.region_code,
            made_at=dt.datetime.now(dt.UTC),  # when the record was made: it decides nothing
            version=records.code_version(),
        )
        signed = records.sign(doc, region_key, f"{settings.region_code}/region")
        try:
            records.write(o.report, signed)
        except OSError as exc:
            return error(f"the record could not be written: {exc}")
        print(f"signed record written to {o.report}", file=sys.stderr)
    if v.different:
        return EXIT_DIFFERENT
    if not v.compared:
        return error("nothing could be compared (see above)")
    return 0
