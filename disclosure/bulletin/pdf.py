"""The bulletin as PDF: Debian's Chromium prints the HTML, with its CJK fonts embedded.

Chromium (``--headless --print-to-pdf``) writes the same bytes for the same HTML except its
creation and modification dates, the wall clock at printing. Both are replaced, byte for
byte (same length, so every offset in the file stays right), by the bulletin's data instant:
the same inputs then give the same PDF, on the same Chromium and fonts. The HTML the PDF
was printed from is attached to it (an embedded file ``bulletin.html``, added as a PDF
incremental update, which every reader understands: ``pdfdetach -list`` shows it), so that
``liudong bulletin --verify`` can check a PDF by itself.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
    "--no-pdf-header-footer",
)
ATTACHMENT = "bulletin.html"
_DATES = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}\+00'00'\)")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_TRAILER = re.compile(rb"trailer\s*<<(.*?)>>\s*startxref\s+\d+\s+%%EOF\s*$", re.DOTALL)
_EMBEDDED = re.compile(rb"/Type /EmbeddedFile /Subtype /text#2Fhtml /Length (\d+)>> stream\n")
_CREATOR = re.compile(rb"/Creator \(([^)]*(?:\\\)[^)]*)*)\)")
TIMEOUT_S = 180.0


class PdfError(RuntimeError):
    """Printing or reading a PDF failed; the message is one line."""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise PdfError(
            "the PDF is printed by Debian's chromium, which is not installed "
            "(apt-get install chromium fonts-noto-cjk)"
        )
    return found


def print_html(html: str, at: dt.datetime) -> bytes:
    """``html`` printed to PDF by Chromium, its dates set to ``at``, the HTML attached."""
    binary = chromium()
    with tempfile.TemporaryDirectory(prefix="liudong-bulletin-") as tmp:
        root = Path(tmp)
        source = root / "bulletin.html"
        source.write_text(html, encoding="utf-8")
        out = root / "bulletin.pdf"
        command = [
            binary,
            *FLAGS,
            f"--user-data-dir={root / 'profile'}",
            f"--print-to-pdf={out}",
            source.as_uri(),
        ]
        try:
            done = subprocess.run(  # noqa: S603 - the system's chromium, fixed flags
                command, capture_output=True, timeout=TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired:
            raise PdfError(f"chromium did not print the PDF within {TIMEOUT_S:.0f} s") from None
        if not out.is_file() or out.stat().st_size == 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            raise PdfError(f"chromium printed no PDF (exit {done.returncode}): {' '.join(tail)}")
        printed = out.read_bytes()
    return attach(stamp(printed, at), ATTACHMENT, html.encode("utf-8"))


def stamp(pdf: bytes, at: dt.datetime) -> bytes:
    """The creation and modification dates replaced by ``at`` (UTC), same length."""
    date = at.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S").encode()

    def fixed(match: re.Match[bytes]) -> bytes:
        return b"/" + match.group(1) + b" (D:" + date + b"+00'00')"

    return _DATES.sub(fixed, pdf)


def attach(pdf: bytes, name: str, data: bytes) -> bytes:
    """``pdf`` with ``data`` attached as an embedded file ``name`` (an incremental update:
    the original bytes stay as they are, new objects and a new catalog follow them)."""
    start = _STARTXREF.search(pdf)
    trailer = _TRAILER.search(pdf)
    if start is None or trailer is None:
        raise PdfError("not a PDF with a classic cross-reference table")
    fields = trailer.group(1)
    size = _int(rb"/Size (\d+)", fields)
    root = _int(rb"/Root (\d+) 0 R", fields)
    info = re.search(rb"/Info (\d+) 0 R", fields)
    catalog = re.search(rb"(?:^|\n)%d 0 obj\n(<<.*?>>)\nendobj" % root, pdf, re.DOTALL)
    if catalog is None or b"/Names" in catalog.group(1) or b"/AF " in catalog.group(1):
        raise PdfError("the PDF's catalog is not one this attacher knows how to extend")
    stream_id, spec_id = size, size + 1
    body = pdf if pdf.endswith(b"\n") else pdf + b"\n"
    label = _pdf_string(name)
    objects = {
        stream_id: b"<</Type /EmbeddedFile /Subtype /text#2Fhtml /Length %d>> stream\n" % len(data)
        + data
        + b"\nendstream",
        spec_id: b"<</Type /Filespec /F %s /UF %s /EF <</F %d 0 R>> /AFRelationship /Source>>"
        % (label, label, stream_id),
        root: catalog.group(1)[:-2]
        + b"\n/Names <</EmbeddedFiles <</Names [%s %d 0 R]>>>>\n/AF [%d 0 R]>>"
        % (label, spec_id, spec_id),
    }
    offsets: dict[int, int] = {}
    out = bytearray(body)
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n"
    for number in sorted(offsets):
        out += b"%d 1\n%010d 00000 n \n" % (number, offsets[number])
    info_ref = b" /Info %s 0 R" % info.group(1) if info else b""
    out += b"trailer\n<</Size %d /Root %d 0 R%s /Prev %d>>\nstartxref\n%d\n%%%%EOF\n" % (
        spec_id + 1,
        root,
        info_ref,
        int(start.group(1)),
        xref,
    )
    return bytes(out)


def attached_html(pdf: bytes) -> str:
    """The HTML a bulletin PDF carries; PdfError if it carries none."""
    found = list(_EMBEDDED.finditer(pdf))
    if not found:
        raise PdfError("this PDF carries no bulletin HTML (not printed by liudong bulletin)")
    match = found[-1]
    length = int(match.group(1))
    data = pdf[match.end() : match.end() + length]
    if len(data) != length:
        raise PdfError("the PDF's attached HTML is cut short")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise PdfError("the PDF's attached HTML is not UTF-8") from None


def creator(pdf: bytes) -> str | None:
    """The program that printed it, as the PDF says (Chromium's user agent)."""
    match = _CREATOR.search(pdf)
    return match.group(1).decode("latin-1").replace("\\", "") if match else None


def _int(pattern: bytes, text: bytes) -> int:
    match = re.search(pattern, text)
    if match is None:
        raise PdfError("the PDF's trailer lacks " + pattern.decode().split()[0])
    return int(match.group(1))


def _pdf_string(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9._-]+", text):
        raise PdfError(f"attachment name {text!r} is not plain ASCII")
    return b"(" + text.encode() + b")"
