// The results explorer of Appendix E: what its menus chose and offer, the caption,
// metrics and settings it shows, the R its heatmap plots (rows of numbers, null where
// untested; null before plotly.js has drawn it), whether the sentence shown until then
// is still there, where the figure and the menus lie, how wide the page is, and the
// size of the smallest text in the figure.
() => {
  const root = document.querySelector('article [id^="explorer-"]');
  if (!root) return null;
  const gd = root.querySelector('.plotly-graph-div');
  const drawn = !!(gd._fullLayout && gd.querySelector('.main-svg'));
  const select = name => root.querySelector(`select[name="${name}"]`);
  const box = element => {
    const r = element.getBoundingClientRect();
    return {left: r.left, right: r.right};
  };
  const sizes = [...gd.querySelectorAll('text')].filter(e => e.textContent.trim())
    .map(e => parseFloat(getComputedStyle(e).fontSize));
  return {
    method: select('method').value, benchmark: select('benchmark').value,
    seed: select('seed').value,
    seeds: [...select('seed').options].map(o => o.value),
    benchmarks: [...select('benchmark').options].filter(o => !o.disabled)
      .map(o => o.value),
    caption: root.querySelector('[data-caption]').textContent,
    metrics: [...root.querySelectorAll('[data-metric]')].map(e => e.textContent),
    settings: root.querySelector('[data-settings]').textContent,
    z: drawn ? gd.data[0].z : null,
    fallback: [...gd.querySelectorAll('.plotly-fallback')].some(  // shown
      e => e.offsetHeight > 0 && e.textContent.trim()),
    figure: box(gd), menus: [...root.querySelectorAll('select')].map(box),
    page: document.documentElement.scrollWidth, viewport: innerWidth,
    smallest: sizes.length ? Math.min(...sizes) : null,
  };
}
