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
from gembook.projection import all_finite, project, violations
from gembook.runs import (Result, as_completed, cache_path, cached, check_device,
                          default_device, on, store)


def gradient(net, X, y):
    """g: the gradient of the mean cross-entropy on (X, y), as one flat vector."""
    loss = F.cross_entropy(net(X), y)
    g = torch.autograd.grad(loss, list(net.parameters()))
    return loss.detach(), torch.cat([d.flatten() for d in g])


def sgd_step(net, g, lr):
    """Plain SGD along a flat gradient: theta <- theta - lr * g, in place."""
    if not all_finite(g):
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


def memory_gradients(net, memory, t):
    """G: row k is the gradient of the mean loss on task k's memory, for k < t (eq. 5).

    Defined in chapter 06 (training).
    """
    params = {name: p.detach() for name, p in net.named_parameters()}
    sizes = torch.tensor([memory.size(k) for k in range(t)])
    valid = torch.arange(memory.n_memories) < sizes[:, None]
    weights = valid / sizes.clamp(min=1)[:, None]

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


def angle(g, g_tilde):
    """The angle, in degrees, between the gradient g and the step g~ taken instead."""
    cos = g @ g_tilde / (g.norm() * g_tilde.norm()).clamp(min=torch.finfo(g.dtype).tiny)
    return math.degrees(math.acos(cos.clamp(-1.0, 1.0).item()))


class GEM(Single):
    """Gradient Episodic Memory: SGD with g projected so no memory loss increases.

    `log` gets a row [t, violated constraints, angle(g, g~)] per step of tasks t >= 1.
    Defined in chapter 06 (training); the projection in chapter 05.
    """

    def __init__(self, n_tasks, lr, n_memories=256, gamma=0.5, eps=1e-3,
                 sizes=(784, 100, 100, 10)):
        super().__init__(n_tasks, lr, sizes)
        self.memory = EpisodicMemory(n_tasks, n_memories, n_inputs=sizes[0])
        self.gamma, self.eps = gamma, eps
        self.n_projected, self.log = 0, []

    def observe(self, X, y, t):
        self.memory.add(t, X, y)
        loss, g = gradient(self.net, X, y)
        if t > 0:
            G = memory_gradients(self.net, self.memory, t)
            if not torch.isfinite(G @ g).all():  # any inf or NaN in G reaches G g
                raise FloatingPointError("non-finite memory gradient")
            n_violated = int(violations(G, g).sum())
            g_tilde = project(g, G, self.gamma, self.eps) if n_violated else g
            self.n_projected += n_violated > 0
            self.log.append([t, n_violated, angle(g, g_tilde) if n_violated else 0.0])
            g = g_tilde
        sgd_step(self.net, g, self.lr)
        return loss


@torch.no_grad()
def accuracy(learner, task, t, chunk=1000):
    """Fraction of task t's test digits that `learner` classifies correctly."""
    correct = sum((learner(scale(task.x_test[i:i + chunk]), t).argmax(1)
                   == task.y_test[i:i + chunk]).sum().item()
                  for i in range(0, len(task.y_test), chunk))
    return correct / len(task.y_test)


def evaluate(learner, tasks, tested=None):
    """One row of R: test accuracy on each task in `tested` (default: all), else NaN."""
    tested = range(len(tasks)) if tested is None else tested
    return [accuracy(learner, task, t) if t in tested else math.nan
            for t, task in enumerate(tasks)]


EVALUATIONS = ("full", "metrics")


def tasks_to_test(t, T, evaluation="full"):
    """The tasks tested after training task t (t = -1: before training).

    "full": all of them. "metrics": what ACC, BWT and FWT read (eqs. 2-4): all at the
    start and at the end, else task t (R[t, t]) and task t + 1 (R[t, t + 1]).
    """
    if evaluation not in EVALUATIONS:
        raise ValueError(f"evaluation must be one of {EVALUATIONS}, got {evaluation!r}")
    return range(T) if evaluation == "full" or t in (-1, T - 1) else (t, t + 1)


def train(learner, tasks, batch_size=10, progress=True, evaluation="full"):
    """One pass over the continuum; returns R (T+1 rows) and the seconds spent.

    Defined in chapter 06 (training).
    """
    T = len(tasks)
    R = [evaluate(learner, tasks, tasks_to_test(-1, T, evaluation))]
    seconds = {"train": 0.0, "eval": 0.0}
    for t, task in enumerate(tqdm(tasks, desc="tasks") if progress else tasks):
        start = time.perf_counter()
        for i in range(0, len(task.y_train), batch_size):
            X, y = scale(task.x_train[i:i + batch_size]), task.y_train[i:i + batch_size]
            try:
                loss = learner.observe(X, y, t)
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"non-finite loss {loss.item()}")
            except FloatingPointError as error:
                step = i // batch_size
                raise FloatingPointError(f"{error} at task {t}, step {step}: lower the "
                                         "learning rate") from error
        middle = time.perf_counter()
        R.append(evaluate(learner, tasks, tasks_to_test(t, T, evaluation)))
        seconds["train"] += middle - start
        seconds["eval"] += time.perf_counter() - middle
    return np.array(R), seconds


LEARNERS = {"single": Single, "gem": GEM}
PAPER_SETTINGS = {  # learning rate, memories per task and margin of the paper's code
    ("permutations", "single"): {"lr": 0.03},
    ("rotations", "single"): {"lr": 0.003},
    ("permutations", "gem"): {"lr": 0.1, "n_memories": 256, "gamma": 0.5},
    ("rotations", "gem"): {"lr": 0.1, "n_memories": 256, "gamma": 0.5},
}
COMMON = ("benchmark", "method", "seed", "n_tasks", "n_train", "batch_size",
          "evaluation", "device")


def settings_for(benchmark, method, seed=0, n_tasks=20, n_train=1000, batch_size=10,
                 evaluation="full", device=None, **hyper):
    """The full settings of an experiment: the paper's, overridden by `hyper`."""
    if benchmark not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {benchmark!r}; choose one of "
                         f"{sorted(BENCHMARKS)}")
    if method not in LEARNERS:
        raise ValueError(f"unknown method {method!r}; choose one of {sorted(LEARNERS)}")
    paper = PAPER_SETTINGS[benchmark, method]
    unknown = set(hyper) - set(paper) - {"sizes"}  # every learner takes its layer sizes
    if unknown:
        raise ValueError(f"{method} takes no {sorted(unknown)}; its settings are "
                         f"{sorted(paper)} and sizes")
    settings = {"benchmark": benchmark, "method": method, "seed": seed,
                "n_tasks": n_tasks, "n_train": n_train, "batch_size": batch_size,
                "evaluation": evaluation, "device": device or default_device(),
                **paper, **hyper}
    check(settings)
    return settings


def check(settings):
    """Refuse settings no experiment can run, saying which and why."""
    for name in ("n_tasks", "n_train", "batch_size", "n_memories", "n_hidden"):
        value = settings.get(name, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not 0 < settings["lr"] < math.inf:
        raise ValueError(f"lr must be positive and finite, got {settings['lr']!r}")
    if not 0 <= settings.get("gamma", 0) < math.inf:
        raise ValueError(f"gamma must be >= 0 and finite, got {settings['gamma']!r}")
    tasks_to_test(0, 1, settings["evaluation"])  # refuses an unknown evaluation
    check_device(settings["device"])
    if settings.get("n_memories", 0) > settings["n_train"]:
        raise ValueError(f"n_memories={settings['n_memories']} exceeds the "
                         f"{settings['n_train']} examples of a task: lower n_memories")


def run(settings, progress=True, Learner=None):
    """Run the experiment described by `settings`; returns its `Result`.

    `Learner` defaults to `LEARNERS[settings["method"]]`. Defined in chapter 06.
    """
    device = settings["device"]
    benchmark = make_benchmark(settings["benchmark"], n_tasks=settings["n_tasks"],
                               n_train=settings["n_train"], seed=settings["seed"])
    fields = ("x_train", "y_train", "x_test", "y_test")
    tasks = [dataclasses.replace(task, **{name: getattr(task, name).to(device)
                                          for name in fields})
             for task in benchmark]
    torch.manual_seed(settings["seed"])
    hyper = {k: v for k, v in settings.items() if k not in COMMON}
    with on(device):
        learner = (Learner or LEARNERS[settings["method"]])(len(tasks), **hyper)
        R, seconds = train(learner, tasks, settings["batch_size"], progress,
                           settings["evaluation"])
    return Result(settings, R.tolist(), seconds["train"], seconds["eval"],
                  getattr(learner, "n_projected", None), getattr(learner, "log", None))


def run_all(settings, n_jobs=None, wrap=None):
    """`run` each of `settings` in worker processes, one thread each; the `Result`s.

    One process per CPU core, or one on a GPU; `wrap(Learner)`, if given, replaces
    each learner class. Defined in chapter 06 (training).
    """
    done = dict(running(settings, n_jobs, wrap))
    return [done[i] for i in range(len(settings))]


def running(settings, n_jobs=None, wrap=None):
    """Yield (i, `Result` of settings[i]) as the runs finish in worker processes."""
    wrap = wrap or (lambda Learner: Learner)
    on_gpu = any(s["device"] == "cuda" for s in settings)
    calls = [(s, False, wrap(LEARNERS[s["method"]])) for s in settings]
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
