"""The bulletins published in the public folder: which files the public page lists.

Only public editions for this region, withholding at least the page's own threshold, are
listed and served; any other file there (an offices' edition put in by mistake, a document
that is no bulletin) is left out and logged. A file is read when the folder is scanned; the
page serves the bytes it read then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import structlog

from disclosure.bulletin import pdf
from disclosure.bulletin.inputs import InputsError, extract
from disclosure.bulletin.verify import document_html
from disclosure.public.view import Published

log = structlog.get_logger(__name__)

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.(html|pdf)")
MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Served:
    listing: tuple[Published, ...]
    files: dict[str, bytes]  # name -> bytes, for the listed ones only


def scan(folder: Path, *, region: str, threshold: int) -> Served:
    """The public editions in ``folder``, newest period first."""
    listing: list[Published] = []
    files: dict[str, bytes] = {}
    if not folder.is_dir():
        return Served((), {})
    for path in sorted(folder.iterdir()):
        match = NAME.fullmatch(path.name)
        if match is None or path.is_symlink() or not path.is_file():
            continue
        reason = _refused(path, region, threshold)
        if isinstance(reason, str):
            log.warning("public_bulletin_skipped", file=path.name, reason=reason)
            continue
        published, data = reason
        listing.append(published)
        files[path.name] = data
    listing.sort(key=lambda b: (b.period, b.name), reverse=True)
    return Served(tuple(listing), files)


def _refused(path: Path, region: str, threshold: int) -> str | tuple[Published, bytes]:
    """Why the file is not listed, or what it is and its bytes."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return "larger than a bulletin"
        data = path.read_bytes()
        html, is_pdf = document_html(data)
        inputs = extract(html)
    except (OSError, InputsError, pdf.PdfError) as exc:
        return str(exc)
    if is_pdf != (path.suffix == ".pdf"):
        return "its name does not say its format"
    if inputs.edition != "public" or (inputs.suppress_below or 0) < threshold:
        return f"not a public edition withholding counts below {threshold}"
    if inputs.region != region:
        return f"a bulletin of region {inputs.region}"
    published = Published(
        name=path.name,
        period=inputs.period,
        lang=inputs.lang,
        fmt="pdf" if is_pdf else "html",
        digest=inputs.digest(),
        size=len(data),
    )
    return published, data
