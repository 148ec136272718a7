"""Export the notebook cells marked ``#@save`` into the ``gembook`` package.

A cell whose first line is ``#@save`` goes to its chapter's module (``NN_topic.ipynb``
to ``gembook/topic.py``); ``#@save <module>`` (say ``#@save runs``) sends it to
``gembook/<module>.py`` instead, so a chapter can narrate code that belongs to another
module. A module holds the cells sent to it first, then its own chapter's, each in
notebook order, under a header naming its notebooks. The exporter writes the back-links: a comment above every
top-level function and class says where the book defines it. A cell's imports from
the module it goes to are dropped (in the module those names are its own).

    python tools/export.py            # rewrite gembook/ from the notebooks
    python tools/export.py --check    # exit 1 if gembook/ differs from a fresh export
"""

import argparse
import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^#@save(?:\s+(?P<module>[a-z_]\w*))?\s*$")
CHAPTER = re.compile(r"^(?P<number>\d\d)_(?P<topic>\w+)\.ipynb$")
APPENDIX = re.compile(r"^Appendix (?P<letter>[A-Z])\.")


def cells(notebook):
    """The notebook's cells, as (type, source) pairs."""
    data = json.loads(notebook.read_text(encoding="utf-8"))
    return [(cell["cell_type"], "".join(cell["source"])) for cell in data["cells"]]


def saved_cells(notebook, topic):
    """(module, source) of each code cell whose first line is the save marker."""
    for kind, source in cells(notebook):
        first, _, rest = source.partition("\n")
        marker = MARKER.match(first.strip())
        if kind == "code" and marker:
            yield marker["module"] or topic, rest.strip("\n")


def where(notebook, number):
    """How a back-link names the notebook: "chapter 06", or "Appendix B" when its
    first heading says it is one."""
    headings = [source.splitlines()[0] for kind, source in cells(notebook)
                if kind == "markdown" and source.startswith("# ")]
    appendix = APPENDIX.match(headings[0][2:].strip()) if headings else None
    return f"Appendix {appendix['letter']}" if appendix else f"chapter {number}"


def without_own_imports(source, module):
    """`source` without its `from gembook.<module> import ...` statements."""
    tree = ast.parse(source)
    drop = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == f"gembook.{module}":
            drop.update(range(node.lineno, node.end_lineno + 1))
    lines = source.splitlines()
    return "\n".join(line for i, line in enumerate(lines, 1) if i not in drop)


def with_backlinks(source, link):
    """`source` with `# Defined in <link>.` above each top-level def and class."""
    tree = ast.parse(source)
    starts = {min([node.lineno, *(d.lineno for d in node.decorator_list)])
              for node in tree.body
              if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    lines = []
    for i, line in enumerate(source.splitlines(), 1):
        if i in starts:
            lines.append(f"# Defined in {link}.")
        lines.append(line)
    return "\n".join(lines)


def collect(root=ROOT):
    """{module: [(notebook, source), ...]}: each module's cells, those other notebooks
    send it first (what its own chapter builds on), then its own chapter's, each in
    notebook order."""
    modules, topics = {}, {}
    for notebook in sorted((root / "notebooks").glob("*.ipynb")):
        match = CHAPTER.match(notebook.name)
        if not match:
            continue
        topics[match["topic"]] = notebook
        link = f"{where(notebook, match['number'])} (notebooks/{notebook.name})"
        for module, source in saved_cells(notebook, match["topic"]):
            source = with_backlinks(without_own_imports(source, module), link)
            modules.setdefault(module, []).append((notebook, source))
    for module, sources in modules.items():
        home = topics.get(module)
        sources.sort(key=lambda pair: pair[0] == home)  # stable: notebook order kept
    return modules


def module_text(sources):
    """The text of a module made of `sources`, (notebook, cell source) pairs."""
    names = " and ".join(dict.fromkeys(f"notebooks/{nb.name}" for nb, _ in sources))
    several = "s" if " and " in names else ""
    header = (f'"""Generated from {names} by tools/export.py: do not edit; edit the '
              f'notebook{several} and re-export."""\n')
    cells = [source for _, source in sources if source.strip()]
    return header + "\n" + "\n\n\n".join(cells) + "\n"


def exports(root=ROOT):
    """Map each generated module's path to its text."""
    return {root / "gembook" / f"{module}.py": module_text(sources)
            for module, sources in collect(root).items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report drift")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args(argv)
    stale = []
    for path, text in exports(args.root).items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path.relative_to(args.root))
        if not args.check:
            path.write_text(text, encoding="utf-8")
    verb = "differs from its notebook" if args.check else "written"
    for path in stale:
        print(f"{path}: {verb}")
    if args.check and stale:
        print("run `python tools/export.py` and commit the result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
