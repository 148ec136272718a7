"""Generated from notebooks/91_runs.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import contextlib
import hashlib
import json
import os
import tempfile
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from joblib import Parallel, delayed, parallel_config
from tqdm.auto import tqdm

import gembook
from gembook.lifelong_learning import metrics
from gembook.sources import data_dir


@dataclass
class Result:
    """What one experiment produced: its settings, R, the seconds it took, GEM's log,
    and the CPU threads it ran on (None on a GPU).

    Defined in Appendix B (running experiments).
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


def default_device():
    """`$GEMBOOK_DEVICE` ("cpu" or "cuda") if set, else "cuda" when PyTorch sees a GPU.

    Defined in Appendix B (running experiments).
    """
    name = os.environ.get("GEMBOOK_DEVICE") or ("cuda" if torch.cuda.is_available()
                                                else "cpu")
    return check_device(name)


def check_device(name):
    """Refuse a device the book cannot run on, saying what to do instead."""
    if name not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' asked for, but PyTorch sees no CUDA GPU: use "
                         "'cpu' (or unset GEMBOOK_DEVICE), or install a CUDA build of "
                         "PyTorch on a machine with a GPU")
    return name


@contextlib.contextmanager
def on(device, threads=None):
    """Run a block on `device`: on CUDA new tensors go there; on the CPU it uses
    `threads` threads (default: all of PyTorch's, one per core).

    Defined in Appendix B (running experiments).
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


def results_dir():
    """Where results are cached: `$GEMBOOK_RESULTS`, else `results/` in the data dir."""
    return Path(os.environ.get("GEMBOOK_RESULTS") or data_dir() / "results")


def code_hash():
    """A hash of the package's code: results computed by other code are not reused."""
    digest = hashlib.sha256()
    for path in sorted(Path(gembook.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_path(settings):
    """The file that caches the result of `settings`, run by this version of the code.

    Defined in Appendix B (running experiments).
    """
    key = json.dumps({**settings, "code": code_hash()}, sort_keys=True)
    return results_dir() / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.json"


COVERED_BY = {"full": (), "seen": ("full",), "metrics": ("seen", "full")}


def cached(settings):
    """The cached `Result` of `settings`, or None; an R tested on more answers it."""
    asked = settings["evaluation"]
    for evaluation in (asked, *COVERED_BY.get(asked, ())):
        path = cache_path({**settings, "evaluation": evaluation})
        if path.exists():
            return Result(**json.loads(path.read_text()))
    return None


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


def numbered(function, i, arguments):
    """(i, function(*arguments)): a call that says which one it was."""
    return i, function(*arguments)


def as_completed(function, arguments, n_jobs=None, desc="runs"):
    """Yield (i, function(*arguments[i])) as the calls finish, in worker processes.

    `n_jobs` processes (default: one per CPU core), or every worker of the Dask cluster
    that `cluster` or `$GEMBOOK_SCHEDULER` sets; a progress bar counts the finished
    calls. Defined in Appendix B (running experiments).
    """
    arguments = list(arguments)
    if not arguments:  # nothing to run, no cluster to reach
        return
    jobs = (delayed(numbered)(function, i, a) for i, a in enumerate(arguments))
    with cluster() as client:
        if client is None:  # this machine's cores
            backend, n_jobs = {}, max(1, min(n_jobs or os.cpu_count(), len(arguments)))
        else:  # one run per worker of the cluster, whatever n_jobs says
            backend, n_jobs = {"backend": "dask", "client": client}, -1
        with parallel_config(**backend):
            finished = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs)
        yield from tqdm(finished, total=len(arguments), desc=desc)


TIMEOUT = 5  # seconds to reach a Dask scheduler, and for it to show a worker
clients = []  # the Dask clients of the `cluster` blocks being run, innermost last


class ClusterError(ValueError):
    """A Dask cluster the runs cannot use; the message names it and what to do.

    Defined in Appendix B (running experiments).
    """


@contextlib.contextmanager
def cluster(address=None):
    """Send the block's runs to the Dask scheduler at `address` (default: the enclosing
    block's, else `$GEMBOOK_SCHEDULER`); yields its client, or None: this machine.

    Defined in Appendix B (running experiments).
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


def check_workers(client, address):
    """Refuse a cluster with no worker, a worker of several threads, or other code.

    Defined in Appendix B (running experiments).
    """
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


def imported(method, known=()):
    """The learner class named by `method`, "module:Class", imported and checked for
    chapter 06's interface. Defined in Appendix B (running experiments)."""
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


def learner_code(method):
    """A hash of the source file of the module of a learner of your own."""
    module = importlib.import_module(method.partition(":")[0])
    return hashlib.sha256(Path(inspect.getfile(module)).read_bytes()).hexdigest()[:16]
