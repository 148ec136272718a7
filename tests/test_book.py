"""The website builds with warnings as errors and holds every chapter and figure."""

import re
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

from book_pages import CHAPTERS, PAGES, TOC

ROOT = Path(__file__).resolve().parents[1]


# The `site` fixture (the website, built once per run) is in conftest.py.


def test_every_toc_page_is_built(site):
    for page in PAGES:
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


def described(alt):
    """Whether an image's alt text says what it shows: words, not a file name."""
    return (len(alt.split()) >= 4 and not re.search(r"[./\\]\w+\.(png|svg|jpe?g)\b", alt)
            and not re.fullmatch(r"[\w./-]*", alt))


def test_every_figure_says_what_it_shows(site):
    """A screen reader reads a figure's alt text: a description, never its file path."""
    seen = 0
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        html = article((site / "notebooks" / f"{notebook.stem}.html").read_text())
        for tag in re.findall(r'<img [^>]*src="[^"]+\.png"[^>]*>', html):
            alt = unescape((re.search(r'alt="([^"]*)"', tag) or [None, ""])[1])
            assert described(alt), f"{notebook.name}: a figure's alt is {alt!r}"
            seen += 1
    figures = sum(notebook.read_text().count('"image/png"')
                  for notebook in (ROOT / "notebooks").glob("*.ipynb"))
    assert seen == figures, f"{seen} figures on the pages, {figures} in the notebooks"


def test_an_alt_that_is_a_path_or_empty_is_refused():
    assert not described("../_images/173c78ac0f9e4d.png")
    assert not described("")
    assert not described("figure")
    assert described("Heatmap of the accuracy matrix R of GEM on Permutations")


def text_of(html):
    """The text of an HTML fragment, tags removed and white space collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def article(html):
    """The page's own text, without the sidebars (which link every chapter)."""
    match = re.search(r"<article class=\"bd-article\"[^>]*>(.*?)</article>", html, re.S)
    assert match, "no <article class=\"bd-article\"> in the page"
    return match.group(1)


def test_landing_page_links_every_chapter(site):
    root = TOC["root"]
    body = article((site / f"{root}.html").read_text())
    hrefs = re.findall(r'<a class="reference internal" href="([^"#]+)', body)
    linked = {urljoin(root, href).removesuffix(".html") for href in hrefs}
    missing = [chapter for chapter in CHAPTERS if chapter not in linked]
    assert not missing, f"the landing page's list of chapters does not link {missing}"


def test_landing_page_credits_the_course_project(site):
    text = text_of(article((site / "book/intro.html").read_text()))
    assert "Acknowledgements" in text
    for name in ("NJIT CS677", "Fernando Rios", "Hassan Ouanir", "Maha Faruque",
                 "Pantelis Monogioudis"):
        assert name in text, name


def bibliography_labels(site):
    """{citation id: label} of the bibliography page."""
    html = (site / "book/bibliography.html").read_text()
    entries = re.findall(
        r'<div class="citation" id="([^"]+)"[^>]*>\s*'
        r'<span class="label">(.*?)</span>\s*<p>', html, re.S)
    assert entries, "no entries in the bibliography"
    return {ident: text_of(label).strip("[] ") for ident, label in entries}


def test_bibliography_labels_are_author_year_and_distinct(site):
    labels = bibliography_labels(site)
    odd = [label for label in labels.values()
           if not re.fullmatch(r"\S.*, (\d{4}|n\.d\.)[a-z]?", label)]
    assert not odd, f"bibliography labels not in author-year style: {odd}"
    assert len(set(labels.values())) == len(labels), sorted(labels.values())
    # The two 2019 papers of Chaudhry et al. (A-GEM, tiny episodic memories).
    assert {"Chaudhry et al., 2019a", "Chaudhry et al., 2019b"} <= set(labels.values())


def test_citations_read_as_their_bibliography_label(site):
    """A parenthetical citation reads "Chaudhry et al., 2019a", exactly the label of the
    entry it links to; a textual one ("Goldfarb and Idnani [1983]") links the year."""
    labels = bibliography_labels(site)
    wrong, n = [], 0
    for page in sorted(site.rglob("*.html")):
        for ident, text in re.findall(
                r'<a class="reference internal" href="[^"]*bibliography\.html#([^"]+)"'
                r'[^>]*>(.*?)</a>', page.read_text(), re.S):
            n += 1
            label, text = labels.get(ident), text_of(text)
            if label is None or (text != label
                                 and text != label.rpartition(", ")[2]):
                wrong.append(f"{page.relative_to(site)}: {text!r} for {label!r}")
    assert n, "no citations found"
    assert not wrong, "citations that differ from their label:\n" + "\n".join(wrong)


# A citation's link to its bibliography entry: <a ... href="...bibliography.html#id">.
CITATION_LINK = (r'<a class="reference internal" href="[^"]*bibliography\.html#[^"]+"'
                 r'[^>]*>(?:(?!</a>).)*</a>')


def test_references_in_one_citation_are_separated_by_semicolons(site):
    """"[Ring, 1997; Thrun and Mitchell, 1995]": in author-year style the comma
    already separates an author from the year, so the references of a group need
    another mark."""
    between = re.compile(CITATION_LINK + r'([^<]{1,6})(?=<a class="reference internal" '
                                         r'href="[^"]*bibliography\.html#)', re.S)
    separators = [(page.relative_to(site), sep) for page in sorted(site.rglob("*.html"))
                  for sep in between.findall(page.read_text())]
    assert separators, "no citation of two references or more found"
    wrong = [f"{page}: {sep!r}" for page, sep in separators if sep != "; "]
    assert not wrong, "references of one citation not separated by '; ':\n" + "\n".join(
        wrong)


def test_glossary_defines_the_terms_chapters_use(site):
    html = (site / "book/glossary.html").read_text()
    html = re.sub(r'<a class="headerlink".*?</a>', "", html)
    terms = {text_of(term) for term in re.findall(r"<dt[^>]*>(.*?)</dt>", html, re.S)}
    for term in ("Fisher information", "KKT conditions", "complementary slackness",
                 "polar cone", "active set", "distillation", "herding"):
        assert term in terms, f"{term!r} is not in the glossary"


def test_plotly_js_is_served_from_the_site_to_the_figure_page_only(site):
    """book/_ext/plotly_js.py: the 4.8 MB script goes to pages that draw a Plotly
    figure (chapter 11), not to Appendix C, whose code listing mentions the element."""
    pages = {path.stem: path.read_text() for path in (site / "notebooks").glob("*.html")}
    with_script = sorted(name for name, html in pages.items() if 'id="plotly-js"' in html)
    assert with_script == ["11_geometry", "94_explorer"]
    assert "plotly-graph-div" in pages["92_figures"]  # the listing that must not count
    assert list((site / "_static").glob("plotly-*.min.js"))
