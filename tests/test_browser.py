"""The website, as a reader sees it in a real browser, on a phone and on a desktop.

Every page of _toc.yml is served from the built site by a local `http.server` and opened
in Debian's headless chromium, driven over the Chrome DevTools Protocol by Playwright
(its Python package talks to the browser we name; it downloads none), twice: on a
desktop screen (1366 px wide, a mouse) and on a phone (390 px, a touch screen).

On every page:

* no error in the console; every equation typeset by MathJax; no raw TeX left in the
  text ($...$, \\(, \\[, \\frac, ...: a formula Markdown broke); every image loaded;
  every internal link and anchor resolving; one search box on the desktop;
* nothing cut off or spilling: no formula, inline or displayed, is clipped (too wide, it
  scrolls sideways in its own box); on the desktop the column holds a code line of 88
  characters (the house style's longest) and no code cell or cell output scrolls
  sideways; table values stay on one line, cells are padded apart, and a table wider
  than the column scrolls inside its own box, not the page;
* on the phone, the ☰ button opens the chapter list and the contents button the page's
  table of contents; once each is closed, no tooltip is left on the screen and a tap on
  the search button opens the search;
* figures: their tick labels, as rendered, are at least 7 CSS px on the phone and 9 on
  the desktop (`test_figure_text_is_large_enough`; tests/test_notebooks.py checks that
  no notebook draws text below matplotlib's default 10 pt, which this bound assumes).

Chapter 11's interactive Plotly figure draws from the site's own plotly.js, and a reader
moves its two sliders (dragging them with the mouse on the desktop, tapping them on the
phone): what it then draws and says is the book's `gem_step` at the sliders' values, and
it fits the phone's width (`test_projection_figure_moves_with_its_sliders`).

The first screen of every page at both widths is saved in `_build/screenshots/` as
NAME-WIDTH.png (NAME: the page's file stem), with the phone's chapter list open on the
landing page (NAME-390-nav.png), the whole text of the landing and results pages
(NAME-1366-article.png) and chapter 11's figure once moved
(11_geometry-WIDTH-figure.png), for people to look at.

The machine is offline, so the test answers the site's external requests itself: MathJax
from the copy of MathJax 3 in the PyPI package django-static-mathjax (the release the
site's CDN address serves), and the Colab badge with a stand-in picture. Any other
external request is blocked and reported, so a new one cannot slip in unnoticed.

Without /usr/bin/chromium the browser tests are skipped, except under CI (CI=true),
where they fail: CI installs the browser (.ci/run) and must not pass without it.
"""

import functools
import html
import os
import re
import struct
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urldefrag, urlsplit

import pytest
from book_pages import CHAPTERS, PAGES, REPOSITORY, TOC, colab_url, pdf_tool

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
SCREENSHOT_DIR = ROOT / "_build" / "screenshots"
SCRIPTS = Path(__file__).resolve().parent / "browser"
TIMEOUT_MS = 60_000

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
WIDTHS = [DESKTOP["width"], PHONE["width"]]
MAX_LINE = 88  # characters: the house style's longest line (tests/test_notebooks.py)

# The CDN addresses the site's pages load, answered offline as tools/pdf.py answers them:
# MathJax 3 from the copy on this machine, the Colab badge by a stand-in.
PRINTER = pdf_tool()
MATHJAX_CDN, COLAB_BADGE = PRINTER.MATHJAX_CDN, PRINTER.COLAB_BADGE
BADGE_STAND_IN = PRINTER.BADGE_STAND_IN


# The pages whose whole text is also saved (the screenshot helper's only chapter name).
ARTICLE_SCREENSHOTS = [p for p in (TOC["root"], "notebooks/07_results") if p in PAGES]


def ci():
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(message, checks):
    """Skip, `message` saying what is missing; under CI, where nothing may be, fail."""
    if ci():
        pytest.fail(f"{message}; under CI the {checks} must run")
    pytest.skip(message)


def mathjax_root():
    root = PRINTER.MATHJAX_ROOT  # the django-static-mathjax package: static files only
    assert (root / "tex-mml-chtml.js").is_file(), f"no MathJax 3 in {root}"
    return root


def screenshot(page_name, width, suffix=""):
    """Where the screenshot of a page at a width is saved: NAME-WIDTH[-suffix].png."""
    return SCREENSHOT_DIR / f"{Path(page_name).name}-{width}{suffix}.png"


# --------------------------------------------------------------------------------------
# Without a browser: the header's buttons lead to Colab and to the repository of
# _config.yml.

@pytest.mark.parametrize("page", CHAPTERS)
def test_launch_button_opens_this_notebook_in_colab(site, page):
    colab = colab_url(f"{page}.ipynb")
    text = (site / f"{page}.html").read_text()
    launch = re.search(r'<div class="dropdown dropdown-launch-buttons">.*?</div>', text,
                       re.S)
    assert launch, f"{page}: no launch button in the page header"
    links = re.findall(r'href="([^"]+)"', launch.group(0))
    assert colab in links, f"{page}: launch links {links}, expected {colab}"
    repo_button = re.search(r'<a href="([^"]+)"[^>]*btn-source-repository-button', text)
    assert repo_button and repo_button.group(1) == REPOSITORY, (
        f"{page}: repository button")


# --------------------------------------------------------------------------------------
# The browser and the server.

class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser(server):
    """Chromium with two screens: `screens[1366]` a desktop with a mouse,
    `screens[390]` a phone with a touch screen."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install "
                "chromium chromium-driver, as .ci/run does)", "browser tests")
    from playwright.sync_api import sync_playwright

    local_mathjax = mathjax_root().resolve()
    blocked = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(server + "/"):
            return request_route.continue_()
        mathjax = MATHJAX_CDN.fullmatch(url.split("?")[0])
        if mathjax:
            path = (local_mathjax / mathjax.group(1)).resolve()
            if path.is_relative_to(local_mathjax) and path.is_file():
                return request_route.fulfill(path=str(path))
            return request_route.fulfill(status=404, body="not in the local MathJax")
        if url == COLAB_BADGE:
            return request_route.fulfill(body=BADGE_STAND_IN,
                                         content_type="image/svg+xml")
        blocked.append(url)
        return request_route.abort()

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(  # with a fresh profile of its own
            executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        screens = {
            DESKTOP["width"]: chromium.new_context(viewport=DESKTOP),
            # A phone's browser: touch events (taps, not clicks), no hover, and the
            # page laid out at the width its meta viewport asks for.
            PHONE["width"]: chromium.new_context(viewport=PHONE, has_touch=True,
                                                 is_mobile=True),
        }
        for screen in screens.values():
            screen.set_default_timeout(TIMEOUT_MS)
            screen.route("**/*", route)
        yield SimpleNamespace(screens=screens, blocked=blocked)
        chromium.close()


# --------------------------------------------------------------------------------------
# What a page shows: small scripts run in the page, each returning a list of problems
# (strings a reader of the failure can act on) or the measurements a test needs. Each
# lies in tests/browser/, a file of JavaScript that says what it returns.

def script(name):
    """The text of tests/browser/NAME: a script to run in the page, or a page."""
    return (SCRIPTS / name).read_text()


WAIT_FOR_TYPESETTING_JS = script("wait_for_typesetting.js")
MATH_JS = script("math.js")
IMAGES_JS = script("images.js")
LINKS_JS = script("links.js")
RAW_TEX_JS = script("raw_tex.js")
CLIPPED_MATH_JS = script("clipped_math.js")
PRE_BLOCKS_JS = script("pre_blocks.js")
TABLES_JS = script("tables.js")
FIGURES_JS = script("figures.js")
SHOWN_JS = script("shown.js")
COUNT_RENDERED_JS = script("count_rendered.js")
TOOLTIPS_JS = script("tooltips.js")
SEARCH_OPEN_JS = script("search_open.js")
AXE_RUN_JS = script("axe_run.js")
# axe-core, the accessibility checker, from npm: `make test` runs `npm ci`.
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
IMPACTS = ("critical", "serious", "moderate", "minor")

CHAPTER_LINKS = "nav.bd-links a"  # the chapter list of the primary sidebar
PAGE_TOC_LINKS = "nav.page-toc a"  # the page's contents, in the secondary sidebar
SEARCH_BOXES = ".search-button-field, form.bd-search"
SEARCH_BUTTON = "button.search-button"  # the header's magnifying glass on a phone
# Bootstrap shows a tooltip 500 ms after the pointer or the focus comes to its button
# (pydata-sphinx-theme's delay) and fades it in over 150 ms.
TOOLTIP_WAIT_MS = 700


# --------------------------------------------------------------------------------------
# Visiting a page.

@dataclass
class Sidebar:
    """The phone's ☰ or contents button, tapped open and then closed again."""
    shown_before: bool = False  # the sidebar's links cover the page before the tap
    shown_after: bool = False  # they are shown once the button is tapped
    shown_after_closing: bool = False
    tooltips: list = field(default_factory=list)  # tooltips left once it is closed
    search_opens: bool = False  # a tap on the search button, then, opens the search
    search_tooltips: list = field(default_factory=list)  # left, search open or closed


@dataclass
class Visit:
    """What one page showed at one width: collected once, checked by the tests below."""
    console_errors: list = field(default_factory=list)
    blocked: list = field(default_factory=list)
    mathjax: str | None = None
    math: dict = field(default_factory=dict)
    raw_tex: list = field(default_factory=list)
    clipped_math: list = field(default_factory=list)
    code: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    images: list = field(default_factory=list)
    links: list = field(default_factory=list)
    missing_anchors: list = field(default_factory=list)
    search_boxes: int = 0
    accessibility: list | None = None  # axe-core's findings; None: axe is missing
    page_width: int = 0  # px the page spans, scrolled sideways or not
    chapters: Sidebar | None = None  # on the phone
    page_toc: Sidebar | None = None  # on the phone, on a page with contents of its own


def tap_middle(page, selector):
    """Tap, with a finger, the middle of the first element on the screen that matches
    `selector` (whatever lies on top of it there gets the tap, as on a phone); False
    when there is none."""
    matches = page.locator(f"{selector}:visible")
    if not matches.count():
        return False
    box = matches.first.bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    return True


def tap_beside(page, sidebar):
    """Tap the page beside an open sidebar (its overlay), which closes it."""
    box = page.locator(sidebar).first.bounding_box()
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    left_space, right_space = box["x"], width - box["x"] - box["width"]
    x = (width - right_space / 2) if right_space > left_space else left_space / 2
    page.touchscreen.tap(x, height / 2)


def waits_for(page, script, arg=None, timeout_ms=3_000):
    """Whether `script` becomes true within the timeout."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(script, arg=arg, timeout=timeout_ms)
    except PlaywrightTimeout:
        return False
    return True


def open_and_close(page, button, links, sidebar, screenshot_path=None):
    """Tap `button`: are the sidebar's `links` then shown? Tap beside the sidebar: is it
    closed, is a tooltip left on the screen, and does a tap on the search button open
    the search?"""
    seen = Sidebar(shown_before=page.evaluate(SHOWN_JS, links))
    if not tap_middle(page, button):
        return seen
    seen.shown_after = waits_for(page, SHOWN_JS, links)
    # A reader looks at the sidebar for a while: long enough for the button's tooltip
    # to come up (it did, under the sidebar, and then stayed once it closed).
    page.wait_for_timeout(TOOLTIP_WAIT_MS)
    if screenshot_path:
        page.screenshot(path=screenshot_path)
    tap_beside(page, sidebar)
    page.wait_for_timeout(TOOLTIP_WAIT_MS)
    seen.shown_after_closing = page.evaluate(SHOWN_JS, links)
    seen.tooltips = page.evaluate(TOOLTIPS_JS)
    seen.search_opens = (tap_middle(page, SEARCH_BUTTON)
                         and waits_for(page, SEARCH_OPEN_JS))
    if seen.search_opens:
        page.wait_for_timeout(TOOLTIP_WAIT_MS)
        seen.search_tooltips = page.evaluate(TOOLTIPS_JS)
        page.keyboard.press("Escape")  # closes it (the focus is in its box)
        waits_for(page, f"() => !({SEARCH_OPEN_JS})()")
        page.wait_for_timeout(TOOLTIP_WAIT_MS)
        seen.search_tooltips += page.evaluate(TOOLTIPS_JS)
    return seen


@pytest.fixture(scope="module")
def visit(browser, server):
    """visit(page, width) opens a page of the toc at that width once and returns what it
    showed; on the phone it also taps the ☰ and contents buttons."""
    visits = {}

    def load(page_name, width):
        if (page_name, width) in visits:
            return visits[page_name, width]
        seen = Visit()
        page = browser.screens[width].new_page()
        page.on("console", lambda m: m.type == "error" and seen.console_errors.append(
            f"{m.text} (at {m.location.get('url')})"))
        page.on("pageerror", lambda e: seen.console_errors.append(f"uncaught: {e}"))
        n_blocked = len(browser.blocked)
        response = page.goto(f"{server}/{page_name}.html", wait_until="load")
        assert response.status == 200, f"{page_name}: HTTP {response.status}"
        seen.mathjax = page.evaluate(WAIT_FOR_TYPESETTING_JS)
        seen.images = page.evaluate(IMAGES_JS)
        seen.math = page.evaluate(MATH_JS)
        seen.raw_tex = page.evaluate(RAW_TEX_JS)
        seen.clipped_math = page.evaluate(CLIPPED_MATH_JS)
        seen.code = page.evaluate(PRE_BLOCKS_JS, False)
        seen.outputs = page.evaluate(PRE_BLOCKS_JS, True)
        seen.tables = page.evaluate(TABLES_JS)
        seen.figures = page.evaluate(FIGURES_JS)
        seen.search_boxes = page.evaluate(COUNT_RENDERED_JS, SEARCH_BOXES)
        seen.page_width = page.evaluate("document.documentElement.scrollWidth")
        if AXE.exists():
            page.add_script_tag(path=AXE)
            seen.accessibility = page.evaluate(AXE_RUN_JS)
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=screenshot(page_name, width))
        if width == DESKTOP["width"]:
            links = page.evaluate(LINKS_JS)
            seen.links, seen.missing_anchors = links["links"], links["missing"]
            if page_name in ARTICLE_SCREENSHOTS:
                # The whole text, without the page's sticky sidebars (which a full-page
                # screenshot would cut off).
                page.locator("article").first.screenshot(
                    path=screenshot(page_name, width, "-article"))
        else:
            nav = screenshot(page_name, width, "-nav")
            seen.chapters = open_and_close(
                page, ".primary-toggle", CHAPTER_LINKS, ".bd-sidebar-primary",
                nav if page_name == TOC["root"] else None)
            if page.evaluate(f"() => !!document.querySelector('{PAGE_TOC_LINKS}')"):
                seen.page_toc = open_and_close(
                    page, ".secondary-toggle", PAGE_TOC_LINKS, ".bd-sidebar-secondary")
        seen.blocked = browser.blocked[n_blocked:]
        page.close()
        visits[page_name, width] = seen
        return seen

    return load


@functools.cache
def fetch(url):
    """(status, ids) of a page of the local server; ids are those of its elements."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            status, body = response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, frozenset()
    ids = re.findall(r'\s(?:id|name)="([^"]*)"', body)
    return status, frozenset(html.unescape(i) for i in ids)


# Every page at both widths: "page-1366", "page-390".
EVERY_PAGE_AND_WIDTH = pytest.mark.parametrize(
    "page,width", [(page, width) for page in PAGES for width in WIDTHS],
    ids=[f"{page}-{width}" for page in PAGES for width in WIDTHS])


# --------------------------------------------------------------------------------------
# The checks, page by page: what loads.

@EVERY_PAGE_AND_WIDTH
def test_page_loads_without_console_errors(visit, page, width):
    seen = visit(page, width)
    assert not seen.blocked, (
        f"{page} asked for external resources the offline test cannot serve: "
        f"{seen.blocked} (serve them from the site, or teach tests/test_browser.py "
        "to answer them as it does MathJax)")
    assert not seen.console_errors, f"{page} at {width} px: {seen.console_errors}"


@pytest.mark.parametrize("page", PAGES)
def test_math_is_typeset_by_mathjax(visit, page):
    seen = visit(page, DESKTOP["width"])
    math = seen.math
    if not math["n_math"]:
        return  # no math on this page
    assert seen.mathjax, f"{page}: {math['n_math']} equations but MathJax did not run"
    assert seen.mathjax.startswith("3."), seen.mathjax
    assert not math["untypeset"], f"{page}: equations left as text: {math['untypeset']}"
    assert not math["errors"], f"{page}: MathJax could not typeset: {math['errors']}"
    assert math["n_typeset"] >= math["n_math"] > 0


@pytest.mark.parametrize("page", PAGES)
def test_no_raw_tex_in_the_text(visit, page):
    raw = visit(page, DESKTOP["width"]).raw_tex
    assert not raw, (f"{page}: TeX shown as text (a formula Markdown broke?):\n" +
                     "\n".join(raw))


@pytest.mark.parametrize("page", PAGES)
def test_every_image_loads(visit, page):
    broken = [img["src"] for img in visit(page, DESKTOP["width"]).images
              if img["width"] == 0]
    assert not broken, f"{page}: images that did not load: {broken}"


@pytest.mark.parametrize("page", PAGES)
def test_internal_links_and_anchors_resolve(visit, server, page):
    seen = visit(page, DESKTOP["width"])
    assert not seen.missing_anchors, f"{page}: links to missing {seen.missing_anchors}"
    broken = []
    for link in seen.links:
        if urlsplit(link).netloc != urlsplit(server).netloc:
            continue  # external
        target, anchor = urldefrag(link)
        status, ids = fetch(target)
        if status != 200:
            broken.append(f"{link}: HTTP {status}")
        elif anchor and unquote(anchor) not in ids:
            broken.append(f"{link}: no element with id {unquote(anchor)!r}")
    assert not broken, f"{page}: broken links:\n" + "\n".join(sorted(set(broken)))


def test_site_root_redirects_to_the_landing_page(browser, server):
    page = browser.screens[DESKTOP["width"]].new_page()
    page.goto(f"{server}/", wait_until="load")
    page.wait_for_url(f"{server}/{TOC['root']}.html")
    page.close()


# --------------------------------------------------------------------------------------
# Layout: nothing cut off, nothing spilling, at a phone's and a desktop's width.

@EVERY_PAGE_AND_WIDTH
def test_no_formula_is_cut_off(visit, page, width):
    clipped = visit(page, width).clipped_math
    assert not clipped, (
        f"{page} at {width} px: formulas cut off (too wide, a formula must scroll "
        "sideways), scrolling though they fit, or scrolling with no hint:\n" +
        "\n".join(clipped))


@pytest.mark.parametrize("page", PAGES)
def test_code_fits_the_desktop_column(visit, page):
    """The column holds a line of 88 characters, and no code cell scrolls sideways
    (one whose lines are longer breaks the house style: tests/test_notebooks.py)."""
    code = visit(page, DESKTOP["width"]).code
    narrow = [f"holds {c['holds']} characters: {c['text']}" for c in code
              if c["holds"] < MAX_LINE]
    sideways = [f"scrolls {c['over']} px with lines of at most {c['longest']} "
                f"characters: {c['text']}" for c in code
                if c["over"] > 1 and c["longest"] <= MAX_LINE]
    assert not narrow + sideways, (
        f"{page} at {DESKTOP['width']} px: code that does not fit:\n" +
        "\n".join(narrow + sideways))


@pytest.mark.parametrize("page", PAGES)
def test_no_cell_output_scrolls_sideways_on_a_desktop(visit, page):
    outputs = visit(page, DESKTOP["width"]).outputs
    problems = [f"holds {o['holds']} characters: {o['text']}" for o in outputs
                if o["holds"] < MAX_LINE]
    problems += [f"scrolls {o['over']} px: {o['text']}" for o in outputs
                 if o["over"] > 1]
    assert not problems, (
        f"{page} at {DESKTOP['width']} px: cell outputs that do not fit:\n" +
        "\n".join(problems))


@EVERY_PAGE_AND_WIDTH
def test_table_values_stay_on_one_line(visit, page, width):
    wrapped = [f"{t['table']}: {t['wrapped']}" for t in visit(page, width).tables
               if t["wrapped"]]
    assert not wrapped, (f"{page} at {width} px: table values that wrap:\n" +
                         "\n".join(wrapped))


@EVERY_PAGE_AND_WIDTH
def test_tables_scroll_inside_their_own_box(visit, page, width):
    spills = [f"{t['table']}: {t['width']} px in a column of {t['column']} px"
              for t in visit(page, width).tables if t["spills"]]
    assert not spills, (
        f"{page} at {width} px: tables wider than the column that do not scroll in a "
        "box of their own:\n" + "\n".join(spills))


@pytest.mark.parametrize("page", PAGES)
def test_table_cells_are_padded_apart(visit, page):
    tables = visit(page, DESKTOP["width"]).tables
    tight = [f"{t['table']}: {t['tight'][:5]}" for t in tables if t["tight"]]
    assert not tight, (f"{page}: table cells padded less than 0.3 em on a side (values "
                       "touch their neighbours):\n" + "\n".join(tight))


@pytest.mark.parametrize("page", PAGES)
def test_one_search_box_on_a_desktop(visit, page):
    boxes = visit(page, DESKTOP["width"]).search_boxes
    assert boxes == 1, f"{page} at {DESKTOP['width']} px: {boxes} search boxes shown"


# --------------------------------------------------------------------------------------
# The phone's buttons.

@pytest.mark.parametrize("page", PAGES)
def test_sidebar_button_opens_the_chapter_list_on_a_phone(visit, page):
    chapters = visit(page, PHONE["width"]).chapters
    assert not chapters.shown_before, (
        f"{page} at {PHONE['width']} px: the chapter list covers the page before ☰")
    assert chapters.shown_after, (
        f"{page} at {PHONE['width']} px: tapping ☰ does not show the chapter list")
    assert not chapters.shown_after_closing, (
        f"{page} at {PHONE['width']} px: a tap beside the chapter list leaves it open")


@pytest.mark.parametrize("page", PAGES)
def test_contents_button_opens_the_page_toc_on_a_phone(visit, page):
    page_toc = visit(page, PHONE["width"]).page_toc
    if page_toc is None:
        pytest.skip(f"{page} has no table of contents of its own")
    assert not page_toc.shown_before, (
        f"{page} at {PHONE['width']} px: the page's contents cover it before tapping")
    assert page_toc.shown_after, (
        f"{page} at {PHONE['width']} px: tapping the contents button does not show the "
        "page's table of contents")
    assert not page_toc.shown_after_closing, (
        f"{page} at {PHONE['width']} px: a tap beside the contents does not close them")


@pytest.mark.parametrize("page", PAGES)
def test_no_tooltip_is_left_when_a_sidebar_closes_on_a_phone(visit, page):
    seen = visit(page, PHONE["width"])
    problems = []
    for name, sidebar in (("chapter list (☰)", seen.chapters),
                          ("contents", seen.page_toc)):
        if sidebar is None:
            continue
        if sidebar.tooltips:
            problems.append(f"after the {name} closes, tooltips stay on the screen: "
                            f"{sidebar.tooltips}")
        if not sidebar.search_opens:
            problems.append(f"after the {name} closes, a tap on the search button does "
                            "not open the search")
        if sidebar.search_tooltips:
            problems.append(f"the search button's tooltip stays while the search is open "
                            f"or after it closes: {sidebar.search_tooltips}")
    assert not problems, f"{page} at {PHONE['width']} px:\n" + "\n".join(problems)


# --------------------------------------------------------------------------------------
# Figures: is their text large enough to read?

def png_dpi(path):
    """The resolution a PNG says it was saved at (its pHYs chunk, which matplotlib
    writes), in dots per inch, or None."""
    data = path.read_bytes()
    at = data.find(b"pHYs", 0, data.find(b"IDAT"))
    if at < 0:
        return None
    per_x, _, unit = struct.unpack(">IIB", data[at + 4:at + 13])
    return per_x * 0.0254 if unit == 1 else None  # unit 1: per metre


def tick_label_points():
    """The size of matplotlib's tick labels, in points, as the notebooks' kernel has it:
    `xtick.labelsize` is "medium", the default font.size (10 pt). No notebook and no
    module of gembook changes rcParams, and none draws a text below 10 pt
    (tests/test_notebooks.py::test_figure_text_is_at_least_the_default_size)."""
    import matplotlib
    from matplotlib.font_manager import FontProperties

    size = FontProperties(size=matplotlib.rcParams["xtick.labelsize"])
    return size.get_size_in_points()


# The smallest text of a figure, in CSS px, as rendered, on a phone as on a desktop.
# matplotlib's 10 pt at 100 dpi is 13.9 px in the PNG; a phone's column (358 px at 390)
# shows a PNG up to 552 px wide at 9 px or more: the book's figures are at most 5.3 in
# wide (about 530 px once cropped to what they draw), and taller where they need it.
MIN_FIGURE_TEXT_PX = 9


def small_figure_text(figures, site):
    """The figures whose tick labels render below the minimum at this width.

    matplotlib's inline backend saves a figure at the figure's dpi (IPython's
    print_figure passes dpi=fig.dpi: rcParams figure.dpi, 100, which matplotlib-inline
    >= 0.1.4 leaves alone); the PNG's pHYs chunk records it (100 where there is none).
    A figure shown at `scale` of its size shows its tick labels at
    points * dpi / 72 * scale CSS px."""
    points = tick_label_points()
    small = []
    for index, figure in enumerate(figures, start=1):
        if not figure["natural"]:
            continue  # did not load: test_every_image_loads says so
        dpi = png_dpi(site / unquote(urlsplit(figure["src"]).path).lstrip("/")) or 100
        scale = figure["shown"] / figure["natural"]
        text_px = points * dpi / 72 * scale
        if text_px < MIN_FIGURE_TEXT_PX:
            small.append(
                f"image {index} ({figure['natural']}x{figure['naturalHeight']} px at "
                f"{dpi:.0f} dpi): shown at {scale:.2f} of its size, so its "
                f"{points:.0f} pt tick labels are {text_px:.1f} CSS px")
    return small


@EVERY_PAGE_AND_WIDTH
def test_figure_text_is_large_enough(visit, site, page, width):
    small = small_figure_text(visit(page, width).figures, site)
    assert not small, (
        f"{page} at {width} px: figures whose text renders below "
        f"{MIN_FIGURE_TEXT_PX} CSS px (draw them at most 5.3 in wide, figsize=(5.3, "
        "height)):\n" + "\n".join(small))


# --------------------------------------------------------------------------------------
# Chapter 11's interactive figure: Plotly, drawn without a kernel by the site's own copy
# of plotly.js (book/_ext/plotly_js.py), moved by a reader's mouse or finger.

GEOMETRY = "notebooks/11_geometry"
G_2D = [[1.0, 0.3], [0.1, 1.0]]  # the chapter's two memory gradients in the plane
G_LENGTH = 1.5  # the length of g in the figure
MIN_PLOTLY_TEXT_PX = 10

PLOTLY_FIGURE_JS = script("plotly_figure.js")


def move_slider(page, width, index, fraction):
    """Move slider `index` of the figure to `fraction` of its length as a reader would:
    on the desktop, drag its handle with the mouse; on the phone, tap its rail."""
    rail = page.locator("article .plotly-graph-div .slider-rail-rect").nth(index)
    rail.scroll_into_view_if_needed()
    box = rail.bounding_box()
    x, y = box["x"] + fraction * box["width"], box["y"] + box["height"] / 2
    if width == PHONE["width"]:
        page.touchscreen.tap(x, y)
        return
    grip = page.locator("article .plotly-graph-div .slider-grip-rect").nth(index)
    handle = grip.bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2,
                    handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(x, y, steps=12)
    page.mouse.up()


def expected_step(degrees, gamma):
    """The step the book computes for g at `degrees` and margin `gamma`."""
    import numpy as np
    import torch

    from gembook.projection import gem_step

    radians = np.radians(degrees)
    g = G_LENGTH * torch.tensor([np.cos(radians), np.sin(radians)], dtype=torch.float64)
    return gem_step(g, torch.tensor(G_2D, dtype=torch.float64), gamma)[0].tolist()


@pytest.mark.skipif(GEOMETRY not in PAGES, reason="chapter 11 is not in the toc")
@pytest.mark.parametrize("width", WIDTHS)
def test_projection_figure_moves_with_its_sliders(browser, server, width):
    """The figure draws offline from the site's plotly.js; a reader turns g and changes
    the margin with its sliders, and it then shows gem_step's g~ and says so in its
    title and legend; it fits the phone's width, and its text is large enough."""
    page = browser.screens[width].new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    n_blocked = len(browser.blocked)
    page.goto(f"{server}/{GEOMETRY}.html", wait_until="load")
    assert waits_for(page, f"() => !!({PLOTLY_FIGURE_JS})()", timeout_ms=TIMEOUT_MS), (
        f"{GEOMETRY} at {width} px: the Plotly figure was not drawn")
    seen = [page.evaluate(PLOTLY_FIGURE_JS)]
    assert urlsplit(seen[0]["script"] or "").netloc == urlsplit(server).netloc, (
        f"plotly.js does not come from the site: {seen[0]['script']}")
    for index, fraction, key in ((0, 0.9, "degrees"), (1, 0.0, "gamma")):
        before = seen[-1][key]
        move_slider(page, width, index, fraction)
        changed = f"() => (({PLOTLY_FIGURE_JS})() || {{}}).{key} !== {before}"
        assert waits_for(page, changed), (
            f"{GEOMETRY} at {width} px: moving slider {index} changed nothing")
        page.wait_for_timeout(200)  # the redraw after the change
        seen.append(page.evaluate(PLOTLY_FIGURE_JS))
    if width == DESKTOP["width"]:  # room for the whole figure below the sticky header
        page.set_viewport_size({"width": width, "height": 1200})
    page.locator("article .plotly-graph-div").screenshot(
        path=screenshot(GEOMETRY, width, "-figure"))
    page.close()
    for state in seen:  # what it draws and says is the book's, at the sliders' values
        degrees, gamma = state["degrees"], state["gamma"]
        sign = "−" if degrees < 0 else ""
        step = expected_step(degrees, gamma)
        assert state["steps"] == [pytest.approx(step, abs=1e-12)], state
        assert f"direction of g: {sign}{abs(degrees)}°" in state["values"], state
        assert f"g at {sign}{abs(degrees)}°" in state["title"], state
        assert f"(γ = {gamma:g})" in state["legend"], state
    start, turned, margin = seen
    assert (start["degrees"], start["gamma"]) == (-40, 0.5)
    assert turned["degrees"] >= 120 and turned["gamma"] == 0.5
    assert margin["degrees"] == turned["degrees"] and margin["gamma"] == 0
    assert turned["title"] != start["title"] and margin["legend"] != turned["legend"]
    for state in seen:
        assert state["page"] <= state["viewport"], (
            f"{GEOMETRY} at {width} px: the page scrolls sideways ({state['page']} px)")
        assert 0 <= state["left"] and state["right"] <= state["viewport"], state
        assert state["smallest"] >= MIN_PLOTLY_TEXT_PX, state
        assert not state["fallback"], f"{GEOMETRY}: drawn, but its fallback sentence stays"
    assert not browser.blocked[n_blocked:], browser.blocked[n_blocked:]
    assert not errors, f"{GEOMETRY} at {width} px: {errors}"


# --------------------------------------------------------------------------------------
# Accessibility: axe-core on every page at both widths.

def findings(seen):
    """axe-core's findings on a visit; a skip (a failure under CI) without axe."""
    if seen.accessibility is None:
        missing(f"{AXE} is missing: run `npm ci` (make test does)",
                "accessibility checks")
    return seen.accessibility


@EVERY_PAGE_AND_WIDTH
def test_no_page_is_wider_than_the_screen(visit, page, width):
    """Nothing widens the page past the screen (a reader would scroll the whole page
    sideways): what is wider scrolls inside its own box."""
    assert visit(page, width).page_width <= width, (
        f"{page} at {width} px spans {visit(page, width).page_width} px")


@EVERY_PAGE_AND_WIDTH
def test_no_critical_or_serious_accessibility_finding(visit, page, width):
    bad = [f for f in findings(visit(page, width)) if f["impact"] in IMPACTS[:2]]
    assert not bad, f"{page} at {width} px: {bad}"


def test_the_accessibility_summary_is_saved(visit):
    """Per page and width, how many elements break a rule of each impact, written to
    _build/screenshots/accessibility.md for people to read (moderate and minor
    findings are counted there, not refused)."""
    rows = ["| page | width | " + " | ".join(IMPACTS) + " | rules |",
            "|---|---|" + "---|" * (len(IMPACTS) + 1)]
    for page in PAGES:
        for width in WIDTHS:
            found = findings(visit(page, width))
            counts = [sum(f["count"] for f in found if f["impact"] == impact)
                      for impact in IMPACTS]
            rules = ", ".join(sorted({f["id"] for f in found})) or "none"
            rows.append(f"| {page} | {width} | " + " | ".join(map(str, counts))
                        + f" | {rules} |")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    (SCREENSHOT_DIR / "accessibility.md").write_text("\n".join(rows) + "\n")
    assert len(rows) == 2 + len(PAGES) * len(WIDTHS)


# --------------------------------------------------------------------------------------
# Screenshots, for people to look at.

def test_screenshots_are_saved(visit):
    expected = []
    for page in PAGES:
        for width in WIDTHS:
            visit(page, width)
            expected.append(screenshot(page, width))
    expected.append(screenshot(TOC["root"], PHONE["width"], "-nav"))
    expected += [screenshot(page, DESKTOP["width"], "-article")
                 for page in ARTICLE_SCREENSHOTS]
    missing = [path.name for path in expected
               if not (path.is_file() and path.stat().st_size > 10_000)]
    assert not missing, f"screenshots missing or empty: {missing}"


# --------------------------------------------------------------------------------------
# The checks find what they look for: a page with each fault (browser/broken_page.html),
# run through the same scripts (the book itself, once fixed, has none of them).

BROKEN_PAGE = script("broken_page.html")


def test_the_checks_find_broken_pages(browser):
    page = browser.screens[DESKTOP["width"]].new_page()
    page.set_content(BROKEN_PAGE)
    raw = "\n".join(page.evaluate(RAW_TEX_JS))
    for tex in ("$$", r"\tilde", r"$\gamma$", r"\("):
        assert tex in raw, f"{tex} not found in:\n{raw}"
    assert "fine" not in raw, "code is not text"
    clipped = page.evaluate(CLIPPED_MATH_JS)
    assert len(clipped) == 2 and "cut off by span.math" in clipped[0], clipped
    assert "no hint (more-on-the-right)" in clipped[1], clipped
    table = page.evaluate(TABLES_JS)[0]
    assert table["wrapped"] == ["0.602 ± 0.010"], table
    assert len(table["tight"]) == 2 and table["spills"], table
    output = page.evaluate(PRE_BLOCKS_JS, True)[0]
    assert output["holds"] < MAX_LINE and output["over"] > 0, output
    page.close()


def test_png_dpi_reads_what_matplotlib_wrote(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(2, 1), dpi=100)
    figure.savefig(tmp_path / "figure.png", dpi=150)
    plt.close(figure)
    assert png_dpi(tmp_path / "figure.png") == pytest.approx(150, abs=0.1)
