"""The website builds with warnings as errors and holds every chapter and figure."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def toc_files(entries):
    for entry in entries:
        if "file" in entry:
            yield entry["file"]
        yield from toc_files(entry.get("chapters", []) + entry.get("parts", []))


# The `site` fixture (the website, built once per run) is in conftest.py.


def test_every_toc_page_is_built(site):
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"], *toc_files(toc["parts"])]
    for page in pages:
        assert (site / f"{page}.html").is_file(), f"{page} was not built"


def test_chapter_figures_are_on_their_pages(site):
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        if '"image/png"' not in notebook.read_text():
            continue
        html = (site / "notebooks" / f"{notebook.stem}.html").read_text()
        images = re.findall(r'<img [^>]*src="([^"]+\.png)"', html)
        assert images, f"{notebook.name} has figures but its page shows none"
        for src in images:
            assert (site / "notebooks" / src).resolve().is_file(), src
