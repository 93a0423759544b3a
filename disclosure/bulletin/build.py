"""One bulletin from a folded log: its content, its inputs and its HTML. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from agents.assessment_config import AssessmentConfig
from contracts.languages import Lang
from contracts.league import Scope
from disclosure.bulletin import content as content_module
from disclosure.bulletin import render
from disclosure.bulletin.inputs import Edition, Inputs, code_version
from disclosure.bulletin.log_fold import LogFold


@dataclass(frozen=True, slots=True)
class Request:
    period: str
    scope: Scope = "region"
    lang: Lang = "zh"
    edition: Edition = "full"
    suppress_below: int | None = None  # the public edition's threshold
    region: str = "610900"
    office: str | None = None  # default: the region's office (render.default_office)


@dataclass(frozen=True, slots=True)
class Bulletin:
    content: content_module.Content
    inputs: Inputs
    html: str


def make(
    log: LogFold,
    request: Request,
    config: AssessmentConfig,
    *,
    weights_sha256: str,
    topic_prefix: str,
) -> Bulletin:
    """The bulletin ``request`` asks for; content.NotReady if the period has not closed."""
    computed = content_module.compute(
        log, request.period, config, region=request.region, scope=request.scope
    )
    inputs = Inputs(
        period=computed.period.text,
        scope=request.scope,
        lang=request.lang,
        edition=request.edition,
        suppress_below=request.suppress_below if request.edition == "public" else None,
        region=request.region,
        office=request.office or render.default_office(request.region, request.lang),
        topic_prefix=topic_prefix,
        positions=log.positions(),
        log_sha256=log.log_digests(),
        weights_sha256=weights_sha256,
        code_version=code_version(),
    )
    return Bulletin(computed, inputs, render.document(computed, inputs))


def request_of(inputs: Inputs) -> Request:
    """The request a document's inputs record (to recompute it)."""
    scope: Scope = "all" if inputs.scope == "all" else "region"
    return Request(
        period=inputs.period,
        scope=scope,
        lang=inputs.lang,
        edition=inputs.edition,
        suppress_below=inputs.suppress_below,
        region=inputs.region,
        office=inputs.office,
    )
