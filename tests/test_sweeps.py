"""Sweeps (chapter 10): cached points, the share of projected steps, GEM's log per task."""

import math

import matplotlib
import numpy as np
import pytest

from gembook import runs
from gembook.data import make_benchmark
from gembook.sweeps import (log_per_task, mean_angle, plot_sweep, projected_share,
                            steps_after_first_task, sweep_table)
from gembook.runs import Result, experiments, settings_for

matplotlib.use("Agg")
pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def small_mnist(results, monkeypatch, mnist):
    monkeypatch.setattr(runs, "make_benchmark",
                        lambda name, **kw: make_benchmark(name, mnist, **kw))


def test_steps_after_first_task_counts_a_last_short_minibatch():
    settings = settings_for("permutations", "gem", n_tasks=5, n_train=25, batch_size=10,
                            n_memories=8)
    assert steps_after_first_task(settings) == 4 * 3
    assert steps_after_first_task(settings_for("rotations", "gem")) == 19 * 100


def test_projected_share_is_nan_for_a_method_that_never_projects():
    settings = settings_for("permutations", "er", n_tasks=3, n_train=20, n_memories=4)
    assert math.isnan(projected_share(Result(settings, [], 1.0, 1.0)))
    settings = settings_for("permutations", "gem", n_tasks=3, n_train=20, n_memories=4)
    assert projected_share(Result(settings, [], 1.0, 1.0, n_projected=2)) == 2 / 4


def test_sweep_runs_each_point_once_and_reads_it_back(small_mnist, monkeypatch):
    options = dict(n_tasks=3, n_train=30)
    requests = [{"benchmark": "permutations", "method": method, "n_memories": n,
                 "evaluation": "metrics", **options}
                for method in ("gem", "er") for n in (4, 8)]
    table = sweep_table(experiments(requests), "n_memories")
    assert list(table["method"]) == ["gem", "gem", "er", "er"]
    assert list(table["n_memories"]) == [4, 8, 4, 8]
    assert table[["ACC", "FWT"]].notna().all().all()
    assert (table["projected"].iloc[:2].between(0, 1)).all()
    assert table["projected"].iloc[2:].isna().all()
    monkeypatch.setattr(runs, "run", lambda *a, **k: pytest.fail("ran again"))
    again = sweep_table(experiments(requests), "n_memories")
    assert again.drop(columns="train (s)").equals(table.drop(columns="train (s)"))


def test_sweep_refuses_a_setting_the_method_lacks(small_mnist):
    with pytest.raises(ValueError, match="er takes no .*gamma"):
        experiments([{"benchmark": "permutations", "method": "er", "gamma": 0.0,
                      "n_tasks": 2, "n_train": 20}])


def test_log_per_task_shares_and_angles():
    log = [[1, 0, 0.0], [1, 2, 30.0], [2, 1, 10.0], [2, 1, 20.0], [3, 0, 0.0]]
    result = Result({}, [], 1.0, 1.0, n_projected=3, log=log)
    per_task = log_per_task(result)
    assert list(per_task.index) == [1, 2, 3]
    np.testing.assert_allclose(per_task["projected"], [0.5, 1.0, 0.0])
    np.testing.assert_allclose(per_task["angle"], [30.0, 15.0, 0.0])
    assert mean_angle(result) == pytest.approx(20.0)
    assert math.isnan(mean_angle(Result({}, [], 1.0, 1.0)))


def test_plot_sweep_draws_one_line_per_method():
    import pandas as pd
    from matplotlib import pyplot as plt

    table = pd.DataFrame({"method": ["gem", "gem", "er", "er"], "gamma": [0, 1, 0, 1],
                          "ACC": [0.5, 0.6, 0.4, 0.45]})
    fig, ax = plt.subplots()
    plot_sweep(ax, table, "gamma", "ACC", {"gem": "tab:blue"})
    assert [line.get_label() for line in ax.get_lines()] == ["gem", "er"]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), [0.4, 0.45])
    plt.close(fig)
