"""Speed and memory of the book's experiments on this machine, as one table.

    python benchmarks/benchmark.py [--device cpu|cuda] [--public-code CLONE]
    # about four minutes on 2 CPU cores; two more with --public-code

Prints: data preparation time of both MNIST benchmarks; the memory-gradient step at each
thread count (chapter 06's batched pass, its per-task loop and the pass GEM's step
runs); training and evaluation seconds of GEM, A-GEM and single on Permutations at full
scale, each a lone run (all threads) in a fresh process, with its peak resident memory
(and GEM once more, evaluating only the entries of R the metrics read); on the CPU, two
8-task GEM runs one after the other, each on all threads, against side by side on one
thread each (the book's choice for sweeps and seeds); the floating-point work GEM did,
counted from the shapes as the paper's step does it and as chapter 06's does, per
second, next to the rate of a plain float32 matrix product on the same threads, measured
in the same run; and, given a clone of the paper's public code
(facebookresearch/GradientEpisodicMemory), its GEM on the same benchmark, timed in the
same run, and the ratio.
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from gembook.data import make_benchmark
from gembook.memory import EpisodicMemory
from gembook.network import mlp
from gembook import runs
from gembook.runs import check_device, default_device, settings_for
from gembook.sources import load_mnist
from gembook.training import memory_factors, memory_gradients
from gembook.training import memory_gradients_loop as loop

RUN = """
import json, resource, sys
from gembook.runs import experiment
r = experiment("permutations", sys.argv[1], cache=False, progress=False,
               evaluation=sys.argv[2], device=sys.argv[3])
print(json.dumps({"train": r.train_seconds, "eval": r.eval_seconds,
                  "acc": r.metrics()["acc"], "n_projected": r.n_projected,
                  "log": r.log,
                  "threads": r.threads,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def timed(f, repeat=1):
    """Best wall-clock seconds of `repeat` calls of f()."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - start)
    return best


def data_seconds():
    mnist = load_mnist()
    return {name: timed(lambda: make_benchmark(name, mnist), repeat=3)
            for name in ("permutations", "rotations")}, timed(load_mnist, repeat=3)


def memory_gradient_ms(threads, t=10, n_memories=256, gradients=memory_gradients):
    """Milliseconds of one GEM memory-gradient step with t past tasks."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    memory, net = EpisodicMemory(t + 1, n_memories), mlp()
    for k in range(t):
        memory.add(k, torch.rand(n_memories, 784), torch.randint(0, 10, (n_memories,)))
    gradients(net, memory, t)
    return 1000 * timed(lambda: gradients(net, memory, t), repeat=10)


factors = torch.no_grad()(memory_factors)  # as GEM's step runs it


def gem_flops(s, n_weights, n_first):
    """Floating-point operations of a full GEM run as the paper's step does it, counted
    from the shapes: every step forms G.

    Per example, a forward pass costs 2 W (W weights), the weight gradients 2 W and
    the input gradients of all layers but the first 2 (W - n_first).
    """
    T, m, n, b = s["n_tasks"], s["n_memories"], s["n_train"], s["batch_size"]
    per_example = 2 * n_weights + 2 * n_weights + 2 * (n_weights - n_first)
    memories = sum(t * m for t in range(1, T)) * (n // b)
    current = T * n
    return (memories + current) * per_example + evaluation_flops(s, n_weights)


def evaluation_flops(s, n_weights):
    """The forward passes that fill R: T + 1 rows, T tasks, 10,000 test digits each."""
    return (s["n_tasks"] + 1) * s["n_tasks"] * 10000 * 2 * n_weights


def gem_flops_done(s, n_weights, n_first, log, n_in=784):
    """The same, as chapter 06's step does it: on a step that did not project (the
    factors decide all but about one in a thousand of them) the first layer's weight
    gradients of the memories are not formed; eq. (GF)'s two products take their place.
    Not counted: eq. (GF) on the steps that project, 1/10 of the block they form."""
    m, b = s["n_memories"], s["batch_size"]
    saved = 2 * n_first - 2 * (n_in + n_first // n_in) * b  # per memory example
    decided = sum(t * m for t, n_violated, _ in log if n_violated == 0)
    return gem_flops(s, n_weights, n_first) - decided * saved


def matmul_gflops(rows, inner=784, cols=100, device="cpu"):
    """GFLOP/s of a float32 product (rows x inner) @ (inner x cols), best of 50."""
    a, b = torch.rand(rows, inner, device=device), torch.rand(inner, cols, device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    seconds = timed(lambda: (a @ b, sync()), repeat=50)
    return 2 * rows * inner * cols / seconds / 1e9


def run(method, evaluation="full", device="cpu"):
    out = subprocess.run([sys.executable, "-c", RUN, method, evaluation, device],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def two_runs_seconds():
    """Wall seconds of two 8-task GEM runs: in turn on all threads, side by side on one."""
    two = [settings_for("permutations", "gem", seed=seed, n_tasks=8, device="cpu",
                        evaluation="metrics") for seed in (0, 1)]
    in_turn = timed(lambda: [runs.run(s, progress=False) for s in two])
    side_by_side = timed(lambda: list(runs.in_workers(two, n_jobs=2)))
    return in_turn, side_by_side


def public_code_seconds(clone, device):
    """(their timer, wall) seconds of the public code's GEM on Permutations, seed 0, on
    `device`, in a scratch copy of `clone` (public_code/run.py; its data is not timed)."""
    sys.path.insert(0, str(Path(__file__).parent / "public_code"))
    import run as public  # noqa: E402  (benchmarks/public_code/run.py)
    work = Path(tempfile.mkdtemp(prefix="gem-public-code-"))
    try:
        code = public.copy_code(clone.resolve(), work)
        public.write_raw_mnist(load_mnist(), code)
        public.make_data(sys.executable, code, "permutations", 0, work)
        (code / "results").mkdir(exist_ok=True)
        command = public.main_command("permutations", "gem", 0)
        command[command.index("--cuda") + 1] = "yes" if device == "cuda" else "no"
        result, wall = public.run_logged(sys.executable, command, code, work / "gem.log")
        return public.their_time(result.stdout), wall
    finally:
        shutil.rmtree(work)


def main():
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--device", choices=("cpu", "cuda"), default=None,
                           help="default: $GEMBOOK_DEVICE, else cuda when there is one")
    arguments.add_argument("--public-code", type=Path, metavar="CLONE",
                           help="a clone of facebookresearch/GradientEpisodicMemory: "
                                "time its GEM in the same run")
    options = arguments.parse_args()
    device = check_device(options.device or default_device())
    print(f"machine: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, torch {torch.__version__}, device {device}"
          + (f" ({torch.cuda.get_device_name()})" if device == "cuda" else "")
          + f", default threads {torch.get_num_threads()}")
    default_threads = torch.get_num_threads()
    prep, load = data_seconds()
    rows = [("load verified MNIST from the cache", f"{load:.2f} s")]
    rows += [(f"build {name} (20 tasks)", f"{s:.2f} s") for name, s in prep.items()]
    if device == "cpu":
        for threads in range(1, (os.cpu_count() or 1) + 1):
            rows.append((f"GEM memory gradients, t=10, {threads} thread(s), batched",
                         f"{memory_gradient_ms(threads):.1f} ms"))
            rows.append((f"GEM memory gradients, t=10, {threads} thread(s), loop",
                         f"{memory_gradient_ms(threads, gradients=loop):.1f} ms"))
            rows.append((f"GEM memory factors (its step's pass), t=10, {threads} thread(s)",
                         f"{memory_gradient_ms(threads, gradients=factors):.1f} ms"))
        torch.set_num_threads(default_threads)
        in_turn, side_by_side = two_runs_seconds()
        rows += [("two GEM runs (8 tasks), in turn, all threads", f"{in_turn:.1f} s"),
                 ("two GEM runs (8 tasks), side by side, 1 thread each",
                  f"{side_by_side:.1f} s")]
    results = {method: run(method, device=device) for method in ("gem", "agem", "single")}
    on = f"{results['gem']['threads']} thread(s)" if device == "cpu" else "GPU"
    for method, r in results.items():
        rows.append((f"{method}: train / evaluate, permutations, lone run on {on}",
                     f"{r['train']:.1f} s / {r['eval']:.1f} s (ACC {r['acc']:.3f})"))
    sparse = run("gem", "metrics", device)
    rows.append(("gem, evaluating only what the metrics read",
                 f"{sparse['train']:.1f} s / {sparse['eval']:.1f} s (ACC {sparse['acc']:.3f})"))
    rows.append(("peak resident memory of the GEM run",
                 f"{results['gem']['rss_mb']:.0f} MB"))
    net = mlp()
    n_weights = sum(p.numel() for p in net.parameters() if p.dim() == 2)
    s = settings_for("permutations", "gem")
    flops = gem_flops(s, n_weights, 784 * 100)
    done = gem_flops_done(s, n_weights, 784 * 100, results["gem"]["log"])
    seconds = results["gem"]["train"] + results["gem"]["eval"]
    torch.set_num_threads(results["gem"]["threads"] or default_threads)  # the run's
    reference = matmul_gflops(10 * 256, device=device)
    rows.append((f"float32 matmul (2560x784 @ 784x100), {on}", f"{reference:.1f} GFLOP/s"))
    for what, work in (("the paper's step, G formed at every step", flops),
                       ("as done, chapter 06's step from factors", done)):
        achieved = work / seconds / 1e9
        rows += [(f"GEM work (train + evaluation), {what}", f"{work / 1e12:.2f} TFLOP"),
                 ("  achieved rate / matmul's (efficiency)",
                  f"{achieved:.1f} GFLOP/s / {reference:.1f} ({achieved / reference:.2f})"),
                 ("  the matmul rate's floor for this work",
                  f"{work / reference / 1e9:.1f} s")]
    train_done = done - evaluation_flops(s, n_weights)
    rows.append(("GEM training alone, as done: rate (efficiency)",
                 f"{train_done / results['gem']['train'] / 1e9:.1f} GFLOP/s "
                 f"({train_done / results['gem']['train'] / 1e9 / reference:.2f})"))
    rows += [(f"float32 matmul ({rows_}x784 @ 784x100), evaluation shape, {on}",
              f"{matmul_gflops(rows_, device=device):.1f} GFLOP/s")
             for rows_ in (10000, 1000)]
    torch.set_num_threads(default_threads)
    if options.public_code:
        theirs, wall = public_code_seconds(options.public_code, device)
        rows += [("public code GEM, permutations, its timer / process wall",
                  f"{theirs:.1f} s / {wall:.1f} s"),
                 ("public code / book (train + evaluate)", f"{theirs / seconds:.1f}x")]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
