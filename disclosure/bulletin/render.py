"""The bulletin as an HTML document, laid out as an office issues a 通报. Pure, no I/O.

Same content and inputs, same bytes: every list is in a stated order, numbers have fixed
decimals, times are Beijing time from the log's clock (never the wall clock), and nothing
random is written. The style sheet (``bulletin.css``) and the charts are inline, so the file
needs no network and no script to be read or printed.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from importlib import resources

from contracts.human_time import LOCAL
from contracts.languages import Lang
from disclosure.bulletin import activity_sections, score_sections
from disclosure.bulletin import positions as positions_module
from disclosure.bulletin.content import Content
from disclosure.bulletin.doc import Doc, region_name, table, topic_digest
from disclosure.bulletin.inputs import Inputs
from disclosure.bulletin.words import issued_on, section_heading, word


def css() -> str:
    return resources.files("disclosure.bulletin").joinpath("bulletin.css").read_text("utf-8")


def default_office(region: str, lang: Lang) -> str:
    return word("office_default", lang, region=region_name(region))


def _section(number: int, title: str, body: str, anchor: str, lang: Lang) -> str:
    heading = section_heading(number, title, lang)
    return f'<section id="{anchor}">\n<h2>{heading}</h2>\n{body}</section>\n'


def _data(d: Doc) -> str:
    i = d.inputs
    scope = d.w("scope_region") if i.scope == "region" else d.w("scope_all")
    end = d.c.period.end - dt.timedelta(seconds=1)
    facts = [
        (d.w("period"), d.period()),
        (
            d.w("period_bounds"),
            f"{escape(LOCAL.show(d.c.period.start))} – {escape(LOCAL.show(end))}",
        ),
        (d.w("scope"), scope + d.aside(f"{escape(region_name(i.region))} {escape(i.region)}")),
        (d.w("data_instant"), escape(LOCAL.show(d.c.clock))),
    ]
    rows = [
        (
            escape(f"{i.topic_prefix}.{topic}"),
            str(len(i.positions[topic])),
            ", ".join(str(o) for o in i.positions[topic]),
            f"<code>{topic_digest(i.log_sha256[topic])[:16]}</code>",
        )
        for topic in positions_module.TOPICS
    ]
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    inputs = [
        (d.w("positions_text"), f"<code>{escape(positions_module.text(i.positions))}</code>"),
        (d.w("weights_digest"), f"<code>{i.weights_sha256}</code>"),
        (d.w("code_version"), f"<code>{escape(i.code_version)}</code>"),
        (d.w("inputs_digest"), f"<code>{i.digest()}</code>"),
    ]
    dl2 = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in inputs)
    head = (d.w("topic"), d.w("partitions"), d.w("offset"), d.w("records_digest"))
    return (
        f'<dl class="facts">{dl}</dl>'
        + table(head, rows, "positions")
        + f'<dl class="facts inputs">{dl2}</dl><p class="hint">{d.w("verify_hint")}</p>'
    )


def document(content: Content, inputs: Inputs) -> str:
    """The whole bulletin, as text (UTF-8 when written)."""
    d = Doc(content, inputs)
    lang = d.lang
    title = d.w("title", period=content.period.label(lang))
    sections = (
        ("s_data", "data", _data),
        ("s_league", "league", score_sections.league_section),
        ("s_indicators", "indicators", score_sections.indicators_section),
        ("s_coverage", "coverage", activity_sections.coverage_section),
        ("s_breaches", "breaches", activity_sections.breaches_section),
        ("s_campaigns", "campaigns", activity_sections.campaigns_section),
        ("s_movement", "movement", score_sections.movement_section),
        ("s_weights", "weights", score_sections.weights_section),
    )
    body = "".join(
        _section(n, d.w(key), build(d), anchor, lang)
        for n, (key, anchor, build) in enumerate(sections, start=1)
    )
    edition = ""
    if inputs.edition == "public" and inputs.suppress_below is not None:
        n = inputs.suppress_below
        edition = (
            f'<p class="edition">{d.w("edition_public", n=n)} {d.w("suppressed_note", n=n)}</p>'
        )
    date = LOCAL.at(content.clock)
    issued = issued_on(date, lang)
    office = escape(inputs.office)
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html_lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{title}</title><link rel="icon" href="data:,">'
        f'<meta name="generator" content="liudong {escape(inputs.code_version)}">'
        f"<style>{css()}</style>{inputs.block()}</head>\n<body>"
        f'<header class="redhead"><div class="office">{office}</div>'
        f'<div class="doctype">{d.w("bulletin")}</div></header>'
        f'<h1 class="title">{title}</h1>'
        f'<p class="meta">{d.w("data_instant")} {escape(LOCAL.show(content.clock))} · '
        f"{d.w('inputs_digest')} <code>{inputs.digest()[:16]}</code></p>"
        f"{edition}"
        f'<p class="addressees">{d.w("addressees")}</p>'
        f'<p class="preamble">{d.w("preamble", period=content.period.label(lang))}</p>'
        f"{body}"
        f'<footer class="issuer"><div>{office}</div><div>{escape(issued)}</div></footer>'
        "</body></html>\n"
    )
