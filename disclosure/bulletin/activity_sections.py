"""The bulletin's sections on what the counties did: agreement coverage, breaches and
escalations, and the clean-up campaigns. Pure, no I/O."""

from __future__ import annotations

from html import escape

from agents import assessment_config as cfg
from contracts import obligation_vocabulary as vocabulary
from contracts.human_time import LOCAL
from contracts.words.campaigns import CAMPAIGN_STATES, CHECKS, RESULTS
from contracts.words.obligations import OBLIGATION_KINDS
from disclosure.bulletin import charts, suppression
from disclosure.bulletin.content import CampaignSummary, Fraction
from disclosure.bulletin.doc import Doc, county_name, percent, table
from disclosure.bulletin.words import word


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


def breaches_section(d: Doc) -> str:
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


def campaigns_section(d: Doc) -> str:
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
