"""Chapter 07: runs over seeds, the seed table, the gap between two methods."""

import json

import numpy as np
import pytest

from gembook.results import difference, over_seeds, seed_table

SMALL = {"n_tasks": 3, "n_train": 30, "evaluation": "metrics"}


def test_seeds_draw_their_own_runs(results):
    runs = over_seeds([("permutations", "single")], n_seeds=3, **{
        k: v for k, v in SMALL.items() if k != "evaluation"})
    [seeds] = runs.values()
    assert [r.settings["seed"] for r in seeds] == [0, 1, 2]
    assert [r.settings["evaluation"] for r in seeds] == ["full", "metrics", "metrics"]
    assert len({json.dumps(r.R) for r in seeds}) == 3
    table = seed_table(runs)
    assert (table["ACC", "count"] == 3).all()
    accs = [r.metrics()["acc"] for r in seeds]
    assert table["ACC", "mean"].item() == pytest.approx(np.mean(accs))
    assert table["ACC", "std"].item() == pytest.approx(np.std(accs, ddof=1))


def test_difference_is_the_gap_and_twice_its_standard_error():
    import pandas as pd
    columns = pd.MultiIndex.from_product([["ACC"], ["mean", "std", "count"]])
    table = pd.DataFrame([[0.80, 0.03, 3], [0.76, 0.04, 2]], index=["a", "b"],
                         columns=columns)
    gap, band = difference(table, "ACC", "a", "b")
    assert gap == pytest.approx(0.04)
    assert band == pytest.approx(2 * np.sqrt(0.03 ** 2 / 3 + 0.04 ** 2 / 2))
    assert difference(table, "ACC", "b", "a") == pytest.approx((-gap, band))
