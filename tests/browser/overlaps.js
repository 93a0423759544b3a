// Pairs of visible labels whose boxes overlap, and labels cut by their chart's box: the
// text of each chart's SVG, and the labels and values of the HTML bar lists and tiles.
(() => {
  const problems = [];
  const box = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return null;
    for (let n = el; n && n.nodeType === 1; n = n.parentNode) {
      const s = getComputedStyle(n);
      if (s.display === 'none' || s.visibility === 'hidden' || parseFloat(s.opacity) === 0) return null;
      if (n.getAttribute && (n.getAttribute('opacity') === '0' || n.getAttribute('fill-opacity') === '0')) return null;
    }
    return r;
  };
  const overlap = (a, b) => Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left))
    * Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
  const check = (where, items) => {
    for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) {
      if (overlap(items[i].r, items[j].r) > 2) problems.push(`${where}: "${items[i].text}" overlaps "${items[j].text}"`);
    }
  };
  let labels = 0;
  for (const chart of document.querySelectorAll('.chart')) {
    if (chart.offsetParent === null) continue;
    const frame = chart.getBoundingClientRect();
    const items = [];
    for (const t of chart.querySelectorAll('svg text')) {
      const text = t.textContent.trim();
      const r = text && box(t);
      if (!r) continue;
      items.push({ text, r });
      if (r.left < frame.left - 1 || r.right > frame.right + 1 || r.top < frame.top - 1 || r.bottom > frame.bottom + 1)
        problems.push(`${chart.id}: "${text}" is cut by the chart's edge`);
    }
    labels += items.length;
    check(chart.id, items);
  }
  for (const list of document.querySelectorAll('.bars, .kpis, .legend')) {
    if (list.offsetParent === null) continue;
    const items = [];
    for (const el of list.querySelectorAll('.bar-label, .bar-value, .bar-sub, .kpi .label, .kpi .value, .kpi .note, .legend li')) {
      const text = el.textContent.trim();
      const r = text && box(el);
      if (r) items.push({ text, r });
    }
    labels += items.length;
    check(list.id || list.className, items);
  }
  return { labels, problems: problems.slice(0, 20) };
})
