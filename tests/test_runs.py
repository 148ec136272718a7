"""The harness of chapter 06 and Appendix B: settings, devices and threads, runs, the
cache and worker processes (the cluster and learners of your own have files of their
own: test_runs_cluster.py, test_runs_own_learners.py)."""

import io
import json
import math
import queue

import numpy as np
import pytest
import torch
from tqdm import tqdm

from gembook import __main__ as cli
from gembook import runs
from gembook.data import make_benchmark
from gembook.lifelong_learning import metrics
from gembook.runs import (LEARNERS, check_device, default_device, defaults, experiment,
                          experiments, in_workers, learner_class, run, settings_for)

SMALL = {"n_tasks": 3, "n_train": 30, "evaluation": "metrics"}
MEMORY = {"n_memories": 10}  # fits the 30 examples of a SMALL task
BAD_SETTINGS = [
    ({"n_tasks": 0}, r"n_tasks.*0"),
    ({"n_train": -5}, r"n_train.*-5"),
    ({"batch_size": 0}, r"batch_size.*0"),
    ({"batch_size": -10}, r"batch_size.*-10"),
    ({"batch_size": 2.5}, r"batch_size.*2\.5"),
    ({"lr": 0.0}, r"lr.*0\.0"),
    ({"lr": -0.1}, r"lr.*-0\.1"),
    ({"lr": math.nan}, r"lr.*nan"),
    ({"n_memories": 0}, r"n_memories.*0"),
    ({"n_memories": -1}, r"n_memories.*-1"),
    ({"n_memories": 5000}, r"n_memories=5000 exceeds the 1000 examples"),
    ({"n_memories": 300, "n_train": 200}, r"n_memories=300 exceeds the 200"),
]


def same(*Rs):
    """Whether accuracy matrices are equal, untested entries (NaN) included."""
    return all(np.array_equal(Rs[0], R, equal_nan=True) for R in Rs[1:])


class Recorded(tqdm):
    """A progress bar shown even under TQDM_DISABLE, into a string, that records how
    far each update moved it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "disable": False, "file": io.StringIO()})
        self.moves = []

    def update(self, n=1):
        self.moves.append(n)
        return super().update(n)


@pytest.fixture
def bars(monkeypatch):
    """The progress bars the harness makes, recorded, in the order made."""
    made = []

    def make(*args, **kwargs):
        made.append(Recorded(*args, **kwargs))
        return made[-1]
    monkeypatch.setattr(runs, "tqdm", make)
    return made


@pytest.fixture
def small_mnist(monkeypatch, mnist):
    """Runs in this process build their benchmarks from the test MNIST."""
    monkeypatch.setattr(runs, "make_benchmark",
                        lambda name, **kw: make_benchmark(name, mnist, **kw))


def test_same_seed_gives_the_same_R_bit_for_bit(small_mnist):
    runs = [experiment("rotations", "gem", n_tasks=3, n_train=50, cache=False,
                       progress=False, n_memories=16) for _ in range(2)]
    assert runs[0].R == runs[1].R
    other = experiment("rotations", "gem", seed=1, n_tasks=3, n_train=50, cache=False,
                       progress=False, n_memories=16)
    assert other.R != runs[0].R


@pytest.mark.parametrize("args, message", [
    (("mnist", "gem"), "unknown benchmark 'mnist'; choose one of"),
    (("rotations", "sgd"), "unknown method 'sgd'; choose one of"),
])
def test_settings_reject_unknown_names(args, message):
    with pytest.raises(ValueError, match=message):
        settings_for(*args)


def test_settings_reject_a_hyper_parameter_the_method_lacks():
    with pytest.raises(ValueError, match="single takes no .*gamma"):
        settings_for("permutations", "single", gamma=0.5)


def test_settings_default_to_the_papers():
    assert settings_for("rotations", "single")["lr"] == 0.003
    gem = settings_for("permutations", "gem")
    assert (gem["lr"], gem["n_memories"], gem["gamma"]) == (0.1, 256, 0.5)
    assert (gem["n_tasks"], gem["n_train"], gem["batch_size"]) == (20, 1000, 10)


def test_experiment_is_cached_by_its_settings(results, monkeypatch, small_mnist):
    first = experiment("permutations", "single", n_tasks=2, n_train=20, progress=False)
    [path] = results.glob("*.json")
    assert json.loads(path.read_text())["R"] == first.R
    monkeypatch.setattr(runs, "run", lambda *a, **k: pytest.fail("ran again"))
    assert experiment("permutations", "single", n_tasks=2, n_train=20).R == first.R
    with pytest.raises(pytest.fail.Exception):
        experiment("permutations", "single", n_tasks=2, n_train=20, lr=0.01)


def test_metrics_evaluation_gives_the_metrics_of_the_full_R(small_mnist):
    full, sparse = (experiment("permutations", "gem", n_tasks=4, n_train=30, cache=False,
                               progress=False, n_memories=8, evaluation=evaluation)
                    for evaluation in ("full", "metrics"))
    R, R_sparse = np.array(full.R), np.array(sparse.R)
    assert np.isnan(R_sparse).sum() == 4 * 5 - (4 + 3 * 2 + 4)  # untested entries
    np.testing.assert_array_equal(R[~np.isnan(R_sparse)], R_sparse[~np.isnan(R_sparse)])
    assert metrics(R) == metrics(R_sparse) and full.log == sparse.log


def test_a_cached_full_R_answers_a_metrics_request(results, monkeypatch, small_mnist):
    first = experiment("permutations", "single", n_tasks=2, n_train=20, progress=False)
    monkeypatch.setattr(runs, "run", lambda *a, **k: pytest.fail("ran again"))
    assert experiment("permutations", "single", n_tasks=2, n_train=20,
                      evaluation="metrics").R == first.R
    with pytest.raises(ValueError, match="evaluation must be one of"):
        settings_for("permutations", "single", evaluation="all")


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
        two = [{"benchmark": "rotations", "method": "single", "seed": seed, **SMALL}
               for seed in (0, 1)]
        assert [r.threads for r in experiments(two, cache=False)] == [1, 1]
        assert [r.threads for r in experiments(two[:1], cache=False)] == [1]
        assert run(settings_for(**two[0]), progress=False).threads == 2
    finally:
        torch.set_num_threads(before)


def test_parallel_runs_equal_runs_one_by_one(results):
    settings = [settings_for("permutations", method, seed=seed, **SMALL, **MEMORY)
                for method in ("gem", "agem") for seed in (0, 1)]
    done = dict(in_workers(settings, n_jobs=2))  # one thread each
    apart = [done[i] for i in range(len(settings))]
    alone = [run(s, progress=False, threads=1) for s in settings]
    assert all(same(a.R, b.R) for a, b in zip(apart, alone))
    assert [r.n_projected for r in apart] == [r.n_projected for r in alone]


def test_experiments_cache_what_they_run_and_keep_the_order(results, bars):
    requests = [{"benchmark": "rotations", "method": "single", "seed": seed, **SMALL}
                for seed in (2, 0, 1)]
    first = experiments(requests)
    assert [r.settings["seed"] for r in first] == [2, 0, 1]
    assert len(list(results.glob("*.json"))) == 3
    again = experiments(requests, n_jobs=1)
    assert all(same(a.R, b.R) for a, b in zip(again, first))
    [bar] = bars  # one bar for the batch, none when all of it is cached
    assert moved_task_by_task(bar, n_runs=3)


def moved_task_by_task(bar, n_runs):
    """Whether `bar` moved one task at a time, to the last task of the last run (a
    finished run adds none: it reported every task)."""
    steps = [n for n in bar.moves if n]
    return (steps == [1] * n_runs * SMALL["n_tasks"] and bar.n == bar.total
            and bar.postfix == f"runs {n_runs}/{n_runs}")


def test_every_method_has_a_name_and_both_benchmarks_settings():
    methods = {"single", "independent", "multimodal", "ewc", "gem", "agem", "er"}
    assert set(LEARNERS) == methods
    for method in methods:
        for benchmark in ("permutations", "rotations"):
            assert "lr" in defaults(learner_class(method), benchmark)


def test_the_public_codes_settings_differ_by_benchmark_where_it_said_so():
    """Per-benchmark `settings` (single, independent, EWC) against one dict (GEM)."""
    assert defaults(learner_class("single"), "rotations") == {"lr": 0.003}
    assert defaults(learner_class("ewc"), "rotations")["n_memories"] == 1000
    assert (defaults(learner_class("gem"), "permutations")
            == defaults(learner_class("gem"), "rotations"))


def test_cli_names_every_method_in_its_help():
    method = next(action for action in cli.parser()._subparsers._actions[1]
                  .choices["experiment"]._actions if action.dest == "method")
    assert f"one of {', '.join(sorted(LEARNERS))}, or module:Class" in method.help


@pytest.mark.parametrize("kwargs, message", BAD_SETTINGS)
def test_settings_refuse_bad_values(kwargs, message):
    """settings_for names the setting and the value it got."""
    with pytest.raises(ValueError, match=message):
        settings_for("permutations", "gem", **kwargs)


@pytest.mark.parametrize("kwargs, message", BAD_SETTINGS[:4] + BAD_SETTINGS[8:])
def test_experiment_refuses_before_any_work(monkeypatch, results, kwargs, message):
    """No data is loaded, nothing is trained or cached for bad settings."""
    monkeypatch.setattr(runs, "make_benchmark",
                        lambda *a, **k: pytest.fail("built a benchmark"))
    with pytest.raises(ValueError, match=message):
        experiment("rotations", "gem", progress=False, **kwargs)
    assert list(results.iterdir()) == []


@pytest.mark.parametrize("gamma", [-0.5, math.nan])
def test_settings_refuse_a_negative_margin(gamma):
    with pytest.raises(ValueError, match="gamma"):
        settings_for("permutations", "gem", gamma=gamma)


def test_a_learner_without_settings_for_the_benchmark_is_refused(tmp_path, monkeypatch):
    module = tmp_path / "one_benchmark.py"
    module.write_text("from gembook.training import Single\n\n\nclass Only(Single):\n"
                      "    settings = {'permutations': {'lr': 0.05}}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert settings_for("permutations", "one_benchmark:Only")["lr"] == 0.05
    with pytest.raises(ValueError, match="Only has no settings for rotations; its "
                                         r"`settings` are for \['permutations'\]"):
        settings_for("rotations", "one_benchmark:Only")


def test_progress_leaves_R_bit_for_bit_and_a_lone_bar_counts_tasks(small_mnist, bars):
    settings = settings_for("permutations", "gem", **SMALL, **MEMORY)
    calls = []
    plain, barred, called = (run(settings, progress=progress, threads=1)
                             for progress in (False, True, lambda: calls.append(1)))
    assert same(plain.R, barred.R, called.R) and plain.log == barred.log == called.log
    assert len(calls) == SMALL["n_tasks"]
    [bar] = bars  # one bar, of the run given True
    assert bar.moves == [1] * SMALL["n_tasks"] and bar.n == bar.total


def test_a_finished_call_counts_the_steps_it_did_not_report(bars):
    notes = queue.Queue()  # what the workers and the parent put, in order
    for note in (("step", 1), ("done", 0), ("step", 1), ("done", 1), None):
        notes.put(note)
    bar = runs.tqdm(total=5)
    runs.follow(notes, bar, steps=[3, 2], runs=True, clock=1)
    assert bar.moves == [1, 3, 1, 0] and bar.n == 5 and bar.postfix == "runs 2/2"
