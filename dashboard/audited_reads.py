"""Reads of personal data through the dashboard, recorded in ``audit_log`` (0002_audit.sql).

The dashboard writes no audit rows of its own making: it uses the audit work's
``infra.projection.reads.audited``, so the read and its audit row share one transaction
(a read whose audit row cannot be written returns nothing). Denied reads are recorded too,
with zero rows, under their own command name.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from dashboard.auth import Principal
from infra.projection.reads import AuditedRead, audited

CASE_TIMELINE = "dashboard case-timeline"
CASE_DENIED = "dashboard case-timeline denied"


def operator(p: Principal) -> str:
    """How a dashboard user appears in the audit log: ``dashboard/<user>[@<county>]``."""
    return f"dashboard/{p.username}" + (f"@{p.county}" if p.county else "")


@asynccontextmanager
async def case_read(conn: Any, p: Principal, person_key: str) -> AsyncIterator[AuditedRead]:
    """Audit one case-timeline read; set ``.rows`` (and ``.command`` if denied) inside."""
    read = AuditedRead(
        operator=operator(p), command=CASE_TIMELINE, subject_kind="person", subject=person_key
    )
    async with audited(conn, read) as current:
        yield current
