"""Chapter 09's learners, A-GEM and experience replay, and the audit of a step."""

from functools import partial

import numpy as np
import pytest
import torch

from gembook.agem import AGEM, ER, Audited, project_average
from gembook.runs import experiments, run, settings_for
from gembook.training import gradient
from tiny_learners import SIZES, batch

SMALL = {"n_tasks": 3, "n_train": 30, "evaluation": "metrics"}
MEMORY = {"n_memories": 10}  # fits the 30 examples of a SMALL task


def same(*Rs):
    """Whether accuracy matrices are equal, untested entries (NaN) included."""
    return all(np.array_equal(Rs[0], R, equal_nan=True) for R in Rs[1:])


def test_agem_leaves_non_conflicting_gradients_untouched():
    g, g_ref = torch.tensor([1.0, 2.0, -1.0]), torch.tensor([0.5, 0.1, 0.2])
    assert project_average(g, g_ref) is g
    orthogonal = torch.tensor([2.0, -1.0, 0.0])
    assert project_average(orthogonal, torch.tensor([1.0, 2.0, 5.0])) is orthogonal


@pytest.mark.parametrize("seed", range(20))
def test_agem_projection_removes_exactly_the_conflict(seed):
    generator = torch.Generator().manual_seed(seed)
    g, g_ref = torch.randn(2, 50, generator=generator, dtype=torch.float64)
    if g @ g_ref >= 0:
        g = -g
    g_tilde = project_average(g, g_ref)
    assert (g_tilde @ g_ref).abs() <= 1e-12 * g.norm() * g_ref.norm()
    # what was removed is parallel to g_ref
    removed = g - g_tilde
    torch.testing.assert_close(removed, (removed @ g_ref) / (g_ref @ g_ref) * g_ref)


def test_agem_reference_gradient_comes_from_past_memories_only(monkeypatch):
    torch.manual_seed(0)
    learner = AGEM(3, lr=0.1, n_memories=4, n_reference=6, sizes=SIZES)
    learner.observe(*batch(label=0), 0)
    learner.observe(*batch(label=1), 1)
    seen = []
    real = learner.memory.sample
    monkeypatch.setattr(learner.memory, "sample",
                        lambda t, n: seen.append(real(t, n)) or seen[-1])
    learner.observe(*batch(label=2), 2)
    (_, y), = seen
    assert set(y.tolist()) <= {0, 1} and len(y) == 6


def test_replay_draws_only_from_past_tasks(monkeypatch):
    """Each task has its own label: the replayed labels are those of earlier tasks."""
    torch.manual_seed(0)
    learner = ER(4, lr=0.1, n_memories=5, n_replay=3, sizes=SIZES)
    seen = []
    real = gradient
    monkeypatch.setattr("gembook.agem.gradient",
                        lambda net, X, y: seen.append(y.clone()) or real(net, X, y))
    for t in range(3):
        for seed in range(3):
            learner.observe(*batch(label=t, seed=seed), t)
    for step, y in enumerate(seen):
        t = step // 3
        current, replayed = y[:4], y[4:]
        assert (current == t).all()
        assert len(replayed) == (3 if t > 0 else 0)
        assert (replayed < t).all()


def test_an_audited_run_trains_exactly_like_the_plain_one(results):
    settings = settings_for("permutations", "agem", **SMALL, **MEMORY)
    [audited] = experiments([{"benchmark": "permutations", "method": "agem", **SMALL,
                              **MEMORY}], wrap=lambda Learner: partial(Audited, Learner))
    plain = run(settings, progress=False)
    assert same(audited.R, plain.R) and audited.n_projected == plain.n_projected
    assert len(audited.log) == 1  # 6 steps on tasks 1 and 2: the first is audited
    [[t, share, change]] = audited.log
    assert t == 1 and 0 <= share <= 1 and np.isfinite(change)
