"""The Chinese the offices read (the dashboard, the bulletin, the public page) is written in an
office's words and the vocabulary's, not the system's jargon; and every Chinese string a
reader prints comes from a words module, so no view keeps its own copy of a domain word."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from contracts import divisions
from contracts import obligation_vocabulary as vocabulary
from contracts.words import catalog
from disclosure.bulletin import definitions
from disclosure.bulletin import words as document_words

ROOT = Path(__file__).resolve().parents[3]
STATIC = ROOT / "dashboard" / "static"
CJK = re.compile(r"[\u4e00-\u9fff]")

# Engineering words a county office does not use, and what it says instead (the UI's own
# labels, the shared words, the vocabulary, and the bulletin's words are all checked).
JARGON = ("死信", "消费滞后", "每秒归档", "逻辑时钟", "派生", "已升级", "违约", "归档事件")
# Words the vocabulary says otherwise: 办结 for fulfilled, 逾期 for breached (not 超期 or 超时).
NOT_THE_VOCABULARY = ("履行", "超期", "超时")

# Where a reader's Chinese may be written: the shared words, the vocabulary, the views' own
# words modules, and the names of places (data, not words).
WORDS_MODULES = {
    "contracts/obligation_vocabulary.py",
    "dashboard/csv_words.py",
    "dashboard/english_names.py",
    "dashboard/names.py",
    "disclosure/bulletin/words.py",
    "disclosure/bulletin/definitions.py",
}
READERS = ("dashboard", "disclosure")


def page_texts() -> list[str]:
    labels = (STATIC / "i18n.js").read_text("utf-8")
    zh = labels[labels.index("zh: {") : labels.index("en: {")]
    texts = re.findall(r'"([^"]*)"', zh)
    texts += [zh for table in catalog.TABLES.values() for zh, _ in table.values()]
    texts += [c.zh for c in vocabulary.COUNTS]
    texts += [t.zh for t in vocabulary.TERMS]
    html = (STATIC / "index.html").read_text("utf-8")
    texts += re.findall(r">([^<>]*[\u4e00-\u9fff][^<>]*)<", html)
    return texts


def bulletin_texts() -> list[str]:
    texts = [zh for zh, _ in document_words.WORDS.values()]
    texts += [zh for zh, _ in definitions.RULES]
    texts += [part[0] for pair in definitions.DEFINITION.values() for part in pair]
    return texts


def test_the_chinese_page_speaks_as_an_office_does() -> None:
    texts = page_texts()
    assert len(texts) > 150
    for text in texts:
        for word in JARGON + NOT_THE_VOCABULARY:
            assert word not in text, f"{word!r} in {text!r}"
    assert vocabulary.count("escalated").zh == "已上报督办"
    assert vocabulary.count("overdue").zh == "逾期未办"


def test_the_bulletin_speaks_as_an_office_does_in_the_vocabulary_s_words() -> None:
    texts = bulletin_texts()
    assert len(texts) > 100
    for text in texts:
        for word in JARGON + NOT_THE_VOCABULARY:
            assert word not in text, f"{word!r} in {text!r}"
    # What the scores count is 已计分, never 办结 (which means fulfilled, and 未办结 is open).
    settled_rule = vocabulary.SETTLED.definition("zh")
    assert settled_rule in texts
    assert settled_rule.startswith("已计分：")
    assert "办" not in vocabulary.SETTLED.zh
    assert "结" not in vocabulary.SETTLED.zh
    assert vocabulary.FULFILLED.zh in vocabulary.count("fulfilled_on_time").zh


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def stray_chinese(path: Path) -> list[str]:
    """The Chinese string literals of a module, its docstrings left out."""
    tree = ast.parse(path.read_text("utf-8"))
    docs = _docstrings(tree)
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docs
        and CJK.search(node.value)
    ]


def test_no_reader_keeps_its_own_chinese_words() -> None:
    checked = 0
    for folder in READERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in WORDS_MODULES:
                continue
            checked += 1
            assert stray_chinese(path) == [], f"Chinese words outside a words module: {relative}"
    assert checked > 30


def test_the_stray_word_scan_finds_a_literal_and_skips_a_docstring(tmp_path: Path) -> None:
    module = tmp_path / "view.py"
    module.write_text('"""通报."""\n\n\ndef f() -> str:\n    """说明."""\n    return "履行"\n')
    assert stray_chinese(module) == ["履行"]


def test_the_english_names_table_has_one_row_per_division() -> None:
    shipped = (ROOT / "dashboard" / "data" / "division_names_en.csv").read_text("utf-8")
    assert shipped.startswith("# English names of the GB/T 2260 divisions")
    rows = [line.split(",")[:2] for line in shipped.splitlines()[4:]]
    expected = [[d.code, d.level] for d in divisions.all_divisions()]
    assert shipped.splitlines()[3] == "code,level,en"
    assert rows == expected
