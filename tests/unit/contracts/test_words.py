"""Every code a reader shows has words in Chinese and English, in one home, and the page is
served every table of them."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path
from typing import get_args, get_type_hints

import pytest

from agents.assessment_config import SIDES
from contracts import campaign_status, unions
from contracts import obligation_vocabulary as vocabulary
from contracts.agreement_terms import AgreementStatus, Proposal
from contracts.events.derived import AlertKind, ObligationKind
from contracts.types import CheckKind, VerificationResult
from contracts.words import (
    agreements,
    assessment,
    campaigns,
    catalog,
    events,
    obligations,
    refusals,
)
from contracts.words.table import Words, word
from streams import topics
from tests.packages import PACKAGES

ROOT = Path(__file__).resolve().parents[3]


def reason_codes() -> set[str]:
    """Every reason code the code writes where it is first named: the first argument of each
    ``Rejected(...)``, ``DecodeError(...)`` and ``RegistryRejection(...)`` that is a string
    literal (gate, codec, registry, projector); and every code the README's account of the
    gate names (the gate's forwarding refusal and the cases agent's reused ids among them)."""
    found: set[str] = set()
    for folder in PACKAGES:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in ("Rejected", "DecodeError", "RegistryRejection")
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    found.add(node.args[0].value)
    readme = (ROOT / "README.md").read_text("utf-8")
    account = readme[readme.index("refuses, with a reason code") :]
    account = account[: account.index("\n\n")]
    found |= {code for code in re.findall(r"`([a-z_]+)`", account) if "_" in code}
    return found


@pytest.mark.parametrize(
    ("table", "codes"),
    [
        (events.EVENT_TYPES, set(unions.EVENT_CLASSES)),
        (obligations.OBLIGATION_KINDS, set(get_args(ObligationKind))),
        (obligations.ALERT_KINDS, set(get_args(AlertKind))),
        (campaigns.CHECKS, set(get_args(CheckKind))),
        (campaigns.RESULTS, set(get_args(VerificationResult))),
        (campaigns.CAMPAIGN_STATES, set(campaign_status.STATES)),
        (refusals.DETECTED_BY, {"gate", "projector"}),
        (events.TOPICS, {spec.name for spec in topics.CATALOG}),
        (agreements.AGREEMENT_STATES, set(get_args(get_type_hints(AgreementStatus)["state"]))),
        (agreements.AGREEMENT_FIELDS, {f.name for f in dataclasses.fields(Proposal)}),
        (assessment.SIDES, set(SIDES)),
    ],
)
def test_every_code_has_words_in_both_languages(table: Words, codes: set[str]) -> None:
    assert codes, "the contracts name some codes"
    assert codes <= set(table), f"no words for {sorted(codes - set(table))}"
    for zh, en in table.values():
        assert zh
        assert en
        assert zh != en


def test_every_reason_code_in_the_code_has_words() -> None:
    codes = reason_codes()
    assert {"malformed_json", "bad_signature", "forward_refused", "event_id_reused"} <= codes
    assert codes <= set(refusals.REASONS), f"no words for {sorted(codes - set(refusals.REASONS))}"


def test_a_code_without_words_is_shown_as_itself() -> None:
    assert word(refusals.REASONS, "bad_signature") == "签名验证失败（疑似伪造）"
    assert word(refusals.REASONS, "bad_signature", "en") == "Signature does not verify (forged?)"
    assert word(refusals.REASONS, "something_new", "en") == "something_new"


def test_the_page_gets_every_table_the_counts_and_the_terms() -> None:
    page = catalog.for_page()
    assert set(page) == {*catalog.TABLES, "counts", "terms"}
    assert page["counts"] == vocabulary.labels()
    assert page["terms"]["settled"] == {"zh": "已计分", "en": "Settled"}
    assert page["reasons"]["oversize"] == {"zh": "消息过大", "en": "Message too large"}
    assert page["league"]["not_assessed"] == {"zh": "不参评", "en": "not assessed"}


def test_every_table_is_in_the_catalog() -> None:
    """A table added to a family but not to the catalog would never reach the browser."""
    families = (agreements, assessment, campaigns, events, obligations, refusals)
    tables = [
        value
        for module in families
        for name, value in vars(module).items()
        if name.isupper() and isinstance(value, type(refusals.REASONS))
    ]
    assert len(tables) == len(catalog.TABLES)
    assert all(any(t is u for u in catalog.TABLES.values()) for t in tables)
