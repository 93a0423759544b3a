// Every element outside a scrolling box that reaches past the viewport's right edge.
(() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  // Inside a chart, what its box clips is checked by overlaps.js (cut labels).
  const inScroll = (el) => el.closest('.scroll, pre, .chart > *');
  for (const el of document.querySelectorAll('body *')) {
    if (el.offsetParent === null || inScroll(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1) out.push(`${el.tagName}#${el.id} right ${Math.round(r.right)}`);
  }
  return { scrollWidth: document.documentElement.scrollWidth, width, out: out.slice(0, 10) };
})
