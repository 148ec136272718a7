"""Serve plotly.js from the site itself, on the pages that draw a Plotly figure.

Chapter 11's interactive figure is a cell output of HTML (`figure_html`, Appendix C)
that draws with the page's plotly.js, the script of id "plotly-js", and loads plotly.js
from its CDN only where the page has none (Jupyter, Colab). The site asks no other
server for it: at build time this copies plotly.min.js from the installed `plotly`
package (the version requirements.txt pins; 4.8 MB, so not committed) into _static,
under a name with its version, and adds it, deferred, to the pages whose body holds a
`plotly-graph-div`, and to no other. Checked by tests/test_browser.py (the figure draws
and moves offline, with no external request).
"""

import re
import shutil
from pathlib import Path

SCRIPT_ID = "plotly-js"  # the id figure_html looks for
# A figure's own element; a code listing of figure_html escapes "<" and never matches.
MARKER = re.compile(r'<div id="plotly-[0-9a-f]{12}" class="plotly-graph-div"')


def plotly_js():
    """The installed plotly.min.js, and the name the site serves it under."""
    import plotly
    from plotly.offline import get_plotlyjs_version

    source = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return source, f"plotly-{get_plotlyjs_version()}.min.js"


def copy_plotly_js(app):
    if app.builder.format != "html":
        return
    source, name = plotly_js()
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, static / name)


def add_plotly_js(app, pagename, templatename, context, doctree):
    if MARKER.search(context.get("body") or ""):
        app.add_js_file(plotly_js()[1], loading_method="defer", id=SCRIPT_ID)


def setup(app):
    app.connect("builder-inited", copy_plotly_js)
    app.connect("html-page-context", add_plotly_js)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
