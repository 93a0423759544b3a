"""The public page and its JSON, from a bulletin's public edition. Pure, no I/O.

The page shows what a public-edition bulletin at the same log positions shows, and only
those parts: the league, agreement coverage (county counts below the threshold withheld,
:mod:`disclosure.bulletin.suppression`), and the rules in force; with the list of published
bulletins. Nothing about a person is in the content it is made from: no person key, no
case, no event; only counts, ratios, scores and county codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode

from agents import assessment_config as cfg
from agents.assessment_config import AssessmentConfig
from contracts import periods
from contracts.human_time import LOCAL
from contracts.languages import Lang
from disclosure.bulletin import activity_sections, score_sections, suppression
from disclosure.bulletin import positions as positions_module
from disclosure.bulletin.build import Bulletin
from disclosure.bulletin.content import Content, Fraction
from disclosure.bulletin.doc import Doc, county_name, table
from disclosure.bulletin.words import LANG_NAMES, word


@dataclass(frozen=True, slots=True)
class Published:
    """A bulletin in the public folder: its file and what its inputs say."""

    name: str
    period: str
    lang: str
    fmt: str
    digest: str
    size: int


def href(period: str | None, lang: Lang, path: str = "/") -> str:
    """A link to ``path`` for a period and language (the defaults left out)."""
    query = [("period", period)] if period else []
    if lang != "zh":
        query.append(("lang", lang))
    return path + ("?" + urlencode(query) if query else "")


def _head(title: str, lang: Lang) -> str:
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        '<link rel="icon" href="data:,">'
        '<link rel="stylesheet" href="/static/bulletin.css">'
        '<link rel="stylesheet" href="/static/public.css"></head>\n'
    )


def _nav(current: str | None, closed: Sequence[periods.Period], lang: Lang) -> str:
    links = []
    for p in closed:
        label = escape(p.label(lang))
        if p.text == current:
            links.append(f'<strong aria-current="page">{label}</strong>')
        else:
            links.append(f'<a href="{escape(href(p.text, lang))}">{label}</a>')
    other: Lang = "en" if lang == "zh" else "zh"
    colon = "：" if lang == "zh" else ": "
    switch = f'<a href="{escape(href(current, other))}" lang="{other}">{LANG_NAMES[other]}</a>'
    return (
        f'<nav class="periods"><span>{escape(word("other_periods", lang))}{colon}</span>'
        + " ".join(links)
        + f'</nav><nav class="lang">{switch}</nav>'
    )


def page(
    bulletin: Bulletin,
    closed: Sequence[periods.Period],
    published: Sequence[Published],
    *,
    region_label: str,
) -> str:
    """The public page for one period (a public-edition bulletin's content)."""
    d = Doc(bulletin.content, bulletin.inputs)
    lang = d.lang
    title = word("public_title", lang, region=region_label)
    c = bulletin.content
    n = bulletin.inputs.suppress_below
    where = positions_module.text(bulletin.inputs.positions)
    meta = (
        f"{d.w('period')} <strong>{d.period()}</strong> · "
        f"{d.w('data_instant')} {escape(LOCAL.show(c.clock))}"
    )
    return (
        _head(title, lang)
        + '<body class="public">'
        + f'<header class="site"><h1>{escape(title)}</h1>'
        + _nav(c.period.text, closed, lang)
        + "</header>\n<main>"
        + f'<p class="intro">{d.w("public_intro")}</p><p class="meta" id="meta">{meta}</p>'
        + f'<p class="note">{d.w("suppressed_note", n=n)}</p>\n'
        + f'<section id="league"><h2>{d.w("s_league")}</h2>'
        + f"{score_sections.league_section(d)}</section>\n"
        + f'<section id="coverage"><h2>{d.w("s_coverage")}</h2>'
        + f"{activity_sections.coverage_section(d)}</section>\n"
        + f'<section id="bulletins"><h2>{d.w("published")}</h2>'
        + _published(published, lang)
        + "</section>\n"
        + f'<section id="rules"><h2>{d.w("rules")}</h2>'
        + f"{score_sections.weights_section(d)}</section>\n"
        + f'</main><footer class="site"><p class="note">{d.w("public_figures", positions=where)}'
        + f'</p><p><a href="{escape(href(c.period.text, lang, "/data.json"))}">'
        + f"{d.w('data_json')}</a></p></footer></body></html>\n"
    )


def _published(published: Sequence[Published], lang: Lang) -> str:
    if not published:
        return f"<p>{escape(word('no_published', lang))}</p>"
    head = (
        escape(word("period", lang)),
        escape(word("language", lang)),
        escape(word("format", lang)),
        escape(word("inputs_digest", lang)),
    )
    rows = [
        (
            f'<a href="/bulletins/{escape(b.name)}">'
            f"{escape(periods.parse(b.period).label(lang))}</a>",
            escape(LANG_NAMES.get(b.lang, b.lang)),
            escape(b.fmt.upper()),
            f"<code>{escape(b.digest[:16])}</code>",
        )
        for b in published
    ]
    return table(head, rows, "published")


def message_page(text: str, closed: Sequence[periods.Period], lang: Lang, region_label: str) -> str:
    """A page saying why there is nothing to show (no closed period, unknown period)."""
    title = word("public_title", lang, region=region_label)
    return (
        _head(title, lang)
        + f'<body class="public"><header class="site"><h1>{escape(title)}</h1>'
        + _nav(None, closed, lang)
        + f'</header><main><p class="message">{escape(text)}</p></main></body></html>\n'
    )


# --- the same figures as JSON ----------------------------------------------------------------


def _shown(f: Fraction, threshold: int | None) -> dict[str, Any]:
    num, den = suppression.fraction(f.numerator, f.denominator, threshold)
    exact = num.exact and den.exact
    return {
        "covered": int(num.text) if num.exact else num.text,
        "flows": int(den.text) if den.exact else den.text,
        "ratio": round(f.ratio, 4) if f.ratio is not None and exact else None,
    }


def _league(content: Content) -> list[dict[str, Any]]:
    return [
        {
            "rank": s.rank,
            "county": s.county,
            "name": county_name(s.county),
            "origin": s.scores.origin,
            "destination": s.scores.destination,
            "combined": s.scores.combined,
        }
        for s in content.league.standings
    ]


def _coverage(content: Content, threshold: int | None) -> list[dict[str, Any]]:
    return [
        {
            "county": r.county,
            "name": county_name(r.county),
            "outflows": _shown(r.outflows, threshold),
            "inflows": _shown(r.inflows, threshold),
        }
        for r in content.coverage
    ]


def _weights(config: AssessmentConfig) -> dict[str, Any]:
    return {
        side: {
            name: {
                "weight": config.rule(side, name).weight,
                "target": config.rule(side, name).target,
                "floor": config.rule(side, name).floor,
            }
            for name in cfg.names(side)
        }
        for side in cfg.SIDES
    }


def data(bulletin: Bulletin, published: Sequence[Published]) -> dict[str, Any]:
    """The page's figures for machines: the same aggregates, the same withholding."""
    c, i = bulletin.content, bulletin.inputs
    threshold = i.suppress_below
    avg = c.league.average
    return {
        "region": c.region,
        "period": c.period.text,
        "data_instant": LOCAL.iso(c.clock),
        "positions": positions_module.text(i.positions),
        "inputs_digest": i.digest(),
        "suppress_below": threshold,
        "ranked": bool(c.league.ranked),
        "league": _league(c),
        "region_average": {
            "origin": avg.origin,
            "destination": avg.destination,
            "combined": avg.combined,
        },
        "coverage": _coverage(c, threshold),
        "region_coverage": _shown(c.region_coverage, threshold),
        "coverage_target": {side: c.coverage_target(side) for side in cfg.SIDES},
        "weights": _weights(c.config),
        "side_weights": {
            "origin": c.config.sides.origin,
            "destination": c.config.sides.destination,
        },
        "min_settled_obligations": c.config.min_settled_obligations,
        "bulletins": [
            {"file": b.name, "period": b.period, "lang": b.lang, "format": b.fmt} for b in published
        ],
    }
