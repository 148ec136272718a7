"""Outputs that nbval does not compare are checked by assertions instead.

Training results differ in their last digits between machines (CPU, thread count,
GPU), so the cells that print them are tagged `nbval-ignore-output`. Each such cell,
or the code cell right after it, must state what it shows with an `assert`, unless it
says, in a comment that begins `# no claim:`, why the text draws nothing from it (the
seconds a run took on the machine that ran the page, for instance).
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ASSERT = re.compile(r"^\s*assert\b", re.M)
NO_CLAIM = re.compile(r"^\s*# no claim: \S", re.M)


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


def test_ignored_cells_are_listed():
    """The chapters that show training results ignore some outputs (and assert them)."""
    counts = {path.stem: sum(map(ignored, nbformat.read(path, as_version=4).cells))
              for path in NOTEBOOKS}
    for chapter in ("06_training", "07_results", "08_baselines", "09_sweeps"):
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
