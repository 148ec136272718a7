"""Generated from notebooks/01_lifelong_learning.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import numpy as np

CONVENTIONS = {"paper": lambda T: T - 1, "public code": lambda T: T}


def metrics(R, convention="paper"):
    """Average accuracy, backward and forward transfer of an accuracy matrix `R`.

    `R` has shape (T + 1, T), T >= 2: row 0 holds the accuracy on every task of the
    randomly initialised network (the paper's b), and row i + 1 the accuracy on every
    task after training on tasks 0..i. Returns {"acc", "bwt", "fwt"} as floats:
    ACC is the mean of the last row (paper eq. 2); BWT sums R_final[j] - R[j + 1, j]
    over j < T - 1 (eq. 3); FWT sums R[j, j] - b[j] over j > 0 (eq. 4). The paper
    divides both sums by T - 1 (`convention="paper"`); its public code divides them
    by T (`convention="public code"`).

    Defined in chapter 01, "Measuring a continual learner" (paper eqs. 2-4).
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; "
                         f"valid conventions: {', '.join(map(repr, CONVENTIONS))}")
    R = np.asarray(R, dtype=float)
    if R.ndim != 2 or R.shape[1] < 2 or R.shape[0] != R.shape[1] + 1:
        raise ValueError(f"R must have shape (T + 1, T) with T >= 2, row 0 for the "
                         f"untrained network; got {R.shape}")
    T = R.shape[1]
    b, after = R[0], R[1:]
    divisor = CONVENTIONS[convention](T)
    backward = (after[-1, :-1] - np.diag(after)[:-1]).sum()
    forward = (np.diag(after, k=1) - b[1:]).sum()
    return {"acc": float(after[-1].mean()), "bwt": float(backward / divisor),
            "fwt": float(forward / divisor)}
