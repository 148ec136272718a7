"""Training stops at the first non-finite loss or gradient, naming the task and step.

A finite loss with a non-finite gradient cannot be provoked in the 784-100-100-10 MLP
by setting a parameter to inf (the forward pass turns it into a NaN loss first), so the
gradient is poisoned where training computes it.
"""

import math

import pytest
import torch

from gembook import training
from gembook.data import make_benchmark
from gembook.training import GEM, Single, train


@pytest.fixture(scope="module")
def tasks(mnist):
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
def test_non_finite_gradient_with_finite_loss_stops_training(monkeypatch, tasks,
                                                             value):
    """Step 2 of task 0 gets a finite loss but a gradient holding inf or NaN."""
    torch.manual_seed(0)
    learner = Single(2, lr=0.03)
    monkeypatch.setattr(training, "gradient", poisoned(training.gradient, 3, value))
    with pytest.raises(FloatingPointError,
                       match=r"non-finite gradient at task 0, step 2: lower"):
        train(learner, tasks, progress=False)
    theta = torch.nn.utils.parameters_to_vector(learner.net.parameters())
    assert torch.isfinite(theta).all(), "the bad update reached the network"


def test_parameter_set_to_inf_stops_training(tasks):
    """A parameter set to inf: stopped at the very first step, task and step named."""
    torch.manual_seed(0)
    learner = Single(2, lr=0.03)
    with torch.no_grad():
        learner.net[0].weight[5, 300] = math.inf
    with pytest.raises(FloatingPointError, match=r"non-finite .* at task 0, step 0"):
        train(learner, tasks, progress=False)


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_non_finite_memory_gradient_stops_gem(monkeypatch, tasks, value):
    """GEM at task 1: a memory gradient holding NaN or inf stops training, named."""
    real = training.memory_gradients

    def memory_gradients(net, memory, t):
        G = real(net, memory, t).clone()
        G[0, 7] = value
        return G

    torch.manual_seed(0)
    learner = GEM(2, lr=0.1, n_memories=10)
    monkeypatch.setattr(training, "memory_gradients", memory_gradients)
    with pytest.raises(FloatingPointError,
                       match=r"non-finite gradient or memory gradient at task 1, step 0"):
        train(learner, tasks, progress=False)
