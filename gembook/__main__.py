"""Command line of GEM Book (hand-written plumbing around the generated modules).

    python -m gembook data
    python -m gembook experiment --benchmark permutations --method gem --seed 0 [--json]
"""

import argparse
import json
import sys


def data(args):
    from gembook.data import fetch_mnist, mnist_sha256

    mnist, source = fetch_mnist(args.folder)
    print(f"source: {source}")
    print(f"sha256: {mnist_sha256(mnist)} (verified)")
    return 0


def experiment(args):
    from gembook.lifelong_learning import metrics
    from gembook.training import experiment

    result = experiment(args.benchmark, args.method, args.seed, progress=not args.json,
                        cache=args.cached)
    m = {k: float(v) for k, v in metrics(result.R).items()}
    if args.json:
        print(json.dumps({**m, "train_seconds": result.train_seconds,
                          "eval_seconds": result.eval_seconds,
                          "settings": result.settings, "R": result.R}))
    else:
        print(f"ACC {m['acc']:.4f}  BWT {m['bwt']:+.4f}  FWT {m['fwt']:+.4f}  "
              f"(paper convention)  train {result.train_seconds:.1f} s")
    return 0


def parser():
    import gembook.baselines  # noqa: F401  (registers chapter 08's learners)
    from gembook.data import BENCHMARKS
    from gembook.training import LEARNERS

    main = argparse.ArgumentParser(prog="python -m gembook", description=__doc__)
    commands = main.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("data", help="fetch and verify MNIST")
    fetch.add_argument("--folder", help="data folder (default: $GEMBOOK_DATA or "
                       "~/.cache/gembook)")
    fetch.set_defaults(run=data)
    run = commands.add_parser("experiment", help="run one full experiment")
    run.add_argument("--benchmark", choices=sorted(BENCHMARKS), default="permutations")
    run.add_argument("--method", choices=sorted(LEARNERS), default="gem")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--json", action="store_true", help="print one JSON object")
    run.add_argument("--cached", action="store_true",
                     help="reuse a cached result with the same settings and code")
    run.set_defaults(run=experiment)
    return main


def main(argv=None):
    """Run one command; a fault the reader can fix is an `error:` on stderr, exit 1."""
    from gembook.data import MNISTUnavailable

    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (MNISTUnavailable, ValueError, FloatingPointError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
