"""A learner of the reader's own, `module:Class`, in the book's harness (Appendix B)."""

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from gembook import __main__ as cli
from gembook import runs
from gembook.lifelong_learning import forgetting, learning_accuracy, metrics
from gembook.runs import experiments, settings_for

HERE = Path(__file__).parent  # holds own_learners.py, importable as in a reader's folder
OWN = "own_learners:NearestMean"
SMALL = {"n_tasks": 3, "n_train": 50}


def test_settings_name_the_class_and_hash_its_file():
    settings = settings_for("permutations", OWN, **SMALL)
    assert settings["method"] == OWN and "lr" not in settings  # its own `settings`: {}
    assert len(settings["learner_code"]) == 16


def test_a_learner_without_settings_gets_the_single_networks_learning_rate(
        tmp_path, monkeypatch):
    module = tmp_path / "plain_learner.py"
    module.write_text("class Plain:\n"
                      "    def __init__(self, n_tasks, lr): pass\n"
                      "    def observe(self, X, y, t): pass\n"
                      "    def __call__(self, X, t): pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert settings_for("rotations", "plain_learner:Plain")["lr"] == 0.003
    assert settings_for("rotations", "plain_learner:Plain", lr=0.01)["lr"] == 0.01


def test_a_subclass_of_a_books_learner_inherits_its_settings(tmp_path, monkeypatch):
    module = tmp_path / "my_gem.py"
    module.write_text("from gembook.training import GEM\n\n\nclass MyGEM(GEM):\n"
                      "    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    mine, gem = (settings_for("rotations", method) for method in ("my_gem:MyGEM", "gem"))
    assert {k: mine[k] for k in ("lr", "n_memories", "gamma")} == {
        k: gem[k] for k in ("lr", "n_memories", "gamma")} == {
        "lr": 0.1, "n_memories": 256, "gamma": 0.5}


def test_a_books_learner_runs_by_its_module_and_class_as_by_its_name():
    by_name = settings_for("permutations", "ewc")
    by_class = settings_for("permutations", "gembook.baselines:EWC")
    assert by_class.pop("learner_code") and by_class.pop("method") == "gembook.baselines:EWC"
    assert by_class == {k: v for k, v in by_name.items() if k != "method"}


def test_editing_the_learners_file_changes_its_cache_key(tmp_path, monkeypatch):
    module = tmp_path / "edited_learner.py"
    module.write_text("from gembook.training import Single as Plain\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = settings_for("permutations", "edited_learner:Plain")
    module.write_text("from gembook.training import Single as Plain  # edited\n")
    after = settings_for("permutations", "edited_learner:Plain")
    assert before["learner_code"] != after["learner_code"]


@pytest.mark.parametrize("method, message", [
    ("nosuchmodule:X", "cannot import 'nosuchmodule' for method 'nosuchmodule:X'"),
    ("own_learners:Missing", "module 'own_learners' has no class 'Missing' (its "
                             "classes: NearestMean, NoObserve, WithoutLearningRate)"),
    ("own_learners:NoObserve", "own_learners:NoObserve is not a learner: it has no "
                               "observe; a learner has observe(X, y, t)"),
    ("own_learners", "unknown method 'own_learners'; choose one of"),
    ("own_learners:WithoutLearningRate", "WithoutLearningRate(n_tasks, ...) takes no "
                                         "['lr'], which its settings give it"),
])
def test_a_bad_method_is_refused_saying_what_was_expected(method, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        settings_for("permutations", method)


def test_a_setting_the_constructor_lacks_is_refused():
    with pytest.raises(ValueError, match=r"own_learners:NearestMean takes no \['lr'\]"):
        settings_for("permutations", OWN, lr=0.1)


def test_it_runs_in_worker_processes_and_cannot_forget(results):
    requests = [{"benchmark": "rotations", "method": OWN, "seed": seed, **SMALL}
                for seed in (0, 1)]
    for result in experiments(requests, cache=False):
        R = np.array(result.R)
        # each task's means change only while it is learnt: its column is constant
        assert (R[2:, 0] == R[1, 0]).all() and (R[3:, 1] == R[2, 1]).all()
        assert metrics(R)["bwt"] == 0 and forgetting(R) == 0
        assert metrics(R)["acc"] == learning_accuracy(R) > 0.5


def cli_run(*arguments, cwd=HERE, results=None):
    """`python -m gembook` in a fresh process, from `cwd`, as a reader runs it."""
    env = {**os.environ, "GEMBOOK_RESULTS": str(results)}
    return subprocess.run([sys.executable, "-m", "gembook", *arguments], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600)


def test_the_command_line_runs_it_on_two_seeds_at_full_scale(results):
    done = cli_run("experiment", "--method", OWN, "--seeds", "2", "--json",
                   results=results)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["seeds"] == [0, 1] and [r["settings"]["n_tasks"] for r in out["runs"]] \
        == [20, 20]
    for name in ("acc", "bwt", "fwt", "forgetting", "learned"):
        values = [r[name] for r in out["runs"]]
        assert out[name] == pytest.approx(np.mean(values))
        assert out["sd"][name] == pytest.approx(np.std(values, ddof=1))
    assert out["bwt"] == 0 == out["forgetting"] and out["acc"] == out["learned"] > 0.5
    again = cli_run("experiment", "--method", OWN, "--seeds", "2", "--cached",
                    results=results)  # the same runs, from the cache, as text
    assert again.returncode == 0, again.stderr
    assert "mean ± sd: ACC" in again.stdout and "F +0.0000 ± 0.0000" in again.stdout


def test_the_command_line_refuses_a_module_it_cannot_import(results, tmp_path):
    done = cli_run("experiment", "--method", "nosuch:X", results=results, cwd=tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("error: cannot import 'nosuch' for method 'nosuch:X'")
    assert "nosuch.py in the current folder" in done.stderr
    assert "Traceback" not in done.stderr and list(results.iterdir()) == []


def test_json_writes_untested_entries_as_null(results, capsys, monkeypatch):
    monkeypatch.setattr(runs, "settings_for", lambda **kw: settings_for(**kw, **SMALL))
    argv = ["experiment", "--method", OWN, "--evaluation", "metrics", "--json"]
    assert cli.main(argv) == 0

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    out = json.loads(capsys.readouterr().out, parse_constant=refuse)
    [R] = [r["R"] for r in out["runs"]]
    assert R[2][0] is None and R[1][0] is not None  # task 0 untested after task 1
    assert out["forgetting"] is None and out["sd"]["forgetting"] is None
    assert math.isfinite(out["acc"])


def test_one_seed_cached_runs_here_on_every_thread_then_reads_the_cache(
        results, capsys, monkeypatch):
    monkeypatch.setattr(runs, "settings_for", lambda **kw: settings_for(**kw, **SMALL))
    argv = ["experiment", "--method", OWN, "--device", "cpu", "--cached", "--json"]
    assert cli.main(argv) == 0
    [first] = json.loads(capsys.readouterr().out)["runs"]
    assert first["threads"] == torch.get_num_threads()  # a lone run: every thread
    assert len(list(results.glob("*.json"))) == 1  # and cached
    assert cli.main(argv) == 0
    [again] = json.loads(capsys.readouterr().out)["runs"]
    assert again == first
