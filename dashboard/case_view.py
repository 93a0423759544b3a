"""One person's case for the dashboard: the events, the obligations with the derived events
that moved each (and their causes), the campaign tasks; and whether an operator may read it
(a county operator only a case its county is party to)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from dashboard import scope
from dashboard.auth import Principal
from dashboard.figures import with_status
from dashboard.json_values import jsonable
from dashboard.json_values import rows as _rows

CASE_EVENTS = """
SELECT e.event_id, e.topic, e.event_type, e.occurred_at, e.source_county, e.publisher_id,
       e.correlation_id, e.causation_id, e.payload,
       c.event_type AS cause_type, c.occurred_at AS cause_at, c.source_county AS cause_county
FROM events e LEFT JOIN events c ON c.event_id = e.causation_id
WHERE e.person_key = $1 ORDER BY e.occurred_at, e.topic, e.event_id LIMIT 2000
"""
CASE_OBLIGATIONS = """
SELECT obligation_id, kind, responsible_county, counterpart_county, opened_at, due_at, state,
       urgent, agreement_id, reminded_at, fulfilled_at, late, breached_at, escalated_at,
       escalated_to, cancelled_at, cancel_reason
FROM obligations WHERE person_key = $1 ORDER BY opened_at NULLS LAST, obligation_id
"""
CASE_PERSON = "SELECT first_seen, last_seen, current_county FROM persons WHERE person_key = $1"
CASE_TASKS = """
SELECT task_id, campaign_id, "check", assignee, due_at, result, moved_to, state
FROM campaign_tasks WHERE person_key = $1 ORDER BY due_at NULLS LAST, task_id
"""
_HIDDEN_PAYLOAD = frozenset({"signature"})


def _event(r: Mapping[str, Any]) -> dict[str, Any]:
    payload = r["payload"]
    body = json.loads(payload) if isinstance(payload, str) else dict(payload)
    cause = None
    if r["causation_id"] is not None:
        cause = {
            "event_id": r["causation_id"],
            "event_type": r["cause_type"],
            "occurred_at": r["cause_at"],
            "source_county": r["cause_county"],
        }
    event: dict[str, Any] = jsonable(
        {
            "event_id": r["event_id"],
            "topic": r["topic"],
            "event_type": r["event_type"],
            "occurred_at": r["occurred_at"],
            "source_county": r["source_county"],
            "publisher_id": r["publisher_id"],
            "derived": not r["topic"].endswith(".validated"),
            "cause": cause,
            "payload": {k: v for k, v in body.items() if k not in _HIDDEN_PAYLOAD},
        }
    )
    return event


def decisions(events: list[dict[str, Any]], obligations_: list[dict[str, Any]]) -> None:
    """Attach to each obligation the derived events that moved it, each with its cause."""
    by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        oid = e["payload"].get("obligation_id")
        if e["derived"] and isinstance(oid, str):
            by_id[oid].append(
                {
                    "event_type": e["event_type"],
                    "occurred_at": e["occurred_at"],
                    "event_id": e["event_id"],
                    "cause": e["cause"],
                }
            )
    for o in obligations_:
        o["history"] = by_id.get(o["obligation_id"], [])


async def case_timeline(conn: Any, person_key: str) -> dict[str, Any] | None:
    person: Any = await conn.fetchrow(CASE_PERSON, person_key)
    events = [_event(r) for r in await conn.fetch(CASE_EVENTS, person_key)]
    if person is None and not events:
        return None
    obligations_ = [with_status(r) for r in await conn.fetch(CASE_OBLIGATIONS, person_key)]
    decisions(events, obligations_)
    return {
        "person_key": person_key,
        "person": None if person is None else jsonable(dict(person)),
        "events": events,
        "obligations": obligations_,
        "tasks": _rows(await conn.fetch(CASE_TASKS, person_key)),
    }


async def is_party(conn: Any, p: Principal, person_key: str) -> bool:
    check = scope.may_read_case(p)
    if check is None:
        return True
    sql, args = check
    return bool(await conn.fetchval(sql, person_key, *args))
