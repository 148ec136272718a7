"""Chapter 08's learners, each on tiny streams: what is specific to each one."""

import pytest
import torch

from gembook.baselines import EWC, Independent, Multimodal
from gembook.runs import defaults, learner_class
from gembook.training import gradient, train
from tiny_learners import SIZES, batch, parameters


# --- EWC ------------------------------------------------------------------------------

def ewc_after_one_task(strength=2.0):
    torch.manual_seed(0)
    learner = EWC(2, lr=0.1, n_memories=8, strength=strength, sizes=SIZES)
    for seed in range(3):
        learner.observe(*batch(seed=seed), 0)
    learner.observe(*batch(seed=9), 1)  # the first step of task 1 consolidates task 0
    return learner


def test_ewc_penalty_is_zero_at_the_anchor():
    torch.manual_seed(0)
    learner = EWC(2, lr=0.1, n_memories=8, strength=5.0, sizes=SIZES)
    learner.memory.add(0, *batch(8))
    learner.consolidate(0)
    scale = learner.strength * (learner.A * learner.theta() ** 2).sum()
    assert abs(learner.penalty().item()) <= 1e-5 * scale.item()


def test_ewc_penalty_is_the_fisher_weighted_distance():
    learner = EWC(2, lr=0.1, n_memories=8, strength=5.0, sizes=SIZES)
    learner.memory.add(0, *batch(8))
    learner.consolidate(0)
    anchor, F = learner.theta(), learner.A.clone()
    with torch.no_grad():
        for p in learner.net.parameters():
            p.add_(0.1 * torch.randn_like(p))
    expected = 5.0 * (F * (learner.theta() - anchor) ** 2).sum()
    assert learner.penalty().item() == pytest.approx(expected.item(), rel=1e-4)
    assert expected > 0


def test_ewc_fisher_is_the_squared_memory_gradient():
    learner = EWC(2, lr=0.1, n_memories=8, strength=1.0, sizes=SIZES)
    X, y = batch(8)
    learner.memory.add(0, X, y)
    _, g = gradient(learner.net, X, y)
    learner.consolidate(0)
    torch.testing.assert_close(learner.A, g ** 2)


def test_ewc_consolidates_each_task_once_when_the_next_begins():
    learner = ewc_after_one_task()
    A = learner.A.clone()
    assert A.abs().sum() > 0
    learner.observe(*batch(seed=10), 1)
    torch.testing.assert_close(learner.A, A)


# --- independent ----------------------------------------------------------------------

def test_independent_nets_share_no_parameters():
    learner = Independent(3, lr=0.1, n_hidden=4, sizes=SIZES)
    storage = [p.data_ptr() for net in learner.nets for p in net.parameters()]
    assert len(storage) == len(set(storage))


def test_independent_training_a_task_leaves_the_others_unchanged():
    torch.manual_seed(0)
    learner = Independent(3, lr=0.1, n_hidden=4, sizes=SIZES)
    learner.observe(*batch(seed=1), 0)
    before = [parameters(net) for net in learner.nets]
    learner.observe(*batch(seed=2), 1)  # starts from task 0's net, then steps
    after = [parameters(net) for net in learner.nets]
    assert torch.equal(before[0], after[0]) and torch.equal(before[2], after[2])
    assert not torch.equal(after[1], before[0])


def test_independent_task_starts_from_the_previous_tasks_net():
    torch.manual_seed(0)
    learner = Independent(2, lr=0.0, n_hidden=4, sizes=SIZES)  # lr 0: no step
    learner.observe(*batch(seed=1), 0)
    learner.observe(*batch(seed=2), 1)
    assert torch.equal(parameters(learner.nets[1]), parameters(learner.nets[0]))


# --- multimodal -----------------------------------------------------------------------

def test_multimodal_shares_all_but_the_input_layer():
    learner = Multimodal(3, lr=0.1, sizes=SIZES)
    inputs = {id(net[0]) for net in learner.nets}
    uppers = {id(net[1]) for net in learner.nets}
    assert len(inputs) == 3 and len(uppers) == 1


def test_multimodal_is_as_deep_as_the_single_network():
    # the public code's main.py lowers n_layers by one for this model: one task-specific
    # layer, then the single network's remaining layers, shared
    from torch import nn
    learner = Multimodal(2, lr=0.1, sizes=SIZES)
    shapes = [tuple(m.weight.shape) for m in learner.nets[0].modules()
              if isinstance(m, nn.Linear)]
    assert shapes == [(5, 6), (5, 5), (3, 5)]
    assert all((m.bias == 0).all() for m in learner.nets[0].modules()
               if isinstance(m, nn.Linear))


def test_multimodal_step_leaves_other_input_layers_unchanged():
    torch.manual_seed(0)
    learner = Multimodal(2, lr=0.1, sizes=SIZES)
    before = parameters(learner.nets[1][0])
    learner.observe(*batch(), 0)
    assert torch.equal(parameters(learner.nets[1][0]), before)


# --- A-GEM ----------------------------------------------------------------------------


# --- experience replay ----------------------------------------------------------------


def test_every_method_trains_on_a_tiny_stream(mnist):
    from gembook.data import make_benchmark
    tasks = make_benchmark("permutations", mnist, n_tasks=2, n_train=20)
    for method in ("independent", "multimodal", "ewc", "agem", "er"):
        torch.manual_seed(0)
        Learner = learner_class(method)
        learner = Learner(len(tasks), **defaults(Learner, "permutations"))
        R, _ = train(learner, tasks, progress=False)
        assert R.shape == (3, 2) and ((0 <= R) & (R <= 1)).all()
