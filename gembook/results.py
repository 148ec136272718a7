"""Generated from notebooks/07_results.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import math

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from gembook.lifelong_learning import metrics
from gembook.training import experiments

METHOD_COLORS = {"single": "tab:gray", "independent": "tab:brown",
                 "multimodal": "tab:olive", "ewc": "tab:orange", "gem": "tab:blue",
                 "agem": "tab:cyan", "er": "tab:red"}  # the same in every chapter


def over_seeds(keys, n_seeds=3, **options):
    """{(benchmark, method): [Result of seed 0, 1, ...]}, the missing runs in parallel.

    Seed 0 is tested in full, the others on what the metrics read.
    Defined in chapter 07 (results).
    """
    requests = [{"benchmark": benchmark, "method": method, "seed": seed,
                 "evaluation": "full" if seed == 0 else "metrics", **options}
                for benchmark, method in keys for seed in range(n_seeds)]
    results = iter(experiments(requests))
    return {key: [next(results) for _ in range(n_seeds)] for key in keys}


def seed_table(runs):
    """Mean and standard deviation over seeds of ACC, BWT, FWT (eqs. 2-4) and learned.

    `runs` maps (benchmark, method) to a list of `Result`s, one per seed.
    """
    rows = [{"benchmark": benchmark, "method": method, **{
                name.upper(): value for name, value in result.metrics().items()},
             "learned": np.mean(np.diagonal(np.asarray(result.R), offset=-1))}
            for (benchmark, method), results in runs.items() for result in results]
    return (pd.DataFrame(rows).groupby(["benchmark", "method"], sort=False)
            .agg(["mean", "std", "count"]))


def compare(table, metric, a, b):
    """">", "<" or "=" (a tie): method a against method b on `metric` of a seed table."""
    mean, sd, n = (table.loc[[a, b], (metric, stat)] for stat in ("mean", "std", "count"))
    margin = 2 * math.sqrt((sd[a] ** 2 + sd[b] ** 2) / min(n))
    gap = mean[a] - mean[b]
    return ">" if gap > margin else "<" if gap < -margin else "="


def mean_sd(table, metrics=("ACC", "BWT", "FWT", "learned")):
    """The seed table as text, "mean ± sd" per metric, for reading."""
    return pd.DataFrame({metric: [f"{m:.3f} ± {s:.3f}" for m, s in
                                  zip(table[metric, "mean"], table[metric, "std"])]
                         for metric in metrics}, index=table.index)


def metrics_table(runs):
    """One row per (benchmark, method): ACC, BWT, FWT in both conventions, and time.

    `runs` maps (benchmark, method) to a `Result`. Defined in chapter 07 (results).
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


def plot_R(ax, R, title):
    """Heatmap of an accuracy matrix R (T+1 rows): rows in time, columns are tasks."""
    image = ax.imshow(np.asarray(R) * 100, vmin=0, vmax=100, cmap="viridis",
                      aspect="auto")
    ax.set(title=title, xlabel="task tested", ylabel="tasks trained")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return image


def plot_first_task(ax, runs, benchmark):
    """Accuracy on task 0 after each task of the stream, one line per method."""
    for (name, method), result in runs.items():
        if name == benchmark:
            ax.plot(np.asarray(result.R)[:, 0] * 100, marker="o", markersize=3,
                    label=method, color=METHOD_COLORS.get(method))
    ax.set(title=benchmark, xlabel="tasks trained", ylabel="accuracy on task 0 (%)",
           ylim=(0, 100))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend()
