"""Generated from notebooks/02_data.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import math
import numbers
from dataclasses import dataclass

import torch
from torchvision.transforms import InterpolationMode
from torchvision.transforms.v2 import functional as TF

from gembook.sources import MNIST_SHAPES, load_mnist


# Defined in chapter 02 (notebooks/02_data.ipynb).
@dataclass(frozen=True)
class Task:
    """One task: transformed uint8 inputs (N, 784) and int64 labels, train and test."""
    description: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


# Defined in chapter 02 (notebooks/02_data.ipynb).
def scale(x):
    """Pixels from uint8 to float32 in [0, 1], dividing by 255 as the paper does."""
    return x.to(torch.float32, copy=True).div_(255)  # one new array, divided in place


# Defined in chapter 02 (notebooks/02_data.ipynb).
def sample(mnist, n_train, generator):
    """Random training indices for one task, in the order the stream will show them."""
    return torch.randperm(len(mnist.y_train), generator=generator)[:n_train]


# Defined in chapter 02 (notebooks/02_data.ipynb).
def labels(y):
    """uint8 labels as the int64 tensor that cross-entropy expects."""
    return torch.from_numpy(y).long()


# Defined in chapter 02 (notebooks/02_data.ipynb).
def permuted_mnist(mnist, n_tasks=20, n_train=1000, seed=0):
    """MNIST Permutations: task t shows every digit through its own pixel
    permutation."""
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


# Defined in chapter 02 (notebooks/02_data.ipynb).
def rotate(images, angle):
    """Rotate uint8 images (N, 28, 28) by `angle` degrees; return rows (N, 784)."""
    turned = TF.rotate(torch.from_numpy(images).unsqueeze(1), angle,
                       interpolation=InterpolationMode.NEAREST)
    return turned.flatten(1)


# Defined in chapter 02 (notebooks/02_data.ipynb).
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


# Defined in chapter 02 (notebooks/02_data.ipynb).
def make_benchmark(name, mnist=None, n_tasks=20, n_train=1000, seed=0):
    """The benchmark called `name` (see `BENCHMARKS`), built from verified MNIST."""
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; "
                         f"choose one of {sorted(BENCHMARKS)}")
    check_benchmark(n_tasks, n_train, seed)
    builder = BENCHMARKS[name]
    return builder(mnist or load_mnist(), int(n_tasks), int(n_train), int(seed))


# Defined in chapter 02 (notebooks/02_data.ipynb).
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
