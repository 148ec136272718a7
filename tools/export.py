"""Export the notebook cells marked ``#@save`` into the ``gembook`` package.

Each chapter ``notebooks/NN_topic.ipynb`` becomes the module ``gembook/topic.py``:
the marked cells, in order, under a header saying where they come from.

    python tools/export.py            # rewrite gembook/ from the notebooks
    python tools/export.py --check    # exit 1 if gembook/ differs from a fresh export
"""

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = "#@save"
CHAPTER = re.compile(r"^\d\d_(?P<topic>\w+)\.ipynb$")


def saved_cells(notebook):
    """The sources of the code cells whose first line is the save marker."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        source = "".join(cell["source"])
        first, _, rest = source.partition("\n")
        if cell["cell_type"] == "code" and first.strip() == MARKER:
            yield rest.strip("\n")


def module_text(notebook):
    """The module generated from one notebook, or None if it saves nothing."""
    cells = list(saved_cells(notebook))
    if not cells:
        return None
    header = (
        f'"""Generated from notebooks/{notebook.name} by tools/export.py: '
        'do not edit; edit the notebook and re-export."""\n'
    )
    return header + "\n" + "\n\n\n".join(cells) + "\n"


def exports(root=ROOT):
    """Map each generated module's path to its text."""
    modules = {}
    for notebook in sorted((root / "notebooks").glob("*.ipynb")):
        match = CHAPTER.match(notebook.name)
        text = module_text(notebook) if match else None
        if text is not None:
            modules[root / "gembook" / f"{match['topic']}.py"] = text
    return modules


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
