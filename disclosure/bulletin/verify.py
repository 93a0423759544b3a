"""``liudong bulletin --verify FILE``: recompute a bulletin from the inputs it states.

Each input is checked and named when it differs: the log (the records up to the stated
positions, by their SHA-256 per partition), the weight file, the code version; then the
figures (the document rendered again from a fresh computation, with the stated inputs, so
that a difference here is a difference of content), then the document's bytes. A PDF is
checked through the HTML it carries, and printed again to compare its bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agents.assessment_config import AssessmentConfig
from disclosure.bulletin import build, pdf, render
from disclosure.bulletin import inputs as inputs_module
from disclosure.bulletin.content import NotReady
from disclosure.bulletin.inputs import Inputs
from disclosure.bulletin.log_fold import LogFold
from disclosure.bulletin.log_reader import LogError
from disclosure.bulletin.positions import TOPICS

CONTEXT = 40


@dataclass(frozen=True, slots=True)
class Check:
    what: str
    same: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Report:
    inputs: Inputs
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.same for c in self.checks)

    def lines(self) -> list[str]:
        i = self.inputs
        out = [
            f"bulletin {i.period} ({i.scope}, {i.lang}, {i.edition} edition), "
            f"inputs digest {i.digest()[:16]}"
        ]
        out += [f"  {c.what}: {'same' if c.same else 'DIFFERS'}: {c.detail}" for c in self.checks]
        bad = [c.what for c in self.checks if not c.same]
        out.append(
            f"verified: {'every check is the same' if not bad else 'differs in ' + ', '.join(bad)}"
        )
        return out


def document_html(data: bytes) -> tuple[str, bool]:
    """The bulletin HTML in a file's bytes, and whether the file is a PDF."""
    if data.startswith(b"%PDF-"):
        return pdf.attached_html(data), True
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        raise inputs_module.InputsError(
            "this file is neither a bulletin's HTML nor its PDF"
        ) from None


@dataclass(frozen=True, slots=True)
class Document:
    """A file to verify: its bytes, the bulletin HTML in them, and the inputs it states."""

    data: bytes
    html: str
    is_pdf: bool
    stated: Inputs

    @classmethod
    def read(cls, data: bytes) -> Document:
        """InputsError or pdf.PdfError (one line) when the bytes are not a bulletin."""
        html, is_pdf = document_html(data)
        return cls(data, html, is_pdf, inputs_module.extract(html))


def recompute(
    document: Document,
    read_log: Callable[[Inputs], LogFold],
    config: AssessmentConfig,
    weights_sha256: str,
    weights_name: str,
) -> Report:
    """Every check of ``document`` against the log ``read_log`` gives for its stated inputs
    (a log that cannot give them is a failed check; a cluster that cannot be read raises)."""
    stated = document.stated
    try:
        log = read_log(stated)
    except LogError as exc:
        checks = [
            Check("log", False, str(exc)),
            *input_checks(stated, weights_sha256, weights_name),
        ]
        return Report(stated, tuple(checks))
    checks = [log_check(stated, log), *input_checks(stated, weights_sha256, weights_name)]
    more, again = content_checks(stated, document.html, log, config, weights_sha256)
    checks += more
    if document.is_pdf and again is not None and again.html == document.html:
        try:
            checks.append(pdf_check(document.data, again))
        except pdf.PdfError as exc:
            checks.append(Check("pdf", False, f"cannot print it again: {exc}"))
    return Report(stated, tuple(checks))


def log_check(stated: Inputs, log: LogFold) -> Check:
    now = log.log_digests()
    differ = [
        f"{t} partition {p}"
        for t in TOPICS
        for p, (a, b) in enumerate(zip(stated.log_sha256[t], now[t], strict=False))
        if a != b
    ]
    differ += [t for t in TOPICS if len(stated.log_sha256[t]) != len(now[t])]
    if differ:
        return Check(
            "log",
            False,
            "the records up to the stated positions are not the ones the bulletin read: "
            + ", ".join(differ),
        )
    return Check("log", True, f"the same records up to the stated positions ({', '.join(TOPICS)})")


def input_checks(stated: Inputs, weights_sha256: str, weights_name: str) -> list[Check]:
    weights = Check(
        "weight file",
        stated.weights_sha256 == weights_sha256,
        f"sha256 {weights_sha256[:16]} ({weights_name})"
        if stated.weights_sha256 == weights_sha256
        else f"the bulletin states sha256 {stated.weights_sha256[:16]}, "
        f"{weights_name} has {weights_sha256[:16]}",
    )
    version = inputs_module.code_version()
    code = Check(
        "code version",
        stated.code_version == version,
        version
        if stated.code_version == version
        else f"the bulletin states {stated.code_version}, this program is {version}",
    )
    return [weights, code]


def content_checks(
    stated: Inputs,
    document: str,
    log: LogFold,
    config: AssessmentConfig,
    weights_sha256: str,
) -> tuple[list[Check], build.Bulletin | None]:
    """The figures and the document's bytes against a recomputation; and the recomputed
    bulletin (None when the log no longer gives the period)."""
    try:
        again = build.make(
            log,
            build.request_of(stated),
            config,
            weights_sha256=weights_sha256,
            topic_prefix=stated.topic_prefix,
        )
    except NotReady as exc:
        return [Check("figures", False, str(exc))], None
    with_stated = render.document(again.content, stated)
    figures = Check(
        "figures",
        with_stated == document,
        "a recomputation at the stated positions gives the same figures"
        if with_stated == document
        else "a recomputation gives other figures: " + first_difference(document, with_stated),
    )
    same = again.html == document
    whole = Check(
        "document",
        same,
        "byte-identical to a fresh bulletin from the same inputs"
        if same
        else "differs from a fresh bulletin: " + first_difference(document, again.html),
    )
    return [figures, whole], again


def pdf_check(original: bytes, again: build.Bulletin) -> Check:
    """A PDF against a fresh print of the recomputed HTML."""
    reprinted = pdf.print_html(again.html, again.content.clock)
    if reprinted == original:
        return Check("pdf", True, "byte-identical to a fresh print of the same HTML")
    was, now = pdf.creator(original), pdf.creator(reprinted)
    detail = "differs from a fresh print of the same HTML"
    if was != now:
        detail += f" (printed by {was}; this machine prints with {now})"
    return Check("pdf", False, detail)


def first_difference(a: str, b: str) -> str:
    """Where two documents first differ, with a little text around it from each."""
    n = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    line = a.count("\n", 0, n) + 1
    lo = max(0, n - CONTEXT)
    return f"line {line}: {a[lo : n + CONTEXT]!r} against {b[lo : n + CONTEXT]!r}"
