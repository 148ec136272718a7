"""GEM with the plain step, chapter 06's reference: G from the batched pass, then
`gem_step`. Run as a script, it prints whether GEM's step from factors took the same
steps, bit for bit:

    python tests/plain_gem.py                  # a short stream (5 tasks, 64 memories)
    python tests/plain_gem.py --benchmark rotations     # one benchmark at full scale
    python tests/plain_gem.py --full-scale     # both, under every rounding realisation

tests/test_training.py runs the first under three realisations; the last takes about
25 minutes on 2 cores, each run in a fresh process (benchmarks/README.md records one).
"""

import argparse
import json
import subprocess
import sys

import torch

from gembook.data import make_benchmark, scale
from gembook.projection import gem_step
from gembook.training import GEM, memory_factors, memory_gradients, rows


class PlainGEM(GEM):
    """GEM whose every step forms G with `memory_gradients` and calls `gem_step`."""

    @torch.no_grad()
    def step(self, g, X, y, t):
        return gem_step(g, memory_gradients(self.net, self.memory, t), self.gamma, self.eps)


def trained(Learner, tasks, **hyper):
    """A learner trained on `tasks` from seed 0, without evaluation."""
    torch.manual_seed(0)
    learner = Learner(len(tasks), lr=0.1, **hyper)
    for t, task in enumerate(tasks):
        for i in range(0, len(task.y_train), 10):
            learner.observe(scale(task.x_train[i:i + 10]), task.y_train[i:i + 10], t)
    return learner


def same_bits(tasks, **hyper):
    """GEM's run against PlainGEM's on `tasks`: whether their logs and weights are
    equal bit for bit, and G from the factors at the end equals the batched pass's;
    with the number of projected steps and of steps after the first task."""
    fast, plain = trained(GEM, tasks, **hyper), trained(PlainGEM, tasks, **hyper)
    t = len(tasks) - 1
    return {"log": fast.log == plain.log,
            "weights": all(torch.equal(a, b) for a, b in zip(fast.net.parameters(),
                                                              plain.net.parameters())),
            "G": torch.equal(rows(*memory_factors(fast.net, fast.memory, t)),
                             memory_gradients(fast.net, fast.memory, t)),
            "projected": fast.n_projected, "steps": len(fast.steps)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", choices=("permutations", "rotations"),
                        help="one benchmark at full scale, in this process")
    parser.add_argument("--full-scale", action="store_true",
                        help="both benchmarks at full scale under every realisation")
    options = parser.parse_args()
    if options.full_scale:
        from gembook.claims import REALISATIONS, environment
        for name in REALISATIONS:
            for benchmark in ("permutations", "rotations"):
                done = subprocess.run([sys.executable, __file__, "--benchmark", benchmark],
                                      env=environment(name), capture_output=True,
                                      text=True, check=True)
                print(name, benchmark, done.stdout.strip(), flush=True)
    elif options.benchmark:
        print(json.dumps(same_bits(make_benchmark(options.benchmark))))
    else:
        print(json.dumps(same_bits(make_benchmark("permutations", n_tasks=5, n_train=200),
                                   n_memories=64)))


if __name__ == "__main__":
    main()
