"""Every code the dashboard shows has words in Chinese and English, and the Chinese page is
written in an office's words, not the system's jargon."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path
from typing import get_args, get_type_hints

import pytest

from contracts import campaign_status, divisions, unions
from contracts import obligation_vocabulary as vocabulary
from contracts.agreement_terms import AgreementStatus, Proposal
from contracts.events.derived import AlertKind, ObligationKind
from contracts.types import CheckKind, VerificationResult
from dashboard import words
from streams import topics
from tests.packages import PACKAGES

ROOT = Path(__file__).resolve().parents[3]
STATIC = ROOT / "dashboard" / "static"


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
        (words.EVENT_TYPES, set(unions.EVENT_CLASSES)),
        (words.OBLIGATION_KINDS, set(get_args(ObligationKind))),
        (words.ALERT_KINDS, set(get_args(AlertKind))),
        (words.CHECKS, set(get_args(CheckKind))),
        (words.RESULTS, set(get_args(VerificationResult))),
        (words.CAMPAIGN_STATES, set(campaign_status.STATES)),
        (words.DETECTED_BY, {"gate", "projector"}),
        (words.TOPICS, {spec.name for spec in topics.CATALOG}),
        (words.AGREEMENT_STATES, set(get_args(get_type_hints(AgreementStatus)["state"]))),
        (words.AGREEMENT_FIELDS, {f.name for f in dataclasses.fields(Proposal)}),
    ],
)
def test_every_code_has_words_in_both_languages(table: words.Words, codes: set[str]) -> None:
    assert codes, "the contracts name some codes"
    assert codes <= set(table), f"no words for {sorted(codes - set(table))}"
    for zh, en in table.values():
        assert zh
        assert en
        assert zh != en


def test_every_reason_code_in_the_code_has_words() -> None:
    codes = reason_codes()
    assert {"malformed_json", "bad_signature", "forward_refused", "event_id_reused"} <= codes
    assert codes <= set(words.REASONS), f"no words for {sorted(codes - set(words.REASONS))}"


def test_a_code_without_words_is_shown_as_itself() -> None:
    assert words.word(words.REASONS, "bad_signature") == "签名验证失败（疑似伪造）"
    assert words.word(words.REASONS, "bad_signature", "en") == "Signature does not verify (forged?)"
    assert words.word(words.REASONS, "something_new", "en") == "something_new"


def test_the_page_gets_every_table_and_the_counts_labels() -> None:
    page = words.for_page()
    assert set(page) == {*words.TABLES, "counts"}
    assert page["counts"] == vocabulary.labels()
    assert page["reasons"]["oversize"] == {"zh": "消息过大", "en": "Message too large"}


# Engineering words a county office does not use, and what it says instead (the UI's own
# labels, the words table and the vocabulary's counts are all checked).
JARGON = ("死信", "消费滞后", "每秒归档", "逻辑时钟", "派生", "已升级", "违约", "归档事件")


def chinese_texts() -> list[str]:
    labels = (STATIC / "i18n.js").read_text("utf-8")
    zh = labels[labels.index("zh: {") : labels.index("en: {")]
    texts = re.findall(r'"([^"]*)"', zh)
    texts += [zh for table in words.TABLES.values() for zh, _ in table.values()]
    texts += [c.zh for c in vocabulary.COUNTS]
    html = (STATIC / "index.html").read_text("utf-8")
    texts += re.findall(r">([^<>]*[\u4e00-\u9fff][^<>]*)<", html)
    return texts


def test_the_chinese_page_speaks_as_an_office_does() -> None:
    texts = chinese_texts()
    assert len(texts) > 150
    for text in texts:
        for word in JARGON:
            assert word not in text, f"{word!r} in {text!r}"
    assert vocabulary.count("escalated").zh == "已上报督办"
    assert vocabulary.count("overdue").zh == "逾期未办"


def test_the_english_names_table_has_one_row_per_division() -> None:
    shipped = (ROOT / "dashboard" / "data" / "division_names_en.csv").read_text("utf-8")
    assert shipped.startswith("# English names of the GB/T 2260 divisions")
    rows = [line.split(",")[:2] for line in shipped.splitlines()[4:]]
    expected = [[d.code, d.level] for d in divisions.all_divisions()]
    assert shipped.splitlines()[3] == "code,level,en"
    assert rows == expected
