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
from joblib import Parallel, delayed
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


def cached(settings):
    """The cached `Result` of `settings`, or None; a full R answers any evaluation."""
    for path in (cache_path(settings), cache_path({**settings, "evaluation": "full"})):
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

    `n_jobs` processes (default: one per CPU core); a progress bar counts the finished
    calls. Defined in Appendix B (running experiments).
    """
    arguments = list(arguments)
    n_jobs = max(1, min(n_jobs or os.cpu_count(), len(arguments)))
    jobs = (delayed(numbered)(function, i, a) for i, a in enumerate(arguments))
    finished = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs)
    yield from tqdm(finished, total=len(arguments), desc=desc, disable=not arguments)
