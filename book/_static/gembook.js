/* The GEM Book's own behaviour, on top of sphinx-book-theme (see _config.yml).
   Checked by tests/test_browser.py on a phone's and a desktop's screen. */

/* The sidebar buttons' tooltips show while a pointer is over the button, and not
   merely because the button has the focus. When a sidebar closes, pydata-sphinx-theme
   gives the focus back to the button that opened it (for keyboard users); Bootstrap
   then showed the button's tooltip and kept it, over the header's other buttons, until
   the focus moved: on a phone the next tap, meant for the search button, landed on
   the tooltip. On a screen that cannot hover (a touch screen) they are left out. The
   phone's search button is treated alike: a tap gave it the focus, and its tooltip
   stayed under the header while the search was open and after it closed. */
function sidebarTooltipsOnHoverOnly() {
  if (!(window.bootstrap && bootstrap.Tooltip)) return;
  const canHover = window.matchMedia("(hover: hover)").matches;
  for (const button of document.querySelectorAll(".sidebar-toggle, .search-button")) {
    const tooltip = bootstrap.Tooltip.getInstance(button);
    if (!tooltip) continue;
    tooltip.dispose();
    if (canHover) {
      // The delays pydata-sphinx-theme gives every tooltip.
      new bootstrap.Tooltip(button, {trigger: "hover", delay: {show: 500, hide: 100}});
    }
  }
}

// Bootstrap creates the tooltips on DOMContentLoaded (its script is at the end of the
// body); run once every listener of that event has.
document.addEventListener("DOMContentLoaded",
                          () => setTimeout(sidebarTooltipsOnHoverOnly));

/* What axe-core (tests/test_browser.py) finds in the markup that the theme, the
   bibliography and pandas write, put right in the page:
   - the search button shows "Search Ctrl+K" but was named "Search" by an aria-label:
     its name now comes from what it shows;
   - the bibliography is a list whose entries carried a deprecated role
     (doc-biblioentry) instead of being list items;
   - the book's title, above the chapter list, lay outside every landmark: the primary
     sidebar is now the book's navigation;
   - pandas leaves the corner of a table's header empty: an empty header cell becomes
     an empty data cell, which a screen reader does not announce as a header. */
function accessibleMarkup() {
  for (const button of document.querySelectorAll(".search-button-field[aria-label]")) {
    button.removeAttribute("aria-label");
  }
  for (const entry of document.querySelectorAll('.citation-list > [role="doc-biblioentry"]')) {
    entry.setAttribute("role", "listitem");
  }
  const sidebar = document.querySelector(".bd-sidebar-primary");
  if (sidebar && !sidebar.hasAttribute("role")) {
    sidebar.setAttribute("role", "navigation");
    sidebar.setAttribute("aria-label", "The book");
  }
  for (const th of document.querySelectorAll(".cell_output table th")) {
    if (th.textContent.trim()) continue;
    const td = document.createElement("td");
    for (const {name, value} of th.attributes) td.setAttribute(name, value);
    th.replaceWith(td);
  }
}

/* A box that scrolls sideways (a wide table or output on a phone) takes the keyboard's
   focus, so that it can be scrolled without a mouse or a finger; checked again when
   the window's width changes. */
function scrollingBoxesFocusable() {
  for (const box of document.querySelectorAll("article *")) {
    const overflow = getComputedStyle(box).overflowX;
    const scrolls = (overflow === "auto" || overflow === "scroll")
                    && box.scrollWidth > box.clientWidth;
    if (scrolls && box.tabIndex < 0) {
      box.tabIndex = 0;
    }
  }
}

/* A formula wider than its box (a dozen display formulas on a phone, and a few inline
   ones) scrolls sideways inside it. A shadow on each side where more of it lies hidden
   says so (gembook.css), and goes once the formula is scrolled to that end: without it,
   the box's edge looked like the formula's end. */
const FORMULA_BOXES = 'mjx-container[display="true"], span.math';

function hintHiddenSides(box) {
  const hidden = box.scrollWidth - box.clientWidth;
  box.classList.toggle("more-on-the-left", hidden > 1 && box.scrollLeft > 1);
  box.classList.toggle("more-on-the-right", hidden > 1 && box.scrollLeft < hidden - 1);
}

function hintWideFormulas() {
  document.querySelectorAll(FORMULA_BOXES).forEach(hintHiddenSides);
}

// A scroll event does not bubble: the document hears it while it is captured.
document.addEventListener("scroll", (event) => {
  if (event.target.matches && event.target.matches(FORMULA_BOXES)) {
    hintHiddenSides(event.target);
  }
}, true);

/* Widths are known once the page is laid out and MathJax has typeset its formulas
   (MathJax is loaded asynchronously, and typesets after the page's load event). */
function whenLaidOut() {
  scrollingBoxesFocusable();
  hintWideFormulas();
}

document.addEventListener("DOMContentLoaded", accessibleMarkup);
window.addEventListener("load", () => {
  const typeset = window.MathJax && MathJax.startup && MathJax.startup.promise;
  (typeset || Promise.resolve()).then(whenLaidOut);
});
let resizing;  // checked once the resizing is over, not at every step of it
window.addEventListener("resize", () => {
  clearTimeout(resizing);
  resizing = setTimeout(whenLaidOut, 200);
});
