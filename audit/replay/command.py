"""``liudong replay``: the command. It wires settings to the replay and prints.

* ``replay [--as-of I | --at-position P:O,...] [--workers N]``: the state the log gives,
  summed up in the vocabulary's words;
* ``--county CODE``: that county's snapshot instead (:mod:`audit.replay.county`), its read
  recorded in the audit log first;
* ``--verify [--derived-prefix P] [--wait S] [--report FILE]``: the replay against the live
  derived topics, scorecards and projection (:mod:`audit.replay.verify`), and the signed
  record of it (:mod:`audit.replay.report`);
* ``--check-report FILE [--recompute]``: a record's signature, and what the log gives now.

Exit codes: 0 success (with ``--verify``: every check compared matched); 1 a difference,
a record that does not check out, or an instant before the log's first event; 2 a usage or
environment error (one ``error:`` line, never a traceback).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka.errors import KafkaError

from agents import assessment_config
from agents.assessment_config import AssessmentConfig, ConfigError
from audit.replay import report as records
from audit.replay import scorecards
from audit.replay.county import CountySnapshot
from audit.replay.outcome import Outcome, Summary
from audit.replay.positions import Position, PositionError, check_within, show
from audit.replay.projection import NotAtRest
from audit.replay.reader import end_offsets
from audit.replay.runner import Job, replay
from audit.replay.verify import DIFFERENT, MATCH, Request, Verification, verify
from contracts.human_time import LOCAL, Zone
from infra.kafka.client_security import aiokafka_options
from infra.projection import reads
from infra.settings import Settings
from streams import signing, topics
from streams.keys import KeyFileError

EXIT_DIFFERENT = 1
EXIT_NOTHING = 1
EXIT_ERROR = 2
ENVIRONMENT_ERRORS = (
    LookupError,
    NotAtRest,
    KafkaError,
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    PositionError,
)


@dataclass(frozen=True, slots=True)
class Options:
    """Everything ``liudong replay`` was asked, as the CLI parsed it."""

    as_of: dt.datetime | None = None
    at_position: Position | None = None
    verify: bool = False
    county: str | None = None
    workers: int = 1
    report: Path | None = None
    check_report: Path | None = None
    recompute: bool = False
    config: Path | None = None
    derived_prefix: str | None = None
    wait_s: float = 10.0
    fmt: str = "table"
    zone: Zone = LOCAL


def _error(message: str, code: int = EXIT_ERROR) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def usage_problem(o: Options) -> str | None:
    """What is wrong with the combination of options, if anything (one line)."""
    if o.check_report is not None:
        others = [
            name
            for name, given in (
                ("--verify", o.verify),
                ("--as-of", o.as_of is not None),
                ("--at-position", o.at_position is not None),
                ("--county", o.county is not None),
                ("--report", o.report is not None),
                ("--derived-prefix", o.derived_prefix is not None),
            )
            if given
        ]
        if others:
            return f"--check-report reads a record made earlier: drop {', '.join(others)}"
        return None
    if o.recompute:
        return "--recompute goes with --check-report FILE"
    if o.as_of is not None and o.at_position is not None:
        return "give --as-of or --at-position, not both"
    if o.county is not None and o.verify:
        return "--county shows one county's snapshot; verify without it"
    if o.report is not None and not o.verify:
        return "--report records a verification: add --verify"
    if o.derived_prefix is not None and not o.verify:
        return "--derived-prefix names the live topics to verify against: add --verify"
    if o.wait_s < 0:
        return "--wait must not be negative"
    return None


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
        return _error(problem)
    try:
        config = assessment_config.load(o.config)
    except ConfigError as exc:
        return _error(str(exc))
    if o.check_report is not None:
        return _check_report(settings, o, o.check_report, config)
    region_key = None
    if o.report is not None:
        from infra.region import region_private_key

        try:
            region_key = region_private_key(settings)
        except KeyFileError as exc:
            return _error(f"{exc}: the record is signed with the region's key")
    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_ERROR
    started = time.monotonic()
    try:
        if o.verify:
            return _verify(settings, o, config, bootstrap, region_key, started)
        outcome = _replay(settings, o, config, bootstrap)
    except ENVIRONMENT_ERRORS as exc:
        return _error(f"{type(exc).__name__}: {exc}")
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
    )
    return replay(job, o.workers, client_options=options, progress=sys.stderr)


def _as_of_edges(outcome: Outcome, summary: Summary, at: dt.datetime, zone: Zone) -> int | None:
    """An instant before the log's first event (exit 1), or after its last (a note)."""
    if summary.applied == 0:
        first = outcome.first_cut
        since = f" (its first is at {zone.show(first)})" if first else ""
        return _error(f"the log has no event by {zone.show(at)}{since}", EXIT_NOTHING)
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
        return _error(f"county {county} is party to no case in the log", EXIT_NOTHING)
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


def verification_json(v: Verification) -> dict[str, Any]:
    validated = v.request.validated_topic
    checks: dict[str, Any] = {}
    for t in v.topic_checks:
        checks[t.name] = {
            "status": t.status,
            "topic": t.topic,
            "replayed": t.replayed,
            "live": t.live,
            "replayed_records": t.replayed_records,
            "live_records": t.live_records,
            "live_records_past_position": t.beyond,
            "first_difference": t.difference.as_json(validated) if t.difference else None,
            "note": t.note,
        }
    sc, pc = v.scorecard_check, v.projection_check
    checks["scorecards"] = {
        "status": sc.status,
        "replayed": sc.replayed,
        "live": sc.live,
        "cards": sc.cards,
        "first_difference": sc.difference.as_json() if sc.difference else None,
        "note": sc.note,
    }
    checks["projection"] = {
        "status": pc.status,
        "replayed": pc.replayed,
        "live": pc.live,
        "differing": pc.differing,
        "first_difference": pc.difference.as_json() if pc.difference else None,
        "note": pc.note,
    }
    return {
        "ok": v.ok,
        "position": {str(p): n for p, n in sorted(v.position.items())},
        "log_end": {str(p): n for p, n in sorted(v.log_end.items())},
        "short_of_instant": v.short_of_instant(),
        "checks": checks,
    }


def verification_lines(v: Verification) -> list[str]:
    at_end = v.position == v.log_end
    out = [
        f"verified at      {show(v.position)}"
        + ("" if at_end else f" (the log reaches {show(v.log_end)})")
    ]
    short = v.short_of_instant()
    if short:
        out.append(
            f"note             partitions {short}: the live workers have not derived up to the "
            "instant yet; verified as far as they have"
        )
    for t in v.topic_checks:
        if t.status == MATCH:
            past = f"; {t.beyond} caused past the position left out" if t.beyond else ""
            text = f"match ({t.replayed_records:,} records{past}) {t.replayed[:16]}"
        elif t.status == DIFFERENT:
            text = f"DIFFERENT: replay {t.replayed[:16]}, live {str(t.live)[:16]}"
        else:
            text = f"not compared: {t.note}"
        out.append(f"{t.name:<16} {text}")
    sc, pc = v.scorecard_check, v.projection_check
    if sc.status == MATCH:
        out.append(f"{'scorecards':<16} match ({sc.cards} scorecards) {sc.replayed[:16]}")
    elif sc.status == DIFFERENT:
        out.append(f"{'scorecards':<16} DIFFERENT: replay {sc.replayed[:16]}, live {sc.live}")
    else:
        out.append(f"{'scorecards':<16} not compared: {sc.note} (replay {sc.replayed[:16]})")
    if pc.status == MATCH:
        out.append(f"{'projection':<16} match {pc.replayed[:16]}")
    elif pc.status == DIFFERENT:
        out.append(f"{'projection':<16} DIFFERENT ({pc.differing} obligation(s))")
    else:
        out.append(f"{'projection':<16} not compared: {pc.note}")
    return out


def differences(v: Verification) -> list[str]:
    """One line per check that differs, naming its first difference."""
    validated = v.request.validated_topic
    out = []
    for t in v.topic_checks:
        if t.status == DIFFERENT:
            first = t.difference.describe(validated) if t.difference else t.note
            out.append(f"verify: {t.name} DIFFERENT; first: {first}")
    sc, pc = v.scorecard_check, v.projection_check
    if sc.status == DIFFERENT and sc.difference is not None:
        out.append(f"verify: scorecards DIFFERENT; first: {sc.difference.describe()}")
    if pc.status == DIFFERENT and pc.difference is not None:
        out.append(
            f"verify: projection DIFFERENT ({pc.differing} obligation(s)); first: "
            f"{pc.difference.describe()}"
        )
    return out


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
            return _error(f"the record could not be written: {exc}")
        print(f"signed record written to {o.report}", file=sys.stderr)
    if v.different:
        return EXIT_DIFFERENT
    if not v.compared:
        return _error("nothing could be compared (see above)")
    return 0


def _check_report(settings: Settings, o: Options, path: Path, config: AssessmentConfig) -> int:
    from infra.kafka.address import resolve_bootstrap
    from infra.region import region_public_key

    try:
        doc = records.read(path)
        key = signing.load_public_key(region_public_key(settings))
    except (records.ReportError, KeyFileError, ValueError) as exc:
        return _error(str(exc))
    try:
        records.check_signature(doc, key)
    except records.ReportError as exc:
        return _error(f"{path}: {exc}", EXIT_DIFFERENT)
    verdict = "held" if doc.get("ok") else "did NOT hold"
    try:
        at = show(records.position_of(doc))
    except records.ReportError as exc:
        return _error(f"{path}: {exc}", EXIT_DIFFERENT)
    print(
        f"{path}: signature valid (region {doc.get('region')}, key "
        f"{signing.encode_public_key(key)}); the verification {verdict} at {at} "
        f"(made {doc.get('made_at')}, {doc.get('code_version')})"
    )
    if not o.recompute:
        return 0
    weight = o.config or assessment_config.DEFAULT_PATH
    if records.file_sha256(weight) != dict(doc.get("weight_file", {})).get("sha256"):
        return _error(f"{weight} is not the weight file the record names: give it with --config")
    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_ERROR
    try:
        position = records.position_of(doc)
        job = Job(
            bootstrap,
            settings.topic_prefix,
            settings.region_code,
            position,
            tuple(sorted(position)),
            as_of=records.as_of_of(doc),
            digests=True,
            config=config,
        )
        outcome = replay(job, o.workers, client_options=aiokafka_options(settings))
    except (records.ReportError, *ENVIRONMENT_ERRORS) as exc:
        return _error(f"{type(exc).__name__}: {exc}")
    cards = outcome.scorecards(config)
    found = records.compare(doc, outcome, scorecards.digest(cards) if cards is not None else None)
    if not found.ok:
        for line in found.differences:
            print(f"recompute: {line}", file=sys.stderr)
        return EXIT_DIFFERENT
    print("recomputed: the log gives the record's digests")
    return 0
