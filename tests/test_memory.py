"""Unit tests of gembook.memory.EpisodicMemory: which examples it keeps, and where.

Example i of a task has label i and input row i * D + (1 .. D), so every stored
example can be identified exactly, and no stored row is all zeros like a fresh slot.
"""

import random

import pytest
import torch

from gembook.memory import EpisodicMemory

D = 6  # n_inputs: small, the contents are what matters


def examples(start, stop):
    """Inputs and labels of the examples start .. stop - 1 of a task."""
    idx = torch.arange(start, stop)
    X = (idx[:, None] * D + torch.arange(1, D + 1)).float()
    return X, idx


def stream(mem, task, n, b, start=0):
    """Add examples start .. start + n - 1 of `task` in minibatches of b."""
    for lo in range(start, start + n, b):
        mem.add(task, *examples(lo, min(lo + b, start + n)))


def assert_holds_last(mem, task, n, where=""):
    """Task's valid slots hold examples n - size .. n - 1, example i in slot i % m."""
    m = mem.n_memories
    k = min(n, m)
    assert mem.size(task) == k, where
    assert int(mem.seen[task]) == n, where
    valid = mem.y[task, :k].tolist()
    assert sorted(valid) == list(range(n - k, n)), f"{where}: holds {valid}"
    for i in range(n - k, n):
        X, y = examples(i, i + 1)
        assert mem.y[task, i % m] == y[0], f"{where}: example {i} not in slot {i % m}"
        assert torch.equal(mem.x[task, i % m], X[0]), f"{where}: input of {i}"
    # slots never written stay as they were made: zeros
    assert not mem.x[task, k:].any() and not mem.y[task, k:].any(), where


CONFIGS = [  # (N examples, minibatch b, memories m)
    (3, 1, 5),  # N < m
    (3, 2, 5),  # N < m, last batch short
    (5, 5, 5),  # N = m in one batch
    (5, 2, 5),  # N = m, N not a multiple of b
    (7, 3, 5),  # wraps once, N not a multiple of b
    (13, 4, 5),  # wraps twice
    (20, 5, 5),  # b = m
    (20, 7, 5),  # b > m
    (12, 12, 5),  # one batch longer than m
    (11, 6, 4),  # b > m, short last batch
    (1, 1, 1),  # m = 1
    (10, 3, 1),  # m = 1, b > m
    (100, 10, 30),
    (257, 64, 100),  # N and b not multiples of m
]


@pytest.mark.parametrize("N, b, m", CONFIGS)
def test_stream_keeps_last_examples_in_ring_order(N, b, m):
    """After N examples in minibatches of b: the last min(N, m), example i in i % m."""
    mem = EpisodicMemory(2, m, D)
    stream(mem, 0, N, b)
    assert_holds_last(mem, 0, N, f"N={N} b={b} m={m}")
    assert int(mem.seen[1]) == 0 and mem.size(1) == 0
    assert not mem.x[1].any() and not mem.y[1].any()


@pytest.mark.parametrize("N, b, m", CONFIGS)
def test_size_after_every_batch(N, b, m):
    """size() = min(seen, m) after each minibatch, and seen counts every example."""
    mem = EpisodicMemory(1, m, D)
    assert mem.size(0) == 0
    for lo in range(0, N, b):
        hi = min(lo + b, N)
        mem.add(0, *examples(lo, hi))
        assert (int(mem.seen[0]), mem.size(0)) == (hi, min(hi, m)), f"after {hi}"


@pytest.mark.parametrize("N, b, m", CONFIGS)
def test_writing_task_1_never_touches_task_0(N, b, m):
    """Task 0's slots, count and size are unchanged while task 1 streams."""
    mem = EpisodicMemory(3, m, D)
    stream(mem, 0, 9, 2)
    x0, y0, seen0 = mem.x[0].clone(), mem.y[0].clone(), int(mem.seen[0])
    for lo in range(0, N, b):
        mem.add(1, *examples(lo, min(lo + b, N)))
        assert torch.equal(mem.x[0], x0) and torch.equal(mem.y[0], y0)
        assert int(mem.seen[0]) == seen0
    assert_holds_last(mem, 0, 9, "task 0")
    assert_holds_last(mem, 1, N, "task 1")
    assert not mem.x[2].any() and int(mem.seen[2]) == 0  # task 2 never written


def test_interleaved_tasks_random_batches():
    """Tasks written in a seeded random order and batch sizes match a model."""
    rnd = random.Random(4)
    for trial in range(40):
        n_tasks, m = rnd.randint(1, 4), rnd.randint(1, 12)
        mem = EpisodicMemory(n_tasks, m, D)
        count = [0] * n_tasks
        for step in range(rnd.randint(1, 30)):
            task, b = rnd.randrange(n_tasks), rnd.randint(1, 3 * m)
            mem.add(task, *examples(count[task], count[task] + b))
            count[task] += b
            for t in range(n_tasks):
                assert_holds_last(mem, t, count[t], f"trial {trial} step {step}")


@pytest.mark.parametrize("seen_before", [0, 1, 3, 5, 7])
def test_single_long_batch_keeps_its_last_m(seen_before):
    """One add of 13 > m = 5 examples keeps the batch's last 5, in ring order."""
    mem = EpisodicMemory(1, 5, D)
    if seen_before:
        mem.add(0, *examples(0, seen_before))
    mem.add(0, *examples(seen_before, seen_before + 13))
    assert sorted(mem.y[0].tolist()) == list(range(seen_before + 8, seen_before + 13))
    assert_holds_last(mem, 0, seen_before + 13, f"seen_before={seen_before}")


def test_fresh_memory_layout():
    """Shapes, dtypes and an empty state for a fresh memory."""
    mem = EpisodicMemory(3, 4, 7)
    assert mem.x.shape == (3, 4, 7) and mem.x.dtype == torch.float32
    assert mem.y.shape == (3, 4) and mem.y.dtype == torch.long
    assert mem.seen.tolist() == [0, 0, 0] and mem.n_memories == 4
    assert [mem.size(t) for t in range(3)] == [0, 0, 0]
    assert EpisodicMemory(2, 3).x.shape == (2, 3, 784)  # MNIST by default


@pytest.mark.parametrize("n_tasks, n_memories", [(0, 5), (-1, 5), (3, 0), (3, -2)])
def test_constructor_rejects_non_positive(n_tasks, n_memories):
    """n_tasks < 1 or n_memories < 1 is a ValueError naming both values."""
    with pytest.raises(ValueError, match=f"positive.*{n_tasks}.*{n_memories}"):
        EpisodicMemory(n_tasks, n_memories, D)


def test_smallest_valid_memory():
    """One task, one memory: always the latest example."""
    mem = EpisodicMemory(1, 1, D)
    for i in range(4):
        mem.add(0, *examples(i, i + 1))
        assert mem.y[0].tolist() == [i] and mem.size(0) == 1


@pytest.mark.parametrize("args", [(3, 2.5, 6), (3, 2, 0), (True, 2, 6)])
def test_memory_refuses_non_integer_or_empty_sizes(args):
    with pytest.raises(ValueError, match="positive"):
        EpisodicMemory(*args)
