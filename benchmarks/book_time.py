"""Where the book's time goes: the seconds of every run in a results cache, by method.

    .venv/bin/python benchmarks/book_time.py [RESULTS] [--cores N]

RESULTS: a results cache (default: `$GEMBOOK_RESULTS`, else the data folder's
`results/`, where `make book` caches its runs). Each cached run records the seconds it
trained and the seconds it tested (chapter 06's `Result`), and its threads. The two
tables sum them by method and by evaluation ("full", "seen", "metrics": what R holds).
After `make book` from an empty cache, the total is the compute of the book's
experiments; run side by side on one thread each, one per core, they take at least the
total divided by the cores (`--cores`, default: this machine's), whatever the order.
The runs a chapter does not cache (chapter 09's audited ones) are not in it.
"""

import argparse
import json
import os
import sys
from pathlib import Path

import pandas as pd

from gembook.runs import Result, results_dir


def runs_of(folder):
    """One row per cached run: method, evaluation, threads, seconds."""
    rows = []
    for path in sorted(Path(folder).glob("*.json")):
        result = Result(**json.loads(path.read_text()))
        rows.append({"method": result.settings["method"],
                     "evaluation": result.settings["evaluation"],
                     "threads": result.threads, "train (s)": result.train_seconds,
                     "test (s)": result.eval_seconds})
    return pd.DataFrame(rows)


def by(runs, key):
    """The runs' count and seconds by `key` (a column), most first."""
    table = runs.groupby(key).agg(
        runs=("train (s)", "size"), **{"train (s)": ("train (s)", "sum"),
                                       "test (s)": ("test (s)", "sum")})
    table["total (s)"] = table["train (s)"] + table["test (s)"]
    return table.sort_values("total (s)", ascending=False)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="?", help="a results cache (a folder)")
    parser.add_argument("--cores", type=int, default=os.cpu_count(),
                        help="cores that ran the runs side by side (default: this "
                             "machine's)")
    args = parser.parse_args(argv)
    if args.cores < 1:
        parser.error(f"--cores must be at least 1, got {args.cores}")
    if args.results is None:
        args.results = results_dir()
    if not Path(args.results).is_dir():
        parser.error(f"{args.results} is not a folder: give a results cache "
                     "(GEMBOOK_RESULTS, or the data folder's results/)")
    runs = runs_of(args.results)
    if runs.empty:
        parser.error(f"{args.results} holds no cached run (*.json): run `make book` "
                     "first, or name another cache")
    with pd.option_context("display.width", 120, "display.max_columns", None):
        print(by(runs, "method").round(1), end="\n\n")
        print(by(runs, "evaluation").round(1), end="\n\n")
    train, test = runs["train (s)"].sum(), runs["test (s)"].sum()
    threads = ", ".join(f"{n} on {t}" for t, n in runs["threads"].value_counts()
                        .sort_index().items())
    print(f"{len(runs)} runs (threads: {threads}): train {train:.0f} s + test "
          f"{test:.0f} s = {train + test:.0f} s; side by side on {args.cores} cores, "
          f"at least {int((train + test) / args.cores)} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
