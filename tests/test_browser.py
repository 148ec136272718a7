"""The website, as a reader sees it in a real browser.

Every page of _toc.yml is served from `_build/html` by a local `http.server` and
opened in Debian's headless chromium, driven over the Chrome DevTools Protocol by
Playwright (its Python package talks to the browser we name; it downloads none). On
every page: no error in the console, every equation typeset by MathJax, every image
loaded, every internal link and anchor resolving. Screenshots of the landing page and
of the results page (the first screen, and the whole text) are saved in
`_build/screenshots/` for people to look at.

The same pages as a reader sees them on a phone (390 px wide) and on a desktop screen
(1366 px): on the phone the ☰ button opens the chapter list and the contents button the
page's table of contents, and no display equation is cut off (too wide, it scrolls
sideways); on the desktop no cell output scrolls sideways and there is one search box.
The first screen of the landing page and of a few chapters at both widths, and the phone
with the chapter list open, are saved in `_build/screenshots/` as NAME-WIDTH.png and
NAME-390-nav.png.

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
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urldefrag, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
SCREENSHOTS = {"book/intro": "landing.png", "notebooks/07_results": "results.png"}
SCREENSHOT_DIR = ROOT / "_build" / "screenshots"
TIMEOUT_MS = 60_000

# The CDN address Sphinx gives MathJax 3, and where the same files lie on this machine.
MATHJAX_CDN = re.compile(
    r"https://cdn\.jsdelivr\.net/npm/mathjax@3(?:\.[\d.]+)?/es5/(.+)")
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_STAND_IN = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="117" height="20">'
    '<rect width="117" height="20" rx="3" fill="#555"/>'
    '<text x="58" y="14" fill="#fff" font-family="sans-serif" font-size="11" '
    'text-anchor="middle">Open in Colab</text></svg>')


def toc_files(entries):
    for entry in entries:
        if "file" in entry:
            yield entry["file"]
        yield from toc_files(entry.get("chapters", []) + entry.get("parts", []))


TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
PAGES = [TOC["root"], *toc_files(TOC["parts"])]
NOTEBOOK_PAGES = [p for p in PAGES if p.startswith("notebooks/")]


def ci():
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def mathjax_root():
    import mathjax  # the django-static-mathjax package: static files only

    root = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    assert (root / "tex-mml-chtml.js").is_file(), f"no MathJax 3 in {root}"
    return root


# --------------------------------------------------------------------------------------
# Without a browser: the header's buttons lead to Colab and to the repository of
# _config.yml.

@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_launch_button_opens_this_notebook_in_colab(site, page):
    url = CONFIG["repository"]["url"].rstrip("/")
    branch = CONFIG["repository"].get("branch", "main")
    owner_repo = url.removeprefix("https://github.com/")
    colab = (f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/"
             f"{page}.ipynb")
    text = (site / f"{page}.html").read_text()
    launch = re.search(r'<div class="dropdown dropdown-launch-buttons">.*?</div>', text,
                       re.S)
    assert launch, f"{page}: no launch button in the page header"
    links = re.findall(r'href="([^"]+)"', launch.group(0))
    assert colab in links, f"{page}: launch links {links}, expected {colab}"
    repo_button = re.search(r'<a href="([^"]+)"[^>]*btn-source-repository-button', text)
    assert repo_button and repo_button.group(1) == url, f"{page}: repository button"


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
def browser(server, tmp_path_factory):
    if not CHROMIUM.exists():
        message = (f"{CHROMIUM} is missing: install Debian's chromium "
                   "(apt-get install chromium chromium-driver, as .ci/run does)")
        if ci():
            pytest.fail(message + "; under CI the browser tests must run")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    local_mathjax = mathjax_root()
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
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh --user-data-dir
            executable_path=str(CHROMIUM), headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        context.route("**/*", route)
        yield SimpleNamespace(context=context, blocked=blocked)
        context.close()


@dataclass
class Visit:
    """What one page showed: collected once, checked by the tests below."""
    console_errors: list = field(default_factory=list)
    blocked: list = field(default_factory=list)
    mathjax: str | None = None
    math: dict = field(default_factory=dict)
    images: list = field(default_factory=list)
    links: list = field(default_factory=list)
    missing_anchors: list = field(default_factory=list)


MATH_JS = """() => {
  const main = document.querySelector('main') || document.body;
  const math = [...main.querySelectorAll('.math')];
  const raw = main.cloneNode(true);
  raw.querySelectorAll('pre, code, script, style, mjx-container, textarea')
     .forEach(e => e.remove());
  const text = raw.textContent;
  return {
    n_math: math.length,
    n_typeset: main.querySelectorAll('mjx-container').length,
    untypeset: math.filter(e => !e.querySelector('mjx-container'))
                   .map(e => e.textContent.slice(0, 80)),
    errors: [...main.querySelectorAll('mjx-merror')]
              .map(e => e.getAttribute('data-mjx-error') || e.textContent)
              .concat([...main.querySelectorAll(
                  'mjx-assistive-mml mtext[mathcolor="red"]')]
                .filter(e => e.textContent.startsWith('\\\\'))
                .map(e => 'undefined control sequence ' + e.textContent))
              .concat(Array.from((window.MathJax && MathJax.startup &&
                                  MathJax.startup.document || {}).math || [])
                .map(item => item.math)
                .filter(tex => /[\\x00-\\x09\\x0b\\x0c\\x0e-\\x1f]/.test(tex))
                .map(tex => 'control character in ' + tex.replace(
                  /[\\x00-\\x09\\x0b\\x0c\\x0e-\\x1f]/g,
                  c => '<U+' + c.charCodeAt(0).toString(16).padStart(4, '0') + '>') +
                  ' (a Python escape, "\\\\t" written for "\\\\\\\\t"?)')),
    raw: ['$$', '\\\\(', '\\\\)', '\\\\[', '\\\\]', '\\\\begin{']
           .filter(d => text.includes(d))
           .map(d => d + ' … ' + text.slice(Math.max(0, text.indexOf(d) - 40),
                                            text.indexOf(d) + 40)
                                     .replace(/\\s+/g, ' ')),
  };
}"""

IMAGES_JS = """async () => {
  const images = [...(document.querySelector('main') || document.body)
                  .querySelectorAll('img')];
  images.forEach(img => { img.loading = 'eager'; });
  await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener('load', done); img.addEventListener('error', done);
  })));
  return images.map(img => ({src: img.currentSrc || img.src, width: img.naturalWidth}));
}"""

LINKS_JS = """() => {
  const links = [...document.querySelectorAll('a[href]')];
  const missing = links.map(a => a.getAttribute('href'))
    .filter(href => href.startsWith('#') && href.length > 1)
    .filter(href => !document.getElementById(decodeURIComponent(href.slice(1))));
  return {links: links.map(a => a.href), missing: [...new Set(missing)]};
}"""


@pytest.fixture(scope="module")
def visit(browser, server):
    """visit(page) opens a page of the toc once and returns what it showed."""
    visits = {}

    def load(page_name):
        if page_name in visits:
            return visits[page_name]
        seen = Visit()
        page = browser.context.new_page()
        page.on("console", lambda m: m.type == "error" and seen.console_errors.append(
            f"{m.text} (at {m.location.get('url')})"))
        page.on("pageerror", lambda e: seen.console_errors.append(f"uncaught: {e}"))
        n_blocked = len(browser.blocked)
        response = page.goto(f"{server}/{page_name}.html", wait_until="load")
        assert response.status == 200, f"{page_name}: HTTP {response.status}"
        seen.mathjax = page.evaluate("""async () => {
          if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
            return null;
          }
          await MathJax.startup.promise;
          return MathJax.version;
        }""")
        seen.math = page.evaluate(MATH_JS)
        seen.images = page.evaluate(IMAGES_JS)
        links = page.evaluate(LINKS_JS)
        seen.links, seen.missing_anchors = links["links"], links["missing"]
        if page_name in SCREENSHOTS:
            # What a reader sees first, then the whole text (without the page's sticky
            # sidebars, which a full-page screenshot would cut off).
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            shot = SCREENSHOT_DIR / SCREENSHOTS[page_name]
            page.screenshot(path=shot)
            page.locator("article").first.screenshot(
                path=shot.with_name(f"{shot.stem}-article.png"))
        seen.blocked = browser.blocked[n_blocked:]
        page.close()
        visits[page_name] = seen
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


# --------------------------------------------------------------------------------------
# The checks, page by page.

@pytest.mark.parametrize("page", PAGES)
def test_page_loads_without_console_errors(visit, page):
    seen = visit(page)
    assert not seen.blocked, (
        f"{page} asked for external resources the offline test cannot serve: "
        f"{seen.blocked} (serve them from the site, or teach tests/test_browser.py "
        "to answer them as it does MathJax)")
    assert not seen.console_errors, f"{page}: {seen.console_errors}"


@pytest.mark.parametrize("page", PAGES)
def test_math_is_typeset_by_mathjax(visit, page):
    seen = visit(page)
    math = seen.math
    if not math["n_math"] and not math["raw"]:
        return  # no math on this page
    assert seen.mathjax, f"{page}: {math['n_math']} equations but MathJax did not run"
    assert seen.mathjax.startswith("3."), seen.mathjax
    assert not math["untypeset"], f"{page}: equations left as text: {math['untypeset']}"
    assert not math["errors"], f"{page}: MathJax could not typeset: {math['errors']}"
    assert not math["raw"], f"{page}: raw TeX delimiters in the text: {math['raw']}"
    assert math["n_typeset"] >= math["n_math"] > 0


@pytest.mark.parametrize("page", PAGES)
def test_every_image_loads(visit, server, page):
    broken = [img["src"] for img in visit(page).images if img["width"] == 0]
    assert not broken, f"{page}: images that did not load: {broken}"


@pytest.mark.parametrize("page", PAGES)
def test_internal_links_and_anchors_resolve(visit, server, page):
    seen = visit(page)
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
    page = browser.context.new_page()
    page.goto(f"{server}/", wait_until="load")
    page.wait_for_url(f"{server}/{TOC['root']}.html")
    page.close()


@pytest.mark.parametrize("page", list(SCREENSHOTS))
def test_screenshots_are_saved(visit, page):
    visit(page)
    shot = SCREENSHOT_DIR / SCREENSHOTS[page]
    for path in (shot, shot.with_name(f"{shot.stem}-article.png")):
        assert path.is_file() and path.stat().st_size > 10_000, path


# --------------------------------------------------------------------------------------
# Layout: the pages on a phone and on a desktop screen.

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
# The pages whose first screen is saved at both widths (NAME-1366.png, NAME-390.png),
# and on which the phone's sidebar buttons are tried.
LAYOUT_SCREENSHOTS = {
    "book/intro": "landing",
    "notebooks/02_data": "02_data",
    "notebooks/05_projection": "05_projection",
    "notebooks/06_training": "06_training",
    "notebooks/08_baselines": "08_baselines",
    "notebooks/10_geometry": "10_geometry",
}

# Shown: on the screen and not covered, so that a reader can see and tap it.
SHOWN_FN = """(el) => {
  const r = el.getBoundingClientRect();
  if (r.width < 1 || r.height < 1 || getComputedStyle(el).visibility !== 'visible') {
    return false;
  }
  if (r.right <= 0 || r.left >= innerWidth || r.bottom <= 0 || r.top >= innerHeight) {
    return false;
  }
  const x = Math.min(Math.max(r.left + r.width / 2, 0), innerWidth - 1);
  const y = Math.min(Math.max(r.top + r.height / 2, 0), innerHeight - 1);
  const hit = document.elementFromPoint(x, y);
  return !!hit && (hit === el || el.contains(hit));
}"""
SHOWN_JS = f"(selector) => [...document.querySelectorAll(selector)].some({SHOWN_FN})"
# Rendered on the page, wherever it is scrolled to (a search box in a sidebar scrolled
# to the current chapter is still there); those of closed dialogs are not counted.
COUNT_RENDERED_JS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(el => !el.closest('dialog:not([open])'))
  .filter(el => {
    const r = el.getBoundingClientRect();
    return r.width >= 1 && r.height >= 1 && r.right > 0 && r.left < innerWidth &&
           el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  }).length"""
CHAPTER_LINKS = "nav.bd-links a"  # the chapter list of the primary sidebar
PAGE_TOC_LINKS = "nav.page-toc a"  # the page's contents, in the secondary sidebar
SEARCH_BOXES = ".search-button-field, form.bd-search"

# Every display equation, and the formula inside it, must be reachable: not cut on the
# left by any box (what scrolls sideways cannot scroll to the left of its start), nor on
# the right by a box that does not scroll; a container wider than its box must scroll.
CLIPPED_MATH_JS = """() => {
  const scrolls = v => v === 'auto' || v === 'scroll';
  const tex = new Map(Array.from((window.MathJax && MathJax.startup &&
                                  MathJax.startup.document || {}).math || [])
                        .map(item => [item.typesetRoot, item.math]));
  const cut = (el) => {
    let box = el.getBoundingClientRect();
    for (let a = el.parentElement; a; a = a.parentElement) {
      const overflow = getComputedStyle(a).overflowX;
      if (overflow === 'visible') continue;
      const r = a.getBoundingClientRect();
      const left = r.left + a.clientLeft, right = left + a.clientWidth;
      const name = a.tagName.toLowerCase() + (a.className ? '.' +
                   String(a.className).trim().split(/\\s+/).join('.') : '');
      if (box.left < left - 1) {
        return `its left ${Math.round(left - box.left)} px are cut off by ${name}`;
      }
      if (box.right > right + 1 && !scrolls(overflow)) {
        return `its right ${Math.round(box.right - right)} px are cut off by ${name}`;
      }
      if (scrolls(overflow)) box = r;
    }
    return null;
  };
  const main = document.querySelector('main') || document.body;
  return [...main.querySelectorAll('mjx-container[display="true"]')].flatMap(c => {
    const problems = [];
    if (c.scrollWidth > c.clientWidth + 1 && !scrolls(getComputedStyle(c).overflowX)) {
      problems.push(`${c.scrollWidth} px wide in ${c.clientWidth} px, not scrollable`);
    }
    for (const el of [c, c.querySelector('mjx-math')]) {
      const problem = el && cut(el);
      if (problem) problems.push(problem);
    }
    const source = (tex.get(c) || c.textContent).replace(/\\s+/g, ' ').slice(0, 60);
    return problems.length ? [`${source}: ${[...new Set(problems)].join('; ')}`] : [];
  });
}"""

SIDEWAYS_OUTPUTS_JS = """() =>
  [...document.querySelectorAll('.cell_output pre, .output pre')]
    .filter(pre => pre.scrollWidth > pre.clientWidth + 1)
    .map(pre => `${pre.scrollWidth} px in ${pre.clientWidth} px: ` +
                pre.textContent.trim().slice(0, 80))"""


@dataclass
class Look:
    """What one page showed at one width."""
    console_errors: list = field(default_factory=list)
    clipped_math: list = field(default_factory=list)
    sideways_outputs: list = field(default_factory=list)
    search_boxes: int = 0
    chapters_shown_before: bool | None = None  # the chapter list, before ☰ is tapped
    chapters_shown_after: bool | None = None
    has_page_toc: bool | None = None
    page_toc_shown_before: bool | None = None
    page_toc_shown_after: bool | None = None


def shown_after_click(page, button, target, timeout_ms=5_000):
    """Click the first button on the screen that matches `button`; is `target` then
    shown? False also when no such button is on the screen."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    buttons = page.locator(f"{button}:visible")
    if not buttons.count():
        return False
    buttons.first.click()
    try:
        page.wait_for_function(SHOWN_JS, arg=target, timeout=timeout_ms)
    except PlaywrightTimeout:
        return False
    return True


@pytest.fixture(scope="module")
def look(browser, server):
    """look(page, viewport) opens a page of the toc at that width once and returns
    what it showed; on a phone it also taps the ☰ and contents buttons."""
    looks = {}

    def load(page_name, viewport):
        key = (page_name, viewport["width"])
        if key in looks:
            return looks[key]
        seen = Look()
        phone = viewport["width"] < 992  # the themes' breakpoint for the sidebars
        page = browser.context.new_page()
        page.set_viewport_size(viewport)
        page.on("console", lambda m: m.type == "error" and seen.console_errors.append(
            f"{m.text} (at {m.location.get('url')})"))
        page.on("pageerror", lambda e: seen.console_errors.append(f"uncaught: {e}"))

        def open_page():
            page.goto(f"{server}/{page_name}.html", wait_until="load")
            page.evaluate("""async () => {
              if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
                await MathJax.startup.promise;
              }
              await document.fonts.ready;
            }""")

        open_page()
        seen.clipped_math = page.evaluate(CLIPPED_MATH_JS)
        seen.sideways_outputs = page.evaluate(SIDEWAYS_OUTPUTS_JS)
        seen.search_boxes = page.evaluate(COUNT_RENDERED_JS, SEARCH_BOXES)
        name = LAYOUT_SCREENSHOTS.get(page_name)
        if name:
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=SCREENSHOT_DIR / f"{name}-{viewport['width']}.png")
        if phone and name:
            seen.chapters_shown_before = page.evaluate(SHOWN_JS, CHAPTER_LINKS)
            seen.chapters_shown_after = shown_after_click(
                page, ".primary-toggle", CHAPTER_LINKS)
            page.wait_for_timeout(300)  # the sidebar's slide-in
            page.screenshot(path=SCREENSHOT_DIR / f"{name}-{viewport['width']}-nav.png")
            open_page()  # afresh, with the chapter list closed
            seen.has_page_toc = page.evaluate(
                f"() => document.querySelectorAll('{PAGE_TOC_LINKS}').length > 0")
            if seen.has_page_toc:
                seen.page_toc_shown_before = page.evaluate(SHOWN_JS, PAGE_TOC_LINKS)
                seen.page_toc_shown_after = shown_after_click(
                    page, ".secondary-toggle", PAGE_TOC_LINKS)
        page.close()
        looks[key] = seen
        return seen

    return load


@pytest.mark.parametrize("page", PAGES)
def test_no_display_equation_is_cut_off_on_a_phone(look, page):
    clipped = look(page, PHONE).clipped_math
    assert not clipped, (
        f"{page} at {PHONE['width']} px: display equations cut off instead of "
        "scrolling sideways:\n" + "\n".join(clipped))


@pytest.mark.parametrize("page", PAGES)
def test_no_cell_output_scrolls_sideways_on_a_desktop(look, page):
    sideways = look(page, DESKTOP).sideways_outputs
    assert not sideways, (
        f"{page} at {DESKTOP['width']} px: cell outputs that scroll sideways instead "
        "of wrapping:\n" + "\n".join(sideways))


@pytest.mark.parametrize("page", PAGES)
def test_one_search_box_on_a_desktop(look, page):
    boxes = look(page, DESKTOP).search_boxes
    assert boxes == 1, f"{page} at {DESKTOP['width']} px: {boxes} search boxes shown"


@pytest.mark.parametrize("page", list(LAYOUT_SCREENSHOTS))
def test_sidebar_button_opens_the_chapter_list_on_a_phone(look, page):
    seen = look(page, PHONE)
    assert not seen.chapters_shown_before, (
        f"{page} at {PHONE['width']} px: the chapter list covers the page before ☰")
    assert seen.chapters_shown_after, (
        f"{page} at {PHONE['width']} px: tapping ☰ does not show the chapter list")
    assert not seen.console_errors, f"{page} on a phone: {seen.console_errors}"


@pytest.mark.parametrize("page", list(LAYOUT_SCREENSHOTS))
def test_contents_button_opens_the_page_toc_on_a_phone(look, page):
    seen = look(page, PHONE)
    if not seen.has_page_toc:
        pytest.skip(f"{page} has no table of contents of its own")
    assert not seen.page_toc_shown_before, (
        f"{page} at {PHONE['width']} px: the page's contents cover it before tapping")
    assert seen.page_toc_shown_after, (
        f"{page} at {PHONE['width']} px: tapping the contents button does not show the "
        "page's table of contents")
    assert not seen.console_errors, f"{page} on a phone: {seen.console_errors}"


@pytest.mark.parametrize("page", list(LAYOUT_SCREENSHOTS))
def test_layout_screenshots_are_saved(look, page):
    look(page, DESKTOP), look(page, PHONE)
    name = LAYOUT_SCREENSHOTS[page]
    for shot in (f"{name}-{DESKTOP['width']}.png", f"{name}-{PHONE['width']}.png",
                 f"{name}-{PHONE['width']}-nav.png"):
        path = SCREENSHOT_DIR / shot
        assert path.is_file() and path.stat().st_size > 10_000, path
