"""A verification in words: the JSON document, the table's lines and the differences
``liudong replay --verify`` prints."""

from __future__ import annotations

from typing import Any

from audit.replay.positions import show
from audit.replay.verify import DIFFERENT, MATCH, Verification


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
