// Waits until MathJax has typeset the page and its fonts are loaded; returns MathJax's
// version, or null on a page without MathJax.
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await document.fonts.ready;
  return window.MathJax && MathJax.version || null;
}
