"""MNIST Permutations and MNIST Rotations, as built by chapter 02."""

import re

import numpy as np
import pytest
import torch

from gembook import data, sources


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def permutations(mnist):
    """The full benchmark: 20 tasks of 1000 training digits, seed 0."""
    return data.make_benchmark("permutations", mnist)


@pytest.fixture(scope="module")
def rotations(mnist):
    """The full benchmark: 20 tasks of 1000 training digits, seed 0."""
    return data.make_benchmark("rotations", mnist)


def fake_mnist(n_train=300, n_test=20, seed=0):
    """Small MNIST look-alike: every image is one grey level that encodes its label."""
    rng = np.random.default_rng(seed)
    y_train = rng.integers(0, 10, n_train).astype(np.uint8)
    y_test = rng.integers(0, 10, n_test).astype(np.uint8)
    image = np.ones((28, 28), np.uint8)
    return sources.MNIST(x_train=code(y_train)[:, None, None] * image, y_train=y_train,
                      x_test=code(y_test)[:, None, None] * image, y_test=y_test)


def code(labels):
    """The grey level that stands for each label in `fake_mnist`."""
    return (20 + 20 * np.asarray(labels)).astype(np.uint8)


def angle(task):
    """The angle in degrees that a rotation task's description states."""
    match = re.fullmatch(r"rotation (\d+\.\d)°", task.description)
    assert match, task.description
    return float(match.group(1))


def assert_same_tasks(a, b):
    assert len(a) == len(b)
    for s, t in zip(a, b):
        assert s.description == t.description
        for name in ("x_train", "y_train", "x_test", "y_test"):
            assert torch.equal(getattr(s, name), getattr(t, name)), name


def differ(s, t):
    """Whether two tasks differ in their training inputs and first test inputs."""
    return (not torch.equal(s.x_train, t.x_train)
            and not torch.equal(s.x_test[:100], t.x_test[:100]))


# --- both benchmarks ----------------------------------------------------------------

@pytest.mark.parametrize("name", ["permutations", "rotations"])
def test_shapes_and_dtypes(request, mnist, name):
    """20 tasks; uint8 rows of 784 pixels; int64 labels; the whole test set."""
    tasks = request.getfixturevalue(name)
    assert len(tasks) == 20
    y_test = torch.from_numpy(mnist.y_test).long()
    for task in tasks:
        assert isinstance(task, data.Task)
        assert task.x_train.dtype == task.x_test.dtype == torch.uint8
        assert task.y_train.dtype == task.y_test.dtype == torch.int64
        assert task.x_train.shape == (1000, 784)
        assert task.y_train.shape == (1000,)
        assert task.x_test.shape == (10000, 784)
        assert torch.equal(task.y_test, y_test)


@pytest.mark.parametrize("name", ["permutations", "rotations"])
def test_tasks_differ_from_each_other(request, name):
    """Every task transforms the digits its own way and draws its own digits."""
    tasks = request.getfixturevalue(name)
    for i, s in enumerate(tasks):
        for t in tasks[i + 1:]:
            assert differ(s, t), (s.description, t.description)
            assert not torch.equal(s.y_train, t.y_train)


@pytest.mark.parametrize("build", [data.permuted_mnist, data.rotated_mnist])
def test_labels_stay_with_their_digits(build):
    """Each training label is the MNIST label of the digit it comes with."""
    mnist = fake_mnist()
    for task in build(mnist, n_tasks=3, n_train=200, seed=1):
        centre = task.x_train[:, 14 * 28 + 14].numpy()
        np.testing.assert_array_equal(centre, code(task.y_train.numpy()))
        np.testing.assert_array_equal(task.x_test[:, 14 * 28 + 14].numpy(),
                                      code(mnist.y_test))
        assert len(set(task.y_train.tolist())) == 10


@pytest.mark.parametrize("build", [data.permuted_mnist, data.rotated_mnist])
def test_same_seed_same_tasks(mnist, build):
    """One seed fixes the whole benchmark; another seed draws other tasks."""
    first = build(mnist, n_tasks=2, n_train=50, seed=3)
    assert_same_tasks(first, build(mnist, n_tasks=2, n_train=50, seed=3))
    other = build(mnist, n_tasks=2, n_train=50, seed=4)
    for s, t in zip(first, other):
        assert not torch.equal(s.x_train, t.x_train)
        assert not torch.equal(s.y_train, t.y_train)
    # Two seeds may draw nearly the same angle (seeds 3 and 4: 118.8° for task 1),
    # but not the same transformations throughout.
    assert any(not torch.equal(s.x_test, t.x_test) for s, t in zip(first, other))


def test_make_benchmark_is_the_builder(mnist, permutations):
    """make_benchmark passes its settings on; the default seed is 0."""
    assert_same_tasks(data.make_benchmark("permutations", mnist, n_tasks=2),
                      permutations[:2])
    assert_same_tasks(data.make_benchmark("rotations", mnist, 2, 30, 5),
                      data.rotated_mnist(mnist, 2, 30, 5))


def test_make_benchmark_loads_mnist_when_not_given(monkeypatch, mnist):
    """Without digits, make_benchmark loads the verified MNIST."""
    calls = []
    monkeypatch.setattr(data, "load_mnist", lambda: calls.append(1) or mnist)
    tasks = data.make_benchmark("permutations", n_tasks=1, n_train=5)
    assert calls == [1] and tasks[0].x_test.shape == (10000, 784)


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "split"}, r"unknown benchmark 'split'; choose one of "
                        r"\['permutations', 'rotations'\]"),
    ({"n_tasks": 0}, "n_tasks must be a positive integer, got 0"),
    ({"n_tasks": -3}, "n_tasks must be a positive integer, got -3"),
    ({"n_tasks": 2.0}, "n_tasks must be a positive integer, got 2.0"),
    ({"n_train": 0}, "n_train must be a positive integer, got 0"),
    ({"n_train": -1}, "n_train must be a positive integer, got -1"),
    ({"n_train": "100"}, "n_train must be a positive integer, got '100'"),
    ({"n_train": 60001}, "n_train=60001 exceeds the 60000 training digits"),
])
def test_make_benchmark_refuses_bad_settings(monkeypatch, kwargs, message):
    """Bad names and sizes raise ValueError before any digit is loaded."""
    def load_mnist():
        pytest.fail("make_benchmark loaded MNIST before checking its arguments")

    monkeypatch.setattr(data, "load_mnist", load_mnist)
    kwargs = {"name": "permutations", **kwargs}
    with pytest.raises(ValueError, match=f"^{message}$"):
        data.make_benchmark(**kwargs)


def test_scale():
    """Pixels / 255 as float32: 0 -> 0.0, 255 -> 1.0; the input is left alone."""
    x = torch.arange(256, dtype=torch.uint8).reshape(2, 128)
    scaled = data.scale(x)
    assert scaled.dtype == torch.float32 and scaled.shape == x.shape
    assert scaled[0, 0].item() == 0.0 and scaled[1, -1].item() == 1.0
    assert torch.equal(scaled, x.float() / 255)
    assert torch.equal(x, torch.arange(256, dtype=torch.uint8).reshape(2, 128))


# --- permutations -------------------------------------------------------------------

def recover_permutation(raw, permuted):
    """The pi with raw[:, pi] == permuted, matching columns (ties in any order)."""
    free = {}
    for k, column in enumerate(np.ascontiguousarray(raw.T)):
        free.setdefault(column.tobytes(), []).append(k)
    pi = []
    for column in np.ascontiguousarray(permuted.T):
        candidates = free.get(column.tobytes())
        assert candidates, "a task column is no column of the raw digits"
        pi.append(candidates.pop())
    return np.array(pi)


@pytest.fixture(scope="module")
def digits_by_pixels(mnist):
    """Training indices keyed by their multiset of pixel values (order-free)."""
    keys = {}
    for i, row in enumerate(np.sort(mnist.x_train.reshape(60000, -1), axis=1)):
        keys.setdefault(row.tobytes(), []).append(i)
    return keys


def test_permutations_are_bijections_of_the_pixels(mnist, permutations,
                                                   digits_by_pixels):
    """Each task is the raw digits seen through one permutation of the 784 pixels."""
    raw_test = mnist.x_test.reshape(10000, 784)
    raw_train = mnist.x_train.reshape(60000, 784)
    seen = []
    for t, task in enumerate(permutations):
        assert task.description == f"permutation {t}"
        x_train, x_test = task.x_train.numpy(), task.x_test.numpy()
        # Which training digits were drawn: a permutation keeps each digit's pixels.
        drawn = [digits_by_pixels[np.sort(row).tobytes()] for row in x_train]
        one = [i for i, (k, *others) in enumerate(drawn) if not others]
        index = np.array([drawn[i][0] for i in one])
        pi = recover_permutation(np.concatenate([raw_test, raw_train[index]]),
                                 np.concatenate([x_test, x_train[one]]))
        np.testing.assert_array_equal(np.sort(pi), np.arange(784))
        assert not np.array_equal(x_test, raw_test), "every task is permuted"
        assert np.array_equal(raw_test[:, pi], x_test)
        assert np.array_equal(raw_train[index][:, pi], x_train[one])
        np.testing.assert_array_equal(mnist.y_train[index], task.y_train[one])
        for r in sorted(set(range(len(drawn))) - set(one)):
            assert any(np.array_equal(raw_train[k, pi], x_train[r])
                       and mnist.y_train[k] == task.y_train[r] for k in drawn[r])
        assert len(one) >= 990 and len(set(index.tolist())) == len(one)
        seen.append(pi)
    assert len({pi.tobytes() for pi in seen}) == 20


# --- rotations ----------------------------------------------------------------------

def test_rotation_angles_lie_in_their_bins(rotations):
    """Task t of 20 turns by an angle in [9t, 9t + 9), up to the 0.1° of display."""
    for t, task in enumerate(rotations):
        assert 9 * t - 0.05 <= angle(task) <= 9 * t + 9 + 0.05, task.description


def test_rotation_descriptions_lie_in_their_bins(rotations):
    """The stated angle itself lies in the task's bin [9t, 9t + 9)."""
    for t, task in enumerate(rotations):
        assert 9 * t <= angle(task) < 9 * t + 9, task.description


@pytest.mark.parametrize("n_tasks", [1, 3, 7, 45])
@pytest.mark.parametrize("seed", [0, 1])
def test_rotation_bins_follow_n_tasks(n_tasks, seed):
    """With T tasks, task t turns by an angle in [180 t / T, 180 (t + 1) / T)."""
    tasks = data.rotated_mnist(fake_mnist(n_test=2), n_tasks, 5, seed)
    assert len(tasks) == n_tasks
    width = 180 / n_tasks
    for t, task in enumerate(tasks):
        assert width * t - 0.05 <= angle(task) <= width * (t + 1) + 0.05
    assert len({task.description for task in tasks}) == n_tasks


def ink_mismatch(a, b):
    """The share of pixels inked in a or b on which a and b disagree."""
    ink = (a > 0) | (b > 0)
    return ((a != b) & ink).sum().item() / ink.sum().item()


def test_rotations_turn_the_digits_by_the_stated_angle(mnist, rotations):
    """The test digits of each task are the raw ones turned by its angle."""
    raw = mnist.x_test[:200]
    for task in rotations:
        theta = angle(task)
        assert ink_mismatch(task.x_test[:200], data.rotate(raw, theta)) < 0.1
        for other in (theta - 9, theta + 9):
            wrong = ink_mismatch(task.x_test[:200], data.rotate(raw, other))
            assert wrong > 0.3, (task.description, other)


@pytest.mark.parametrize("kwargs, message", [
    ({"n_tasks": True}, "n_tasks must be a positive integer, got True"),
    ({"n_train": np.float64(5)}, "n_train must be a positive integer, got "),
    ({"seed": 1.5}, r"seed must be an integer in \[-2\*\*63, 2\*\*64\), got 1.5"),
    ({"seed": "0"}, "seed must be an integer .*, got '0'"),
    ({"seed": None}, "seed must be an integer .*, got None"),
    ({"seed": 2**64}, "seed must be an integer .*, got 18446744073709551616"),
])
def test_make_benchmark_refuses_bad_types(monkeypatch, kwargs, message):
    monkeypatch.setattr(data, "load_mnist", lambda: pytest.fail("loaded MNIST"))
    with pytest.raises(ValueError, match=message):
        data.make_benchmark("permutations", **kwargs)


def test_make_benchmark_takes_numpy_integers(mnist):
    """Sizes and seeds from NumPy (np.int64) work like Python ints."""
    tasks = data.make_benchmark("rotations", mnist, np.int64(2), np.int32(5),
                                np.int64(3))
    same = data.make_benchmark("rotations", mnist, 2, 5, 3)
    assert [t.description for t in tasks] == [t.description for t in same]
    assert all((a.x_train == b.x_train).all() for a, b in zip(tasks, same))
