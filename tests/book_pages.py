"""The book's pages, in the order of _toc.yml, and the repository of _config.yml that
Colab opens its notebooks from: for the tests of the website (test_book.py,
test_browser.py) and of the notebooks' place in it (test_colab.py).

A module of its own, not a fixture: test_browser.py parametrizes its tests with the
pages when it is imported."""

import importlib.util
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPOSITORY = CONFIG["repository"]["url"].rstrip("/")
BRANCH = CONFIG["repository"].get("branch", "main")  # jupyter-book's default: main


def toc_files(entries):
    """The files of the toc's entries and of their chapters and parts, in order."""
    for entry in entries:
        if "file" in entry:
            yield entry["file"]
        yield from toc_files(entry.get("chapters", []) + entry.get("parts", []))


PAGES = [TOC["root"], *toc_files(TOC["parts"])]  # every page, the landing page first
CHAPTERS = [page for page in PAGES if page.startswith("notebooks/")]  # the notebooks'


def colab_url(notebook):
    """Where Colab opens `notebook`, a path in the repository (notebooks/NAME.ipynb),
    from the repository's branch."""
    owner_repo = REPOSITORY.removeprefix("https://github.com/")
    return (f"https://colab.research.google.com/github/{owner_repo}/blob/{BRANCH}/"
            f"{notebook}")


def pdf_tool():
    """tools/pdf.py as a module (tools/ is not a package): the PDF's printer, whose
    offline stand-ins for the site's CDN files the browser test uses too."""
    spec = importlib.util.spec_from_file_location("pdf", ROOT / "tools" / "pdf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
