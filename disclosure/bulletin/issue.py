"""Issuing a period's bulletin: the offices' edition and the public edition, HTML and PDF.

What ``liudong demo`` does at the end of its simulated quarter; an office does the same with
``liudong bulletin`` (twice, once with ``--public``), putting the public edition in the
public page's folder. The log and each edition's request come from the composition root
(:mod:`bootstrap.readers`), as for ``liudong bulletin``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agents import assessment_config as cfg
from disclosure.bulletin import build, content, pdf
from disclosure.bulletin.inputs import sha256_file
from disclosure.bulletin.log_fold import LogFold

# The request for a period's bulletin: the public edition when the flag is set.
RequestFor = Callable[[str, bool], build.Request]


@dataclass(frozen=True, slots=True)
class Issued:
    period: str
    files: tuple[Path, ...]  # the offices' edition, then the public edition (HTML, PDF each)


async def issue_newest(
    log: LogFold, request_for: RequestFor, prefix: str, *, offices: Path, public: Path
) -> Issued | None:
    """The newest closed quarter's (else month's) bulletin of ``log``, both editions, written
    to ``offices`` and ``public``; None when the log has closed no period yet."""
    config = cfg.load()
    period = content.newest_closed(log.assessment, config)
    if period is None:
        return None
    weights = sha256_file(cfg.DEFAULT_PATH)
    files: list[Path] = []
    for folder, is_public in ((offices, False), (public, True)):
        request = request_for(period.text, is_public)
        bulletin = build.make(log, request, config, weights_sha256=weights, topic_prefix=prefix)
        folder.mkdir(parents=True, exist_ok=True)
        html = folder / f"{period.text}.html"
        html.write_text(bulletin.html, encoding="utf-8")
        printed = await asyncio.to_thread(pdf.print_html, bulletin.html, bulletin.content.clock)
        (folder / f"{period.text}.pdf").write_bytes(printed)
        files += [html, folder / f"{period.text}.pdf"]
    return Issued(period.text, tuple(files))
