/* The GEM Book's own behaviour, on top of sphinx-book-theme (see _config.yml).
   Checked by tests/test_browser.py on a phone's and a desktop's screen. */

/* The sidebar buttons' tooltips show while a pointer is over the button, and not
   merely because the button has the focus. When a sidebar closes, pydata-sphinx-theme
   gives the focus back to the button that opened it (for keyboard users); Bootstrap
   then showed the button's tooltip and kept it, over the header's other buttons, until
   the focus moved: on a phone the next tap, meant for the search button, landed on
   the tooltip. On a screen that cannot hover (a touch screen) they are left out. */
function sidebarTooltipsOnHoverOnly() {
  if (!(window.bootstrap && bootstrap.Tooltip)) return;
  const canHover = window.matchMedia("(hover: hover)").matches;
  for (const button of document.querySelectorAll(".sidebar-toggle")) {
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
