"""Training: memory gradients, learners, the continuum loop and the experiment cache."""

import json

import numpy as np
import pytest
import torch
from tolerances import float32_atol

from gembook import training
from gembook.data import make_benchmark, scale
from gembook.memory import EpisodicMemory
from gembook.network import mlp
from gembook.projection import violations
from gembook.lifelong_learning import metrics
from gembook.training import (GEM, Single, angle, evaluate, experiment, gradient,
                              memory_gradients, settings_for, tasks_to_test, train)


@pytest.fixture(scope="module")
def tasks(mnist):
    return make_benchmark("permutations", mnist, n_tasks=3, n_train=60)


def test_memory_gradients_match_one_backward_pass_per_task():
    torch.manual_seed(0)
    net, memory = mlp((20, 7, 5, 3)), EpisodicMemory(4, 6, n_inputs=20)
    for task, n in enumerate((6, 13, 2, 6)):  # task 2 holds fewer memories than slots
        memory.add(task, torch.rand(n, 20), torch.randint(0, 3, (n,)))
    G = memory_gradients(net, memory, t=3)
    for k in range(3):
        size = memory.size(k)
        _, g_k = gradient(net, memory.x[k, :size], memory.y[k, :size])
        # sums over at most 20 inputs or memories, through the net's 3 layers
        torch.testing.assert_close(G[k], g_k, rtol=0,
                                   atol=float32_atol(g_k, n_terms=20, depth=3))
    assert G.shape == (3, sum(p.numel() for p in net.parameters()))


def test_gem_update_keeps_every_memory_loss_from_rising(tasks, monkeypatch):
    torch.manual_seed(0)
    learner = GEM(len(tasks), lr=0.1, n_memories=20, gamma=0.0)
    for i in range(0, 60, 10):
        learner.observe(scale(tasks[0].x_train[i:i + 10]), tasks[0].y_train[i:i + 10], 0)
    steps = []  # freeze the weights and record the update GEM would take
    monkeypatch.setattr(training, "sgd_step", lambda net, g, lr, checked=False: steps.append(g))
    n_violated = 0
    for t in (1, 2):
        for i in range(0, 60, 10):
            X, y = scale(tasks[t].x_train[i:i + 10]), tasks[t].y_train[i:i + 10]
            learner.observe(X, y, t)
            G, (_, g) = memory_gradients(learner.net, learner.memory, t), gradient(
                learner.net, X, y)
            g_tilde = steps[-1]
            if violations(G, g).any():
                n_violated += 1
                cosines = (G @ g_tilde) / (G.norm(dim=1) * g_tilde.norm())
                assert (cosines >= -1e-3).all(), cosines
            else:
                torch.testing.assert_close(g_tilde, g)
    assert 0 < n_violated == learner.n_projected < 12


def test_single_and_gem_fill_R(tasks):
    for learner in (Single(3, lr=0.03), GEM(3, lr=0.1, n_memories=16)):
        R, seconds = train(learner, tasks, progress=False)
        assert R.shape == (4, 3) and ((0 <= R) & (R <= 1)).all()
        assert seconds["train"] > 0 and seconds["eval"] > 0
        np.testing.assert_array_equal(R[-1], evaluate(learner, tasks))


def test_same_seed_gives_the_same_R_bit_for_bit(mnist, monkeypatch):
    monkeypatch.setattr(training, "make_benchmark",
                        lambda name, **kw: make_benchmark(name, mnist, **kw))
    runs = [experiment("rotations", "gem", n_tasks=3, n_train=50, cache=False,
                       progress=False, n_memories=16) for _ in range(2)]
    assert runs[0].R == runs[1].R
    other = experiment("rotations", "gem", seed=1, n_tasks=3, n_train=50, cache=False,
                       progress=False, n_memories=16)
    assert other.R != runs[0].R


def test_non_finite_loss_stops_training_naming_task_and_step(tasks):
    learner = Single(3, lr=1e30)
    with pytest.raises(FloatingPointError, match=r"at task \d+, step \d+"):
        train(learner, tasks, progress=False)


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


def test_experiment_is_cached_by_its_settings(tmp_path, monkeypatch, mnist):
    monkeypatch.setenv("GEMBOOK_RESULTS", str(tmp_path))
    monkeypatch.setattr(training, "make_benchmark",
                        lambda name, **kw: make_benchmark(name, mnist, **kw))
    first = experiment("permutations", "single", n_tasks=2, n_train=20, progress=False)
    [path] = tmp_path.glob("*.json")
    assert json.loads(path.read_text())["R"] == first.R
    monkeypatch.setattr(training, "run", lambda *a, **k: pytest.fail("ran again"))
    assert experiment("permutations", "single", n_tasks=2, n_train=20).R == first.R
    with pytest.raises(pytest.fail.Exception):
        experiment("permutations", "single", n_tasks=2, n_train=20, lr=0.01)


def test_gem_logs_every_step_after_the_first_task(tasks):
    torch.manual_seed(0)
    learner = GEM(len(tasks), lr=0.1, n_memories=16)
    train(learner, tasks, batch_size=10, progress=False)
    log = np.array(learner.log)
    assert log.shape == (2 * 6, 3) and set(log[:, 0]) == {1, 2}  # 6 steps per task
    assert ((0 <= log[:, 1]) & (log[:, 1] <= log[:, 0])).all()  # at most t violated
    projected = log[:, 1] > 0
    assert projected.sum() == learner.n_projected > 0
    assert (log[~projected, 2] == 0).all() and (log[projected, 2] > 0).all()
    assert (log[:, 2] < 180).all()


def test_angle_in_degrees():
    g = torch.tensor([1.0, 0.0])
    assert angle(g, torch.tensor([0.0, 2.0])) == pytest.approx(90)
    assert angle(g, torch.tensor([1.0, 1.0])) == pytest.approx(45)
    assert angle(g, 3 * g) == pytest.approx(0, abs=1e-3)
    assert angle(g, -g) == pytest.approx(180)


def test_metrics_evaluation_tests_only_what_the_metrics_read():
    T = 5
    rows = [tasks_to_test(t, T, "metrics") for t in range(-1, T)]
    assert list(rows[0]) == list(rows[-1]) == list(range(T))
    assert [tuple(row) for row in rows[1:-1]] == [(0, 1), (1, 2), (2, 3), (3, 4)]
    assert all(list(tasks_to_test(t, T)) == list(range(T)) for t in range(-1, T))
    with pytest.raises(ValueError, match="evaluation must be one of"):
        tasks_to_test(0, T, "some")


def test_metrics_evaluation_gives_the_metrics_of_the_full_R(mnist, monkeypatch):
    monkeypatch.setattr(training, "make_benchmark",
                        lambda name, **kw: make_benchmark(name, mnist, **kw))
    full, sparse = (experiment("permutations", "gem", n_tasks=4, n_train=30, cache=False,
                               progress=False, n_memories=8, evaluation=evaluation)
                    for evaluation in ("full", "metrics"))
    R, R_sparse = np.array(full.R), np.array(sparse.R)
    assert np.isnan(R_sparse).sum() == 4 * 5 - (4 + 3 * 2 + 4)  # untested entries
    np.testing.assert_array_equal(R[~np.isnan(R_sparse)], R_sparse[~np.isnan(R_sparse)])
    assert metrics(R) == metrics(R_sparse) and full.log == sparse.log


def test_a_cached_full_R_answers_a_metrics_request(tmp_path, monkeypatch, mnist):
    monkeypatch.setenv("GEMBOOK_RESULTS", str(tmp_path))
    monkeypatch.setattr(training, "make_benchmark",
                        lambda name, **kw: make_benchmark(name, mnist, **kw))
    first = experiment("permutations", "single", n_tasks=2, n_train=20, progress=False)
    monkeypatch.setattr(training, "run", lambda *a, **k: pytest.fail("ran again"))
    assert experiment("permutations", "single", n_tasks=2, n_train=20,
                      evaluation="metrics").R == first.R
    with pytest.raises(ValueError, match="evaluation must be one of"):
        settings_for("permutations", "single", evaluation="all")
