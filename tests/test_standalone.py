"""Every chapter runs alone: a fresh kernel, an empty folder, an empty results cache.

Each notebook is copied, alone, into a new empty working folder and executed there
with nbclient in a fresh kernel, importing the installed `gembook` package (never a
copy beside the notebook), with `GEMBOOK_RESULTS` pointing at a new empty folder and
`GEMBOOK_DATA` as it is (the MNIST cache). No cell may fail or write to stderr (which
Jupyter Book turns into a warning, and `-W` into an error).

Chapters 06 to 11 run full experiments, and Appendix E, alone, makes those of 07 to
10 again: alone they take minutes: they are skipped
unless GEMBOOK_SLOW_TESTS=1, so that one `make test` executes each of them once, under
nbval. nbval runs them in a fresh kernel each, with a results cache that starts empty
(conftest.py points GEMBOOK_RESULTS at a new temporary folder), in the chapters' order:
every experiment of 06 to 10 is computed there from nothing, by the same code that a
chapter running alone would call.
"""

import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
SLOW = {"06_training", "07_results", "08_baselines", "09_agem", "10_sweeps",
        "11_geometry", "94_explorer"}
WHERE = "import gembook, sys\nprint(gembook.__file__)\nprint(sys.executable)"


def chapters():
    """Every chapter notebook; the slow ones skipped unless GEMBOOK_SLOW_TESTS=1."""
    slow_ok = os.environ.get("GEMBOOK_SLOW_TESTS") == "1"
    skip = pytest.mark.skip(reason="takes minutes; set GEMBOOK_SLOW_TESTS=1 (nbval "
                            "runs it anyway)")
    return [pytest.param(notebook, id=notebook.stem,
                         marks=skip if notebook.stem in SLOW and not slow_ok else ())
            for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]


def stderr_of(notebook):
    """Every stderr text and error output of an executed notebook, with its cell."""
    found = []
    for i, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("name") == "stderr" or output["output_type"] == "error":
                found.append(f"cell {i}: {output.get('text') or output.get('evalue')}")
    return found


@pytest.mark.parametrize("path", chapters())
def test_chapter_runs_alone(path, tmp_path, results, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(path, work)
    monkeypatch.setenv("TQDM_DISABLE", "1")
    notebook = nbformat.read(work / path.name, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(WHERE))
    client = NotebookClient(notebook, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": str(work)}})
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    assert stderr_of(notebook) == []
    package, python = notebook.cells[-1].outputs[0]["text"].split()
    assert Path(package).parent == ROOT / "gembook"  # the installed package
    assert Path(python).parent == Path(sys.executable).parent
