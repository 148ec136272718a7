"""Chapter 01's metrics on accuracy matrices small enough to work out by hand."""

import math

import numpy as np
import pytest

from gembook.lifelong_learning import checked, forgetting, learning_accuracy, metrics

# b, then the rows after tasks 0, 1 and 2 (T = 3)
R = [[0.1, 0.2, 0.3],
     [0.9, 0.4, 0.2],
     [0.7, 0.8, 0.5],
     [0.6, 0.9, 0.7]]


def test_metrics_by_hand():
    m = metrics(R)
    assert m["acc"] == pytest.approx((0.6 + 0.9 + 0.7) / 3)
    assert m["bwt"] == pytest.approx(((0.6 - 0.9) + (0.9 - 0.8)) / 2)  # / (T - 1)
    assert m["fwt"] == pytest.approx(((0.4 - 0.2) + (0.5 - 0.3)) / 2)


def test_the_public_codes_convention_divides_by_T():
    paper, code = metrics(R), metrics(R, "public code")
    assert code["acc"] == paper["acc"]
    assert code["bwt"] == pytest.approx(paper["bwt"] * 2 / 3)
    assert code["fwt"] == pytest.approx(paper["fwt"] * 2 / 3)


def test_forgetting_starts_from_the_best_accuracy_once_learnt():
    # task 0: best 0.9 (row after task 0), ends 0.6; task 1: best 0.8, ends 0.9
    assert forgetting(R) == pytest.approx(((0.9 - 0.6) + (0.8 - 0.9)) / 2)
    # A-GEM's rows: task 1 counts its 0.4 after task 0 too, which changes nothing here
    assert forgetting(R, all_rows=True) == pytest.approx(forgetting(R))


def test_learning_accuracy_is_the_mean_of_the_diagonal():
    assert learning_accuracy(R) == pytest.approx((0.9 + 0.8 + 0.7) / 3)


def test_an_untested_entry_read_is_nan_and_one_not_read_is_not():
    sparse = np.array(R)
    sparse[1, 2] = math.nan  # task 2 after task 0: read by nothing
    assert metrics(sparse) == pytest.approx(metrics(R))
    sparse[2, 0] = math.nan  # task 0 after task 1: forgetting reads it
    assert math.isnan(forgetting(sparse)) and not math.isnan(metrics(sparse)["acc"])


@pytest.mark.parametrize("shape", [(3, 3), (2, 1), (4,)])
def test_a_matrix_of_the_wrong_shape_is_refused(shape):
    with pytest.raises(ValueError, match=r"R must have shape \(T \+ 1, T\)"):
        checked(np.zeros(shape))


def test_an_unknown_convention_is_refused():
    with pytest.raises(ValueError, match="unknown convention 'mine'"):
        metrics(R, "mine")
