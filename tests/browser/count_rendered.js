// How many elements that match `selector` are rendered on the page, wherever it is
// scrolled to (a search box in a sidebar scrolled to the current chapter is still
// there); those of closed dialogs are not counted.
(selector) => [...document.querySelectorAll(selector)]
  .filter(el => !el.closest('dialog:not([open])'))
  .filter(el => {
    const r = el.getBoundingClientRect();
    return r.width >= 1 && r.height >= 1 && r.right > 0 && r.left < innerWidth &&
           el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  }).length
