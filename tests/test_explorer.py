"""Appendix E's explorer without a browser: R as the page's text and back, the mean
over seeds, the metrics as text, and the HTML it writes (tests/test_browser_explorer.py
drives it in a browser)."""

import json
import re

import numpy as np
import pytest

from gembook.explorer import (NAMES, STUDIES, as_text, explorer_data, explorer_html,
                              SEEN, from_text, mean_R, metric_texts, requests_of)
from gembook.figures import FALLBACK
from gembook.runs import Result, settings_for

NAN = float("nan")
R_FULL = [[0.1, 0.12, 0.09], [0.9, 0.1, 0.11], [0.85, 0.93, 0.2], [0.8, 0.9, 0.95]]
R_PART = [[0.11, 0.1, 0.1], [0.91, 0.2, NAN], [0.8, 0.92, 0.3], [0.7, 0.88, 0.96]]


def result(R, seed, evaluation="full"):
    settings = {**settings_for("permutations", "gem", seed=seed, n_tasks=3,
                               evaluation=evaluation, device="cpu")}
    return Result(settings, R, 1.0, 0.1)


def test_as_text_keeps_tenths_of_a_percent_and_untested_entries():
    text = as_text(R_PART)
    assert text.split(" ")[1] == "910,200,"
    back = from_text(text)
    assert np.array_equal(np.isnan(back), np.isnan(R_PART))
    assert np.nanmax(np.abs(back - np.array(R_PART))) < 1e-12
    assert from_text(as_text([[0.87349, 0.87351]])).tolist() == [[0.873, 0.874]]


def test_the_mean_over_seeds_is_blank_where_a_seed_did_not_test():
    mean = mean_R([result(R_FULL, 0), result(R_PART, 1, "seen")])
    assert np.isnan(mean[1, 2]) and mean[3, 0] == pytest.approx(0.75)


def test_metric_texts_of_one_run_and_of_several():
    one = metric_texts([result(R_FULL, 0)])
    assert len(one) == len(NAMES) and one[0] == f"{np.mean(R_FULL[-1]):.3f}"
    two = metric_texts([result(R_FULL, 0), result(R_FULL, 1)])
    assert two[0] == f"{np.mean(R_FULL[-1]):.3f} ± 0.000"
    untested = [[0.1, 0.1, 0.1], [0.9, 0.1, NAN], [NAN, 0.9, 0.2], [0.8, 0.9, 0.9]]
    assert metric_texts([result(untested, 0, "metrics")])[3] == "—"  # forgetting


def test_the_studies_ask_for_the_runs_of_chapters_07_to_10():
    requests = requests_of(STUDIES)
    paper = [r for r in requests if r.keys() == {"benchmark", "method", "seed",
                                                  "evaluation"}]
    assert {r["evaluation"] for r in paper if r["seed"] == 0} == {"full"}
    # chapters 07 and 08 test seeds 1 and 2 of their five methods on the tasks seen
    seen = {(r["method"], r["seed"]) for r in paper if r["evaluation"] == "seen"}
    assert seen == {(m, s) for m in SEEN for s in (1, 2)}
    assert {r["evaluation"] for r in requests if r["seed"] > 2} == {"metrics"}
    assert len({json.dumps(r, sort_keys=True) for r in requests}) == len(requests)
    for request in requests:
        settings_for(**request)  # every one is a valid experiment


def test_explorer_html_holds_the_menus_the_data_and_the_fallback():
    runs = {("gem", "permutations"): [result(R_FULL, 0), result(R_PART, 1, "seen")],
            ("gem, 8 memories", "permutations"): [result(R_FULL, 0, "metrics")]}
    html = explorer_html(runs)
    data = json.loads(re.search(r'<script type="application/json">(.*?)</script>',
                                html, re.S)[1].replace("<\\/", "</"))
    assert data == explorer_data(runs)
    assert [v["view"] for v in data["gem|permutations"]] == ["mean", "0", "1"]
    assert re.findall(r'<option value="([^"]+)"', html) == [
        "gem", "gem, 8 memories", "permutations", "rotations", "0"]
    assert FALLBACK in html and html.count("<label>") == 3
    with pytest.raises(ValueError, match="no view"):  # a start the runs lack
        explorer_html(runs, start=("gem", "rotations", "0"))
