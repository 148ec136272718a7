"""Generated from notebooks/06_training.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import dataclasses
import math
import time

import numpy as np
import torch
from torch.func import functional_call, grad, vmap
from torch.nn import functional as F
from tqdm.auto import tqdm

from gembook.data import BENCHMARKS, make_benchmark, scale
from gembook.memory import EpisodicMemory
from gembook.network import mlp
from gembook.projection import all_finite, solve_dual
from gembook.runs import (Result, as_completed, cache_path, cached, check_device,
                          default_device, imported, keywords, learner_code, on, store)


def gradient(net, X, y):
    """g: the gradient of the mean cross-entropy on (X, y), as one flat vector."""
    loss = F.cross_entropy(net(X), y)
    g = torch.autograd.grad(loss, list(net.parameters()))
    return loss.detach(), torch.cat([d.flatten() for d in g])


def sgd_step(net, g, lr, checked=False):
    """Plain SGD along a flat gradient: theta <- theta - lr * g, in place.

    A non-finite g is refused before it reaches the network, unless the caller
    `checked` it already (GEM does, in its one host read per step).
    """
    if not (checked or all_finite(g)):
        raise FloatingPointError("non-finite gradient")
    with torch.no_grad():
        for p, g_p in zip(net.parameters(), g.split([p.numel() for p in
                                                     net.parameters()])):
            p.sub_(lr * g_p.view_as(p))


def memory_gradients_loop(net, memory, t):
    """G: row k is the gradient of the mean loss on task k's memory (eq. 5), k < t."""
    rows = []
    for k in range(t):
        n = memory.size(k)
        _, g_k = gradient(net, memory.x[k, :n], memory.y[k, :n])
        rows.append(g_k)
    return torch.stack(rows)


def memory_weights(memory, t):
    """w[k, i] = 1 / |M_k| for the valid slots i of task k's memory, else 0; k < t.

    Computed on the CPU from the memory's counts and sent to the memory's device
    without waiting for it.
    """
    sizes = torch.tensor([memory.size(k) for k in range(t)], device="cpu")
    valid = torch.arange(memory.n_memories, device="cpu") < sizes[:, None]
    return (valid / sizes.clamp(min=1)[:, None]).to(memory.x.device, non_blocking=True)


def memory_gradients(net, memory, t):
    """G: row k is the gradient of the mean loss on task k's memory, for k < t (eq. 5).

    Defined in chapter 06 (training).
    """
    params = {name: p.detach() for name, p in net.named_parameters()}
    weights = memory_weights(memory, t)

    def loss(params, X, y, w):
        logits = functional_call(net, params, (X,))
        return (F.cross_entropy(logits, y, reduction="none") * w).sum()

    G = vmap(grad(loss), in_dims=(None, 0, 0, 0))(params, memory.x[:t], memory.y[:t],
                                                     weights)
    return torch.cat([G[name].flatten(1) for name in params], dim=1)


class Single:
    """Fine-tune one network along the stream with plain SGD (the paper's "single")."""

    def __init__(self, n_tasks, lr, sizes=(784, 100, 100, 10)):
        self.net, self.lr = mlp(sizes), lr

    def __call__(self, X, t):
        """Logits of inputs X of task t (one shared network: t is not used)."""
        return self.net(X)

    def observe(self, X, y, t):
        """One update on a minibatch of task t; returns the minibatch loss."""
        loss, g = gradient(self.net, X, y)
        sgd_step(self.net, g, self.lr)
        return loss


def projected(g, G, gamma=0.5, eps=1e-3):
    """(g~, violated constraints): g, projected (eqs. 7-11) if it violates any.

    One host read per step, the decision; when it projects, G G' and G g go to the
    CPU and v* comes back. g~ is not read back: it is finite when g, G and v* are,
    unless it overflows float32, which the next step's check then reports.
    Defined in chapter 06 (training).
    """
    Gg = G @ g  # an inf or NaN anywhere in g or G reaches G g
    counts = torch.stack([(Gg < 0).sum(), Gg.isfinite().logical_not().sum()])
    n_violated, n_bad = counts.tolist()  # the sync
    if n_bad:
        raise FloatingPointError("non-finite gradient or memory gradient")
    if not n_violated:
        return g, 0
    v = torch.from_numpy(solve_dual(G @ G.T, Gg, gamma, eps)).to(G.dtype)
    return g + v.to(G.device, non_blocking=True) @ G, n_violated


def cosine(g, g_tilde):
    """cos of the angle between g and g~, as a tensor where they are."""
    norms = (g.norm() * g_tilde.norm()).clamp(min=torch.finfo(g.dtype).tiny)
    return g @ g_tilde / norms


def degrees(cos):
    """The angle, in degrees, of a cosine (NaN stays NaN)."""
    return math.degrees(math.acos(min(1.0, max(-1.0, cos)))) if cos == cos else math.nan


def angle(g, g_tilde):
    """The angle, in degrees, between the gradient g and the step g~ taken instead."""
    return degrees(cosine(g, g_tilde).item())


class GEM(Single):
    """Gradient Episodic Memory: SGD with g projected so no memory loss increases.

    Defined in chapter 06 (training); the projection in chapter 05.
    """

    def __init__(self, n_tasks, lr, n_memories=256, gamma=0.5, eps=1e-3,
                 sizes=(784, 100, 100, 10)):
        super().__init__(n_tasks, lr, sizes)
        self.memory = EpisodicMemory(n_tasks, n_memories, n_inputs=sizes[0])
        self.gamma, self.eps = gamma, eps
        self.n_projected, self.steps, self.cosines = 0, [], []

    def observe(self, X, y, t):
        self.memory.add(t, X, y)
        loss, g = gradient(self.net, X, y)
        if t > 0:
            G = memory_gradients(self.net, self.memory, t)
            g_tilde, n_violated = projected(g, G, self.gamma, self.eps)
            self.steps.append((t, n_violated))
            if n_violated:
                self.n_projected += 1
                self.cosines.append(cosine(g, g_tilde))
            g = g_tilde
        sgd_step(self.net, g, self.lr, checked=t > 0)
        return loss

    @property
    def log(self):
        """A row [t, violated constraints, angle(g, g~)] per step of tasks t >= 1."""
        cosines = iter(torch.stack(self.cosines).tolist() if self.cosines else [])
        return [[t, n, degrees(next(cosines)) if n else 0.0] for t, n in self.steps]


@torch.no_grad()
def accuracy(learner, task, t, chunk=None):
    """Fraction of task t's test digits that `learner` classifies correctly, `chunk`
    at a time (default: 1000 on a CPU, all at once on a GPU)."""
    n = len(task.y_test)
    chunk = chunk or (1000 if task.x_test.device.type == "cpu" else n)
    correct = sum((learner(scale(task.x_test[i:i + chunk]), t).argmax(1)
                   == task.y_test[i:i + chunk]).sum() for i in range(0, n, chunk))
    return correct.item() / n


def evaluate(learner, tasks, tested=None):
    """One row of R: test accuracy on each task in `tested` (default: all), else NaN."""
    tested = range(len(tasks)) if tested is None else tested
    return [accuracy(learner, task, t) if t in tested else math.nan
            for t, task in enumerate(tasks)]


EVALUATIONS = ("full", "seen", "metrics")


def tasks_to_test(t, T, evaluation="full"):
    """The tasks tested after training task t (t = -1: before training).

    "full": all of them. "metrics": what ACC, BWT and FWT read (eqs. 2-4): all at the
    start and at the end, else task t (R[t + 1, t]) and task t + 1 (R[t + 1, t + 1]).
    "seen": also what forgetting reads (eq. F): tasks 0 to t + 1.
    """
    if evaluation not in EVALUATIONS:
        raise ValueError(f"evaluation must be one of {EVALUATIONS}, got {evaluation!r}")
    if evaluation == "full" or t in (-1, T - 1):
        return range(T)
    return range(t + 2) if evaluation == "seen" else (t, t + 1)


def train(learner, tasks, batch_size=10, progress=True, evaluation="full"):
    """One pass over the continuum; returns R (T+1 rows) and the seconds spent.

    Defined in chapter 06 (training).
    """
    T = len(tasks)
    R = [evaluate(learner, tasks, tasks_to_test(-1, T, evaluation))]
    seconds = {"train": 0.0, "eval": 0.0}
    for t, task in enumerate(tqdm(tasks, desc="tasks") if progress else tasks):
        start, losses = time.perf_counter(), []
        for step, i in enumerate(range(0, len(task.y_train), batch_size)):
            X, y = scale(task.x_train[i:i + batch_size]), task.y_train[i:i + batch_size]
            try:
                losses.append(learner.observe(X, y, t))
            except FloatingPointError as error:
                raise FloatingPointError(f"{error} at task {t}, step {step}: lower the "
                                         "learning rate") from error
        check_losses(losses, t)
        middle = time.perf_counter()
        R.append(evaluate(learner, tasks, tasks_to_test(t, T, evaluation)))
        seconds["train"] += middle - start
        seconds["eval"] += time.perf_counter() - middle
    return np.array(R), seconds


def check_losses(losses, t):
    """Refuse a task whose minibatch losses are not all finite, naming the first
    (one host sync per task: a learner checks its gradients at every step)."""
    finite = torch.stack(losses).isfinite().tolist()
    if not all(finite):
        raise FloatingPointError(f"non-finite loss at task {t}, step "
                                 f"{finite.index(False)}: lower the learning rate")


LEARNERS = {"single": Single, "gem": GEM}
PAPER_SETTINGS = {  # learning rate, memories per task and margin of the paper's code
    ("permutations", "single"): {"lr": 0.03},
    ("rotations", "single"): {"lr": 0.003},
    ("permutations", "gem"): {"lr": 0.1, "n_memories": 256, "gamma": 0.5},
    ("rotations", "gem"): {"lr": 0.1, "n_memories": 256, "gamma": 0.5},
}
COMMON = ("benchmark", "method", "seed", "n_tasks", "n_train", "batch_size",
          "evaluation", "device", "learner_code")


def settings_for(benchmark, method, seed=0, n_tasks=20, n_train=1000, batch_size=10,
                 evaluation="full", device=None, **hyper):
    """The full settings of an experiment: the method's defaults, overridden by
    `hyper`; a learner of your own also records a hash of its module's source."""
    if benchmark not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {benchmark!r}; choose one of "
                         f"{sorted(BENCHMARKS)}")
    paper, takes = defaults(benchmark, method)
    unknown = set() if takes is None else set(hyper) - takes  # None: takes any
    if unknown:
        raise ValueError(f"{method} takes no {sorted(unknown)}; its settings are "
                         f"{sorted(takes)}")
    own = {} if method in LEARNERS else {"learner_code": learner_code(method)}
    settings = {"benchmark": benchmark, "method": method, "seed": seed,
                "n_tasks": n_tasks, "n_train": n_train, "batch_size": batch_size,
                "evaluation": evaluation, "device": device or default_device(),
                **own, **paper, **hyper}
    check(settings)
    return settings


def defaults(benchmark, method):
    """(default settings, the settings the method takes) of a book's learner or of a
    learner of your own, "module:Class" (its constructor's keyword arguments)."""
    if method in LEARNERS:  # every learner takes its layer sizes
        return PAPER_SETTINGS[benchmark, method], {*PAPER_SETTINGS[benchmark, method],
                                                   "sizes"}
    Learner = learner_class(method)
    paper = getattr(Learner, "settings", PAPER_SETTINGS[benchmark, "single"])
    return paper, keywords(Learner, paper)


def learner_class(method):
    """The class of `method`: a book's learner by name, or "module:Class" imported."""
    if method in LEARNERS:
        return LEARNERS[method]
    return imported(method, sorted(LEARNERS))


def check(settings):
    """Refuse settings no experiment can run, saying which and why."""
    for name in ("n_tasks", "n_train", "batch_size", "n_memories", "n_hidden"):
        value = settings.get(name, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not 0 < settings.get("lr", 1) < math.inf:
        raise ValueError(f"lr must be positive and finite, got {settings['lr']!r}")
    if not 0 <= settings.get("gamma", 0) < math.inf:
        raise ValueError(f"gamma must be >= 0 and finite, got {settings['gamma']!r}")
    tasks_to_test(0, 1, settings["evaluation"])  # refuses an unknown evaluation
    check_device(settings["device"])
    if settings.get("n_memories", 0) > settings["n_train"]:
        raise ValueError(f"n_memories={settings['n_memories']} exceeds the "
                         f"{settings['n_train']} examples of a task: lower n_memories")


def run(settings, progress=True, Learner=None, threads=None):
    """Run the experiment described by `settings`; returns its `Result`.

    `Learner` defaults to the class of `settings["method"]`; on the CPU the run uses
    `threads` threads (default: all of PyTorch's). Defined in chapter 06.
    """
    device = settings["device"]
    benchmark = make_benchmark(settings["benchmark"], n_tasks=settings["n_tasks"],
                               n_train=settings["n_train"], seed=settings["seed"])
    tasks = to_device(benchmark, device)
    torch.manual_seed(settings["seed"])
    hyper = {k: v for k, v in settings.items() if k not in COMMON}
    with on(device, threads):
        learner = (Learner or learner_class(settings["method"]))(len(tasks), **hyper)
        R, seconds = train(learner, tasks, settings["batch_size"], progress,
                           settings["evaluation"])
        threads = torch.get_num_threads() if device == "cpu" else None
    return Result(settings, R.tolist(), seconds["train"], seconds["eval"],
                  getattr(learner, "n_projected", None), getattr(learner, "log", None),
                  threads)


def to_device(tasks, device):
    """The tasks with their digits and labels on `device`, moved once for the run."""
    fields = ("x_train", "y_train", "x_test", "y_test")
    return [dataclasses.replace(task, **{name: getattr(task, name).to(device)
                                         for name in fields}) for task in tasks]


def run_all(settings, n_jobs=None, wrap=None):
    """`run` each of `settings` in worker processes; the `Result`s.

    One process per CPU core, each on one thread, or one process on a GPU;
    `wrap(Learner)`, if given, replaces
    each learner class. Defined in chapter 06 (training).
    """
    done = dict(running(settings, n_jobs, wrap))
    return [done[i] for i in range(len(settings))]


def running(settings, n_jobs=None, wrap=None):
    """Yield (i, `Result` of settings[i]) as the runs finish in worker processes."""
    wrap = wrap or (lambda Learner: Learner)
    on_gpu = any(s["device"] == "cuda" for s in settings)
    calls = [(s, False, wrap(learner_class(s["method"])), 1)  # on 1 thread
             for s in settings]
    return as_completed(run, calls, n_jobs or (1 if on_gpu else None))


def experiments(requests, n_jobs=None):
    """The `Result` of each request (a dict of `settings_for` arguments), in order.

    Cached results are read back; the others run in parallel and are cached as each
    finishes. Defined in chapter 06 (training).
    """
    settings = [settings_for(**request) for request in requests]
    missing = list({cache_path(s): s for s in settings if cached(s) is None}.values())
    for _, result in running(missing, n_jobs):
        store(result)
    return [cached(s) for s in settings]


def experiment(benchmark="permutations", method="gem", seed=0, progress=True,
               cache=True, **options):
    """The `Result` of one experiment, from the cache when it was already run.

    Defined in chapter 06 (training).
    """
    settings = settings_for(benchmark, method, seed, **options)
    if cache and (result := cached(settings)):
        return result
    result = run(settings, progress)
    return store(result) if cache else result
