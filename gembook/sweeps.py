"""Generated from notebooks/10_sweeps.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import math

import numpy as np
import pandas as pd


# Defined in chapter 10 (notebooks/10_sweeps.ipynb).
def steps_after_first_task(settings):
    """How many updates a run makes on tasks 1..T-1, the ones that can be projected."""
    steps_per_task = math.ceil(settings["n_train"] / settings["batch_size"])
    return (settings["n_tasks"] - 1) * steps_per_task


# Defined in chapter 10 (notebooks/10_sweeps.ipynb).
def projected_share(result):
    """The fraction of updates after the first task whose gradient was projected."""
    if result.n_projected is None:
        return math.nan
    return result.n_projected / steps_after_first_task(result.settings)


# Defined in chapter 10 (notebooks/10_sweeps.ipynb).
def mean_angle(result):
    """GEM's mean angle, in degrees, between g and g~ over its projected steps."""
    angles = [angle for _, violated, angle in result.log or [] if violated]
    return float(np.mean(angles)) if angles else math.nan


# Defined in chapter 10 (notebooks/10_sweeps.ipynb).
def sweep_table(results, name):
    """One row per run of a sweep over the setting `name`: its benchmark, method and
    value of `name`, ACC, BWT and FWT (paper convention, eqs. 2-4), training seconds,
    the share of projected steps and GEM's mean angle between g and g~ when projected.
    """
    rows = []
    for result in results:
        s, m = result.settings, result.metrics()
        rows.append({"benchmark": s["benchmark"], "method": s["method"], name: s[name],
                     "ACC": m["acc"], "BWT": m["bwt"], "FWT": m["fwt"],
                     "train (s)": result.train_seconds,
                     "projected": projected_share(result), "angle": mean_angle(result)})
    return pd.DataFrame(rows)


# Defined in chapter 10 (notebooks/10_sweeps.ipynb).
def plot_sweep(ax, table, name, metric, colors):
    """`metric` against setting `name`, one line per method of the sweep `table`."""
    for method, rows in table.groupby("method", sort=False):
        ax.plot(rows[name], rows[metric], marker="o", label=method,
                color=colors.get(method))
    ax.set(xlabel=name, ylabel=metric)
    ax.legend()


# Defined in chapter 10 (notebooks/10_sweeps.ipynb).
def log_per_task(result):
    """Per task t >= 1 of a GEM run: share of projected steps, their mean angle."""
    log = pd.DataFrame(result.log, columns=["task", "violated", "angle"])
    log["projected"] = log["violated"] > 0
    return log.groupby("task").agg(
        projected=("projected", "mean"),
        angle=("angle", lambda a: a[a > 0].mean() if (a > 0).any() else 0.0))
