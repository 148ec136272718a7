"""Chapter 12's full CIFAR-100 GEM configuration, timed for a fixed number of steps.

    python benchmarks/cifar_steps.py [--device cpu|cuda] [--steps 10] [--ts 1 5 10 19]

The paper's setting (chapter 12's FULL): the reduced ResNet-18 (nf = 20), 20 tasks of
2500 training images, minibatches of 10, 256 memories per task, margin 0.5. The images
are random (CIFAR-100 is not needed to time the arithmetic, and cannot be downloaded
everywhere). With the memories of t past tasks full, `--steps` GEM steps are timed after
two warm-up steps, at t = 1, 5, 10 and 19 (`--ts`; the cost of a step grows with t);
the full run's training time is extrapolated, linearly in t between the measured
points, over its 20 x 250 steps, and its evaluation from one pass over the 20 test sets (500 images
each) times the 21 rows of R. Prints one line per t and the estimate.
"""

import argparse
import time

import numpy as np
import torch

from gembook.cifar100 import FULL, LR, MaskedGEM
from gembook.runs import check_device, default_device, on

TEST_IMAGES = 500  # per task: 100 test images of each of its 5 classes


def images(n, t, device, generator):
    """n random images of task t (uint8-scaled rows) and labels among its classes."""
    X = torch.randint(0, 256, (n, 3072), generator=generator).float().div_(255)
    y = torch.randint(5 * t, 5 * t + 5, (n,), generator=generator)
    return X.to(device), y.to(device)


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def step_seconds(learner, t, steps, device, generator):
    """Mean seconds of a GEM step on task t, the memories of tasks 0..t-1 full."""
    for k in range(t):
        if learner.memory.size(k) < FULL["n_memories"]:
            learner.memory.add(k, *images(FULL["n_memories"], k, device, generator))
    batches = [images(FULL["batch_size"], t, device, generator) for _ in range(steps + 2)]
    for X, y in batches[:2]:  # warm-up: allocations, kernel selection
        learner.observe(X, y, t)
    sync(device)
    start = time.perf_counter()
    for X, y in batches[2:]:
        learner.observe(X, y, t)
    sync(device)
    return (time.perf_counter() - start) / steps


@torch.no_grad()
def evaluation_seconds(learner, device, generator):
    """Seconds of one pass over the 20 test sets: one row of R."""
    tests = [images(TEST_IMAGES, t, device, generator)[0] for t in range(FULL["n_tasks"])]
    learner(tests[0], 0)  # warm-up
    sync(device)
    start = time.perf_counter()
    for t, X in enumerate(tests):
        learner(X, t)
    sync(device)
    return time.perf_counter() - start


def main():
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--device", choices=("cpu", "cuda"), default=None)
    arguments.add_argument("--steps", type=int, default=10)
    arguments.add_argument("--ts", type=int, nargs="+", default=[1, 5, 10, 19],
                           help="numbers of past tasks to time a step at, increasing")
    arguments.add_argument("--nf", type=int, default=20,
                           help="base filters (20: the paper's; fewer for a quick check)")
    options = arguments.parse_args()
    if not (options.ts == sorted(set(options.ts)) and 1 <= options.ts[0]
            and options.ts[-1] < FULL["n_tasks"] and options.steps >= 1):
        arguments.error(f"--ts must increase within 1..{FULL['n_tasks'] - 1} and "
                        "--steps be at least 1")
    device = check_device(options.device or default_device())
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    with on(device):  # built on `device`, as a run builds every learner (Appendix B)
        learner = MaskedGEM(FULL["n_tasks"], LR["gem"], FULL["n_memories"],
                            FULL["gamma"], nf=options.nf)
    seconds = {}
    for t in options.ts:
        seconds[t] = step_seconds(learner, t, options.steps, device, generator)
        print(f"t = {t:2d}: {1000 * seconds[t]:.1f} ms per GEM step", flush=True)
    steps_per_task = FULL["n_train"] // FULL["batch_size"]
    per_t = np.interp(range(FULL["n_tasks"]), options.ts, [seconds[t] for t in options.ts])
    per_t[0] = seconds[options.ts[0]] / 2  # task 0: no past task, roughly half a step
    train = steps_per_task * per_t.sum()
    evaluate = (FULL["n_tasks"] + 1) * evaluation_seconds(learner, device, generator)
    print(f"full CIFAR-100 GEM run ({device}), estimated: train {train / 60:.1f} min, "
          f"evaluate {evaluate / 60:.1f} min, total {(train + evaluate) / 60:.1f} min "
          f"(nf = {options.nf}; task 0 taken as half a step at t = {options.ts[0]})")


if __name__ == "__main__":
    main()
