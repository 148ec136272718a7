"""Command line of GEM Book (hand-written plumbing around the generated modules).

    python -m gembook data
    python -m gembook experiment --benchmark permutations --method gem --seed 0 [--json]
    python -m gembook experiment --method gem --seeds 3 --device cpu --json
    python -m gembook experiment --method mylearners:Decay --seeds 3 --json

A method is one of the book's learners or a learner class of your own, "module:Class",
importable from the current folder, PYTHONPATH or an installed package (Appendix B).
"""

import argparse
import contextlib
import json
import math
import statistics
import sys

METRICS = ("acc", "bwt", "fwt", "forgetting", "learned")
NAMES = {"acc": "ACC", "bwt": "BWT", "fwt": "FWT", "forgetting": "F", "learned": "LA"}


def data(args):
    from gembook.sources import fetch_mnist, mnist_sha256

    mnist, source = fetch_mnist(args.folder)
    print(f"source: {source}")
    print(f"sha256: {mnist_sha256(mnist)} (verified)")
    return 0


def summary(runs):
    """Mean and sample standard deviation of each metric over the runs (sd 0 for one,
    NaN where a metric is: R lacked an entry it reads)."""
    out = {}
    for name in METRICS:
        values = [run[name] for run in runs]
        sd = statistics.stdev(values) if len(values) > 1 else values[0] - values[0]
        out[name] = {"mean": statistics.fmean(values), "sd": sd}
    return out


def experiment(args):
    from gembook.runs import experiment as one, experiments

    seeds = args.seed if args.seeds is None else list(range(args.seeds))
    requests = [{"benchmark": args.benchmark, "method": args.method, "seed": seed,
                 "evaluation": args.evaluation, "device": args.device}
                for seed in seeds]
    if len(requests) == 1:  # one run: in this process, every core, a progress bar
        results = [one(**requests[0], progress=not args.json, cache=args.cached)]
    else:  # several seeds: in parallel worker processes
        results = experiments(requests, cache=args.cached)
    runs = [{"seed": result.settings["seed"],
             **{k: float(v) for k, v in result.row().items()},
             "train_seconds": result.train_seconds, "eval_seconds": result.eval_seconds,
             "threads": result.threads, "settings": result.settings, "R": result.R}
            for result in results]
    stats = summary(runs)
    device = results[0].settings["device"]
    if args.json:  # the top-level metrics are the means (one seed: its values)
        print(json.dumps(untested_as_null({
            **{k: v["mean"] for k, v in stats.items()}, "device": device,
            "seeds": seeds, "sd": {k: v["sd"] for k, v in stats.items()},
            "runs": runs}), allow_nan=False))
        return 0
    for r in runs:
        print(f"seed {r['seed']}: "
              + "  ".join(f"{NAMES[k]} {r[k]:+.4f}" for k in METRICS)
              + f"  train {r['train_seconds']:.1f} s")
    if len(runs) > 1:
        print("mean ± sd: " + "  ".join(f"{NAMES[k]} {v['mean']:+.4f} ± {v['sd']:.4f}"
                                        for k, v in stats.items()))
    print(f"(paper convention; device {device})")
    return 0


def untested_as_null(value):
    """`value` with every NaN (an entry of R that was not tested, and what reads it)
    replaced by None, which JSON writes as null."""
    if isinstance(value, dict):
        return {k: untested_as_null(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [untested_as_null(v) for v in value]
    return None if isinstance(value, float) and math.isnan(value) else value


def parser():
    from gembook.data import BENCHMARKS
    from gembook.runs import LEARNERS
    from gembook.training import EVALUATIONS

    main = argparse.ArgumentParser(prog="python -m gembook", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = main.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("data", help="fetch and verify MNIST")
    fetch.add_argument("--folder", help="data folder (default: $GEMBOOK_DATA or "
                       "~/.cache/gembook)")
    fetch.set_defaults(run=data)
    run = commands.add_parser("experiment", help="run full experiments, one per seed")
    run.add_argument("--benchmark", choices=sorted(BENCHMARKS), default="permutations")
    run.add_argument("--method", default="gem", metavar="METHOD",
                     help=f"one of {', '.join(sorted(LEARNERS))}, or module:Class, a "
                     "learner class of your own (default: gem)")
    seeds = run.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, nargs="+", default=[0],
                       help="one or more seeds (default: 0)")
    seeds.add_argument("--seeds", type=positive, metavar="N",
                       help="seeds 0 to N-1 (instead of --seed)")
    run.add_argument("--device", choices=("cpu", "cuda"),
                     help="default: $GEMBOOK_DEVICE, else cuda when PyTorch sees a GPU")
    run.add_argument("--evaluation", choices=EVALUATIONS, default="full",
                     help="test every task after every task (full, the default), or "
                     "only what the metrics read: seen (all five) or metrics (ACC, "
                     "BWT, FWT; forgetting is then NaN)")
    run.add_argument("--json", action="store_true",
                     help="print one JSON object: mean, sd and every run")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="run the seeds on the workers of this Dask scheduler, e.g. "
                     "tcp://10.0.0.5:8786 (default: $GEMBOOK_SCHEDULER, else this "
                     "machine; Appendix B)")
    run.add_argument("--cached", action="store_true",
                     help="reuse cached results with the same settings and code, and "
                     "cache the new ones")
    run.set_defaults(run=experiment)
    return main


def positive(text):
    """An argparse type: a positive integer."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def main(argv=None):
    """Run one command; a fault the reader can fix is an `error:` on stderr, exit 1."""
    from gembook.runs import cluster
    from gembook.sources import MNISTUnavailable

    args = parser().parse_args(argv)
    scheduler = getattr(args, "scheduler", None)
    try:
        with cluster(scheduler) if scheduler else contextlib.nullcontext():
            return args.run(args)
    except (MNISTUnavailable, ValueError, FloatingPointError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
