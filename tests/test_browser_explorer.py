"""Appendix E's results explorer in a real browser, on a desktop and on a phone.

The explorer (notebooks/94_explorer.ipynb, `gembook.explorer`) carries in its page the
R of every run chapters 07-10 made, as text (`as_text`, which the notebook checks
against the results cache to its rounding, 0.05 point), and draws the chosen one with
the site's own plotly.js. Here a reader rests the pointer, or a finger, on entries of
the heatmap: each shows its row, its column and that entry of the page's R. The reader
changes the method, the benchmark and the seed: the heatmap then plots that run's R
and the table its metrics. The page weighs at most 300 kB beside plotly.js; on a phone
it fits the screen; where plotly.js cannot load, the figure's box says so and the
menus and metrics still work.

It reuses tests/test_browser.py's browser and server (the same offline site). The
explorer at both widths, with a value under the pointer, is saved in
_build/screenshots/94_explorer-WIDTH-explorer.png, for people to look at.
"""

import json
import re

import numpy as np
import pytest
from book_pages import PAGES
from test_browser import (  # noqa: F401 (browser and server are fixtures)
    DESKTOP, PHONE, TIMEOUT_MS, WIDTHS, browser, screenshot, script, server, waits_for)

from gembook.explorer import from_text

EXPLORER = "notebooks/94_explorer"
EXPLORER_JS = script("explorer.js")
CELL_JS = script("explorer_cell.js")
MAX_PAGE_BYTES = 300_000  # the page's HTML: what it adds to the site's shared files
MIN_TEXT_PX = 10
HOVER = re.compile(r"tasks trained: (\d+).*task tested: (\d+).*accuracy: ([\d.]+)%",
                   re.S)
START = ("gem", "permutations", "0")  # where the explorer opens (explorer_html)

pytestmark = pytest.mark.skipif(EXPLORER not in PAGES,
                                reason="Appendix E is not in the toc")


def page_data(html):
    """The runs an explorer page carries: {"label|benchmark": [view, ...]}."""
    found = re.findall(r'<script type="application/json">(.*?)</script>', html, re.S)
    assert len(found) == 1, f"{len(found)} data scripts in the explorer's page"
    return json.loads(found[0].replace("<\\/", "</"))


@pytest.fixture(scope="module")
def data(site):
    return page_data((site / f"{EXPLORER}.html").read_text())


def view_of(data, label, benchmark, view):
    return next(v for v in data[f"{label}|{benchmark}"] if v["view"] == view)


def as_plotted(R):
    """R as the heatmap plots it: percent, NaN where untested (null in the page)."""
    return np.array([[np.nan if v is None else v for v in row] for row in R], float)


def open_explorer(browser, server, width, plotly=True):
    """A new tab with the explorer's page at `width`, drawn (unless plotly.js is kept
    from loading), and the list its errors go to."""
    page = browser.screens[width].new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    if not plotly:
        page.route(re.compile(r"/plotly-[\d.]+\.min\.js"), lambda route: route.abort())
    else:
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(f"{server}/{EXPLORER}.html", wait_until="load")
    if plotly:
        assert waits_for(page, f"() => !!(({EXPLORER_JS})() || {{}}).z",
                         timeout_ms=TIMEOUT_MS), f"{EXPLORER} at {width} px: not drawn"
    return page, errors


@pytest.fixture(scope="module")
def explorer(browser, server):
    """explorer(width): the explorer's page at that width, opened once, at START."""
    opened = {}

    def at(width):
        if width not in opened:
            opened[width] = open_explorer(browser, server, width)
        page, errors = opened[width]
        for name, value in zip(("method", "benchmark", "seed"), START):
            choose(page, name, value)
        return page, errors

    yield at
    for page, _ in opened.values():
        page.close()


def choose(page, name, value):
    """Choose `value` in the explorer's menu `name`; its state once it has changed."""
    page.select_option(f'article [id^="explorer-"] select[name="{name}"]', value)
    page.wait_for_timeout(100)  # the restyle
    return page.evaluate(EXPLORER_JS)


def shows(state, data, label, benchmark, view):
    """What is wrong with a state of the explorer that should show this view."""
    expected = view_of(data, label, benchmark, view)
    problems = []
    if (state["method"], state["benchmark"], state["seed"]) != (label, benchmark, view):
        problems.append(f"menus at {state['method']}, {state['benchmark']}, "
                        f"{state['seed']}")
    R = 100 * from_text(expected["R"])
    if state["z"] is not None and not np.allclose(as_plotted(state["z"]), R, atol=1e-9,
                                                  equal_nan=True):
        problems.append("the heatmap is not this run's R")
    if state["metrics"] != expected["metrics"]:
        problems.append(f"metrics {state['metrics']}, not {expected['metrics']}")
    if state["settings"] != expected["settings"]:
        problems.append(f"settings {state['settings']!r}")
    if state["caption"] != f"R of {label} on {benchmark}, {expected['label']}":
        problems.append(f"caption {state['caption']!r}")
    return problems


def test_the_page_weighs_at_most_300_kb_beside_plotly_js(site):
    size = (site / f"{EXPLORER}.html").stat().st_size
    assert size <= MAX_PAGE_BYTES, f"{EXPLORER}.html: {size:,} bytes"


@pytest.mark.parametrize("width", WIDTHS)
def test_an_entry_under_the_pointer_shows_its_value_in_R(explorer, data, width):
    """On the desktop the mouse rests on entries, on the phone a finger taps them."""
    page, errors = explorer(width)
    R = 100 * from_text(view_of(data, *START)["R"])
    assert shows(page.evaluate(EXPLORER_JS), data, *START) == []
    page.locator('article [id^="explorer-"] .plotly-graph-div').scroll_into_view_if_needed()
    for i, j in ((12, 5), (20, 0), (3, 17)):  # below, on the last row, above
        point = page.evaluate(CELL_JS, [i, j])
        if width == PHONE["width"]:
            page.touchscreen.tap(point["x"], point["y"])
        else:
            page.mouse.move(point["x"], point["y"])
        label = f"({i}, {j}): no value shown under the pointer"
        shown = f"/tasks trained: {i}(?!\\d).*task tested: {j}(?!\\d)/"
        assert waits_for(page, f"() => {shown}.test("
                         "document.querySelector('.hoverlayer').textContent)"), label
        text = page.locator(".hoverlayer .hovertext").first.text_content()
        found = HOVER.search(text)
        assert found and (int(found[1]), int(found[2])) == (i, j), text
        assert float(found[3]) == pytest.approx(R[i, j], abs=1e-9), (
            f"{width} px, R[{i}, {j}]: shows {found[3]}%, the page's R holds {R[i, j]}")
    page.locator('article [id^="explorer-"]').screenshot(
        path=screenshot(EXPLORER, width, "-explorer"))
    assert not errors, errors


def test_the_menus_change_the_run_shown(explorer, data):
    page, errors = explorer(DESKTOP["width"])
    steps = [  # (menu, choice), then what the explorer should show
        (("method", "single"), ("single", "permutations", "0")),
        (("seed", "1"), ("single", "permutations", "1")),
        (("seed", "mean"), ("single", "permutations", "mean")),
        (("benchmark", "rotations"), ("single", "rotations", "mean")),
        (("method", "independent"), ("independent", "rotations", "mean")),
        (("seed", "9"), ("independent", "rotations", "9")),
        (("method", "gem, 8 memories"), ("gem, 8 memories", "permutations", "0")),
        (("method", "agem, 17 tasks of 5000 examples"),
         ("agem, 17 tasks of 5000 examples", "permutations", "0")),
    ]
    before = page.evaluate(EXPLORER_JS)
    for (name, value), expected in steps:
        state = choose(page, name, value)
        assert shows(state, data, *expected) == [], (name, value)
        assert state["z"] != before["z"], f"choosing {value} left the heatmap as it was"
        before = state
    assert before["benchmarks"] == ["permutations"] and before["seeds"] == ["0"]
    assert len(before["z"]) == 18 and len(before["z"][0]) == 17  # 17 tasks
    assert not errors, errors


def test_the_explorer_fits_a_phone(explorer):
    page, errors = explorer(PHONE["width"])
    state = page.evaluate(EXPLORER_JS)
    width = state["viewport"]
    assert state["page"] <= width, f"the page spans {state['page']} px"
    for name, box in [("figure", state["figure"])] + [
            (f"menu {i}", box) for i, box in enumerate(state["menus"])]:
        assert 0 <= box["left"] and box["right"] <= width, (name, box)
    assert state["smallest"] >= MIN_TEXT_PX, f"text of {state['smallest']} px"
    assert not errors, errors


def test_without_plotly_js_it_says_so_and_the_menus_still_work(browser, server, data):
    page, errors = open_explorer(browser, server, DESKTOP["width"], plotly=False)
    first = page.evaluate(EXPLORER_JS)
    state = choose(page, "method", "ewc")
    page.close()
    assert first["fallback"] and first["z"] is None, first
    assert shows(state, data, "ewc", "permutations", "0") == []
    assert not errors, errors
