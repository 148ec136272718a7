"""The GPU path, exercised on the CPU: how often a step reads a tensor back to the host.

On a GPU every such read (`.item()`, `.tolist()`, `bool(t)`, `.cpu()`, ...) waits for all
the work queued before it. GEM's step is written to make one per step where
G g from the factors decides (chapter 06: "is every constraint met beyond rounding?",
which carries the inf/NaN check of g); where it does not, `gem_step` reads once more (the
decision, with the inf/NaN check of G g), and once more again to project (the transfer of
G G' and G g); evaluation reads one number per task. The same code runs
on the CPU, where these tests count the reads by patching `torch.Tensor`. The memory's
slot counters live on the host by design (`EpisodicMemory.seen`), so reads made by
`gembook/memory.py` are not counted. What a CPU cannot show is not tested here: a
blocking copy from the host to a GPU, or an operation whose output size depends on the
data; `benchmarks/gpu_syncs.py` counts the real synchronisations on a GPU.
"""

import sys
from pathlib import Path

import pytest
import torch

from gembook import memory, training
from gembook.data import make_benchmark, scale
from gembook.training import GEM, Single, evaluate

# `.numpy()` is not among them: on a CUDA tensor it raises, so it always follows `.cpu()`.
READS = ("item", "tolist", "cpu", "__bool__", "__int__", "__float__", "__index__")
HOST_BOOKKEEPING = Path(memory.__file__).resolve()


class ReadCounter:
    """Counts host reads of tensors, except the memory's host-side bookkeeping."""

    def __init__(self, monkeypatch):
        self.n = 0
        for name in READS:
            monkeypatch.setattr(torch.Tensor, name, self.counting(getattr(torch.Tensor, name)))

    def counting(self, method):
        def read(tensor, *args, **kwargs):
            caller = Path(sys._getframe(1).f_code.co_filename).resolve()
            self.n += caller != HOST_BOOKKEEPING
            return method(tensor, *args, **kwargs)
        return read

    def during(self, call):
        before = self.n
        call()
        return self.n - before


@pytest.fixture(scope="module")
def tasks(mnist):
    return make_benchmark("permutations", mnist, n_tasks=3, n_train=100)


def minibatches(task, n=10):
    return [(scale(task.x_train[i:i + 10]), task.y_train[i:i + 10])
            for i in range(0, 10 * n, 10)]


@pytest.mark.usefixtures("one_thread")
def test_gem_reads_the_host_once_where_the_factors_decide_three_times_to_project(
        tasks, monkeypatch):
    torch.manual_seed(0)
    learner = GEM(len(tasks), lr=0.1, n_memories=20)
    batches = {t: minibatches(tasks[t]) for t in range(3)}
    counter = ReadCounter(monkeypatch)
    first_task = [counter.during(lambda: learner.observe(X, y, 0)) for X, y in batches[0]]
    assert first_task == [1] * 10  # sgd_step's inf/NaN check of g: nothing to decide
    reads, violated = [], []
    for t in (1, 2):
        for X, y in batches[t]:
            reads.append(counter.during(lambda: learner.observe(X, y, t)))
            violated.append(learner.steps[-1][1] > 0)
    assert 0 < sum(violated) < len(violated), "both kinds of step must occur"
    # the factors' decision; gem_step's where they leave it open; G G', G g to project
    assert all(n == 3 if v else n in (1, 2) for n, v in zip(reads, violated)), reads
    assert reads.count(1) > reads.count(2)
    log = counter.during(lambda: learner.log)
    assert log == 1 and len(learner.log) == 20  # the angles, read once at the end


@pytest.mark.usefixtures("one_thread")
def test_the_counter_can_fail(tasks, monkeypatch):
    """A step that reads the host once per past task is caught: with three past tasks
    it makes at least 1 + 3 reads, more than the 3 the test above allows."""
    torch.manual_seed(0)
    learner = GEM(4, lr=0.1, n_memories=20)
    for t in range(3):
        for X, y in minibatches(tasks[t % len(tasks)]):
            learner.observe(X, y, t)
    real = training.memory_factors
    monkeypatch.setattr(training, "memory_factors", lambda net, memory, t: (
        [float(real(net, memory, t)[1][0][k].norm()) for k in range(t)],
        real(net, memory, t))[1])
    counter = ReadCounter(monkeypatch)
    X, y = minibatches(tasks[0])[0]
    assert counter.during(lambda: learner.observe(X, y, 3)) >= 4


@pytest.mark.usefixtures("one_thread")
def test_single_step_and_evaluation_reads(tasks, monkeypatch):
    torch.manual_seed(0)
    learner = Single(len(tasks), lr=0.03)
    counter = ReadCounter(monkeypatch)
    X, y = minibatches(tasks[0], 1)[0]
    assert counter.during(lambda: learner.observe(X, y, 0)) == 1
    assert counter.during(lambda: evaluate(learner, tasks)) == len(tasks)


def operations(f, t):
    """The tensor operations (not views, not host reads) one call f(net, memory, t) runs:
    on a GPU each is a kernel launch."""
    from torch.profiler import ProfilerActivity, profile
    from gembook.memory import EpisodicMemory
    from gembook.network import mlp
    skip = {"aten::view", "aten::t", "aten::transpose", "aten::as_strided",
            "aten::slice", "aten::select", "aten::expand", "aten::unsqueeze",
            "aten::reshape", "aten::flatten", "aten::_unsafe_view", "aten::alias",
            "aten::detach", "aten::empty", "aten::empty_like", "aten::empty_strided",
            "aten::resize_", "aten::lift_fresh", "aten::permute", "aten::squeeze",
            "aten::_reshape_alias", "aten::result_type", "aten::item",
            "aten::_local_scalar_dense"}
    torch.manual_seed(0)
    memory, net = EpisodicMemory(t + 1, 8), mlp()
    for k in range(t):
        memory.add(k, torch.rand(8, 784), torch.randint(0, 10, (8,)))
    f(net, memory, t)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        f(net, memory, t)
    return sum(e.name.startswith("aten::") and not e.cpu_children and e.name not in skip
               for e in prof.events())


@pytest.mark.usefixtures("one_thread")
def test_the_batched_pass_runs_a_fixed_number_of_operations_the_loop_some_per_task():
    """Chapter 06: the loop's operations grow with the past tasks, the batched pass's
    and the factors' (the pass GEM's step runs) not."""
    factors = [operations(training.memory_factors, t) for t in (2, 19)]
    assert factors[0] == factors[1] < 40, factors
    batched = [operations(training.memory_gradients, t) for t in (2, 19)]
    loop = [operations(training.memory_gradients_loop, t) for t in (2, 19)]
    assert batched[0] == batched[1] < 80, batched
    per_task = (loop[1] - loop[0]) / 17
    assert 25 < per_task < 50, loop
