"""Chapter 06's algorithm: memory gradients, the learners, the continuum loop, and
training that stops at the first non-finite loss or gradient."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from tolerances import float32_atol

from gembook import training
from gembook.claims import environment
from gembook.data import make_benchmark, scale
from gembook.memory import EpisodicMemory
from gembook.network import mlp
from gembook.projection import violations
from gembook.training import (GEM, TAU, Single, angle, evaluate, gradient, layer_factors,
                              linear_layers, memory_factors, memory_gradients,
                              memory_products, rows, tasks_to_test, train)
from plain_gem import PlainGEM, same_bits, trained


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


def filled(net, t, sizes=(256, 200, 37, 256)):
    """A memory of random inputs and labels for `net`, memory 2 not full."""
    memory = EpisodicMemory(t + 1, 256, n_inputs=net[0].in_features)
    for k in range(t):
        memory.add(k, torch.rand(sizes[k], net[0].in_features),
                   torch.randint(0, net[-1].out_features, (sizes[k],)))
    return memory


def trained_net(sizes=(784, 100, 100, 10)):
    """An MLP whose biases are not zero, as after training."""
    torch.manual_seed(0)
    net = mlp(sizes)
    with torch.no_grad():
        for layer in linear_layers(net):
            layer.bias.normal_(0, 0.1)
    return net


@pytest.mark.parametrize("t", [1, 3])
def test_rows_from_the_factors_are_the_batched_pass_bit_for_bit(t):
    net = trained_net()
    memory = filled(net, t)
    G = memory_gradients(net, memory, t)
    with torch.no_grad():
        assert torch.equal(rows(*memory_factors(net, memory, t)), G)


def test_G_g_from_the_factors_is_G_at_g_to_far_below_tau(mnist):
    """Eq. (GF) over a short run: G g from the factors against `G @ g`, relative to S,
    at every step; the factors decide a step only where `G @ g` finds no violation."""
    tasks = make_benchmark("permutations", mnist, n_tasks=5, n_train=200)
    torch.manual_seed(0)
    learner = PlainGEM(5, lr=0.1, n_memories=64)
    for i in range(0, 200, 10):
        learner.observe(scale(tasks[0].x_train[i:i + 10]), tasks[0].y_train[i:i + 10], 0)
    apart, decided = [], 0
    for t in range(1, 5):
        for i in range(0, 200, 10):
            X, y = scale(tasks[t].x_train[i:i + 10]), tasks[t].y_train[i:i + 10]
            learner.memory.add(t, X, y)
            _, g = gradient(learner.net, X, y)
            with torch.no_grad():
                h, e = memory_factors(learner.net, learner.memory, t)
                h_b, e_b = layer_factors(learner.net, X, y, torch.full((10,), 0.1))
                G_rest = rows(h[1:], e[1:])
                Gg, S = memory_products(h[0], e[0], h_b[0], e_b[0], G_rest, g)
                plain = memory_gradients(learner.net, learner.memory, t) @ g
            apart.append(((Gg - plain).abs() / S).max().item())
            if (Gg > TAU * S).all():
                decided += 1
                assert (plain >= 0).all()
            g_tilde, _ = learner.step(g, X, y, t)
            training.sgd_step(learner.net, g_tilde, learner.lr)
    assert max(apart) < TAU / 100, max(apart)  # rounding: a few times 1e-7
    assert 0 < decided < 80


def test_gem_from_the_factors_takes_the_plain_steps_bit_for_bit(mnist):
    found = same_bits(make_benchmark("permutations", mnist, n_tasks=5, n_train=200),
                      n_memories=64)
    assert found["log"] and found["weights"] and found["G"], found
    assert 0 < found["projected"] < found["steps"] == 80


@pytest.mark.parametrize("realisation", ["aten-default", "mkl-compatible", "one-thread"])
def test_gem_from_the_factors_takes_the_plain_steps_under_a_realisation(realisation):
    """Appendix D's realisations round differently; the two steps stay the same bits."""
    script = Path(__file__).with_name("plain_gem.py")
    done = subprocess.run([sys.executable, str(script)], env=environment(realisation),
                          capture_output=True, text=True, check=True)
    found = json.loads(done.stdout)
    assert found["log"] and found["weights"] and found["G"], found


@pytest.mark.parametrize("net", [
    torch.nn.Linear(784, 10),
    torch.nn.Sequential(*mlp(), torch.nn.Softmax(-1)),
    torch.nn.Sequential(torch.nn.Linear(784, 100), torch.nn.Tanh(), torch.nn.Linear(100, 10))])
def test_a_net_gems_step_cannot_factor_is_refused(net):
    with pytest.raises(ValueError, match="needs chapter 03's MLP"):
        linear_layers(net)


def test_gem_without_a_hidden_layer_takes_the_plain_steps(tasks):
    """One linear layer: no columns after the first layer's."""
    fast, plain = (trained(Learner, tasks, n_memories=16, sizes=(784, 10))
                   for Learner in (GEM, PlainGEM))
    assert fast.log == plain.log and fast.n_projected > 0
    assert all(torch.equal(a, b) for a, b in zip(fast.net.parameters(),
                                                  plain.net.parameters()))


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


def test_single_and_gem_fill_R_and_tell_progress_after_each_task(tasks):
    for learner in (Single(3, lr=0.03), GEM(3, lr=0.1, n_memories=16)):
        told = []
        R, seconds = train(learner, tasks, progress=lambda: told.append(len(told)))
        assert R.shape == (4, 3) and ((0 <= R) & (R <= 1)).all()
        assert seconds["train"] > 0 and seconds["eval"] > 0
        np.testing.assert_array_equal(R[-1], evaluate(learner, tasks))
        assert told == [0, 1, 2]  # once per task (the same R without: test_runs.py)


def test_non_finite_loss_stops_training_naming_task_and_step(tasks):
    learner = Single(3, lr=1e30)
    with pytest.raises(FloatingPointError, match=r"at task \d+, step \d+"):
        train(learner, tasks)


def test_gem_logs_every_step_after_the_first_task(tasks):
    torch.manual_seed(0)
    learner = GEM(len(tasks), lr=0.1, n_memories=16)
    train(learner, tasks, batch_size=10)
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


# --- faults: Training stops at the first non-finite loss or gradient, naming the task and step.
#
#
# A finite loss with a non-finite gradient cannot be provoked in the 784-100-100-10 MLP
# by setting a parameter to inf (the forward pass turns it into a NaN loss first), so the
# gradient is poisoned where training computes it.

@pytest.fixture(scope="module")
def two_tasks(mnist):
    return make_benchmark("permutations", mnist, n_tasks=2, n_train=40)


def poisoned(real, call, value):
    """`real`, but the result of its `call`-th call holds `value` in one entry."""
    calls = []

    def compute(*args):
        loss, g = real(*args)
        calls.append(1)
        if len(calls) == call:
            g = g.clone()
            g[7] = value
        return loss, g
    return compute


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_non_finite_gradient_with_finite_loss_stops_training(monkeypatch, two_tasks,
                                                             value):
    """Step 2 of task 0 gets a finite loss but a gradient holding inf or NaN."""
    torch.manual_seed(0)
    learner = Single(2, lr=0.03)
    monkeypatch.setattr(training, "gradient", poisoned(training.gradient, 3, value))
    with pytest.raises(FloatingPointError,
                       match=r"non-finite gradient at task 0, step 2: lower"):
        train(learner, two_tasks)
    theta = torch.nn.utils.parameters_to_vector(learner.net.parameters())
    assert torch.isfinite(theta).all(), "the bad update reached the network"


def test_parameter_set_to_inf_stops_training(two_tasks):
    """A parameter set to inf: stopped at the very first step, task and step named."""
    torch.manual_seed(0)
    learner = Single(2, lr=0.03)
    with torch.no_grad():
        learner.net[0].weight[5, 300] = math.inf
    with pytest.raises(FloatingPointError, match=r"non-finite .* at task 0, step 0"):
        train(learner, two_tasks)


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_non_finite_memory_gradient_stops_gem(monkeypatch, two_tasks, value):
    """GEM at task 1: a memory's error holding NaN or inf stops training, named."""
    real = training.memory_factors

    def memory_factors(net, memory, t):
        h, e = real(net, memory, t)
        e[0][0, 3, 7] = value
        return h, e

    torch.manual_seed(0)
    learner = GEM(2, lr=0.1, n_memories=10)
    monkeypatch.setattr(training, "memory_factors", memory_factors)
    with pytest.raises(FloatingPointError,
                       match=r"non-finite gradient or memory gradient at task 1, step 0"):
        train(learner, two_tasks)
