// Every formula, inline or displayed, must be reachable: not cut on the left by any box
// (what scrolls sideways cannot scroll to the left of its start), nor on the right by a
// box that does not scroll; an inline formula that fits its line does not scroll; and
// one that scrolls shows a hint on each side where more of it lies hidden (the classes
// more-on-the-left / -right, set by book/_static/gembook.js).
() => {
  const scrolls = v => v === 'auto' || v === 'scroll';
  const tex = new Map(Array.from((window.MathJax && MathJax.startup &&
                                  MathJax.startup.document || {}).math || [])
                        .map(item => [item.typesetRoot, item.math]));
  const name = a => a.tagName.toLowerCase() + (a.className ? '.' +
                    String(a.className).trim().split(/\s+/).join('.') : '');
  const cut = (el) => {
    let box = el.getBoundingClientRect();
    for (let a = el.parentElement; a; a = a.parentElement) {
      const overflow = getComputedStyle(a).overflowX;
      if (overflow === 'visible') continue;
      const r = a.getBoundingClientRect();
      const left = r.left + a.clientLeft, right = left + a.clientWidth;
      const by = `px are cut off by ${name(a)}`;
      if (box.left < left - 1) return `its left ${Math.round(left - box.left)} ${by}`;
      if (box.right > right + 1 && !scrolls(overflow)) {
        return `its right ${Math.round(box.right - right)} ${by}`;
      }
      if (scrolls(overflow)) box = r;
    }
    return null;
  };
  const main = document.querySelector('main') || document.body;
  return [...main.querySelectorAll('mjx-container')].flatMap(c => {
    const problems = [];
    const formula = c.querySelector('mjx-math');
    if (c.getAttribute('display') === 'true' && c.scrollWidth > c.clientWidth + 1 &&
        !scrolls(getComputedStyle(c).overflowX)) {
      problems.push(`${c.scrollWidth} px wide in ${c.clientWidth} px, not scrollable`);
    }
    for (const el of [c, formula]) {
      const problem = el && cut(el);
      if (problem) problems.push(problem);
    }
    // An inline formula's span.math that scrolls sideways though the formula fits it
    // (headless chromium hides scroll bars; a reader's browser would show one).
    const line = c.parentElement;
    if (c.getAttribute('display') !== 'true' && formula &&
        scrolls(getComputedStyle(line).overflowX) &&
        line.scrollWidth > line.clientWidth + 1 &&
        formula.getBoundingClientRect().width <= line.clientWidth + 1) {
      problems.push(`scrolls ${line.scrollWidth - line.clientWidth} px though it fits`);
    }
    const box = c.getAttribute('display') === 'true' ? c : line;
    const hidden = box.scrollWidth - box.clientWidth;
    if (scrolls(getComputedStyle(box).overflowX) && hidden > 1) {
      const sides = [[box.scrollLeft > 1, 'more-on-the-left'],
                     [box.scrollLeft < hidden - 1, 'more-on-the-right']];
      const unhinted = sides.filter(([more, hint]) => more && !box.classList.contains(hint));
      if (unhinted.length) {
        problems.push(`scrolls ${hidden} px with no hint (${unhinted.map(s => s[1])})`);
      }
    }
    const source = (tex.get(c) || c.textContent).replace(/\s+/g, ' ').slice(0, 60);
    return problems.length ? [`${source}: ${[...new Set(problems)].join('; ')}`] : [];
  });
}
