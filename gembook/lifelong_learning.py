"""Generated from notebooks/01_lifelong_learning.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import numpy as np

CONVENTIONS = {"paper": lambda T: T - 1, "public code": lambda T: T}


# Defined in chapter 01 (notebooks/01_lifelong_learning.ipynb).
def checked(R):
    """R as an array of floats, refused unless it has shape (T + 1, T), T >= 2."""
    R = np.asarray(R, dtype=float)
    if R.ndim != 2 or R.shape[1] < 2 or R.shape[0] != R.shape[1] + 1:
        raise ValueError(f"R must have shape (T + 1, T) with T >= 2, row 0 for the "
                         f"untrained network; got {R.shape}")
    return R


# Defined in chapter 01 (notebooks/01_lifelong_learning.ipynb).
def metrics(R, convention="paper"):
    """Average accuracy, backward and forward transfer of an accuracy matrix `R`.

    `R` has shape (T + 1, T), T >= 2: row 0 holds the accuracy on every task of the
    randomly initialised network (the paper's b), and row i + 1 the accuracy on every
    task after training on tasks 0..i. Returns {"acc", "bwt", "fwt"} as floats:
    ACC is the mean of the last row (paper eq. 2); BWT sums R_final[j] - R[j + 1, j]
    over j < T - 1 (eq. 3); FWT sums R[j, j] - b[j] over j > 0 (eq. 4). The paper
    divides both sums by T - 1 (`convention="paper"`); its public code divides them
    by T (`convention="public code"`).
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; "
                         f"valid conventions: {', '.join(map(repr, CONVENTIONS))}")
    R = checked(R)
    T = R.shape[1]
    b, after = R[0], R[1:]
    divisor = CONVENTIONS[convention](T)
    backward = (after[-1, :-1] - np.diag(after)[:-1]).sum()
    forward = (np.diag(after, k=1) - b[1:]).sum()
    return {"acc": float(after[-1].mean()), "bwt": float(backward / divisor),
            "fwt": float(forward / divisor)}


# Defined in chapter 01 (notebooks/01_lifelong_learning.ipynb).
def forgetting(R, all_rows=False):
    """Average forgetting (eq. F) of an accuracy matrix in the book's layout (T + 1
    rows): for each task j < T - 1, its best accuracy from the row where it was learnt
    to the one before the last (`all_rows=True`: from the first row after training,
    as A-GEM's eq. 3), minus its final accuracy, averaged. NaN if R lacks an entry
    this reads.
    """
    after = checked(R)[1:]
    T = after.shape[1]
    best = np.array([after[0 if all_rows else j:T - 1, j].max() for j in range(T - 1)])
    return float((best - after[-1, :-1]).mean())


# Defined in chapter 01 (notebooks/01_lifelong_learning.ipynb).
def learning_accuracy(R):
    """Learning accuracy (eq. LA): the mean of R's diagonal, each task's accuracy right
    after it was learnt (the book's `learned`)."""
    return float(np.diagonal(checked(R)[1:]).mean())
