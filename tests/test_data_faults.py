"""Disk and folder faults of the MNIST cache: what the reader sees, what is left behind.

Faults are made twice where the kernel allows it: emulated in-process (tests run as
root, where chmod 0o555 stops nothing), and for real inside a user and mount namespace
(`unshare -rm`): a read-only bind mount and a tmpfs of 1 MiB that fills up.
"""

import contextlib
import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from fake_sources import forbidden, serving
from gembook import __main__ as cli
from gembook import sources as src

TRUNCATED = b"PK\x03\x04 half of an archive"


def listing(folder):
    return sorted(p.name for p in Path(folder).iterdir())


def messages(warned):
    return [str(w.message) for w in warned]


@contextlib.contextmanager
def no_warnings():
    """Fail if the block emits any warning."""
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        yield
    assert not warned, messages(warned)


# --- a read-only data folder, emulated ----------------------------------------------

WRITES = ("open", "mkdir", "replace", "rename", "unlink", "remove", "rmdir", "chmod",
          "utime")
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def refuse_writes(monkeypatch, folder):
    """Make every change to the entries of `folder` fail as chmod 0o555 would."""
    folder = Path(folder).resolve()

    def guard(name, call):
        def guarded(*args, **kwargs):
            paths = [a for a in args if isinstance(a, (str, bytes, os.PathLike))]
            writes = name != "open" or args[1] & WRITE_FLAGS
            if writes and any(Path(os.fsdecode(p)).resolve().parent == folder
                              for p in paths):
                raise PermissionError(errno.EACCES, "Permission denied",
                                      os.fsdecode(paths[0]))
            return call(*args, **kwargs)
        return guarded

    for name in WRITES:
        monkeypatch.setattr(os, name, guard(name, getattr(os, name)))


def test_read_only_folder_with_good_cache_is_read(tmp_path, monkeypatch, mnist_npz):
    """Nothing needs writing: the cache is served, no warning, nothing changed."""
    (tmp_path / "mnist.npz").write_bytes(mnist_npz)
    refuse_writes(monkeypatch, tmp_path)
    with no_warnings():
        mnist, source = src.fetch_mnist(tmp_path, sources={"never": forbidden})
    assert source == f"cache {tmp_path / 'mnist.npz'}"
    assert src.mnist_sha256(mnist) == src.MNIST_SHA256


def test_read_only_folder_without_cache_still_serves(tmp_path, monkeypatch,
                                                     mnist_arrays):
    """The download is served; a warning says it was not cached, and what to do."""
    refuse_writes(monkeypatch, tmp_path)
    with pytest.warns(UserWarning) as warned:
        mnist, source = src.fetch_mnist(tmp_path,
                                        sources={"fake": serving(mnist_arrays)})
    assert source == "fake" and src.mnist_sha256(mnist) == src.MNIST_SHA256
    warning, = messages(warned)
    assert f"MNIST not cached at {tmp_path / 'mnist.npz'}" in warning
    assert "Permission denied" in warning and "GEMBOOK_DATA" in warning
    assert listing(tmp_path) == []


def test_read_only_folder_with_bad_cache_keeps_it(tmp_path, monkeypatch,
                                                  mnist_arrays):
    """A bad cache that cannot be replaced is reported twice, served around, kept."""
    cache = tmp_path / "mnist.npz"
    cache.write_bytes(TRUNCATED)
    refuse_writes(monkeypatch, tmp_path)
    with pytest.warns(UserWarning) as warned:
        mnist, source = src.fetch_mnist(tmp_path,
                                        sources={"fake": serving(mnist_arrays)})
    assert source == "fake" and src.mnist_sha256(mnist) == src.MNIST_SHA256
    unusable, not_cached = messages(warned)
    assert f"MNIST cache {cache} is unusable" in unusable
    assert "Permission denied" in not_cached
    assert cache.read_bytes() == TRUNCATED and listing(tmp_path) == ["mnist.npz"]


def test_folder_that_cannot_be_created_still_serves(tmp_path, monkeypatch,
                                                    mnist_arrays):
    """GEMBOOK_DATA under a read-only parent: served, with the 'not cached' warning."""
    refuse_writes(monkeypatch, tmp_path)
    folder = tmp_path / "new" / "data"
    with pytest.warns(UserWarning, match="MNIST not cached at .*Permission denied"):
        mnist, source = src.fetch_mnist(folder, sources={"x": serving(mnist_arrays)})
    assert source == "x" and not (tmp_path / "new").exists()


# --- a full disk, emulated ----------------------------------------------------------

def no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_on_save_keeps_old_file_and_leaves_no_part(tmp_path, monkeypatch,
                                                             mnist_arrays):
    """ENOSPC halfway through the cache: digits served, old file intact, no *.part."""
    cache = tmp_path / "mnist.npz"
    cache.write_bytes(TRUNCATED)

    def savez(file, **arrays):
        file.write(b"PK\x03\x04 a third of an archive")
        no_space()

    monkeypatch.setattr(src.np, "savez", savez)
    with pytest.warns(UserWarning) as warned:
        mnist, source = src.fetch_mnist(tmp_path,
                                        sources={"fake": serving(mnist_arrays)})
    assert source == "fake" and src.mnist_sha256(mnist) == src.MNIST_SHA256
    not_cached = messages(warned)[-1]
    assert "No space left on device" in not_cached
    assert "free some space" in not_cached and "GEMBOOK_DATA" in not_cached
    assert cache.read_bytes() == TRUNCATED and listing(tmp_path) == ["mnist.npz"]


def test_full_disk_on_download_says_the_disk_is_full(tmp_path):
    """Sources failing with ENOSPC: the error names the disk, not only the network."""
    sources = {"Keras URL": no_space, "S3 URL": no_space}
    with pytest.raises(src.MNISTUnavailable) as error:
        src.fetch_mnist(tmp_path / "data", sources=sources)
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
    assert f"temporary folder in {src.tempfile.gettempdir()}: OSError" in message
    assert "The disk is full" in message and listing(tmp_path) == []


def test_other_disk_errors_get_no_full_disk_advice(tmp_path):
    """Only ENOSPC and EDQUOT are called a full disk."""
    def refused(folder):
        raise PermissionError(errno.EACCES, "Permission denied", str(folder))

    with pytest.raises(src.MNISTUnavailable) as error:
        src.fetch_mnist(tmp_path, sources={"only": refused})
    assert "disk is full" not in str(error.value)
    assert "PermissionError: [Errno 13] Permission denied" in str(error.value)


# --- leftovers of an interrupted run ------------------------------------------------

def leftovers(folder, now):
    """An hour-old part of ours, a fresh one, and files that are not ours."""
    old, fresh = folder / "mnist.k2x9a.part", folder / "mnist.q8w1z.part"
    for path in (old, fresh, folder / "tmpa1b2c3.part", folder / "film.mkv.part"):
        path.write_bytes(b"PK\x03\x04 interrupted")
    (folder / "mnist.dir.part").mkdir()
    os.utime(old, (now - 3601, now - 3601))
    return old


KEPT = ["film.mkv.part", "mnist.dir.part", "mnist.q8w1z.part", "tmpa1b2c3.part"]


def test_leftover_parts_beside_a_good_cache(tmp_path, mnist_npz):
    """The cache is used; only our stale part is deleted, nothing else is touched."""
    (tmp_path / "mnist.npz").write_bytes(mnist_npz)
    leftovers(tmp_path, time.time())
    mnist, source = src.fetch_mnist(tmp_path, sources={"never": forbidden})
    assert source.startswith("cache") and src.mnist_sha256(mnist) == src.MNIST_SHA256
    assert listing(tmp_path) == sorted(KEPT + ["mnist.npz"])


def test_leftover_parts_without_cache(tmp_path, mnist_arrays):
    """No cache, only parts: the digits are fetched and cached; parts do not count."""
    leftovers(tmp_path, time.time())
    mnist, source = src.fetch_mnist(tmp_path, sources={"f": serving(mnist_arrays)})
    assert source == "f"
    assert listing(tmp_path) == sorted(KEPT + ["mnist.npz"])
    src.verified(src.read_npz(tmp_path / "mnist.npz"))


def test_leftovers_in_a_read_only_folder_are_ignored(tmp_path, monkeypatch,
                                                     mnist_npz):
    """A stale part that cannot be deleted is no error."""
    (tmp_path / "mnist.npz").write_bytes(mnist_npz)
    old = leftovers(tmp_path, time.time())
    refuse_writes(monkeypatch, tmp_path)
    with no_warnings():
        assert src.fetch_mnist(tmp_path, sources={"n": forbidden})[1].startswith(
            "cache")
    assert old.exists()


# --- a data folder that is not a folder ---------------------------------------------

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


def test_cli_data_folder_that_is_a_file(tmp_path, monkeypatch, capsys):
    """`python -m gembook data`: exit 1 with the message, no traceback."""
    blocker = tmp_path / "mnist"
    blocker.write_text("")
    monkeypatch.setenv("GEMBOOK_DATA", str(blocker))
    assert cli.main(["data"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"error: cannot use {blocker} as the data")


def test_cache_path_that_is_a_folder(tmp_path, mnist_arrays):
    """A folder called mnist.npz is reported, served around and never deleted."""
    (tmp_path / "mnist.npz").mkdir()
    (tmp_path / "mnist.npz" / "keep.txt").write_text("mine")
    with pytest.warns(UserWarning) as warned:
        mnist, source = src.fetch_mnist(tmp_path, sources={"f": serving(mnist_arrays)})
    assert source == "f"
    unusable, not_cached = messages(warned)
    assert "unusable" in unusable and "Is a directory" in not_cached
    assert (tmp_path / "mnist.npz" / "keep.txt").read_text() == "mine"
    assert listing(tmp_path) == ["mnist.npz"]


def test_cli_experiment_without_data_fails_cleanly(tmp_path, monkeypatch, capsys):
    """No MNIST anywhere: `experiment` prints the data error and exits 1."""
    monkeypatch.setenv("GEMBOOK_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("GEMBOOK_RESULTS", str(tmp_path / "results"))
    failing = {"offline": lambda folder: no_space()}
    monkeypatch.setattr(src.fetch_mnist, "__defaults__", (None, failing))
    assert cli.main(["experiment", "--method", "single"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: no source served the canonical MNIST")
    assert not (tmp_path / "results").exists()


# --- the same faults for real, in a user and mount namespace ------------------------

SCRIPT = r'''
import hashlib, json, sys, tempfile, urllib.request, warnings
from pathlib import Path
from gembook import sources as src

base, real = Path(sys.argv[1]), Path(sys.argv[2])
arrays = src.read_npz(real)
npz = real.read_bytes()


def serve(folder):
    return arrays


class Response:
    def __init__(self):
        self.offset = 0

    def read(self, n):
        self.offset += n
        return npz[self.offset - n:self.offset]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def run(name, sources):
    folder = base / name
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        try:
            source, error = src.fetch_mnist(folder, sources)[1], None
        except Exception as caught:
            source, error = None, f"{type(caught).__name__}: {caught}"
    cache = folder / "mnist.npz"
    print(json.dumps({"name": name, "source": source, "error": error,
                      "warnings": [str(w.message) for w in warned],
                      "listing": sorted(p.name for p in folder.iterdir()),
                      "sha": cache.exists() and hashlib.sha256(
                          cache.read_bytes()).hexdigest()}), flush=True)


for name in ("ro_good", "ro_empty", "ro_bad", "full_empty", "full_bad"):
    run(name, {"fake": serve})
urllib.request.urlopen = lambda url, timeout: Response()
tempfile.tempdir = str(base / "full_tmp")
run("tmp_full", {"Keras URL": lambda f: src.download_npz(src.KERAS_URL, f)})
print(json.dumps({"name": "tmp_full_left", "listing": sorted(
    p.name for p in (base / "full_tmp").iterdir())}))
'''

MOUNTS = """set -e
for d in ro_good ro_empty ro_bad; do
  mount --bind "$1/$d" "$1/$d"; mount -o remount,bind,ro "$1/$d"
done
for d in full_empty full_bad full_tmp; do
  mount -t tmpfs -o size=1m tmpfs "$1/$d"
done
printf 'PK half' > "$1/full_bad/mnist.npz"
exec "$2" "$1/script.py" "$1" "$3"
"""


def namespaces_work():
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-rm", "mount", "-t", "tmpfs", "tmpfs", "/mnt"],
                          capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def real_faults(tmp_path_factory, mnist_npz):
    """Run SCRIPT once, with real read-only mounts and full tmpfs: results by name."""
    if not namespaces_work():
        pytest.skip("user and mount namespaces (unshare -rm) are not available here")
    base = tmp_path_factory.mktemp("faults")
    real = base / "real.npz"
    real.write_bytes(mnist_npz)
    for name in ("ro_good", "ro_empty", "ro_bad", "full_empty", "full_bad", "full_tmp",
                 "tmp_full"):
        (base / name).mkdir()
    shutil.copy(real, base / "ro_good" / "mnist.npz")
    (base / "ro_bad" / "mnist.npz").write_bytes(TRUNCATED)
    (base / "script.py").write_text(SCRIPT)
    run = subprocess.run(["unshare", "-rm", "sh", "-c", MOUNTS, "sh", str(base),
                          sys.executable, str(real)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    results = {}
    for line in run.stdout.splitlines():
        result = json.loads(line)
        results[result["name"]] = result
    return results, hashlib.sha256(real.read_bytes()).hexdigest()


def test_real_read_only_folder(real_faults):
    """EROFS for real: a good cache is read; without one the digits are still served."""
    results, sha = real_faults
    good, empty, bad = (results[n] for n in ("ro_good", "ro_empty", "ro_bad"))
    assert good["source"].startswith("cache") and good["warnings"] == []
    assert good["sha"] == sha and good["listing"] == ["mnist.npz"]
    assert empty["source"] == "fake" and empty["listing"] == []
    warning, = empty["warnings"]
    assert "MNIST not cached" in warning and "Read-only file system" in warning
    assert bad["source"] == "fake" and bad["listing"] == ["mnist.npz"]
    assert bad["sha"] == hashlib.sha256(TRUNCATED).hexdigest()  # kept, as it was
    unusable, not_cached = bad["warnings"]
    assert "is unusable" in unusable and "Read-only file system" in not_cached


def test_real_full_data_folder(real_faults):
    """ENOSPC for real while caching: served, warned, old file kept, no *.part left."""
    results, _ = real_faults
    for name, left in (("full_empty", []), ("full_bad", ["mnist.npz"])):
        result = results[name]
        assert result["source"] == "fake" and result["error"] is None, name
        assert "No space left on device" in result["warnings"][-1], name
        assert result["listing"] == left, name
    assert results["full_bad"]["sha"] == hashlib.sha256(b"PK half").hexdigest()


def test_real_full_temporary_folder(real_faults):
    """ENOSPC for real while downloading: a clear error, the scratch folder removed."""
    results, _ = real_faults
    result = results["tmp_full"]
    assert result["source"] is None and result["listing"] == []
    assert result["error"].startswith("MNISTUnavailable: no source served")
    assert "Keras URL: OSError: [Errno 28] No space left on device" in result["error"]
    assert "The disk is full" in result["error"]
    assert results["tmp_full_left"]["listing"] == []
