// Raw TeX: a formula Markdown did not hand to MathJax (a display equation broken by a
// line that starts with "+", read as a list item) shows its source. Visible text
// outside code, outputs, scripts and typeset formulas, block by block (paragraph, list
// item, cell, ...), must hold no $...$, $$, \( \) \[ \] nor a TeX command like \frac.
() => {
  const skip = 'pre, code, script, style, textarea, mjx-container';
  const blocks = 'p, li, dt, dd, td, th, h1, h2, h3, h4, h5, h6, figcaption, ' +
                 'caption, blockquote, div, section, article, main, body';
  const text = new Map();  // block -> its visible text
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    const el = node.parentElement;
    if (!el || el.closest(skip) || !el.checkVisibility()) continue;
    const block = el.closest(blocks);
    text.set(block, (text.get(block) || '') + node.data.replace(/\s+/g, ' '));
  }
  const tex = [/\$\$/, /\$[^$]+\$/, /\\[()[\]]/, /\\[A-Za-z]+/];
  return [...text.values()].flatMap(t => tex.map(pattern => t.match(pattern))
    .filter(Boolean)
    .map(m => `${m[0].slice(0, 20)} in "${t.slice(Math.max(0, m.index - 40),
                                                   m.index + 40).trim()}"`));
}
