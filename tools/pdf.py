"""The whole book as one PDF, printed by chromium from the built website.

    python tools/pdf.py [SITE] [--browser PATH]      (make pdf)

SITE is the website Jupyter Book built (default: _build/html). The article of every page
of _toc.yml goes, in order, into one HTML document, after a title page and a table of
contents; chromium (Debian's, the one tests/test_browser.py drives, through Playwright)
typesets its formulas with MathJax, draws its figures and prints it to
SITE/gem-book.pdf, where the landing page links to it. The print styles are
book/_static/print.css. Links between pages become links inside the PDF, and its
bookmarks are the headings; the contents give each entry's page, read from a first
printing.

Nothing is fetched from the network: chromium gets the site's files from SITE, MathJax
from the copy in the PyPI package django-static-mathjax (as the browser test does) and
the Colab badge from a stand-in; any other request is an error.
"""

import argparse
import copy
import ctypes
import html
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import lxml.html
import mathjax  # the django-static-mathjax package: static files only
import pypdfium2
import pypdfium2.raw as pdfium
import yaml
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
PDF_NAME = "gem-book.pdf"
CHROMIUM = Path("/usr/bin/chromium")
PRINT_CSS = ROOT / "book" / "_static" / "print.css"
HOST = "http://gem-book.invalid"  # the site's address for chromium (no server runs)
PRINT_PAGE = "book/_print.html"  # where the whole book is served from
MATHJAX_CDN = re.compile(
    r"https://cdn\.jsdelivr\.net/npm/mathjax@3(?:\.[\d.]+)?/es5/(.+)")
# The same files on this machine: the django-static-mathjax package's copy.
MATHJAX_ROOT = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_STAND_IN = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="117" height="20">'
    '<rect width="117" height="20" rx="3" fill="#555"/>'
    '<text x="58" y="14" fill="#fff" font-family="sans-serif" font-size="11" '
    'text-anchor="middle">Open in Colab</text></svg>')
# A4's width at 96 px per inch, less print.css's margins of 18 mm a side: the window is
# as wide as the printed column, so that a figure drawn by a script fits it.
COLUMN_PX = 658
TIMEOUT_MS = 120_000

# Once MathJax has typeset, the fonts and images have loaded and every Plotly figure is
# drawn (or 20 s have passed): what could not be shown.
READY_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await document.fonts.ready;
  await Promise.all([...document.images].map(img => img.decode().catch(() => null)));
  const undrawn = () => [...document.querySelectorAll('.plotly-graph-div')]
    .filter(div => !div.querySelector('.main-svg')).map(div => div.id);
  for (let waited = 0; undrawn().length && waited < 20000; waited += 100) {
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  return {
    broken: [...document.images].filter(img => !img.naturalWidth).map(img => img.src),
    mathErrors: [...document.querySelectorAll('mjx-merror')].map(e => e.textContent),
    untypeset: document.querySelectorAll('.math:not(:has(mjx-container))').length,
    undrawn: undrawn(),
  };
}"""
SET_PAGE_NUMBERS_JS = """numbers => {
  for (const [id, n] of Object.entries(numbers)) {
    document.querySelector(`.print-contents a[href="#${CSS.escape(id)}"] + .page`)
      .textContent = n;
  }
}"""


def has_class(name):
    """An XPath test: the element's class attribute holds `name`."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# --------------------------------------------------------------------------------------
# The book's pages, from _toc.yml and the built site.

def toc_parts(toc):
    """[(caption, [page, ...]), ...] of a jb-book _toc.yml, the landing page first in a
    part of its own without a caption."""
    return [(None, [toc["root"]])] + [
        (part.get("caption"), [chapter["file"] for chapter in part["chapters"]])
        for part in toc["parts"]]


def page_id(page):
    """The id of a page's section in the book: its file name (unique in the book)."""
    return Path(page).name


def read_articles(site, pages):
    """{page: its article} for the `pages` of the book (paths of _toc.yml, no suffix),
    and the scripts of their heads: lxml elements. An id that an earlier page has too
    gets the page's id as a prefix (`page--id`); the others stay, for the scripts that
    look for them (a Plotly figure's). Links between the pages become links inside the
    book, and links to other files of the site are dropped (their text stays), but for
    the paragraph that links to the PDF itself, which goes."""
    articles, scripts, renamed = {}, [], {}
    taken = {"title-page", "contents", *map(page_id, pages)}
    for page in pages:
        path = site / f"{page}.html"
        document = lxml.html.fromstring(path.read_bytes())
        found = document.xpath(f"//article[{has_class('bd-article')}]")
        if not found:
            raise SystemExit(f"{path} has no <article class=\"bd-article\">: is "
                             f"{site} a website built by Jupyter Book?")
        article = found[0]
        renamed[page] = {}
        for tag in article.xpath(".//*[@id]"):
            if tag.get("id") in taken:
                renamed[page][tag.get("id")] = f"{page_id(page)}--{tag.get('id')}"
                tag.set("id", renamed[page][tag.get("id")])
            taken.add(tag.get("id"))
        site_paths(article, page)
        site_paths(document.head, page)
        scripts += document.head.xpath("script[@src]")
        articles[page] = article
    for page, article in articles.items():
        for link in article.xpath(f".//a[@href='{PDF_NAME}' or @href='../{PDF_NAME}']"):
            link.xpath("ancestor::p[1]")[0].drop_tree()  # the website's link to the PDF
        for link in article.xpath(".//a[@href]"):
            target = internal_target(page, link.get("href"), renamed)
            if target is not None:
                link.set("href", target)
            elif not urlsplit(link.get("href")).scheme:
                del link.attrib["href"]
    return articles, scripts


def site_paths(element, page):
    """Make the relative addresses of files under `element` (from `page`) paths from
    the site's root, which hold wherever the book is served from."""
    for tag, attribute in (("img", "src"), ("script", "src"), ("link", "href")):
        for found in element.iter(tag):
            url = found.get(attribute)
            if url and not urlsplit(url).scheme and not url.startswith(("/", "#")):
                found.set(attribute, "/" + urljoin(page, url))


def internal_target(page, href, renamed):
    """The "#id" in the book of a link from `page` to a page of the book (a key of
    `renamed`, which holds each page's renamed ids), or None."""
    if urlsplit(href).scheme or href.startswith("/"):
        return None
    url, fragment = urldefrag(urljoin(page, href))
    target = url.removesuffix(".html") if url else page
    if target not in renamed:
        return None
    if not fragment:
        return f"#{page_id(target)}"
    return "#" + renamed[target].get(unquote(fragment), unquote(fragment))


# --------------------------------------------------------------------------------------
# The document: the landing page's head and frame, with the whole book as its article.

def assemble(site, toc, config):
    """The HTML of the whole book, and the ids its contents link to, in order."""
    parts = toc_parts(toc)
    pages = [page for _, part in parts for page in part]
    if len(set(map(page_id, pages))) != len(pages):
        raise SystemExit(f"two pages of _toc.yml have the same file name: {pages}")
    articles, scripts = read_articles(site, pages)
    shell = lxml.html.fromstring((site / f"{toc['root']}.html").read_bytes())
    site_paths(shell.head, toc["root"])
    add_missing_scripts(shell.head, scripts)
    style = lxml.html.Element("style")
    style.text = PRINT_CSS.read_text(encoding="utf-8")
    shell.head.append(style)

    book = shell.xpath(f"//article[{has_class('bd-article')}]")[0]
    for child in list(book):
        book.remove(child)
    book.text = None
    book.append(title_page(config))
    contents = lxml.html.fragment_fromstring(
        '<nav class="print-contents"><h1 id="contents">Contents</h1></nav>')
    book.append(contents)
    entries = []
    for caption, part in parts:
        if caption:
            contents.append(element("p", caption, {"class": "part"}))
        for page in part:
            section = element("section", articles[page].text,
                              {"id": page_id(page), "class": "print-page"})
            section.extend(list(articles[page]))
            book.append(section)
            for heading, target in listed_headings(page, section, toc["root"]):
                contents.append(contents_entry(heading, target))
                entries.append(target)
    html_text = lxml.html.tostring(shell, doctype="<!DOCTYPE html>", encoding="unicode")
    return html_text, entries


def listed_headings(page, section, root):
    """[(heading, the id it links to), ...] that the contents list of a page's section:
    its title (h1) and, but on the landing page, its sections (h2)."""
    titles = section.xpath(".//h1")
    if not titles:
        raise SystemExit(f"{page}: no title (h1) in its article")
    listed = [(titles[0], section.get("id"))]
    if page != root:
        listed += [(h2, h2.getparent().get("id")) for h2 in section.xpath(".//h2")]
    return listed


def element(tag, text, attributes):
    """A new lxml element."""
    made = lxml.html.Element(tag, attributes)
    made.text = text
    return made


def contents_entry(heading, target):
    """A line of the contents: the heading (its number and formulas kept), linking to
    the id `target`, and a box for its page number, filled in once it is printed."""
    entry = element("p", None, {"class": f"entry level-{heading.tag[1]}"})
    link = copy.deepcopy(heading)
    link.tag, link.attrib["class"], link.attrib["href"] = "a", "title", f"#{target}"
    link.attrib.pop("id", None)
    link.tail = None
    for anchor in link.xpath(f".//a[{has_class('headerlink')}]"):
        anchor.drop_tree()
    entry.append(link)
    entry.append(element("span", "", {"class": "page"}))
    return entry


def title_page(config):
    """The title page: the book's title (and subtitle, after a colon), its authors and
    its repository, from _config.yml."""
    title, _, subtitle = (html.escape(part.strip()) for part in
                          config["title"].partition(":"))
    url = html.escape(config["repository"]["url"])
    return lxml.html.fragment_fromstring(
        f'<section id="title-page" class="print-title"><h1 class="title">{title}</h1>'
        + (f'<p class="subtitle">{subtitle}</p>' if subtitle else "")
        + f'<p class="author">{html.escape(config["author"])}</p>'
        f'<p class="repository"><a href="{url}">{url}</a></p></section>')


def add_missing_scripts(head, scripts):
    """Add to `head` the `scripts` of other pages that it lacks (plotly.js, on a page
    with an interactive figure), before its first script."""
    have = {urlsplit(s.get("src")).path for s in head.xpath("script[@src]")}
    first = head.xpath("script")[0]
    for script in scripts:
        if urlsplit(script.get("src")).path not in have:
            have.add(urlsplit(script.get("src")).path)
            first.addprevious(copy.deepcopy(script))


# --------------------------------------------------------------------------------------
# Printing.

def answer(site, document, failed):
    """Playwright's route handler: the document at PRINT_PAGE, the site from its
    folder, MathJax from the local copy, the Colab badge from a stand-in; what it cannot
    answer it refuses, and lists in `failed`."""
    local_mathjax = MATHJAX_ROOT.resolve()
    site = site.resolve()

    def serve(route):
        url = route.request.url
        if url == f"{HOST}/{PRINT_PAGE}":
            return route.fulfill(body=document, content_type="text/html;charset=utf-8")
        if url.startswith(HOST + "/"):
            folder, path = site, unquote(urlsplit(url).path).lstrip("/")
        elif cdn := MATHJAX_CDN.fullmatch(url.split("?")[0]):
            folder, path = local_mathjax, cdn.group(1)
        elif url == COLAB_BADGE:
            return route.fulfill(body=BADGE_STAND_IN, content_type="image/svg+xml")
        else:
            failed.append(url)
            return route.abort()
        file = (folder / path).resolve()
        if file.is_relative_to(folder) and file.is_file():
            return route.fulfill(path=str(file))
        failed.append(url)
        return route.fulfill(status=404, body="not found")

    return serve


def destinations(pdf):
    """{name: page number} of the named destinations of a PDF (its bytes or its path).
    Chromium names one after the id of each element that a link of the page leads to."""
    document = pypdfium2.PdfDocument(pdf)
    found = {}
    for index in range(pdfium.FPDF_CountNamedDests(document.raw)):
        size = ctypes.c_long(0)
        pdfium.FPDF_GetNamedDest(document.raw, index, None, ctypes.byref(size))
        name = ctypes.create_string_buffer(size.value)
        destination = pdfium.FPDF_GetNamedDest(document.raw, index, name,
                                               ctypes.byref(size))
        page = pdfium.FPDFDest_GetDestPageIndex(document.raw, destination)
        found[name.raw[:size.value].decode("utf-16-le").rstrip("\0")] = page + 1
    document.close()
    return found


def print_book(site, browser, out):
    """Print the book built in `site` with the chromium at `browser` into `out`."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    document, entries = assemble(site, toc, config)
    failed, errors = [], []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(browser), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = chromium.new_page(viewport={"width": COLUMN_PX, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.route("**/*", answer(site, document, failed))
        page.emulate_media(media="print")
        page.goto(f"{HOST}/{PRINT_PAGE}", wait_until="load")
        ready = page.evaluate(READY_JS)
        problems = ([f"not served: {url}" for url in failed]
                    + [f"image not loaded: {src}" for src in ready["broken"]]
                    + [f"MathJax: {error}" for error in ready["mathErrors"]]
                    + [f"Plotly figure not drawn: #{id_}" for id_ in ready["undrawn"]]
                    + [f"script error: {error}" for error in errors])
        if ready["untypeset"]:
            problems.append(f"{ready['untypeset']} formulas not typeset by MathJax")
        if problems:
            raise SystemExit("The book cannot be printed:\n" + "\n".join(problems))
        # A first printing, for the pages the contents give (the quickest: untagged,
        # without bookmarks); then the book, tagged for screen readers (which read
        # the figures' alt text), with the headings as bookmarks.
        options = dict(prefer_css_page_size=True, print_background=True)
        pages = destinations(page.pdf(**options))
        page.evaluate(SET_PAGE_NUMBERS_JS, {entry: pages[entry] for entry in entries})
        pdf = page.pdf(**options, outline=True, tagged=True)
        chromium.close()
    if destinations(pdf) != pages:
        raise SystemExit("the contents' page numbers moved the pages they number")
    out.write_bytes(pdf)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", type=Path, default=ROOT / "_build" / "html",
                        help="the built website (default: _build/html)")
    parser.add_argument("--browser", type=Path, default=CHROMIUM,
                        help=f"chromium or chrome, to print with (default: {CHROMIUM})")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        parser.error(f"no website in {args.site}: build it first "
                     "(jupyter-book build .)")
    if not args.browser.is_file():
        parser.error(f"{args.browser} is missing: install Debian's chromium (apt-get "
                     "install chromium), or name another browser with --browser")
    out = args.site / PDF_NAME
    print_book(args.site, args.browser, out)
    print(f"The book is printed: {out} ({len(pypdfium2.PdfDocument(out))} pages)")


if __name__ == "__main__":
    sys.exit(main())
