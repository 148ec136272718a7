"""nbval compares nothing that rounding moves; what it does not compare is claimed.

Training results differ in their last digits between machines (CPU, thread count,
GPU), and so do rounding errors, so the cells that print them are tagged
`nbval-ignore-output`. Each such cell, or the code cell right after it, must state what
it shows with a `claim` (Appendix D) or an `assert`, unless it says, in a comment that
begins `# no claim:`, why the text draws nothing from it (the seconds a run took on the
machine that ran the page, for instance).

The other way round: an output that nbval compares may hold a number with decimals (a
fraction, a percentage, a power of ten) only if its cell says, in a comment that begins
`# same on every machine:`, why rounding cannot move it (exact inputs in float64, a
file that ships with the book). `tools/realisations.py` checks those reasons: it runs
nbval under several rounding realisations, where a compared output that moves fails.
"""

import ast
import configparser
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ASSERT = re.compile(r"^\s*(assert\b|claim\()", re.M)
NO_CLAIM = re.compile(r"^\s*# no claim: \S", re.M)
SAME = re.compile(r"^\s*# same on every machine: \S", re.M)
# 0.83, 83%, 1e-05; not a version (2.14.1), an address (127.0.0.1) or a hash (4e5f)
DECIMAL = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])|\d%|\d[eE][-+]\d")
MAX_LINE = 88  # characters: what the website's code column shows without scrolling
MAX_CELL = 45  # lines: about a screen


def ignored(cell):
    """Whether nbval skips comparing this cell's output."""
    return ("nbval-ignore-output" in cell.metadata.get("tags", [])
            or "# NBVAL_IGNORE_OUTPUT" in cell.source)


def unchecked_cells(notebook):
    """Indices of ignored code cells with no assertion in them or in the next code cell,
    and no `# no claim:` comment saying why none is needed."""
    code = [(i, cell) for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    found = []
    for position, (i, cell) in enumerate(code):
        following = code[position + 1][1].source if position + 1 < len(code) else ""
        checked = ASSERT.search(cell.source + "\n" + following) or NO_CLAIM.search(
            cell.source)
        if ignored(cell) and not checked:
            found.append(i)
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_every_ignored_output_is_asserted(path):
    assert unchecked_cells(nbformat.read(path, as_version=4)) == []


def test_the_check_finds_an_unchecked_cell():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\nprint(0.8264)"),
        nbformat.v4.new_markdown_cell("assert in prose does not count"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("acc = 0.83", metadata={"tags": ["nbval-ignore-output"]}),
        nbformat.v4.new_code_cell("assert acc > 0.8"),
        nbformat.v4.new_code_cell("# no claim: seconds on this machine\nprint(41.6)",
                                  metadata={"tags": ["nbval-ignore-output"]}),
        nbformat.v4.new_code_cell("# no claim:\nprint(0.83)",  # a reason is required
                                  metadata={"tags": ["nbval-ignore-output"]}),
    ])
    assert unchecked_cells(notebook) == [0, 6]


def nbval_sanitizers(path=ROOT / "tests" / "sanitize.cfg"):
    """The (pattern, replacement) pairs nbval applies to outputs before comparing them
    (`--nbval-sanitize-with`)."""
    config = configparser.ConfigParser()
    config.read(path)
    return [(re.compile(section["regex"]), section["replace"])
            for section in config.values() if "regex" in section]


SANITIZERS = nbval_sanitizers()


def compared_text(cell):
    """The text of a code cell's outputs that nbval compares, sanitised as it does."""
    texts = [output.get("text", "") for output in cell.outputs
             if output.output_type == "stream"]
    texts += [output.data.get(kind, "") for output in cell.outputs if "data" in output
              for kind in ("text/plain", "text/html")]
    text = "\n".join(texts)
    for pattern, replacement in SANITIZERS:
        text = pattern.sub(replacement, text)
    return text


def moving_digits(notebook):
    """Indices of the code cells whose compared output holds a number with decimals
    and that do not say why rounding cannot move it."""
    return [i for i, cell in enumerate(notebook.cells)
            if cell.cell_type == "code" and not ignored(cell)
            and not SAME.search(cell.source) and DECIMAL.search(compared_text(cell))]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_compared_outputs_hold_no_digit_that_rounding_moves(path):
    assert moving_digits(nbformat.read(path, as_version=4)) == []


def test_the_digit_check_finds_an_unguarded_training_digit():
    printed = nbformat.v4.new_output("stream", name="stdout",
                                     text="permutations gem  ACC 0.825  BWT +0.031\n")
    shown = nbformat.v4.new_output("execute_result", data={"text/plain": "0.8264"})
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("print(acc)", outputs=[printed]),
        nbformat.v4.new_code_cell("acc", outputs=[shown],
                                  metadata={"tags": ["nbval-ignore-output"]}),
        nbformat.v4.new_code_cell("# same on every machine: exact float64 inputs\nx",
                                  outputs=[shown]),
        nbformat.v4.new_code_cell("# same on every machine:\nx",  # a reason is needed
                                  outputs=[shown]),
        nbformat.v4.new_code_cell("print(shape)", outputs=[nbformat.v4.new_output(
            "stream", name="stdout", text="G has shape (3, 89610)\n")]),
        nbformat.v4.new_code_cell("print(seconds)", outputs=[nbformat.v4.new_output(
            "stream", name="stdout", text="single: train 1.9 s\n")]),  # sanitised
    ])
    assert moving_digits(notebook) == [0, 3]


def test_ignored_cells_are_listed():
    """The chapters that show training results ignore some outputs (and assert them)."""
    counts = {path.stem: sum(map(ignored, nbformat.read(path, as_version=4).cells))
              for path in NOTEBOOKS}
    for chapter in ("06_training", "07_results", "08_baselines", "09_agem", "10_sweeps"):
        assert counts[chapter] > 0, chapter


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_committed_outputs_hold_no_error_or_stderr(path):
    """What the site shows: no traceback, no warning text (nbval does not compare the
    ignored cells, so this is where a warning in one of them would show)."""
    notebook = nbformat.read(path, as_version=4)
    bad = [(i, output.get("name") or output.output_type)
           for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
           for output in cell.outputs
           if output.output_type == "error" or output.get("name") == "stderr"]
    assert bad == []


def one_definition(source):
    """Whether a cell is one function or class being explained (with its imports)."""
    try:
        body = [node for node in ast.parse(source).body
                if not isinstance(node, (ast.Import, ast.ImportFrom))]
    except SyntaxError:
        return False
    return len(body) == 1 and isinstance(body[0], (ast.FunctionDef, ast.ClassDef))


def too_long(notebook):
    """(cell index, what is too long) for each code line and cell that does not fit."""
    found = []
    for i, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        lines = cell.source.splitlines()
        found += [(i, f"a line of {len(line)} characters") for line in lines
                  if len(line) > MAX_LINE]
        if len(lines) > MAX_CELL and not one_definition(cell.source):
            found.append((i, f"{len(lines)} lines"))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_code_fits_the_page(path):
    """No code line wider than the site's column, no cell longer than a screen unless
    it is one function or class being explained."""
    assert too_long(nbformat.read(path, as_version=4)) == []


def test_the_length_check_finds_what_does_not_fit():
    one_long_function = "def f():\n" + "    x = 1\n" * 50
    two_functions = "def f():\n    pass\n" + "x = 1\n" * 50 + "def g():\n    pass\n"
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1  " + "#" * 90),
        nbformat.v4.new_code_cell(one_long_function),
        nbformat.v4.new_code_cell(two_functions),
        nbformat.v4.new_markdown_cell("a" * 200),
    ])
    assert [i for i, _ in too_long(notebook)] == [0, 2]


SMALL_FONT = re.compile(r"fontsize=(?:(\d+(?:\.\d+)?)|[\"'](x+-)?small[\"'])")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_figure_text_is_at_least_the_default_size(path):
    """The website's check of figure text on a phone (tests/test_browser.py) assumes
    the smallest text is matplotlib's default 10 pt: no notebook sets a smaller one."""
    notebook = nbformat.read(path, as_version=4)
    small = [(i, match.group(0)) for i, cell in enumerate(notebook.cells)
             if cell.cell_type == "code" for match in SMALL_FONT.finditer(cell.source)
             if match.group(1) is None or float(match.group(1)) < 10]
    assert small == []


def test_the_font_check_finds_small_text():
    sources = ("ax.legend(fontsize=8)", "ax.set_title(t, fontsize='small')",
               "ax.text(0, 0, t, fontsize=12)")
    flagged = [source for source in sources
               if any(m.group(1) is None or float(m.group(1)) < 10
                      for m in SMALL_FONT.finditer(source))]
    assert flagged == list(sources[:2])



@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_every_figure_has_a_description(path):
    """A cell that draws a figure says what it shows in `mystnb.image.alt`, which the
    website gives its images as alt text (what a screen reader reads)."""
    for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type == "code" and any("image/png" in output.get("data", {})
                                            for output in cell.outputs):
            alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
            assert len(alt.split()) >= 8, f"cell {i} draws a figure it does not describe"
