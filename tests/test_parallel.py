"""Seeds, worker processes and the device: the same numbers however the runs are made."""

import json

import numpy as np
import pytest
import torch

import gembook.agem  # noqa: F401  (registers chapter 09's learners)
import gembook.baselines  # noqa: F401  (and chapter 08's)
from gembook import __main__ as cli
from gembook import runs, training
from gembook.agem import audit
from gembook.results import compare, over_seeds, seed_table
from gembook.runs import check_device, default_device
from gembook.training import experiments, run, run_all, settings_for

SMALL = {"n_tasks": 3, "n_train": 30, "evaluation": "metrics"}
MEMORY = {"n_memories": 10}  # fits the 30 examples of a SMALL task


def same(*Rs):
    """Whether accuracy matrices are equal, untested entries (NaN) included."""
    return all(np.array_equal(Rs[0], R, equal_nan=True) for R in Rs[1:])


@pytest.fixture
def results(tmp_path, monkeypatch):
    """An empty results cache for the test."""
    monkeypatch.setenv("GEMBOOK_RESULTS", str(tmp_path))
    return tmp_path


# --- the device -----------------------------------------------------------------------

def test_device_follows_the_environment(monkeypatch):
    monkeypatch.setenv("GEMBOOK_DEVICE", "cpu")
    assert default_device() == "cpu"
    monkeypatch.delenv("GEMBOOK_DEVICE")
    assert default_device() == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.parametrize("name, message", [
    ("gpu", "device must be 'cpu' or 'cuda', got 'gpu'"),
    ("CPU", "device must be 'cpu' or 'cuda', got 'CPU'"),
])
def test_unknown_device_is_refused(monkeypatch, name, message):
    monkeypatch.setenv("GEMBOOK_DEVICE", name)
    with pytest.raises(ValueError, match=message):
        default_device()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_names_the_fix(monkeypatch, capsys):
    with pytest.raises(ValueError, match="PyTorch sees no CUDA GPU: use 'cpu'"):
        check_device("cuda")
    monkeypatch.setenv("GEMBOOK_DEVICE", "cuda")
    with pytest.raises(ValueError, match="no CUDA GPU"):
        settings_for("permutations", "gem")
    assert cli.main(["experiment", "--device", "cuda", "--method", "single"]) == 1
    assert "error: device 'cuda' asked for" in capsys.readouterr().err


def test_the_device_is_part_of_the_settings_and_of_the_cache_key(monkeypatch):
    monkeypatch.setenv("GEMBOOK_DEVICE", "cpu")
    cpu = settings_for("permutations", "gem")
    assert cpu["device"] == "cpu"
    assert runs.cache_path(cpu) != runs.cache_path({**cpu, "device": "cuda"})


def test_the_default_device_on_a_cpu_machine_is_the_cpu_path(monkeypatch):
    """Same R with GEMBOOK_DEVICE=cpu and with the default, on a machine with no GPU."""
    if torch.cuda.is_available():
        pytest.skip("the default is cuda here")
    monkeypatch.setenv("GEMBOOK_DEVICE", "cpu")
    forced = run(settings_for("permutations", "gem", **SMALL, **MEMORY), progress=False)
    monkeypatch.delenv("GEMBOOK_DEVICE")
    default = run(settings_for("permutations", "gem", **SMALL, **MEMORY), progress=False)
    assert same(forced.R, default.R)


def test_a_run_uses_the_threads_it_is_given_and_gives_them_back():
    threads = torch.get_num_threads()
    seen = []
    with runs.on("cpu", threads=1):
        seen.append(torch.get_num_threads())
    with runs.on("cpu"):  # a lone run: all of PyTorch's threads
        seen.append(torch.get_num_threads())
    assert seen == [1, threads] and torch.get_num_threads() == threads


def test_runs_in_workers_use_one_thread_a_lone_run_all(results):
    """However many runs a sweep has left, each runs on one thread: its arithmetic then
    does not depend on the cache; a lone run uses all of PyTorch's threads."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        two = [settings_for("rotations", "single", seed=seed, **SMALL) for seed in (0, 1)]
        assert [r.threads for r in run_all(two)] == [1, 1]
        assert [r.threads for r in run_all(two[:1])] == [1]
        assert run(two[0], progress=False).threads == 2
    finally:
        torch.set_num_threads(before)


# --- worker processes -------------------------------------------------------------------

def test_parallel_runs_equal_runs_one_by_one(results):
    settings = [settings_for("permutations", method, seed=seed, **SMALL, **MEMORY)
                for method in ("gem", "agem") for seed in (0, 1)]
    apart = run_all(settings, n_jobs=2)  # one thread each
    alone = [run(s, progress=False, threads=1) for s in settings]
    assert all(same(a.R, b.R) for a, b in zip(apart, alone))
    assert [r.n_projected for r in apart] == [r.n_projected for r in alone]


def test_experiments_cache_what_they_run_and_keep_the_order(results):
    requests = [{"benchmark": "rotations", "method": "single", "seed": seed, **SMALL}
                for seed in (2, 0, 1)]
    first = experiments(requests)
    assert [r.settings["seed"] for r in first] == [2, 0, 1]
    assert len(list(results.glob("*.json"))) == 3
    again = experiments(requests, n_jobs=1)
    assert all(same(a.R, b.R) for a, b in zip(again, first))


def test_seeds_draw_their_own_runs(results):
    runs = over_seeds([("permutations", "single")], n_seeds=3, **{
        k: v for k, v in SMALL.items() if k != "evaluation"})
    [seeds] = runs.values()
    assert [r.settings["seed"] for r in seeds] == [0, 1, 2]
    assert [r.settings["evaluation"] for r in seeds] == ["full", "metrics", "metrics"]
    assert len({json.dumps(r.R) for r in seeds}) == 3
    table = seed_table(runs)
    assert (table["ACC", "count"] == 3).all()
    accs = [r.metrics()["acc"] for r in seeds]
    assert table["ACC", "mean"].item() == pytest.approx(np.mean(accs))
    assert table["ACC", "std"].item() == pytest.approx(np.std(accs, ddof=1))


def test_compare_calls_a_gap_within_twice_the_standard_error_a_tie():
    import pandas as pd
    columns = pd.MultiIndex.from_product([["ACC"], ["mean", "std", "count"]])
    table = pd.DataFrame([[0.80, 0.03, 3], [0.76, 0.03, 3], [0.70, 0.03, 3]],
                         index=["a", "b", "c"], columns=columns)
    # twice the standard error of the difference: 2 * sqrt(2 * 0.03**2 / 3) = 0.049
    assert compare(table, "ACC", "a", "b") == "=" == compare(table, "ACC", "b", "a")
    assert compare(table, "ACC", "a", "c") == ">" and compare(table, "ACC", "c", "a") == "<"


# --- the audit of chapter 09 -------------------------------------------------------------

def test_an_audited_run_trains_exactly_like_the_plain_one(results):
    settings = settings_for("permutations", "agem", **SMALL, **MEMORY)
    [audited] = audit([{"benchmark": "permutations", "method": "agem", **SMALL,
                        **MEMORY}])
    plain = run(settings, progress=False)
    assert same(audited.R, plain.R) and audited.n_projected == plain.n_projected
    assert len(audited.log) == 1  # 6 steps on tasks 1 and 2: the first is audited
    [[t, share, change]] = audited.log
    assert t == 1 and 0 <= share <= 1 and np.isfinite(change)


# --- the command line -------------------------------------------------------------------

def test_cli_several_seeds_report_mean_sd_and_every_run(results, capsys, monkeypatch):
    monkeypatch.setattr(training, "settings_for", lambda **kw: settings_for(
        **kw, n_tasks=2, n_train=20))
    assert cli.main(["experiment", "--method", "single", "--seeds", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["seeds"] == [0, 1] and len(out["runs"]) == 2
    accs = [run_["acc"] for run_ in out["runs"]]
    assert out["acc"] == pytest.approx(np.mean(accs))
    assert out["sd"]["acc"] == pytest.approx(np.std(accs, ddof=1))
    assert out["device"] == out["runs"][0]["settings"]["device"]


def test_cli_seed_and_seeds_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["experiment", "--seed", "0", "--seeds", "3"])
    assert exit.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_cli_seeds_must_be_positive(capsys):
    with pytest.raises(SystemExit):
        cli.main(["experiment", "--seeds", "0"])
    assert "must be a positive integer, got 0" in capsys.readouterr().err
