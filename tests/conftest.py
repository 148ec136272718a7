"""Shared fixtures of the unit tests: the real MNIST digits and small helpers."""

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from gembook import sources


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "network: reaches PyPI over the network (deselect: -m 'not network')"
    )


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread for a module of small tensor work: more threads only contend
    there (20x slower measured on 2 cores). Use with `pytest.mark.usefixtures`."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def results(tmp_path, monkeypatch):
    """An empty results cache of the test's own, `$GEMBOOK_RESULTS` (a folder of its
    own in tmp_path), and no scheduler set by the environment: runs are made here."""
    path = tmp_path / "results"
    path.mkdir()
    monkeypatch.setenv("GEMBOOK_RESULTS", str(path))
    monkeypatch.delenv("GEMBOOK_SCHEDULER", raising=False)
    return path


@pytest.fixture(scope="session")
def mnist():
    """The real, verified MNIST digits (default cache; fetched if it is missing)."""
    return sources.load_mnist()


@pytest.fixture(scope="session")
def mnist_arrays(mnist):
    """The four real arrays, as the dict a source returns. Do not modify them."""
    return {name: getattr(mnist, name) for name in sources.MNIST_SHAPES}


@pytest.fixture(scope="session")
def mnist_npz(mnist_arrays):
    """The bytes of a valid `mnist.npz` holding the real digits."""
    buffer = io.BytesIO()
    np.savez(buffer, **mnist_arrays)
    return buffer.getvalue()


@pytest.fixture
def tampered_arrays(mnist_arrays):
    """The real arrays with one training pixel changed: right shapes, wrong checksum."""
    x_train = mnist_arrays["x_train"].copy()
    x_train[0, 14, 14] ^= 1
    return {**mnist_arrays, "x_train": x_train}


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The website, built once per run with warnings as errors, and its PDF: its
    _build/html."""
    root = Path(__file__).resolve().parents[1]
    out = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [Path(sys.executable).with_name("jupyter-book"), "build", str(root),
         "--path-output", str(out), "-W", "-n", "--keep-going"],
        capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    html = out / "_build" / "html"
    # The landing page links to the whole book as one PDF (`make pdf`): printed here,
    # where there is a browser to print it, as `make book` does (tests/test_pdf.py).
    if Path("/usr/bin/chromium").exists():
        pdf = subprocess.run([sys.executable, root / "tools" / "pdf.py", html],
                             capture_output=True, text=True)
        assert pdf.returncode == 0, pdf.stdout[-4000:] + pdf.stderr[-4000:]
    return html
