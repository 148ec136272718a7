"""Generated from notebooks/07_results.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from gembook.lifelong_learning import metrics

METHOD_COLORS = {"single": "tab:gray", "independent": "tab:brown",
                 "multimodal": "tab:olive", "ewc": "tab:orange", "gem": "tab:blue",
                 "agem": "tab:cyan", "er": "tab:red"}  # the same in every chapter


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
