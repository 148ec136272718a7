// The page's formulas: how many there are, how many MathJax typeset, those left as
// text, and what MathJax could not typeset (errors, undefined control sequences,
// control characters in the TeX).
() => {
  const main = document.querySelector('main') || document.body;
  const math = [...main.querySelectorAll('.math')];
  const tex = Array.from((window.MathJax && MathJax.startup &&
                          MathJax.startup.document || {}).math || [])
                .map(item => item.math);
  // A control character in TeX is a Python escape: "\t" written for "\\t".
  const control = /[\x00-\x09\x0b\x0c\x0e-\x1f]/g;
  return {
    n_math: math.length,
    n_typeset: main.querySelectorAll('mjx-container').length,
    untypeset: math.filter(e => !e.querySelector('mjx-container'))
                   .map(e => e.textContent.slice(0, 80)),
    errors: [...main.querySelectorAll('mjx-merror')]
      .map(e => e.getAttribute('data-mjx-error') || e.textContent)
      .concat([...main.querySelectorAll('mjx-assistive-mml mtext[mathcolor="red"]')]
        .filter(e => e.textContent.startsWith('\\'))
        .map(e => 'undefined control sequence ' + e.textContent))
      .concat(tex.filter(t => t.match(control)).map(t => 'control character in ' +
        t.replace(control, c => '<U+' + c.charCodeAt(0).toString(16).padStart(4, '0') +
                  '>') + ' (a Python escape, "\\t" written for "\\\\t"?)')),
  };
}
