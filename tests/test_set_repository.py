"""tools/set_repository.py re-points a copy of the book at a fork; it refuses bad input.

Every test works on a temporary copy of the files the tool rewrites (the tool itself
included, so that it edits the copy it lives in); the real files are never touched.
After a rewrite, the copy must pass tests/test_colab.py itself, run on the copy.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
FORK, FORK_BRANCH = "https://github.com/someone-else/gem-book-fork", "colab/try-1"


@pytest.fixture
def tree(tmp_path):
    """A copy of what the tool reads and writes, and tests/test_colab.py (with the
    helper module it imports) to check it."""
    for name in ("tools/set_repository.py", "tests/test_colab.py", "tests/book_pages.py",
                 "_config.yml", "_toc.yml", *(f"notebooks/{p.name}" for p in
                               (ROOT / "notebooks").glob("*.ipynb"))):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    return tmp_path


def snapshot(tree):
    return {p.relative_to(tree): p.read_bytes() for p in sorted(tree.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def set_repository(tree, *args):
    return subprocess.run([sys.executable, tree / "tools" / "set_repository.py", *args],
                          capture_output=True, text=True)


def repository(tree):
    config = yaml.safe_load((tree / "_config.yml").read_text())["repository"]
    return config["url"], config["branch"]


def run_test_colab(tree):
    # The toc check of test_colab.py does not depend on the URL: the real run does it.
    toc_check = "tests/test_colab.py::test_every_notebook_is_in_the_toc_and_back"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-o", "addopts=",
         "-p", "no:cacheprovider", "--rootdir", str(tree),
         str(tree / "tests" / "test_colab.py"), "--deselect", toc_check],
        capture_output=True, text=True, cwd=tree)


def test_fork_is_pointed_at_everywhere_and_test_colab_agrees(tree):
    old_url, _ = repository(tree)
    done = set_repository(tree, FORK, "--branch", FORK_BRANCH)
    assert done.returncode == 0, done.stderr
    assert repository(tree) == (FORK, FORK_BRANCH)

    checked = run_test_colab(tree)
    assert checked.returncode == 0, checked.stdout[-3000:]
    assert " passed" in checked.stdout

    old_owner_repo = old_url.removeprefix("https://github.com/")
    for path in [tree / "_config.yml", *sorted((tree / "notebooks").glob("*.ipynb"))]:
        text = path.read_text()
        assert old_owner_repo not in text, f"{path.name} still points at {old_url}"
        assert "someone-else/gem-book-fork" in text, path.name


def test_test_colab_on_the_copy_notices_a_half_done_job(tree):
    config = tree / "_config.yml"
    url, _ = repository(tree)
    config.write_text(config.read_text().replace(url, FORK))  # notebooks left behind
    assert run_test_colab(tree).returncode == 1


def test_only_the_two_strings_change_and_outputs_are_kept(tree):
    old_url, old_branch = repository(tree)
    old_owner_repo = old_url.removeprefix("https://github.com/")
    before = snapshot(tree)
    assert set_repository(tree, FORK, "--branch", FORK_BRANCH).returncode == 0

    # _config.yml: the url and branch lines change, nothing else (comments included).
    old_lines = before[Path("_config.yml")].decode().splitlines()
    new_lines = (tree / "_config.yml").read_text().splitlines()
    changed = [(a, b) for a, b in zip(old_lines, new_lines) if a != b]
    assert len(old_lines) == len(new_lines)
    assert [b.strip() for a, b in changed] == [f"url: {FORK}", f"branch: {FORK_BRANCH}"]

    # Notebooks: every cell, output and metadata as before, except the two strings.
    for path in sorted((tree / "notebooks").glob("*.ipynb")):
        old = json.loads(before[path.relative_to(tree)])
        new = json.loads(path.read_text())
        assert old.keys() == new.keys() and old["metadata"] == new["metadata"]
        assert len(old["cells"]) == len(new["cells"])
        for a, b in zip(old["cells"], new["cells"]):
            expected = "".join(a["source"]).replace(
                f"github/{old_owner_repo}/blob/{old_branch}/",
                f"github/someone-else/gem-book-fork/blob/{FORK_BRANCH}/").replace(
                f"git+{old_url}@{old_branch}", f"git+{FORK}@{FORK_BRANCH}")
            assert "".join(b["source"]) == expected, path.name
            assert {k: v for k, v in a.items() if k != "source"} == \
                   {k: v for k, v in b.items() if k != "source"}, path.name


def test_pointing_back_restores_every_byte(tree):
    before = snapshot(tree)
    old_url, old_branch = repository(tree)
    assert set_repository(tree, FORK, "--branch", FORK_BRANCH).returncode == 0
    assert snapshot(tree) != before
    back = set_repository(tree, old_url, "--branch", old_branch)
    assert back.returncode == 0, back.stderr
    assert snapshot(tree) == before


def test_branch_is_kept_by_default_and_a_second_run_changes_nothing(tree):
    _, old_branch = repository(tree)
    assert set_repository(tree, FORK + "/").returncode == 0  # a trailing slash is fine
    assert repository(tree) == (FORK, old_branch)
    after = snapshot(tree)
    again = set_repository(tree, FORK)
    assert again.returncode == 0 and "nothing to change" in again.stdout
    assert snapshot(tree) == after


@pytest.mark.parametrize("url", [
    "http://github.com/someone/fork",          # not https
    "https://gitlab.com/someone/fork",         # not GitHub
    "https://www.github.com/someone/fork",
    "github.com/someone/fork",
    "https://github.com/someone",              # no repository
    "https://github.com/someone/fork/tree/main",
    "https://github.com/someone/fork.git",
    "https://github.com/someone/fork?tab=readme",
    "https://github.com/-someone/fork",
    "https://github.com/some one/fork",
    "",
])
def test_a_bad_url_is_refused_and_changes_nothing(tree, url):
    before = snapshot(tree)
    refused = set_repository(tree, url, "--branch", "main")
    assert refused.returncode == 2
    assert "https://github.com/OWNER/REPO" in refused.stderr
    assert "nothing was changed" in refused.stderr
    assert snapshot(tree) == before


@pytest.mark.parametrize("branch",
                         ["", "two words", "a..b", "-x", "x.lock", "x@y", "x/"])
def test_a_bad_branch_is_refused_and_changes_nothing(tree, branch):
    before = snapshot(tree)
    refused = set_repository(tree, FORK, "--branch", branch)
    assert refused.returncode == 2 and "branch" in refused.stderr
    assert snapshot(tree) == before


def test_a_notebook_without_badge_stops_everything_before_any_write(tree):
    last = sorted((tree / "notebooks").glob("*.ipynb"))[-1]
    nb = json.loads(last.read_text())
    nb["cells"][0]["source"] = ["# A chapter without its badge\n"]
    last.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    before = snapshot(tree)
    refused = set_repository(tree, FORK)
    assert refused.returncode == 2 and last.name in refused.stderr
    assert snapshot(tree) == before


def test_a_branch_yaml_would_misread_is_quoted(tree):
    assert set_repository(tree, FORK, "--branch", "1.0").returncode == 0
    assert repository(tree) == (FORK, "1.0")  # a string, not the float 1.0
