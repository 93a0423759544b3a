"""The bulletin as a document: same inputs, same bytes; what it states and withholds; how
``--verify`` compares; the PDF's date stamp and attachment. No I/O (the PDF here is written
by hand; Chromium's is tested in tests/integration/test_bulletin.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from agents import assessment_config as cfg
from disclosure.bulletin import build, inputs, pdf, verify
from disclosure.bulletin.log_fold import LogFold
from disclosure.bulletin.log_reader import LogError
from disclosure.public import view
from tests.unit import bulletin_log
from tests.unit.agents.test_assessment_rules import HANBIN, REGION, XUNYANG, _fair_scenario
from tests.unit.bulletin_log import Record
from tests.unit.disclosure.test_bulletin_content import fair_log, tick

CONFIG = cfg.load()
WEIGHTS = "ab" * 32


def make(log: LogFold, **request: object) -> build.Bulletin:
    fields: dict[str, object] = {"period": "2026-Q1", "region": REGION, **request}
    return build.make(
        log,
        build.Request(**fields),  # type: ignore[arg-type]
        CONFIG,
        weights_sha256=WEIGHTS,
        topic_prefix="liudong",
    )


def person_keys(records: list[Record]) -> set[str]:
    found: set[str] = set()
    for r in records:
        found.update(re.findall(r'"person_key":\s*"([0-9a-f]{64})"', r.value.decode()))
    return found


def test_the_same_log_and_weights_give_the_same_bytes() -> None:
    records = bulletin_log.records()
    first = make(bulletin_log.fold(records)).html
    second = make(bulletin_log.fold(list(records))).html
    assert first == second
    assert make(bulletin_log.fold(records), lang="en").html != first


def test_the_document_states_its_inputs_and_their_digest() -> None:
    b = make(bulletin_log.fold(bulletin_log.records()))
    stated = inputs.extract(b.html)
    assert stated == b.inputs
    assert b.inputs.digest()[:16] in b.html
    assert b.inputs.code_version in b.html
    assert b.inputs.weights_sha256 in b.html
    assert "obligations=" in b.html  # the positions to reproduce it


def test_no_person_key_reaches_the_document() -> None:
    records = bulletin_log.records()
    keys = person_keys(records)
    assert keys, "the log names persons"
    for lang in ("zh", "en"):
        html = make(bulletin_log.fold(records), lang=lang, scope="all").html
        assert not [k for k in keys if k in html or k[:16] in html]


def test_not_assessed_sides_are_marked_never_scored() -> None:
    b = make(fair_log(), period="2026-01", scope="all")
    row = re.search(r"<tr><td>1</td><td>.*?440306.*?</tr>", b.html)
    assert row is not None
    assert "不参评" in row.group(0)  # Bao'an as origin: owes nothing there
    hanbin = re.search(r"<tr><td><span class=\"na\">未排名</span></td>.*?610902.*?</tr>", b.html)
    assert hanbin is not None
    assert hanbin.group(0).count("不参评") == 3


def test_the_public_edition_withholds_small_county_counts() -> None:
    log = fair_log()
    full = make(log, period="2026-01", scope="all").html
    public = make(log, period="2026-01", scope="all", edition="public", suppress_below=5).html
    # Xunyang settled one receipt (1/1) and Bao'an sent two people on uncovered (0/2).
    assert "<td>1/1</td>" in full
    assert "<td>0/2</td>" in full
    assert "<td>1/1</td>" not in public
    assert "<td>0/2</td>" not in public
    assert "<td>*/&lt;5</td>" in public
    # Six of six is large enough on every part: shown.
    assert "<td>6/6</td>" in public
    assert "公开版" in public
    assert "公开版" not in full
    assert inputs.extract(public).suppress_below == 5


def test_an_office_name_cannot_break_out_of_the_inputs_block() -> None:
    office = "</script><script>alert(1)</script>"
    b = make(bulletin_log.fold(bulletin_log.records()), office=office)
    assert "<script>alert" not in b.html
    assert inputs.extract(b.html).office == office


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("<html>no bulletin</html>", "no inputs block"),
        ('<script type="application/json" id="bulletin-inputs">{</script>', "not valid JSON"),
        ('<script type="application/json" id="bulletin-inputs">{"format": 9}</script>', "format"),
    ],
)
def test_a_document_without_readable_inputs_is_refused(document: str, message: str) -> None:
    with pytest.raises(inputs.InputsError, match=message):
        inputs.extract(document)


def test_inputs_missing_a_field_are_refused() -> None:
    doc = make(bulletin_log.fold(bulletin_log.records())).inputs.as_json()
    del doc["weights_sha256"]
    with pytest.raises(inputs.InputsError, match="lacks 'weights_sha256'"):
        inputs.from_json(doc)


# --- verify ----------------------------------------------------------------------------------


def test_verify_finds_nothing_when_nothing_changed() -> None:
    log = bulletin_log.fold(bulletin_log.records())
    b = make(log)
    checks = [verify.log_check(b.inputs, log)]
    checks += verify.input_checks(b.inputs, WEIGHTS, "weights.toml")
    more, again = verify.content_checks(b.inputs, b.html, log, CONFIG, WEIGHTS)
    report = verify.Report(b.inputs, (*checks, *more))
    assert report.ok, report.lines()
    assert again is not None
    assert again.html == b.html


def test_verify_names_a_changed_log() -> None:
    records = bulletin_log.records()
    b = make(bulletin_log.fold(records))
    # The same positions, one record different (an obligation's breach read as another's).
    i = next(i for i, r in enumerate(records) if b"obligation_breached" in r.value)
    changed = list(records)
    changed[i] = Record("obligations", records[i].partition, records[i].value + b" ")
    check = verify.log_check(b.inputs, bulletin_log.fold(changed))
    assert not check.same
    assert f"obligations partition {records[i].partition}" in check.detail


def test_verify_names_other_weights_and_shows_the_figures_they_give() -> None:
    log = bulletin_log.fold(bulletin_log.records())
    b = make(log)
    shipped = cfg.DEFAULT_PATH.read_text()
    other = cfg.parse(shipped.replace("min_settled_obligations = 5", "min_settled_obligations = 1"))
    weights, code = verify.input_checks(b.inputs, "cd" * 32, "other.toml")
    assert not weights.same
    assert "other.toml" in weights.detail
    assert code.same
    figures, document = verify.content_checks(b.inputs, b.html, log, other, "cd" * 32)[0]
    assert not figures.same
    assert not document.same


def test_verify_names_a_changed_figure_and_where() -> None:
    log = fair_log()
    b = make(log, period="2026-01", scope="all")
    tampered = b.html.replace("<td>6/6</td>", "<td>6/7</td>", 1)
    figures, document = verify.content_checks(b.inputs, tampered, log, CONFIG, WEIGHTS)[0]
    assert not figures.same
    assert "6/7" in figures.detail
    assert not document.same


def test_verify_names_another_code_version() -> None:
    b = make(bulletin_log.fold(bulletin_log.records()))
    older = dataclasses.replace(b.inputs, code_version="0.0.1+000000000000")
    _, code = verify.input_checks(older, WEIGHTS, "w")
    assert not code.same
    assert "0.0.1+000000000000" in code.detail


# --- the PDF ---------------------------------------------------------------------------------


def tiny_pdf() -> bytes:
    """A PDF as Chromium lays one out: classic xref, Info with dates, catalog, no pages."""
    objects = [
        b"<</Title (t)\n/CreationDate (D:20261207065858+00'00')\n"
        b"/ModDate (D:20261207065858+00'00')>>",
        b"<</Type /Catalog\n/Pages 3 0 R>>",
        b"<</Type /Pages\n/Kids []\n/Count 0>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size 4\n/Root 2 0 R\n/Info 1 0 R>>\nstartxref\n%d\n%%%%EOF" % xref
    return bytes(out)


def test_the_print_dates_become_the_data_instant_at_the_same_length() -> None:
    original = tiny_pdf()
    stamped = pdf.stamp(original, dt.datetime(2026, 4, 10, 8, tzinfo=dt.UTC))
    assert len(stamped) == len(original)
    assert stamped.count(b"(D:20260410080000+00'00')") == 2
    assert b"20261207" not in stamped


def test_the_html_rides_in_the_pdf_as_an_attachment() -> None:
    html = "<!DOCTYPE html><p>通报 ✓</p>"
    attached = pdf.attach(tiny_pdf(), "bulletin.html", html.encode())
    assert attached.startswith(tiny_pdf())  # an incremental update: nothing rewritten
    assert pdf.attached_html(attached) == html
    assert b"/EmbeddedFiles" in attached
    assert b"/Prev " in attached
    xref = int(re.findall(rb"startxref\n(\d+)\n", attached)[-1])
    assert attached[xref : xref + 4] == b"xref"


def test_a_pdf_without_the_html_or_with_an_unknown_layout_is_refused() -> None:
    with pytest.raises(pdf.PdfError, match="carries no bulletin HTML"):
        pdf.attached_html(tiny_pdf())
    with pytest.raises(pdf.PdfError, match="classic cross-reference"):
        pdf.attach(b"%PDF-1.7\nnothing", "bulletin.html", b"x")
    named = tiny_pdf().replace(b"/Pages 3 0 R>>", b"/Pages 3 0 R /Names 4 0 R>>")
    with pytest.raises(pdf.PdfError, match="catalog"):
        pdf.attach(named, "bulletin.html", b"x")
    cut = pdf.attach(tiny_pdf(), "bulletin.html", b"<p>x</p>")
    cut = cut.replace(b"/Length 8>>", b"/Length 80000>>")
    with pytest.raises(pdf.PdfError, match="cut short"):
        pdf.attached_html(cut)


def test_verify_reads_a_pdf_through_its_html() -> None:
    attached = pdf.attach(tiny_pdf(), "bulletin.html", "<p>通报</p>".encode())
    assert verify.document_html(attached) == ("<p>通报</p>", True)
    assert verify.document_html("<p>通报</p>".encode()) == ("<p>通报</p>", False)
    with pytest.raises(inputs.InputsError, match="neither"):
        verify.document_html(b"\xff\xfe not text")


# --- the public page's view --------------------------------------------------------------------


def test_the_public_view_holds_aggregates_only_with_small_counts_withheld() -> None:
    records = [r for e in _fair_scenario() for r in bulletin_log.as_records(e)]
    records += tick(dt.datetime(2026, 2, 8, tzinfo=dt.UTC))
    log = bulletin_log.fold(records)
    b = make(log, period="2026-01", scope="all", edition="public", suppress_below=5)
    doc = view.data(b, [])
    counts = [
        value
        for row in doc["coverage"]
        for side in ("outflows", "inflows")
        for value in (row[side]["covered"], row[side]["flows"])
    ]
    assert not [v for v in counts if isinstance(v, int) and 0 < v < 5]
    bao = next(r for r in doc["coverage"] if r["county"] == "440306")
    assert bao["outflows"] == {"covered": "*", "flows": "<5", "ratio": None}
    assert bao["inflows"] == {"covered": 6, "flows": 6, "ratio": 1.0}
    page = view.page(b, [b.content.period], [], region_label="安康市")
    for key in person_keys(records):
        assert key not in page
        assert key not in str(doc)
    assert HANBIN in page
    assert XUNYANG in page


def test_public_links_keep_the_defaults_out() -> None:
    assert view.href(None, "zh") == "/"
    assert view.href("2026-Q1", "zh") == "/?period=2026-Q1"
    assert view.href("2026-Q1", "en", "/data.json") == "/data.json?period=2026-Q1&lang=en"


def test_verify_recomputes_a_document_and_fails_the_log_check_when_the_log_cannot_give_it() -> None:
    records = bulletin_log.records()
    b = make(bulletin_log.fold(records))
    document = verify.Document.read(b.html.encode("utf-8"))
    assert document.stated == b.inputs
    same = verify.recompute(document, lambda _: bulletin_log.fold(records), CONFIG, WEIGHTS, "w")
    assert same.ok, same.lines()
    assert [c.what for c in same.checks] == [
        "log",
        "weight file",
        "code version",
        "figures",
        "document",
    ]

    def short(_: inputs.Inputs) -> LogFold:
        raise LogError("the obligations topic holds 3 records in partition 0, not 9")

    missing = verify.recompute(document, short, CONFIG, WEIGHTS, "w")
    assert not missing.ok
    assert missing.checks[0] == verify.Check(
        "log", False, "the obligations topic holds 3 records in partition 0, not 9"
    )
    assert [c.what for c in missing.checks] == ["log", "weight file", "code version"]
