"""The bulletin as an HTML document, laid out as an office issues a 通报. Pure, no I/O.

Same content and inputs, same bytes: every list is in a stated order, numbers have fixed
decimals, times are Beijing time from the log's clock (never the wall clock), and nothing
random is written. The style sheet (``bulletin.css``) and the charts are inline, so the file
needs no network and no script to be read or printed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from html import escape
from importlib import resources

from agents import assessment_config as cfg
from contracts import divisions
from contracts import obligation_vocabulary as vocabulary
from contracts.human_time import LOCAL
from contracts.languages import Lang, pick
from contracts.league import Standing
from contracts.words import table as code_words
from contracts.words.assessment import LEAGUE, SIDES
from contracts.words.campaigns import CAMPAIGN_STATES, CHECKS, RESULTS
from contracts.words.obligations import OBLIGATION_KINDS
from disclosure.bulletin import charts, definitions, suppression
from disclosure.bulletin import positions as positions_module
from disclosure.bulletin.content import (
    CampaignSummary,
    Content,
    CountyIndicators,
    Fraction,
    Movement,
)
from disclosure.bulletin.inputs import Inputs
from disclosure.bulletin.words import issued_on, section_heading, word


def css() -> str:
    return resources.files("disclosure.bulletin").joinpath("bulletin.css").read_text("utf-8")


def county_name(code: str) -> str:
    division = divisions.county(code)
    return division.name if division else code


def region_name(code: str) -> str:
    division = divisions.authority(code)
    return division.name if division else code


def default_office(region: str, lang: Lang) -> str:
    return word("office_default", lang, region=region_name(region))


class Doc:
    """What every section needs: the language and the suppression threshold."""

    def __init__(self, content: Content, inputs: Inputs) -> None:
        self.c = content
        self.inputs = inputs
        self.lang: Lang = inputs.lang
        self.threshold = inputs.suppress_below

    def w(self, key: str, **values: object) -> str:
        return escape(word(key, self.lang, **values))

    def term(self, table: code_words.Words, code: str) -> str:
        """A code's shared word (:mod:`contracts.words`), escaped."""
        return escape(code_words.word(table, code, self.lang))

    def period(self, period: object = None) -> str:
        p = self.c.period if period is None else period
        return escape(p.label(self.lang))  # type: ignore[attr-defined]

    def count(self, n: int) -> str:
        return escape(suppression.count(n, self.threshold).text)

    def fraction(self, f: Fraction) -> tuple[str, str, str]:
        """(numerator, denominator, ratio) as shown."""
        num, den = suppression.fraction(f.numerator, f.denominator, self.threshold)
        ratio = "-" if f.ratio is None or not num.exact else percent(f.ratio)
        return escape(num.text), escape(den.text), ratio

    def shown(self, f: Fraction) -> bool:
        return suppression.fraction_shown(f.numerator, f.denominator, self.threshold)

    def score(self, value: float | None) -> str:
        if value is None:
            return f'<span class="na">{self.term(LEAGUE, "not_assessed")}</span>'
        return f"{value:.2f}"

    def aside(self, text: str) -> str:
        """``text`` in parentheses, as each language writes them."""
        return f"（{text}）" if self.lang == "zh" else f" ({text})"

    def county(self, code: str) -> str:
        return (
            f'<span class="county">{escape(county_name(code))}</span>'
            f'<span class="code">{escape(code)}</span>'
        )


def topic_digest(partitions: Sequence[str]) -> str:
    """One digest for a topic's records: SHA-256 over its partitions' digests in order."""
    return hashlib.sha256("".join(partitions).encode()).hexdigest()


def percent(ratio: float) -> str:
    return f"{100 * ratio:.1f}%"


def table(head: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    out = [f"<table{attr}><thead><tr>"]
    out += [f"<th>{h}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>\n")
    out.append("</tbody></table>\n")
    return "".join(out)


def _section(number: int, title: str, body: str, anchor: str, lang: Lang) -> str:
    heading = section_heading(number, title, lang)
    return f'<section id="{anchor}">\n<h2>{heading}</h2>\n{body}</section>\n'


# --- sections --------------------------------------------------------------------------------


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


def league_section(d: Doc) -> str:
    standings = d.c.league
    if not standings.standings:
        return f"<p>{d.w('no_ranking')}</p>"
    head = (
        d.term(LEAGUE, "rank"),
        d.w("county"),
        d.term(LEAGUE, "origin_score"),
        d.term(LEAGUE, "destination_score"),
        d.term(LEAGUE, "combined_score"),
    )
    rows = [_standing(d, s) for s in standings.standings]
    avg = standings.average
    rows.append(
        (
            "",
            f"<strong>{d.term(LEAGUE, 'region_average')}</strong>",
            d.score(avg.origin),
            d.score(avg.destination),
            d.score(avg.combined),
        )
    )
    out = table(head, rows, "league")
    if not standings.ranked:
        out += f"<p>{d.w('no_ranking')}</p>"
    out += f'<p class="note">{d.w("not_assessed_note", n=d.c.config.min_settled_obligations)}</p>'
    chart_rows = [
        charts.Row(
            f"{county_name(s.county)}",
            (
                charts.Bar(
                    s.scores.combined,
                    code_words.word(LEAGUE, "not_assessed", d.lang)
                    if s.scores.combined is None
                    else f"{s.scores.combined:.2f}",
                ),
            ),
        )
        for s in standings.standings
    ]
    marker = None
    if avg.combined is not None:
        marker = (
            avg.combined,
            f"{code_words.word(LEAGUE, 'region_average', d.lang)} {avg.combined:.2f}",
        )
    out += charts.bars(
        chart_rows,
        maximum=100.0,
        series=(word("league_chart", d.lang),),
        ticks=[(v, str(int(v))) for v in (0.0, 20.0, 40.0, 60.0, 80.0, 100.0)],
        marker=marker,
        title=f"{word('s_league', d.lang)} · {code_words.word(LEAGUE, 'combined_score', d.lang)}",
    )
    return out


def _standing(d: Doc, s: Standing) -> tuple[str, ...]:
    rank = (
        str(s.rank)
        if s.rank is not None
        else f'<span class="na">{d.term(LEAGUE, "not_ranked")}</span>'
    )
    return (
        rank,
        d.county(s.county),
        d.score(s.scores.origin),
        d.score(s.scores.destination),
        d.score(s.scores.combined),
    )


def _indicators(d: Doc) -> str:
    if not d.c.indicators:
        return f"<p>{d.w('no_ranking')}</p>"
    return "".join(_county_indicators(d, ci) for ci in d.c.indicators)


def _county_indicators(d: Doc, ci: CountyIndicators) -> str:
    minimum = d.c.config.min_settled_obligations
    sides = []
    for side in cfg.SIDES:
        assessed = "" if ci.settled[side] >= minimum else d.aside(d.term(LEAGUE, "not_assessed"))
        sides.append(
            f"{d.term(SIDES, side)} {d.w('settled', settled=vocabulary.SETTLED.label(d.lang))} "
            f"{d.count(ci.settled[side])}{assessed}"
        )
    by_name: dict[str, dict[str, tuple[str, str, str]]] = {}
    for row in ci.rows:
        num, den, ratio = d.fraction(row.fraction)
        score = "-"
        if row.score is not None and d.shown(row.fraction):
            score = f"{row.score:.1f}"
        by_name.setdefault(row.name, {})[row.side] = (f"{num}/{den}", ratio, score)
    head = [d.w("indicator")]
    for side in cfg.SIDES:
        name = d.term(SIDES, side)
        head += [f"{name} {d.w('fraction')}", d.w("ratio"), d.w("score")]
    rows = []
    for indicator in cfg.INDICATORS:
        cells = [escape(definitions.indicator(indicator.name, d.lang))]
        for side in cfg.SIDES:
            cells += by_name.get(indicator.name, {}).get(side, ("—", "", ""))
        rows.append(cells)
    return (
        f'<div class="county-block"><h3>{d.county(ci.county)}</h3>'
        f'<p class="note">{"；".join(sides) if d.lang == "zh" else "; ".join(sides)}</p>'
        + table(head, rows, "indicators")
        + "</div>"
    )


def coverage_section(d: Doc) -> str:
    c = d.c
    targets = {side: c.coverage_target(side) for side in cfg.SIDES}
    head = (
        d.w("county"),
        f"{d.w('outflows')}<br>{d.w('covered')}",
        d.w("ratio"),
        f"{d.w('target')} {percent(targets['origin'])}",
        f"{d.w('inflows')}<br>{d.w('covered')}",
        d.w("ratio"),
        f"{d.w('target')} {percent(targets['destination'])}",
    )
    rows = [
        (
            d.county(r.county),
            *_cover(d, r.outflows, targets["origin"]),
            *_cover(d, r.inflows, targets["destination"]),
        )
        for r in c.coverage
    ]
    region = _cover(d, c.region_coverage, targets["origin"])
    rows.append((f"<strong>{d.w('region_total')}</strong>", *region, "", "", ""))
    share = c.region_coverage.ratio
    with_outflows = [r for r in c.coverage if r.outflows.denominator]
    met = sum(1 for r in with_outflows if (r.outflows.ratio or 0.0) >= targets["origin"])
    verdict = "-"
    if share is not None and d.shown(c.region_coverage):
        verdict = word("met" if share >= targets["origin"] else "not_met", d.lang)
    summary = d.w(
        "coverage_summary",
        share=percent(share) if share is not None and d.shown(c.region_coverage) else "-",
        target=percent(targets["origin"]),
        verdict=verdict,
        met=met,
        total=len(with_outflows),
    )
    chart_rows = [
        charts.Row(county_name(r.county), (_bar(d, r.outflows), _bar(d, r.inflows)))
        for r in c.coverage
    ]
    chart_rows.insert(0, charts.Row(word("region_total", d.lang), (_bar(d, c.region_coverage),)))
    chart = charts.bars(
        chart_rows,
        maximum=1.0,
        series=(word("outflows", d.lang), word("inflows", d.lang)),
        ticks=[(v / 100, f"{v}%") for v in (0, 20, 40, 60, 80, 100)],
        marker=(targets["origin"], f"{word('target', d.lang)} {percent(targets['origin'])}"),
        title=word("s_coverage", d.lang),
    )
    return (
        f"<p>{summary}</p>"
        + table(head, rows, "coverage")
        + f'<p class="note">{d.w("region_total_note")}</p>'
        + chart
    )


def _cover(d: Doc, f: Fraction, target: float) -> tuple[str, str, str]:
    num, den, ratio = d.fraction(f)
    if f.denominator == 0:
        return ("0/0", "-", "")
    verdict = ""
    if f.ratio is not None and d.shown(f):
        ok = f.ratio >= target
        verdict = f'<span class="{"ok" if ok else "bad"}">{d.w("met" if ok else "not_met")}</span>'
    return (f"{num}/{den}", ratio, verdict)


def _bar(d: Doc, f: Fraction) -> charts.Bar:
    if f.ratio is None:
        return charts.Bar(None, "0/0")
    if not d.shown(f):
        return charts.Bar(None, suppression.WITHHELD)
    return charts.Bar(f.ratio, percent(f.ratio))


def _breaches(d: Doc) -> str:
    c = d.c
    if not any(r.total("breached") or r.total("escalated") for r in c.breaches):
        return f"<p>{d.w('no_breaches')}</p>"
    counts = {name: vocabulary.BY_NAME[name].label(d.lang) for name in ("breached", "escalated")}
    pair = f"{escape(counts['breached'])} / {escape(counts['escalated'])}"
    head = [d.w("county")]
    head += [d.term(OBLIGATION_KINDS, k) + f"<br>{pair}" for k in c.kinds]
    head.append(f"{d.w('total')}<br>{pair}")
    rows = []
    totals = {k: [0, 0] for k in c.kinds}
    for r in c.breaches:
        cells = [d.county(r.county)]
        for k in c.kinds:
            figures = r.by_kind.get(k)
            if figures is None:
                cells.append("—")
                continue
            totals[k][0] += figures["breached"]
            totals[k][1] += figures["escalated"]
            cells.append(f"{d.count(figures['breached'])} / {d.count(figures['escalated'])}")
        cells.append(f"{d.count(r.total('breached'))} / {d.count(r.total('escalated'))}")
        rows.append(cells)
    last = [f"<strong>{d.w('total')}</strong>"]
    last += [f"{d.count(a)} / {d.count(b)}" for a, b in (totals[k] for k in c.kinds)]
    all_b = sum(t[0] for t in totals.values())
    all_e = sum(t[1] for t in totals.values())
    last.append(f"{d.count(all_b)} / {d.count(all_e)}")
    rows.append(last)
    note = d.w("breaches_note", breached=counts["breached"], escalated=counts["escalated"])
    return table(head, rows, "breaches") + f'<p class="note">{note}</p>'


def _campaigns(d: Doc) -> str:
    if not d.c.campaigns:
        return f"<p>{d.w('no_campaigns')}</p>"
    return "".join(_campaign(d, cs) for cs in d.c.campaigns)


def _campaign(d: Doc, cs: CampaignSummary) -> str:
    r = cs.record
    if cs.closed:
        state = d.w("state_closed_early") if r.early else d.term(CAMPAIGN_STATES, "closed")
    else:
        state = d.term(CAMPAIGN_STATES, "open")
    span = f"{escape(LOCAL.minutes(r.opened_at))} – {escape(LOCAL.minutes(r.deadline))}"
    facts = (
        f"<dt>{d.w('campaign_span')}</dt><dd>{span} {escape(LOCAL.name)}{d.aside(state)}</dd>"
        f"<dt>{d.w('campaign_counties')}</dt><dd>{len(r.counties)}</dd>"
    )
    head = (d.w("check"), d.w("assigned"), d.w("answered"), d.w("overdue"))
    checks = [
        (
            d.term(CHECKS, k),
            d.count(a),
            d.count(n),
            d.count(o),
        )
        for k, a, n, o in cs.by_check
    ]
    counties = [(d.county(k), d.count(a), d.count(n), d.count(o)) for k, a, n, o in cs.by_county]
    results = [(d.term(RESULTS, k), d.count(n)) for k, n in cs.results]
    out = f'<div class="campaign"><h3>{d.w("campaign")} {escape(r.campaign_id)}</h3>'
    out += f'<dl class="facts">{facts}</dl>'
    out += table(head, checks, "campaign-checks")
    if counties:
        out += table((d.w("county"), *head[1:]), counties, "campaign-counties")
    if results:
        out += table((d.w("result"), d.w("persons")), results, "campaign-results")
    return out + "</div>"


def _movement(d: Doc) -> str:
    c = d.c
    if not c.previous_league.ranked:
        return f"<p>{d.w('no_previous', period=c.previous.label(d.lang))}</p>"
    head = (
        d.w("county"),
        f"{d.period()} {d.term(LEAGUE, 'rank')}",
        f"{d.period(c.previous)} {d.term(LEAGUE, 'rank')}",
        d.w("change"),
        f"{d.period()} {d.term(LEAGUE, 'combined_score')}",
        f"{d.period(c.previous)} {d.term(LEAGUE, 'combined_score')}",
        d.w("score_change"),
    )
    rows = [_moved(d, m) for m in c.movement]
    return table(head, rows, "movement")


def _moved(d: Doc, m: Movement) -> tuple[str, ...]:
    climbed = m.climbed
    if climbed is None:
        change = d.w("new_entry") if m.rank is not None and m.previous_rank is None else "-"
    elif climbed > 0:
        change = f'<span class="ok">↑{climbed}</span>'
    elif climbed < 0:
        change = f'<span class="bad">↓{-climbed}</span>'
    else:
        change = "="
    delta = m.score_change
    shown = "-" if delta is None else f"{delta:+.2f}"
    rank = "-" if m.rank is None else str(m.rank)
    before = "-" if m.previous_rank is None else str(m.previous_rank)
    return (
        d.county(m.county),
        rank,
        before,
        change,
        d.score(m.combined),
        d.score(m.previous_combined),
        shown,
    )


def weights_section(d: Doc) -> str:
    config = d.c.config
    intro = d.w(
        "side_weights",
        origin=f"{config.sides.origin:g}",
        destination=f"{config.sides.destination:g}",
        min=config.min_settled_obligations,
        close=f"{config.close_after_days:g}",
    )
    head = [d.w("indicator"), d.w("better")]
    for side in cfg.SIDES:
        name = d.term(SIDES, side)
        head += [f"{name} {d.w('weight')}", d.w("target"), d.w("floor")]
    rows = []
    for indicator in cfg.INDICATORS:
        cells = [
            escape(definitions.indicator(indicator.name, d.lang)),
            d.w(indicator.better),
        ]
        for side in cfg.SIDES:
            if side in indicator.sides:
                rule = config.rule(side, indicator.name)
                cells += [f"{rule.weight:g}", percent(rule.target), percent(rule.floor)]
            else:
                cells += ["—", "", ""]
        rows.append(cells)
    defined = []
    for indicator in cfg.INDICATORS:
        for side in indicator.sides:
            denominator, numerator = definitions.definition(side, indicator.name, d.lang)
            defined.append(
                (
                    escape(definitions.indicator(indicator.name, d.lang)),
                    d.term(SIDES, side),
                    f"{escape(denominator)}；{escape(numerator)}"
                    if d.lang == "zh"
                    else f"{escape(denominator)}; {escape(numerator)}",
                )
            )
    general = "".join(f"<li>{escape(pick(r, d.lang))}</li>" for r in definitions.RULES)
    return (
        f"<p>{intro}</p>"
        + table(head, rows, "weights")
        + f'<p class="note">{d.w("weights_digest")} <code>{d.inputs.weights_sha256}</code></p>'
        + table((d.w("indicator"), d.w("side"), ""), defined, "definitions")
        + f'<ol class="rules">{general}</ol>'
    )


# --- the document ----------------------------------------------------------------------------


def document(content: Content, inputs: Inputs) -> str:
    """The whole bulletin, as text (UTF-8 when written)."""
    d = Doc(content, inputs)
    lang = d.lang
    title = d.w("title", period=content.period.label(lang))
    sections = (
        ("s_data", "data", _data),
        ("s_league", "league", league_section),
        ("s_indicators", "indicators", _indicators),
        ("s_coverage", "coverage", coverage_section),
        ("s_breaches", "breaches", _breaches),
        ("s_campaigns", "campaigns", _campaigns),
        ("s_movement", "movement", _movement),
        ("s_weights", "weights", weights_section),
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
