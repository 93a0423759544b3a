"""Every table of words by name, as a page reads them (``/api/words``)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from contracts import obligation_vocabulary as vocabulary
from contracts.words import agreements, assessment, campaigns, events, obligations, refusals
from contracts.words.table import Words

TABLES: MappingProxyType[str, Words] = MappingProxyType(
    {
        "event_types": events.EVENT_TYPES,
        "obligation_kinds": obligations.OBLIGATION_KINDS,
        "alert_kinds": obligations.ALERT_KINDS,
        "checks": campaigns.CHECKS,
        "results": campaigns.RESULTS,
        "reasons": refusals.REASONS,
        "detected_by": refusals.DETECTED_BY,
        "campaign_states": campaigns.CAMPAIGN_STATES,
        "topics": events.TOPICS,
        "agreement_states": agreements.AGREEMENT_STATES,
        "agreement_fields": agreements.AGREEMENT_FIELDS,
        "sides": assessment.SIDES,
        "league": assessment.LEAGUE,
        "indicators": assessment.INDICATORS,
    }
)


def for_page() -> dict[str, Any]:
    """Every table as ``{table: {code: {"zh": ..., "en": ...}}}``, the counts' labels under
    ``counts`` and the obligation terms (``settled``) under ``terms``."""
    out: dict[str, Any] = {
        name: {code: {"zh": zh, "en": en} for code, (zh, en) in table.items()}
        for name, table in TABLES.items()
    }
    out["counts"] = vocabulary.labels()
    out["terms"] = vocabulary.term_labels()
    return out
