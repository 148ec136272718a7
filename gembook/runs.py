"""Generated from notebooks/06_training.ipynb and notebooks/91_runs.ipynb by tools/export.py: do not edit; edit the notebooks and re-export."""

import dataclasses
import math

from gembook.data import BENCHMARKS, make_benchmark
from gembook.training import Single, tasks_to_test, train

LEARNERS = {  # the book's learners by name; each name stands for its "module:Class"
    "single": "gembook.training:Single", "gem": "gembook.training:GEM",
    "independent": "gembook.baselines:Independent",  # chapter 08
    "multimodal": "gembook.baselines:Multimodal", "ewc": "gembook.baselines:EWC",
    "agem": "gembook.agem:AGEM", "er": "gembook.agem:ER",  # chapter 09
}
COMMON = ("benchmark", "method", "seed", "n_tasks", "n_train", "batch_size",
          "evaluation", "device", "learner_code")


# Defined in chapter 06 (notebooks/06_training.ipynb).
def settings_for(benchmark, method, seed=0, n_tasks=20, n_train=1000, batch_size=10,
                 evaluation="full", device=None, **hyper):
    """The full settings of an experiment: the method's defaults, overridden by
    `hyper`; a learner of your own also records a hash of its module's source."""
    if benchmark not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {benchmark!r}; choose one of "
                         f"{sorted(BENCHMARKS)}")
    Learner = learner_class(method)
    paper = defaults(Learner, benchmark)
    takes = keywords(Learner, paper)
    unknown = set() if takes is None else set(hyper) - takes  # None: takes any
    if unknown:
        raise ValueError(f"{method} takes no {sorted(unknown)}; its settings are "
                         f"{sorted(takes)}")
    own = {} if method in LEARNERS else {"learner_code": learner_code(method)}
    settings = {"benchmark": benchmark, "method": method, "seed": seed,
                "n_tasks": n_tasks, "n_train": n_train, "batch_size": batch_size,
                "evaluation": evaluation,
                "device": check_device(device) if device else default_device(),
                **own, **paper, **hyper}
    check(settings)
    return settings


# Defined in chapter 06 (notebooks/06_training.ipynb).
def defaults(Learner, benchmark):
    """The default settings of `Learner` on `benchmark`: its class's `settings`, one
    dict for every benchmark or one per benchmark (without them, the single
    network's)."""
    settings = getattr(Learner, "settings", Single.settings)
    if set(settings) & set(BENCHMARKS) and benchmark not in settings:
        raise ValueError(f"{Learner.__name__} has no settings for {benchmark}; its "
                         f"`settings` are for {sorted(settings)}")
    return dict(settings.get(benchmark, settings))


# Defined in chapter 06 (notebooks/06_training.ipynb).
def learner_class(method):
    """The class of `method`: "module:Class", or a book's learner by its name."""
    return imported(LEARNERS.get(method, method), sorted(LEARNERS))


# Defined in chapter 06 (notebooks/06_training.ipynb).
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
    if settings.get("n_memories", 0) > settings["n_train"]:
        raise ValueError(f"n_memories={settings['n_memories']} exceeds the "
                         f"{settings['n_train']} examples of a task: lower n_memories")


# Defined in chapter 06 (notebooks/06_training.ipynb).
def run(settings, progress=True, Learner=None, threads=None):
    """Run the experiment described by `settings`; returns its `Result`.

    `Learner` defaults to the class of `settings["method"]`; on the CPU the run uses
    `threads` threads (default: all of PyTorch's). `progress`: True, False or a
    function to call after each task (`task_progress`, Appendix B).
    """
    device = settings["device"]
    with task_progress(progress, settings["n_tasks"]) as after_task:
        benchmark = make_benchmark(settings["benchmark"], n_tasks=settings["n_tasks"],
                                   n_train=settings["n_train"], seed=settings["seed"])
        tasks = to_device(benchmark, device)
        torch.manual_seed(settings["seed"])
        hyper = {k: v for k, v in settings.items() if k not in COMMON}
        with on(device, threads):
            Learner = Learner or learner_class(settings["method"])
            learner = Learner(len(tasks), **hyper)
            R, seconds = train(learner, tasks, settings["batch_size"], after_task,
                               settings["evaluation"])
            threads = torch.get_num_threads() if device == "cpu" else None
    return Result(settings, R.tolist(), seconds["train"], seconds["eval"],
                  getattr(learner, "n_projected", None), getattr(learner, "log", None),
                  threads)


# Defined in chapter 06 (notebooks/06_training.ipynb).
def to_device(tasks, device):
    """The tasks with their digits and labels on `device`, moved once for the run."""
    fields = ("x_train", "y_train", "x_test", "y_test")
    return [dataclasses.replace(task, **{name: getattr(task, name).to(device)
                                         for name in fields}) for task in tasks]


# Defined in chapter 06 (notebooks/06_training.ipynb).
def in_workers(settings, n_jobs=None, wrap=None):
    """Yield (i, `Result` of settings[i]) as the runs finish in worker processes: one
    per CPU core, each on one thread, or one process on a GPU, under one bar of their
    tasks. `wrap(Learner)`, if given, replaces each learner class."""
    wrap = wrap or (lambda Learner: Learner)
    on_gpu = any(s["device"] == "cuda" for s in settings)
    calls = [{"settings": s, "threads": 1, "Learner": wrap(learner_class(s["method"]))}
             for s in settings]
    return as_completed(run, calls, n_jobs or (1 if on_gpu else None), desc="tasks",
                        steps=[s["n_tasks"] for s in settings])


# Defined in chapter 06 (notebooks/06_training.ipynb).
def experiments(requests, n_jobs=None, cache=True, wrap=None):
    """The `Result` of each request (a dict of `settings_for` arguments), in order.

    Cached results are read back; the others run in worker processes (`in_workers`)
    and are cached as each finishes. With `cache=False`, or a `wrap` of the learners
    (whose runs are not the method's), every request runs and nothing is cached.
    """
    settings = [settings_for(**request) for request in requests]
    if wrap or not cache:
        done = dict(in_workers(settings, n_jobs, wrap))
        return [done[i] for i in range(len(settings))]
    missing = list({cache_path(s): s for s in settings if cached(s) is None}.values())
    for _, result in in_workers(missing, n_jobs):
        store(result)
    return [cached(s) for s in settings]


# Defined in chapter 06 (notebooks/06_training.ipynb).
def experiment(benchmark="permutations", method="gem", seed=0, progress=True,
               cache=True, **options):
    """The `Result` of one experiment, run in this process on every thread, from the
    cache when it was already run."""
    settings = settings_for(benchmark=benchmark, method=method, seed=seed, **options)
    if cache and (result := cached(settings)):
        return result
    result = run(settings, progress)
    return store(result) if cache else result


import contextlib
import hashlib
import json
import multiprocessing
import os
import queue
import tempfile
import threading
import warnings
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from joblib import Parallel, delayed, parallel_config
from tqdm.auto import tqdm

import gembook
from gembook.lifelong_learning import forgetting, learning_accuracy, metrics
from gembook.sources import data_dir


# Defined in Appendix B (notebooks/91_runs.ipynb).
@dataclass
class Result:
    """What one experiment produced: its settings, R, the seconds it took, GEM's log,
    and the CPU threads it ran on (None on a GPU).
    """
    settings: dict
    R: list
    train_seconds: float
    eval_seconds: float
    n_projected: int | None = None
    log: list | None = None
    threads: int | None = None

    def metrics(self, convention="paper"):
        """ACC, BWT and FWT of R (chapter 01, eqs. 2-4)."""
        return metrics(np.array(self.R), convention)

    def row(self):
        """The five numbers a table of runs shows: ACC, BWT, FWT (eqs. 2-4, paper
        convention), forgetting (eq. F) and learned (eq. LA), all of chapter 01."""
        R = np.array(self.R)
        return {**metrics(R), "forgetting": forgetting(R),
                "learned": learning_accuracy(R)}


# Defined in Appendix B (notebooks/91_runs.ipynb).
def default_device():
    """`$GEMBOOK_DEVICE` ("cpu" or "cuda") if set, else "cuda" when PyTorch sees a GPU.
    """
    name = os.environ.get("GEMBOOK_DEVICE") or ("cuda" if torch.cuda.is_available()
                                                else "cpu")
    return check_device(name)


# Defined in Appendix B (notebooks/91_runs.ipynb).
def check_device(name):
    """Refuse a device the book cannot run on, saying what to do instead."""
    if name not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' asked for, but PyTorch sees no CUDA GPU: use "
                         "'cpu' (or unset GEMBOOK_DEVICE), or install a CUDA build of "
                         "PyTorch on a machine with a GPU")
    return name


# Defined in Appendix B (notebooks/91_runs.ipynb).
@contextlib.contextmanager
def on(device, threads=None):
    """Run a block on `device`: on CUDA new tensors go there; on the CPU it uses
    `threads` threads (default: all of PyTorch's, one per core).
    """
    if device == "cuda":
        with torch.device(device):
            yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads or before)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# Defined in Appendix B (notebooks/91_runs.ipynb).
def results_dir():
    """Where results are cached: `$GEMBOOK_RESULTS`, else `results/` in the data dir."""
    return Path(os.environ.get("GEMBOOK_RESULTS") or data_dir() / "results")


# Defined in Appendix B (notebooks/91_runs.ipynb).
def code_hash():
    """A hash of the package's code: results computed by other code are not reused."""
    digest = hashlib.sha256()
    for path in sorted(Path(gembook.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# Defined in Appendix B (notebooks/91_runs.ipynb).
def cache_path(settings):
    """The file that caches the result of `settings`, run by this version of the
    code."""
    key = json.dumps({**settings, "code": code_hash()}, sort_keys=True)
    return results_dir() / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.json"


COVERED_BY = {"full": (), "seen": ("full",), "metrics": ("seen", "full")}


# Defined in Appendix B (notebooks/91_runs.ipynb).
def cached(settings):
    """The cached `Result` of `settings`, or None; an R tested on more answers it."""
    asked = settings["evaluation"]
    for evaluation in (asked, *COVERED_BY.get(asked, ())):
        path = cache_path({**settings, "evaluation": evaluation})
        if path.exists():
            return Result(**json.loads(path.read_text()))
    return None


# Defined in Appendix B (notebooks/91_runs.ipynb).
def store(result):
    """Write `result` to its cache file atomically: a reader never sees half of it."""
    path = cache_path(result.settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".part",
                                     delete=False) as part:
        json.dump(asdict(result), part)
    os.replace(part.name, path)
    return result


# joblib restarts a worker whose memory grew during a run (GEM's grows as its memory
# fills) and warns when it does; the restart loses nothing, so the warning is noise.
warnings.filterwarnings("ignore", "A worker stopped while some jobs were given",
                        UserWarning)


# Defined in Appendix B (notebooks/91_runs.ipynb).
def numbered(function, i, named):
    """(i, function(**named)): a call that says which one it was."""
    return i, function(**named)


# Defined in Appendix B (notebooks/91_runs.ipynb).
def as_completed(function, arguments, n_jobs=None, desc="runs", steps=None):
    """Yield (i, function(**arguments[i])) as the calls finish, in worker processes;
    each of `arguments` is a dict of keyword arguments.

    `n_jobs` processes (default: one per CPU core), or every worker of the Dask cluster
    that `cluster` or `$GEMBOOK_SCHEDULER` sets. A progress bar counts the finished
    calls or, given `steps` (`steps[i]` for call i), their steps: each call then also
    gets `progress`, a function to call after each step, wherever it runs.
    """
    arguments = list(arguments)
    if not arguments:  # nothing to run, no cluster to reach
        return
    with cluster() as client:
        if client is None:  # this machine's cores
            backend, n_jobs = {}, max(1, min(n_jobs or os.cpu_count(), len(arguments)))
        else:  # one run per worker of the cluster, whatever n_jobs says
            backend, n_jobs = {"backend": "dask", "client": client}, -1
        with progress_bar(len(arguments), steps, desc, client) as notes:
            if steps:
                arguments = [{**a, "progress": partial(notes.put, ("step", i))}
                             for i, a in enumerate(arguments)]
            jobs = (delayed(numbered)(function, i, a) for i, a in enumerate(arguments))
            with parallel_config(**backend):
                finished = Parallel(n_jobs, return_as="generator_unordered")(jobs)
            for i, result in finished:
                notes.put(("done", i))
                yield i, result


# Defined in Appendix B (notebooks/91_runs.ipynb).
@contextlib.contextmanager
def progress_bar(n_calls, steps, desc, client=None):
    """A bar of the steps of `n_calls` calls (`steps[i]` of call i, else one each);
    yields the queue whose notes move it: ("step", i) after a step of call i, ("done",
    i) when call i has finished. With a Dask `client`, a queue on its scheduler."""
    each = steps or [1] * n_calls
    with contextlib.ExitStack() as stack:
        if client is None and not steps:  # only this process writes to it
            notes, clock = queue.Queue(), 1
        elif client is None:  # the workers too: a manager, a small server process
            notes, clock = stack.enter_context(multiprocessing.Manager()).Queue(), 1
        else:
            from dask.distributed import Queue
            notes, clock = Queue(client=client), None
            # Each worker that receives the queue holds a reference to it on the
            # scheduler; this drops the parent's, the workers' stay until it stops.
            stack.callback(notes.close)
        bar = stack.enter_context(tqdm(total=sum(each), desc=desc,
                                       postfix=f"runs 0/{n_calls}" if steps else None))
        reader = threading.Thread(target=follow, daemon=True,
                                  args=(notes, bar, each, bool(steps), clock))
        reader.start()
        try:
            yield notes
        finally:
            try:
                notes.put(None)  # after every other note: the reader stops there
            finally:  # the queue may be gone (a lost scheduler): wait, not forever
                reader.join(timeout=5)


# Defined in Appendix B (notebooks/91_runs.ipynb).
def follow(notes, bar, steps, runs=False, clock=None):
    """Move `bar` by the `notes` until None, and its clock every `clock` seconds: a
    step counts one, a finished call the steps it did not report; `runs`: a postfix
    that counts the finished calls."""
    counted, finished = [0] * len(steps), 0
    while True:
        try:
            note = notes.get(timeout=clock)
        except queue.Empty:  # no step ended: the clock moves all the same
            bar.refresh()
            continue
        if note is None:
            return
        kind, i = note
        n = 1 if kind == "step" else steps[i] - counted[i]
        counted[i], finished = counted[i] + n, finished + (kind == "done")
        if runs:
            bar.set_postfix_str(f"runs {finished}/{len(steps)}", refresh=False)
        bar.update(n)
        if kind == "done":  # update() may skip a redraw (tqdm's mininterval)
            bar.refresh()


# Defined in Appendix B (notebooks/91_runs.ipynb).
@contextlib.contextmanager
def task_progress(progress, n_tasks):
    """What a run calls after each task: `progress` if it is a function, else the
    step of a bar of `n_tasks` tasks here (progress=True), or None (False)."""
    if callable(progress) or not progress:
        yield progress or None
        return
    with tqdm(total=n_tasks, desc="tasks") as bar:
        yield bar.update


TIMEOUT = 5  # seconds to reach a Dask scheduler, and for it to show a worker
clients = []  # the Dask clients of the `cluster` blocks being run, innermost last


# Defined in Appendix B (notebooks/91_runs.ipynb).
class ClusterError(ValueError):
    """A Dask cluster the runs cannot use; the message names it and what to do."""


# Defined in Appendix B (notebooks/91_runs.ipynb).
@contextlib.contextmanager
def cluster(address=None):
    """Send the block's runs to the Dask scheduler at `address` (default: the enclosing
    block's, else `$GEMBOOK_SCHEDULER`); yields its client, or None: this machine.
    """
    if address is None and clients:
        yield clients[-1]
        return
    address = address or os.environ.get("GEMBOOK_SCHEDULER")
    if not address:
        yield None
        return
    client = connect(address)
    clients.append(client)
    try:
        yield client
    finally:
        clients.remove(client)
        client.close()


LOCALLY = "or unset GEMBOOK_SCHEDULER to run on this machine"


# Defined in Appendix B (notebooks/91_runs.ipynb).
def connect(address):
    """A client of the Dask scheduler at `address`, checked by `check_workers`."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise ClusterError(f"a Dask scheduler is set ({address}) but Dask is not "
                           f'installed: pip install "dask[distributed]", {LOCALLY}'
                           ) from None
    try:
        client = Client(address, timeout=TIMEOUT, set_as_default=False)
    except Exception as error:  # refused, timed out, a malformed address: all one
        raise ClusterError(
            f"cannot reach a Dask scheduler at {address} ({error}): check the address; "
            f"start a scheduler with `dask scheduler` and workers with `dask worker "
            f"{address} --nthreads 1`; {LOCALLY}") from error
    try:
        check_workers(client, address)
    except BaseException:
        client.close()
        raise
    return client


# Defined in Appendix B (notebooks/91_runs.ipynb).
def check_workers(client, address):
    """Refuse a cluster with no worker, a worker of several threads, or other code."""
    start = f"start workers with `dask worker {address} --nthreads 1`"
    try:
        client.wait_for_workers(1, timeout=TIMEOUT)
    except TimeoutError:
        raise ClusterError(f"the Dask scheduler at {address} has no worker after "
                           f"{TIMEOUT} s: {start}, {LOCALLY}") from None
    several = sorted((w, n) for w, n in client.nthreads().items() if n > 1)
    if several:
        raise ClusterError(f"worker {several[0][0]} of {address} has {several[0][1]} "
                           "threads, but runs must not share a process (PyTorch's "
                           f"thread count is the process's): {start}")
    try:
        codes = client.run(code_hash)
    except Exception as error:
        raise ClusterError(f"the workers of {address} cannot run gembook ({error!r}): "
                           "install it there, `pip install -e .` of this repository"
                           ) from error
    other = sorted(w for w, code in codes.items() if code != code_hash())
    if other:
        raise ClusterError(f"worker {other[0]} of {address} has other gembook code "
                           "than this process: install the same code on every worker")


import importlib
import inspect

INTERFACE = ("a learner has observe(X, y, t), which takes one step on a minibatch of "
             "task t and returns its loss as a tensor, and __call__(X, t), which "
             "returns the logits of X for task t (chapter 06)")


# Defined in Appendix B (notebooks/91_runs.ipynb).
def imported(method, known=()):
    """The learner class named by `method`, "module:Class", imported and checked for
    chapter 06's interface."""
    module_name, _, name = method.partition(":")
    if not module_name or not name:
        raise ValueError(f"unknown method {method!r}; choose one of {list(known)}, or "
                         "name a learner class of your own as 'module:Class'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(f"cannot import {module_name!r} for method {method!r} "
                         f"({error}); the module must be importable here: a file "
                         f"{module_name.replace('.', '/')}.py in the current folder, "
                         "a folder on PYTHONPATH, or an installed package") from error
    Learner = getattr(module, name, None)
    if not inspect.isclass(Learner):
        classes = [n for n, v in vars(module).items()
                   if inspect.isclass(v) and v.__module__ == module.__name__]
        raise ValueError(f"module {module_name!r} has no class {name!r} (its classes: "
                         f"{', '.join(classes) or 'none'})")
    missing = [m for m in ("observe", "__call__") if m not in dir(Learner)]
    if missing:
        raise ValueError(f"{method} is not a learner: it has no "
                         f"{' and no '.join(missing)}; {INTERFACE}")
    return Learner


# Defined in Appendix B (notebooks/91_runs.ipynb).
def keywords(Learner, defaults):
    """The keyword arguments Learner(n_tasks, ...) takes (None: any), refusing a
    constructor that lacks one of `defaults`."""
    parameters = list(inspect.signature(Learner).parameters.values())[1:]  # n_tasks
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    takes = {p.name for p in parameters}
    if missing := sorted(set(defaults) - takes):
        raise ValueError(f"{Learner.__name__}(n_tasks, ...) takes no {missing}, which "
                         f"its settings give it ({defaults}); add them to its "
                         "constructor, or change its `settings`")
    return takes


# Defined in Appendix B (notebooks/91_runs.ipynb).
def learner_code(method):
    """A hash of the source file of the module of a learner of your own."""
    module = importlib.import_module(method.partition(":")[0])
    return hashlib.sha256(Path(inspect.getfile(module)).read_bytes()).hexdigest()[:16]
