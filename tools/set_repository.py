"""Point the book at another GitHub repository (a fork): one command, every place.

    python tools/set_repository.py https://github.com/OWNER/REPO [--branch BRANCH]

rewrites, in the repository this script belongs to:

* `repository.url` and `repository.branch` in `_config.yml` (only those two values: the
  comments and the rest of the file stay as they are); the website's Colab launch
  buttons and repository button follow from them;
* in every `notebooks/*.ipynb`, the "Open in Colab" badge of the first markdown cell and
  the `gembook @ git+URL@BRANCH` install line of the first code cell. Outputs and every
  other cell are kept; the notebooks are written with nbformat.

Without --branch the branch in `_config.yml` is kept. Everything is checked before
anything is written: a malformed URL or branch, or a notebook whose badge or setup cell
cannot be found, exits with status 2 and changes nothing. tests/test_colab.py checks
the result.
"""

import argparse
import json
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]

GITHUB_URL = re.compile(
    r"https://github\.com/(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})"
    r"/(?P<repo>[A-Za-z0-9._-]{1,100})")
# A branch name that git accepts and that reads unambiguously inside a URL and after
# the `@` of a pip requirement.
BRANCH = re.compile(r"[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*")
BADGE = re.compile(
    r"https://colab\.research\.google\.com/github/[^/\s()]+/[^/\s()]+/blob/"
    r"[^\s()]+?/notebooks/(?P<name>[^/\s()]+\.ipynb)")
INSTALL = re.compile(r"gembook @ git\+https://github\.com/[^\s\"'@]+@[^\s\"']+")


class Refusal(Exception):
    """Why nothing was written."""


def parse_url(url):
    """OWNER/REPO of a GitHub repository URL, as https://github.com/OWNER/REPO."""
    url = url.strip()
    match = GITHUB_URL.fullmatch(url.removesuffix("/"))
    if not match or match["repo"] in (".", "..") or match["repo"].endswith(".git"):
        raise Refusal(f"not a GitHub repository URL: {url!r}; expected "
                      "https://github.com/OWNER/REPO (no .git, no path after REPO)")
    return f"{match['owner']}/{match['repo']}"


def check_branch(branch):
    if (not BRANCH.fullmatch(branch) or ".." in branch or "/." in branch
            or branch.startswith(("-", ".")) or branch.endswith((".", ".lock"))):
        raise Refusal(f"not a usable branch name: {branch!r} (letters, digits, '.', "
                      "'_', '-' and '/' between parts)")
    return branch


def scalar(value):
    """`value` as YAML reads back as that string ('1.0' or 'on' need quotes)."""
    return value if yaml.safe_load(value) == value else json.dumps(value)


def rewrite_config(text, url, branch):
    """_config.yml with repository.url and .branch replaced, all else untouched."""
    url_text, branch_text = scalar(url), scalar(branch)
    block = re.search(r"(?m)^repository:[ \t]*(?:#.*)?\n((?:[ \t]+.*\n?|[ \t]*\n)*)",
                      text)
    if not block:
        raise Refusal("_config.yml has no `repository:` section")
    body = block.group(1)
    value = r"(?m)^(?P<key>[ \t]+{}:[ \t]*)(?P<value>[^#\n]*?)(?P<rest>[ \t]*(?:#.*)?)$"
    new_body, n_url = re.subn(value.format("url"),
                              lambda m: m["key"] + url_text + m["rest"], body, count=1)
    if not n_url:
        raise Refusal("_config.yml: `repository:` has no `url:`")
    new_body, n_branch = re.subn(value.format("branch"),
                                 lambda m: m["key"] + branch_text + m["rest"], new_body,
                                 count=1)
    if not n_branch:
        indent = re.search(r"(?m)^([ \t]+)url:", new_body).group(1)
        new_body = re.sub(r"(?m)^([ \t]+url:.*\n?)", lambda m: m[1].rstrip("\n") +
                          f"\n{indent}branch: {branch_text}\n", new_body, count=1)
    new = text[:block.start(1)] + new_body + text[block.end(1):]
    parsed = yaml.safe_load(new)["repository"]
    if (parsed.get("url"), parsed.get("branch")) != (url, branch):
        raise Refusal("could not rewrite _config.yml's repository section safely")
    return new


def rewrite_notebook(path, url, owner_repo, branch):
    """The notebook with its badge and install line re-pointed, or a Refusal."""
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    markdown = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    code = next((c for c in nb.cells if c.cell_type == "code"), None)
    badge = (f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/"
             f"notebooks/{path.name}")
    if markdown is None or not BADGE.search(markdown.source):
        raise Refusal(f"{path.name}: no Colab badge in its first markdown cell")
    if code is None or not INSTALL.search(code.source):
        raise Refusal(f"{path.name}: no `gembook @ git+https://github.com/...@BRANCH` "
                      "in its first code cell")
    markdown.source = BADGE.sub(badge, markdown.source)
    code.source = INSTALL.sub(lambda m: f"gembook @ git+{url}@{branch}", code.source)
    return nb


def set_repository(url, branch=None, root=ROOT):
    """Re-point _config.yml and the notebooks under `root`; return the files changed."""
    owner_repo = parse_url(url)
    url = f"https://github.com/{owner_repo}"
    config_path = root / "_config.yml"
    config = config_path.read_text()
    if branch is None:
        repository = yaml.safe_load(config).get("repository") or {}
        branch = str(repository.get("branch", "main"))
    branch = check_branch(branch)

    # Work everything out first; write only once nothing can fail any more.
    writes = {config_path: rewrite_config(config, url, branch)}
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        text = nbformat.writes(rewrite_notebook(path, url, owner_repo, branch))
        writes[path] = text if text.endswith("\n") else text + "\n"
    changed = [path for path, text in writes.items() if path.read_text() != text]
    for path in changed:
        path.write_text(writes[path])
    return changed


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Point the book (_config.yml, Colab badges, setup cells) at a "
                    "GitHub repository, for example your fork.")
    parser.add_argument("url", help="https://github.com/OWNER/REPO")
    parser.add_argument("--branch",
                        help="branch to use (default: the one in _config.yml)")
    args = parser.parse_args(argv)
    try:
        changed = set_repository(args.url, args.branch)
    except Refusal as refusal:
        print(f"set_repository: {refusal}; nothing was changed", file=sys.stderr)
        return 2
    for path in changed:
        print("rewrote", path.relative_to(ROOT))
    if not changed:
        print("already pointing there: nothing to change")
    return 0


if __name__ == "__main__":
    sys.exit(main())
