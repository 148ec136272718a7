"""Write each inline <script> once per page.

Sphinx 7.4 adds an inline script registered after the builder started (sphinx-thebe's
`const THEBE_JS_URL = ...`) twice, once with filename None and once with filename '',
and the browser then reports "Identifier 'THEBE_JS_URL' has already been declared" on
every page. Drop the second copy; with a Sphinx that does not duplicate, this does
nothing. Checked by tests/test_browser.py (no console errors).
"""


def drop_repeated_inline_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen, kept = set(), []
    for script in scripts:
        body = getattr(script, "attributes", {}).get("body")
        if not getattr(script, "filename", None) and body is not None:
            if body in seen:
                continue
            seen.add(body)
        kept.append(script)
    scripts[:] = kept


def setup(app):
    app.connect("html-page-context", drop_repeated_inline_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
