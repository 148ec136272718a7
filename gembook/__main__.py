"""Command line of GEM Book (hand-written plumbing around the generated modules).

    python -m gembook data
    python -m gembook experiment --benchmark permutations --method gem --seed 0 [--json]
    python -m gembook experiment --method gem --seeds 3 --device cpu --json
"""

import argparse
import json
import statistics
import sys

METRICS = ("acc", "bwt", "fwt")


def data(args):
    from gembook.sources import fetch_mnist, mnist_sha256

    mnist, source = fetch_mnist(args.folder)
    print(f"source: {source}")
    print(f"sha256: {mnist_sha256(mnist)} (verified)")
    return 0


def summary(runs):
    """Mean and sample standard deviation of each metric over the runs (sd 0 for one)."""
    out = {}
    for name in METRICS:
        values = [run[name] for run in runs]
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        out[name] = {"mean": statistics.fmean(values), "sd": sd}
    return out


def experiment(args):
    from gembook.training import experiments, run, run_all, settings_for

    seeds = args.seed if args.seeds is None else list(range(args.seeds))
    requests = [{"benchmark": args.benchmark, "method": args.method, "seed": seed,
                 "device": args.device} for seed in seeds]
    settings = [settings_for(**request) for request in requests]
    if args.cached:
        results = experiments(requests)
    elif len(settings) == 1:  # one run: in this process, with a progress bar
        results = [run(settings[0], progress=not args.json)]
    else:  # several seeds: in parallel worker processes
        results = run_all(settings)
    runs = [{"seed": result.settings["seed"],
             **{k: float(v) for k, v in result.metrics().items()},
             "train_seconds": result.train_seconds, "eval_seconds": result.eval_seconds,
             "threads": result.threads, "settings": result.settings, "R": result.R}
            for result in results]
    stats = summary(runs)
    device = settings[0]["device"]
    if args.json:  # the top-level metrics are the means (one seed: its values)
        print(json.dumps({**{k: v["mean"] for k, v in stats.items()}, "device": device,
                          "seeds": seeds, "sd": {k: v["sd"] for k, v in stats.items()},
                          "runs": runs}))
        return 0
    for r in runs:
        print(f"seed {r['seed']}: ACC {r['acc']:.4f}  BWT {r['bwt']:+.4f}  "
              f"FWT {r['fwt']:+.4f}  train {r['train_seconds']:.1f} s")
    if len(runs) > 1:
        print("mean ± sd: " + "  ".join(f"{k.upper()} {v['mean']:+.4f} ± {v['sd']:.4f}"
                                        for k, v in stats.items()))
    print(f"(paper convention; device {device})")
    return 0


def parser():
    import gembook.agem  # noqa: F401  (registers chapter 09's learners)
    import gembook.baselines  # noqa: F401  (and chapter 08's)
    from gembook.data import BENCHMARKS
    from gembook.training import LEARNERS

    main = argparse.ArgumentParser(prog="python -m gembook", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = main.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("data", help="fetch and verify MNIST")
    fetch.add_argument("--folder", help="data folder (default: $GEMBOOK_DATA or "
                       "~/.cache/gembook)")
    fetch.set_defaults(run=data)
    run = commands.add_parser("experiment", help="run full experiments, one per seed")
    run.add_argument("--benchmark", choices=sorted(BENCHMARKS), default="permutations")
    run.add_argument("--method", choices=sorted(LEARNERS), default="gem")
    seeds = run.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, nargs="+", default=[0],
                       help="one or more seeds (default: 0)")
    seeds.add_argument("--seeds", type=positive, metavar="N",
                       help="seeds 0 to N-1 (instead of --seed)")
    run.add_argument("--device", choices=("cpu", "cuda"),
                     help="default: $GEMBOOK_DEVICE, else cuda when PyTorch sees a GPU")
    run.add_argument("--json", action="store_true",
                     help="print one JSON object: mean, sd and every run")
    run.add_argument("--cached", action="store_true",
                     help="reuse cached results with the same settings and code")
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
    from gembook.sources import MNISTUnavailable

    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (MNISTUnavailable, ValueError, FloatingPointError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
