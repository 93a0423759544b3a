"""The bulletin's sections on the scores: the league, each county's indicators, the movement
against the previous period, and the standards and weights used. Pure, no I/O."""

from __future__ import annotations

from html import escape

from agents import assessment_config as cfg
from contracts import obligation_vocabulary as vocabulary
from contracts.languages import pick
from contracts.league import Standing
from contracts.words import table as code_words
from contracts.words.assessment import LEAGUE, SIDES
from disclosure.bulletin import charts, definitions
from disclosure.bulletin.content import CountyIndicators, Movement
from disclosure.bulletin.doc import Doc, county_name, percent, table
from disclosure.bulletin.words import word


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


def indicators_section(d: Doc) -> str:
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


def movement_section(d: Doc) -> str:
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
