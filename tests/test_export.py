"""The package is generated from the notebooks: the two must never drift apart."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPORT = ROOT / "tools" / "export.py"


def export(*args):
    return subprocess.run([sys.executable, str(EXPORT), *args], capture_output=True,
                          text=True)


def copy_repo(tmp_path):
    for folder in ("notebooks", "gembook"):
        shutil.copytree(ROOT / folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_package_matches_a_fresh_export():
    result = export("--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_generated_module_names_its_notebook():
    for path in (ROOT / "gembook").glob("*.py"):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        first = path.read_text().splitlines()[0]
        notebook = f"notebooks/{path.stem}.ipynb"
        matches = list((ROOT / "notebooks").glob(f"[0-9][0-9]_{path.stem}.ipynb"))
        assert len(matches) == 1, f"{path.name} has no notebook of its own"
        assert f"notebooks/{matches[0].name}" in first and "do not edit" in first, (
            f"{path.name} does not say it is generated from {notebook}")


def test_every_definition_links_back_to_where_the_book_defines_it():
    import ast
    for path in (ROOT / "gembook").glob("*.py"):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        lines = path.read_text().splitlines()
        for node in ast.parse("\n".join(lines)).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                link = lines[start - 2]
                assert link.startswith("# Defined in ") and ".ipynb)." in link, (
                    f"{path.name}: {node.name} has no back-link above it")
                assert "Defined in" not in (ast.get_docstring(node) or ""), (
                    f"{path.name}: {node.name} types its back-link by hand")


def test_the_harness_cells_of_chapter_06_go_to_runs():
    """`#@save runs` sends a cell of chapter 06 to gembook/runs.py, before Appendix B's
    own cells; its import from gembook.runs is dropped there, and its back-links name
    chapter 06."""
    text = (ROOT / "gembook" / "runs.py").read_text()
    assert text.splitlines()[0].startswith(
        '"""Generated from notebooks/06_training.ipynb and notebooks/91_runs.ipynb')
    assert "from gembook.runs import" not in text
    assert text.index("def settings_for(") < text.index("def cluster(")
    assert "# Defined in chapter 06 (notebooks/06_training.ipynb).\ndef settings_for(" in (
        text)
    assert "def settings_for(" not in (ROOT / "gembook" / "training.py").read_text()


def test_check_fails_when_the_package_is_edited_by_hand(tmp_path):
    root = copy_repo(tmp_path)
    module = root / "gembook" / "projection.py"
    module.write_text(module.read_text() + "\nHAND_EDIT = True\n")
    result = export("--check", "--root", str(root))
    assert result.returncode == 1
    assert "gembook/projection.py" in result.stdout


def test_check_fails_when_a_notebook_changes(tmp_path):
    root = copy_repo(tmp_path)
    path = root / "notebooks" / "03_network.ipynb"
    notebook = json.loads(path.read_text())
    saved = next(c for c in notebook["cells"]
                 if c["cell_type"] == "code" and "".join(c["source"]).startswith("#@save"))
    saved["source"] = "".join(saved["source"]) + "\n\nNEW_NAME = 1"
    path.write_text(json.dumps(notebook))
    assert export("--check", "--root", str(root)).returncode == 1
    assert export("--root", str(root)).returncode == 0
    assert "NEW_NAME = 1" in (root / "gembook" / "network.py").read_text()
    assert export("--check", "--root", str(root)).returncode == 0


def test_a_cell_sent_to_a_module_lands_there(tmp_path):
    root = copy_repo(tmp_path)
    path = root / "notebooks" / "03_network.ipynb"
    notebook = json.loads(path.read_text())
    notebook["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                              "execution_count": None, "source": [
        "#@save memory\n", "from gembook.memory import EpisodicMemory\n", "\n",
        "\n", "def sent():\n", "    return EpisodicMemory\n"]})
    path.write_text(json.dumps(notebook))
    assert export("--root", str(root)).returncode == 0
    memory = (root / "gembook" / "memory.py").read_text()
    assert memory.splitlines()[0].startswith(
        '"""Generated from notebooks/03_network.ipynb and notebooks/04_memory.ipynb')
    sent = memory.index("# Defined in chapter 03 (notebooks/03_network.ipynb).\n"
                        "def sent():\n    return EpisodicMemory\n")
    assert sent < memory.index("class EpisodicMemory")  # before the module's own cells
    assert "from gembook.memory import" not in memory
    assert "def sent" not in (root / "gembook" / "network.py").read_text()


def test_unmarked_cells_are_not_exported():
    text = (ROOT / "gembook" / "network.py").read_text()
    assert "#@save" not in text
    assert "net = mlp()" not in text  # a demonstration cell of chapter 03
