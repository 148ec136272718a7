"""The whole book as one PDF (tools/pdf.py, `make pdf`), printed from the website.

The PDF is printed once per run from the `site` fixture (conftest.py) by Debian's
chromium, and read back with pypdfium2: a title page, then the contents, which give each
page of _toc.yml the page of the PDF it starts on; every page of _toc.yml in it, in
order, under its title; every figure of the site in its chapter at full resolution, its
tag carrying the site's description of it; no TeX left as text outside code; no blank
page; and the landing page links to the PDF.

Without /usr/bin/chromium the tests that print are skipped, except under CI (CI=true),
where they fail, as the browser test's do.
"""

import ctypes
import os
import re
import struct
import subprocess
import sys
from collections import Counter
from pathlib import Path

import lxml.html
import pypdfium2
import pypdfium2.raw as pdfium
import pytest
from book_pages import CONFIG, PAGES, TOC, pdf_tool

ROOT = Path(__file__).resolve().parents[1]
pdf = pdf_tool()

# TeX a reader should never see as text: $...$, $$, \( \) \[ \], \frac and the like.
RAW_TEX = re.compile(r"\$\$|\$[^$\n]+\$|\\[()[\]]|\\[A-Za-z]+")


def ci():
    """Whether this runs under CI (CI=true), where nothing may be skipped."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def book_pdf(site):
    """The PDF of the website: printed once, unless the site came with it."""
    out = site / pdf.PDF_NAME
    if not out.exists():
        if not pdf.CHROMIUM.exists():
            message = f"{pdf.CHROMIUM} is missing: the book cannot be printed to PDF"
            if ci():
                pytest.fail(f"{message}; under CI the PDF tests must run")
            pytest.skip(message)
        run = subprocess.run([sys.executable, ROOT / "tools" / "pdf.py", site],
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return out


@pytest.fixture(scope="session")
def book(book_pdf):
    """The PDF read back: the text of every page, the pixel sizes of the images drawn
    on each, and the page each named destination (an element's id) leads to."""
    document = pypdfium2.PdfDocument(book_pdf)
    text = [page.get_textpage().get_text_bounded() for page in document]
    images = [image_sizes(page) for page in document]
    document.close()
    return {"text": text, "images": images, "pages": pdf.destinations(book_pdf)}


def image_sizes(page):
    """The (width, height) in pixels of each image drawn on a PDF page."""
    sizes = []
    for index in range(pdfium.FPDFPage_CountObjects(page.raw)):
        item = pdfium.FPDFPage_GetObject(page.raw, index)
        if pdfium.FPDFPageObj_GetType(item) == pdfium.FPDF_PAGEOBJ_IMAGE:
            width, height = ctypes.c_uint(), ctypes.c_uint()
            pdfium.FPDFImageObj_GetImagePixelSize(item, ctypes.byref(width),
                                                  ctypes.byref(height))
            sizes.append((width.value, height.value))
    return sizes


def squeeze(text):
    """Text without white space: lines break elsewhere in print than in HTML."""
    return "".join(text.split())


def article(site, page):
    """A page's article on the site (without the sidebars)."""
    return lxml.html.parse(site / f"{page}.html").xpath(
        "//article[contains(@class, 'bd-article')]")[0]


def title(site, page):
    """A page's title as the site shows it, its number included."""
    heading = article(site, page).xpath(".//h1")[0]
    return "".join(heading.xpath(".//text()[not(ancestor::a[@class='headerlink'])]"))


def chapter_pages(book):
    """{page of _toc.yml: (first, last) page numbers of the PDF it fills}."""
    starts = [book["pages"][pdf.page_id(page)] for page in PAGES]
    ends = [start - 1 for start in starts[1:]] + [len(book["text"])]
    return {page: (start, end) for page, start, end in zip(PAGES, starts, ends)}


def png_size(path):
    """A PNG's (width, height), from its header."""
    return struct.unpack(">II", path.read_bytes()[16:24])


def raw_tex(text, code):
    """The lines of `text` that hold TeX, except lines of code (a line the squeezed
    `code` holds: code and its outputs may print "$x_1$" or "\\n")."""
    return [line for line in text.splitlines()
            if RAW_TEX.search(line) and squeeze(line) not in code]


# --------------------------------------------------------------------------------------

def test_every_page_is_in_the_pdf_in_order_under_its_title(site, book):
    starts = [book["pages"].get(pdf.page_id(page)) for page in PAGES]
    assert None not in starts, f"missing from the PDF: {dict(zip(PAGES, starts))}"
    assert starts == sorted(set(starts)), f"not in the order of _toc.yml: {starts}"
    for page, start in zip(PAGES, starts):
        assert squeeze(title(site, page)) in squeeze(book["text"][start - 1]), (
            f"{page}: its title {title(site, page)!r} is not on its first page {start}")


def test_every_figure_is_in_its_chapter_at_full_resolution(site, book):
    """Each PNG figure of a page is an image of its pages in the PDF, as many pixels
    wide and high. (A Plotly heatmap draws an image of its own, which is not one.)"""
    seen = 0
    for page, (start, end) in chapter_pages(book).items():
        figures = Counter(png_size((site / page).parent / src)
                          for src in article(site, page).xpath(".//img/@src")
                          if src.endswith(".png"))
        printed = Counter(size for sizes in book["images"][start - 1:end]
                          for size in sizes)
        assert not figures - printed, (
            f"{page} (pages {start}-{end}): figures of the site {dict(figures)}, "
            f"images in the PDF {dict(printed)}")
        seen += figures.total()
    outputs = sum(notebook.read_text().count('"image/png"')
                  for notebook in (ROOT / "notebooks").glob("*.ipynb"))
    assert seen == outputs > 0, f"{seen} figures on the pages, {outputs} in notebooks"


def test_figures_keep_their_descriptions_for_screen_readers(site, book_pdf):
    """The PDF is tagged, and each figure's tag carries the site's alt text."""
    described = Counter(alt_texts(book_pdf.read_bytes()))
    for page in PAGES:
        for image in article(site, page).xpath(".//img[contains(@src, '.png')]"):
            assert described[image.get("alt")] > 0, (
                f"{page}: no figure of the PDF is described as {image.get('alt')!r}")
            described[image.get("alt")] -= 1


def alt_texts(pdf_bytes):
    """The alternative texts (/Alt) of a PDF's tags, as chromium writes them: each a
    literal string or, beyond ASCII, UTF-16 in hexadecimal."""
    texts = []
    for literal, hexadecimal in re.findall(
            rb"/Alt\s*(?:\(((?:[^()\\]|\\.)*)\)|<([0-9A-Fa-f]*)>)", pdf_bytes):
        if hexadecimal:
            texts.append(bytes.fromhex(hexadecimal.decode()).decode("utf-16"))
        else:
            texts.append(re.sub(rb"\\(.)", rb"\1", literal).decode("latin-1"))
    return texts


def test_no_tex_is_left_as_text(site, book):
    code = "".join(squeeze(" ".join(block.xpath(".//text()")))
                   for page in PAGES for block in article(site, page).xpath(".//pre"))
    found = [f"page {n}: {line}" for n, text in enumerate(book["text"], 1)
             for line in raw_tex(text, code)]
    assert not found, "TeX shown as text:\n" + "\n".join(found)


def test_raw_tex_is_found_outside_code():
    code = squeeze('ax.set_xlabel("$x_1$ (arbitrary units)")\nprint("R:\\n", R)')
    text = ('ax.set_xlabel("$x_1$ (arbitrary units)")\nprint("R:\\n", R)\n'
            "where \\frac{a}{b} is\nthe cost $x_1$ grows\nit costs $5 and $6\n"
            "the margin \\(\\gamma\\)\n")
    assert raw_tex(text, code) == ["where \\frac{a}{b} is", "the cost $x_1$ grows",
                                   "it costs $5 and $6", "the margin \\(\\gamma\\)"]


def test_title_page_then_contents_give_the_page_of_every_page_of_the_toc(site, book):
    assert squeeze(CONFIG["title"].replace(":", "")) in squeeze(book["text"][0])
    assert "Contents" in book["text"][1].split(), "page 2 is not the contents"
    # The contents' lines without white space; a title may be broken over two.
    first = book["pages"][pdf.page_id(TOC["root"])]
    front = "\n".join(squeeze(line) for text in book["text"][1:first - 1]
                      for line in text.splitlines())
    for page in PAGES:
        start = book["pages"][pdf.page_id(page)]
        line = "\n?".join(map(re.escape, squeeze(title(site, page)) + str(start)))
        assert re.search(f"^{line}$", front, re.M), (
            f"the contents do not give {title(site, page)!r} on page {start}")


def test_no_page_is_blank(book):
    # The page number at the foot of a page is text of its own: a page needs more.
    blank = [n for n, (text, images) in enumerate(zip(book["text"], book["images"]), 1)
             if len(squeeze(text)) <= len(str(n)) and not images and n > 1]
    assert not blank, f"blank pages: {blank} of {len(book['text'])}"


def test_landing_page_links_to_the_pdf_and_the_pdf_does_not(site, book_pdf, book):
    links = article(site, TOC["root"]).xpath(f'.//a[@href="../{pdf.PDF_NAME}"]')
    assert links, f"the landing page does not link to {pdf.PDF_NAME}"
    assert (site / TOC["root"]).parent.joinpath(links[0].get("href")).resolve() \
        == book_pdf.resolve()
    assert not [n for n, text in enumerate(book["text"], 1) if pdf.PDF_NAME in text]


def test_internal_links_map_to_ids_of_the_book():
    renamed = {"book/intro": {}, "notebooks/01_x": {"summary": "01_x--summary"}}
    assert pdf.internal_target("book/intro", "../notebooks/01_x.html#summary",
                               renamed) == "#01_x--summary"
    assert pdf.internal_target("notebooks/01_x", "#summary",
                               renamed) == "#01_x--summary"
    assert pdf.internal_target("notebooks/01_x", "../book/intro.html",
                               renamed) == "#intro"
    assert pdf.internal_target("notebooks/01_x", "01_x.html#eq-1", renamed) == "#eq-1"
    assert pdf.internal_target("book/intro", "../genindex.html", renamed) is None
    assert pdf.internal_target("book/intro", "https://d2l.ai", renamed) is None
