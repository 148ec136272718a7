"""Colab badges and setup cells agree with the one repository URL in _config.yml."""

import json
from pathlib import Path

import pytest
from book_pages import BRANCH, CHAPTERS, REPOSITORY, colab_url

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def cells(path):
    return json.loads(path.read_text())["cells"]


def test_every_notebook_is_in_the_toc_and_back():
    assert set(CHAPTERS) == {f"notebooks/{p.stem}" for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_is_title_and_colab_badge(path):
    first = cells(path)[0]
    text = "".join(first["source"])
    badge = colab_url(f"notebooks/{path.name}")
    assert first["cell_type"] == "markdown" and text.startswith("# ")
    assert f"({badge})" in text, f"{path.name}: badge should link to {badge}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_code_cell_installs_only_in_colab(path):
    code = next(c for c in cells(path) if c["cell_type"] == "code")
    text = "".join(code["source"])
    assert 'if "google.colab" in sys.modules:' in text
    assert f"gembook @ git+{REPOSITORY}@{BRANCH}" in text
    assert "quadprog" in text
    install = text[text.index("subprocess.run("):text.index("check=True)")]
    assert "torch" not in install, "Colab brings its own torch: don't reinstall it"
