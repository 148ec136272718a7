"""Fake MNIST sources for the loader's tests: each is what `fetch_mnist` calls."""

from pathlib import Path

import pytest


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
