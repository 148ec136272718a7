// Chapter 11's Plotly figure, or null before it is drawn: the text on the screen
// (title, sliders' values, legend), the direction and margin its sliders are at, the
// step g~ it draws, the size of its smallest visible text, where it lies on the
// page, and whether the sentence shown until it is drawn is still there.
() => {
  const gd = document.querySelector('article .plotly-graph-div');
  if (!gd || !gd._fullLayout || !gd.querySelector('.main-svg')) return null;
  const text = s => [...gd.querySelectorAll(s)].map(e => e.textContent).join(' / ');
  const [turn, margin] = gd.layout.sliders;
  const shown = gd.data.filter(t => t.visible === true && t.name.startsWith('g\u0303'));
  const sizes = [...gd.querySelectorAll('text')]
    .filter(e => e.textContent.trim() &&
                 getComputedStyle(e).fill !== 'rgba(0, 0, 0, 0)')  // not hidden
    .map(e => parseFloat(getComputedStyle(e).fontSize));
  const box = gd.getBoundingClientRect();
  return {
    title: text('.gtitle'), values: text('.slider-group > .slider-label'),
    legend: text('.legend .legendtext'),
    degrees: Number(turn.steps[turn.active].args[0][0]),
    gamma: Number(margin.steps[margin.active].label),
    steps: shown.map(t => [t.x[1], t.y[1]]),
    smallest: Math.min(...sizes), left: box.left, right: box.right,
    page: document.documentElement.scrollWidth, viewport: innerWidth,
    script: (document.getElementById('plotly-js') || {}).src || null,
    fallback: !!gd.querySelector('.plotly-fallback'),
  };
}
