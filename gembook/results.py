"""Generated from notebooks/07_results.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import math

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from gembook.lifelong_learning import metrics
from gembook.runs import experiments

METHOD_COLORS = {"single": "tab:gray", "independent": "tab:brown",
                 "multimodal": "tab:olive", "ewc": "tab:orange", "gem": "tab:blue",
                 "agem": "tab:cyan", "er": "tab:red"}  # the same in every chapter


# Defined in chapter 07 (notebooks/07_results.ipynb).
def over_seeds(keys, n_seeds=3, tested="metrics", **options):
    """{(benchmark, method): [Result of seed 0, 1, ...]}, the missing runs in parallel.

    Seed 0 is tested in full, the others on what the metrics read (`tested`: an
    evaluation of chapter 06).
    """
    requests = [{"benchmark": benchmark, "method": method, "seed": seed,
                 "evaluation": "full" if seed == 0 else tested, **options}
                for benchmark, method in keys for seed in range(n_seeds)]
    results = iter(experiments(requests))
    return {key: [next(results) for _ in range(n_seeds)] for key in keys}


NAMES = {"acc": "ACC", "bwt": "BWT", "fwt": "FWT"}  # the tables' column names


# Defined in chapter 07 (notebooks/07_results.ipynb).
def seed_table(runs):
    """Mean, standard deviation, median, least and largest value over seeds of ACC,
    BWT, FWT (eqs. 2-4), forgetting (eq. F) and learned (eq. LA).

    `runs` maps (benchmark, method) to a list of `Result`s, one per seed.
    """
    rows = [{"benchmark": benchmark, "method": method, **{
                NAMES.get(name, name): value for name, value in result.row().items()}}
            for (benchmark, method), results in runs.items() for result in results]
    return (pd.DataFrame(rows).groupby(["benchmark", "method"], sort=False)
            .agg([(name, lambda v, f=f: getattr(v, f)(skipna=False)) for name, f in
                  (("mean", "mean"), ("std", "std"), ("median", "median"),
                   ("min", "min"), ("max", "max"))] + ["count"]))


# Defined in chapter 07 (notebooks/07_results.ipynb).
def difference(table, metric, a, b):
    """(gap, band): the mean of method a minus that of method b on `metric` of a seed
    table, and twice the standard error of that gap, 2 sqrt(s_a^2/n_a + s_b^2/n_b)."""
    mean, sd, n = (table.loc[[a, b], (metric, stat)]
                   for stat in ("mean", "std", "count"))
    if mean.isna().any():
        raise ValueError(f"no {metric} for {a} or {b}: a run was not tested on what "
                         "it reads (chapter 06's evaluations)")
    return mean[a] - mean[b], 2 * math.sqrt(sd[a] ** 2 / n[a] + sd[b] ** 2 / n[b])


# Defined in chapter 07 (notebooks/07_results.ipynb).
def ahead(table, metric, a, b):
    """How far the typical run of method a, its median seed, lies above the best run
    of method b on `metric` of a seed table: positive when it beats every run of b."""
    return table.loc[a, (metric, "median")] - table.loc[b, (metric, "max")]


# Defined in chapter 07 (notebooks/07_results.ipynb).
def mean_sd(table, metrics=("ACC", "BWT", "FWT", "learned")):
    """The seed table as text, "mean ± sd" per metric, for reading."""
    return pd.DataFrame({metric: [f"{m:.3f} ± {s:.3f}" for m, s in
                                  zip(table[metric, "mean"], table[metric, "std"])]
                         for metric in metrics}, index=table.index)


# Defined in chapter 07 (notebooks/07_results.ipynb).
def metrics_table(runs):
    """One row per (benchmark, method): ACC, BWT, FWT in both conventions, and time.

    `runs` maps (benchmark, method) to a `Result`.
    """
    rows = []
    for (benchmark, method), result in runs.items():
        paper = metrics(np.array(result.R), "paper")
        code = metrics(np.array(result.R), "public code")
        rows.append({"benchmark": benchmark, "method": method, "ACC": paper["acc"],
                     "BWT": paper["bwt"], "FWT": paper["fwt"],
                     "BWT (÷T)": code["bwt"], "FWT (÷T)": code["fwt"],
                     "train (s)": result.train_seconds})
    return pd.DataFrame(rows).set_index(["benchmark", "method"])


import json
from importlib import resources
from pathlib import Path

from gembook.runs import Result

# Defined in chapter 07 (notebooks/07_results.ipynb).
def public_code(path=None):
    """(runs, provenance) of the paper's public code re-run on MNIST.

    `runs` maps (benchmark, method) to a `Result` per seed, built from the R of each
    run; `provenance` says which commit ran, with which commands, where and when. Read
    from the file that `benchmarks/public_code/run.py` writes, shipped with gembook.
    """
    source = Path(path) if path else resources.files("gembook") / "public_code.json"
    data = json.loads(source.read_text())
    runs = {}
    for run in data["runs"]:
        settings = {name: run[name] for name in ("benchmark", "method", "seed")}
        runs.setdefault((run["benchmark"], run["method"]), []).append(
            Result({**settings, "code": "public"}, run["R"], run["time_spent"], 0.0))
    return runs, data["provenance"]


# Defined in chapter 07 (notebooks/07_results.ipynb).
def side_by_side(ours, theirs, metrics=("ACC", "BWT")):
    """The median (least-largest) over seeds of each metric for the book's runs and the
    public code's, per (benchmark, method) that both ran, and the gap between the two
    medians (book - code).
    """
    keys = [key for key in ours if key in theirs]
    who = {"book": ours, "public code": theirs}
    table = seed_table({(b, f"{m}, {name}"): runs[b, m]
                        for b, m in keys for name, runs in who.items()})
    rows = []
    for b, m in keys:
        t, row = table.loc[b], {"benchmark": b, "method": m}
        for metric in metrics:
            for name in who:
                low, mid, high = t.loc[f"{m}, {name}", metric][["min", "median", "max"]]
                row[f"{metric}, {name}"] = f"{mid:.3f} ({low:.3f}-{high:.3f})"
            row[f"{metric}, gap"] = (t.loc[f"{m}, book", (metric, "median")]
                                     - t.loc[f"{m}, public code", (metric, "median")])
        rows.append(row)
    return pd.DataFrame(rows).set_index(["benchmark", "method"])


from gembook.claims import spread
from gembook.runs import defaults, learner_class


# Defined in chapter 07 (notebooks/07_results.ipynb).
def at_paper_settings(runs, benchmark, method, n_seeds=3):
    """The runs of a report (`gembook.claims.report_runs`) of seeds 0 to n_seeds - 1 at
    the paper's settings (chapter 06), under every realisation."""
    keep = ((runs["benchmark"] == benchmark) & (runs["method"] == method)
            & (runs["n_tasks"] == 20) & (runs["n_train"] == 1000)
            & (runs["seed"] < n_seeds) & runs["sizes"].isna())
    for name, value in defaults(learner_class(method), benchmark).items():
        keep &= runs[name] == value
    return runs[keep]


# Defined in chapter 07 (notebooks/07_results.ipynb).
def rounding_spread(runs, metric):
    """How far rounding moves one run: the standard deviation of `metric` over the
    realisations (distinct values, Appendix D), pooled over the seeds of `runs`."""
    return math.sqrt(np.mean([spread(values) ** 2
                              for _, values in runs.groupby("seed")[metric]]))


# Defined in chapter 07 (notebooks/07_results.ipynb).
def plot_R(ax, R, title):
    """Heatmap of an accuracy matrix R (T+1 rows): rows in time, columns are tasks."""
    image = ax.imshow(np.asarray(R) * 100, vmin=0, vmax=100, cmap="viridis",
                      aspect="auto")
    ax.set(title=title, xlabel="task tested", ylabel="tasks trained")
    ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
    return image


# Defined in chapter 07 (notebooks/07_results.ipynb).
def plot_first_task(ax, runs, benchmark):
    """Accuracy on task 0 after each task of the stream, one line per method."""
    for (name, method), result in runs.items():
        if name == benchmark:
            ax.plot(np.asarray(result.R)[:, 0] * 100, marker="o", markersize=3,
                    label=method, color=METHOD_COLORS.get(method))
    ax.set(title=benchmark, xlabel="tasks trained", ylabel="accuracy on task 0 (%)",
           ylim=(0, 100))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=3, frameon=False)
