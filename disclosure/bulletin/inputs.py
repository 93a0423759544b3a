"""What a bulletin is a function of, stated in the document so that it can be recomputed.

* the request: period, scope, language, edition (the offices' full figures, or the public
  edition with small numbers withheld below a threshold), region and issuing office;
* the log: the topic prefix, the offsets read up to per topic and partition, and a SHA-256
  of each partition's records read (:class:`disclosure.bulletin.log_fold.LogFold`);
* the weight file's SHA-256;
* the code version: the package version and a SHA-256 over the sources that compute and
  render a bulletin (``contracts``, ``agents``, the codec, the topic catalog and this
  package), so a verifier can tell a different program from a different log.

The inputs travel inside the HTML as a JSON data block (``<script type="application/json"
id="bulletin-inputs">``: data, never run), canonical JSON, and their digest is printed in the
title block.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from contracts.languages import LANGS, Lang
from disclosure.bulletin import positions as positions_module
from disclosure.bulletin.positions import TOPICS, Positions

Edition = Literal["full", "public"]
SCOPES = ("region", "all")
FORMAT = 1  # of the inputs block; a reader refuses others
BLOCK_ID = "bulletin-inputs"
_BLOCK = re.compile(
    r'<script type="application/json" id="' + BLOCK_ID + r'">(.*?)</script>', re.DOTALL
)
_ROOT = Path(__file__).resolve().parents[2]
# The sources a bulletin's figures and bytes depend on (relative to the repository root).
SOURCES: tuple[str, ...] = (
    "contracts",
    "agents",
    "streams/codec.py",
    "streams/topics.py",
    "entrypoints/campaign_cmd.py",
    "disclosure/bulletin",
)
SOURCE_SUFFIXES = (".py", ".toml", ".csv", ".css")


class InputsError(ValueError):
    """A document without readable inputs; the message is one line."""


@dataclass(frozen=True, slots=True)
class Inputs:
    period: str
    scope: str
    lang: Lang
    edition: Edition
    suppress_below: int | None  # the public edition's threshold
    region: str
    office: str
    topic_prefix: str
    positions: Positions
    log_sha256: dict[str, list[str]]
    weights_sha256: str
    code_version: str

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "period": self.period,
            "scope": self.scope,
            "lang": self.lang,
            "edition": self.edition,
            "suppress_below": self.suppress_below,
            "region": self.region,
            "office": self.office,
            "topic_prefix": self.topic_prefix,
            "positions": positions_module.as_json(self.positions),
            "log_sha256": {t: list(self.log_sha256[t]) for t in TOPICS},
            "weights_sha256": self.weights_sha256,
            "code_version": self.code_version,
        }

    def canonical(self) -> str:
        return json.dumps(self.as_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)

    def digest(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()

    def block(self) -> str:
        """The data block for the document's head; ``<`` and ``>`` are written as JSON
        escapes, so no value can close the element."""
        body = self.canonical().replace("<", "\\u003c").replace(">", "\\u003e")
        return f'<script type="application/json" id="{BLOCK_ID}">{body}</script>'


def from_json(doc: Any) -> Inputs:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputsError(f"the inputs block is not of format {FORMAT}")
    try:
        lang, edition, scope = doc["lang"], doc["edition"], doc["scope"]
        if lang not in LANGS or edition not in ("full", "public") or scope not in SCOPES:
            raise InputsError("the inputs block names an unknown language, edition or scope")
        threshold = doc["suppress_below"]
        if edition == "public" and not (isinstance(threshold, int) and threshold >= 1):
            raise InputsError("a public edition states its suppression threshold")
        log = doc["log_sha256"]
        if not isinstance(log, dict) or sorted(log) != sorted(TOPICS):
            raise InputsError("the inputs block lacks the log digests")
        strings = [doc[k] for k in ("period", "region", "office", "topic_prefix")]
        strings += [doc["weights_sha256"], doc["code_version"]]
        if not all(isinstance(s, str) for s in strings):
            raise InputsError("the inputs block has a field of the wrong type")
        return Inputs(
            period=doc["period"],
            scope=scope,
            lang=lang,
            edition=edition,
            suppress_below=threshold if edition == "public" else None,
            region=doc["region"],
            office=doc["office"],
            topic_prefix=doc["topic_prefix"],
            positions=positions_module.from_json(doc["positions"]),
            log_sha256={t: [str(h) for h in log[t]] for t in TOPICS},
            weights_sha256=doc["weights_sha256"],
            code_version=doc["code_version"],
        )
    except KeyError as exc:
        raise InputsError(f"the inputs block lacks {exc.args[0]!r}") from None
    except positions_module.PositionError as exc:
        raise InputsError(f"the inputs block's positions: {exc}") from None


def extract(document: str) -> Inputs:
    """The inputs an HTML bulletin states; InputsError if it states none."""
    found = _BLOCK.findall(document)
    if len(found) != 1:
        raise InputsError("this is not a liudong bulletin: it has no inputs block")
    try:
        doc = json.loads(found[0])
    except json.JSONDecodeError:
        raise InputsError("the inputs block is not valid JSON") from None
    return from_json(doc)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@functools.cache
def code_version() -> str:
    """``<package version>+<12 hex>``: the version and a digest of :data:`SOURCES`."""
    digest = hashlib.sha256()
    for relative in SOURCES:
        base = _ROOT / relative
        files = [base] if base.is_file() else sorted(base.rglob("*"))
        for path in files:
            if path.suffix not in SOURCE_SUFFIXES or "__pycache__" in path.parts:
                continue
            name = path.relative_to(_ROOT).as_posix()
            data = path.read_bytes()
            digest.update(f"{name}\0{len(data)}\0".encode() + data)
    try:
        version = metadata.version("liudong")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"{version}+{digest.hexdigest()[:12]}"
