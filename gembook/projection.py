"""Generated from notebooks/05_projection.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import math

import numpy as np
import quadprog
import torch


# Defined in chapter 05 (notebooks/05_projection.ipynb).
def violations(G, g):
    """Which past tasks the step along `g` would hurt: <g, g_k> < 0 (eq. 7)."""
    return G @ g < 0


# Defined in chapter 05 (notebooks/05_projection.ipynb).
def dual_qp(GGt, Gg, eps=1e-3):
    """The matrices (P, q) of the dual QP (eq. 10), min 1/2 v'Pv + q'v s.t. v >= gamma,
    from G G' (t x t) and G g (t): float64 NumPy arrays, on the CPU where quadprog runs.

    P = G G' + eps * s * I, with s the mean squared norm of the rows of G, so that
    quadprog accepts dependent rows at any scale.
    """
    t = len(Gg)
    both = torch.cat([GGt.flatten(), Gg]).double().cpu().numpy()  # one transfer
    GGt, q = both[:t * t].reshape(t, t), both[t * t:]
    with np.errstate(over="ignore", invalid="ignore"):  # solve_dual checks overflow
        s = np.trace(GGt) / t or 1.0
        return 0.5 * (GGt + GGt.T) + eps * s * np.eye(t), q


# Defined in chapter 05 (notebooks/05_projection.ipynb).
def all_finite(x):
    """Whether every entry of `x` is finite: its least and largest entries are, since
    NaN propagates to both. Much cheaper on a CPU than `torch.isfinite(x).all()`.
    """
    return x.numel() == 0 or bool(torch.isfinite(torch.stack(torch.aminmax(x))).all())


# Defined in chapter 05 (notebooks/05_projection.ipynb).
def check_inputs(g, G, gamma, eps):
    """Refuse what `project` cannot project faithfully, saying what was wrong."""
    if not (g.is_floating_point() and G.is_floating_point()):
        raise ValueError(f"g and G must be floating point, got {g.dtype} and {G.dtype}")
    if g.dim() != 1 or G.dim() != 2 or G.shape[1] != g.shape[0]:
        raise ValueError(f"g must be a vector (p,) and G a matrix (t, p), got g of "
                         f"shape {tuple(g.shape)} and G of shape {tuple(G.shape)}")
    if not (all_finite(g) and all_finite(G)):
        raise ValueError("cannot project a non-finite gradient: "
                         "g or G holds inf or NaN")
    if not (0 <= gamma < math.inf and 0 < eps < math.inf):
        raise ValueError(f"need a margin gamma >= 0 and a diagonal term eps > 0, "
                         f"got gamma={gamma} and eps={eps}")


# Defined in chapter 05 (notebooks/05_projection.ipynb).
def solve_dual(GGt, Gg, gamma=0.5, eps=1e-3):
    """v*: the solution of the dual QP (eq. 10), given G G' and G g."""
    P, q = dual_qp(GGt, Gg, eps)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is checked below
        r = q + gamma * P.sum(1)
        finite = np.isfinite(P).all() and np.isfinite([*r, np.trace(P)]).all()
    if not finite:
        raise ValueError(f"gradients too large to project: G G' overflows {GGt.dtype}; "
                         "lower the learning rate")
    return gamma + nonnegative_qp(P, r)


# Defined in chapter 05 (notebooks/05_projection.ipynb).
def nonnegative_qp(P, r):
    """argmin 1/2 w'Pw + r'w s.t. w >= 0, solved by quadprog at unit scale.

    P is divided by its mean diagonal c and r by its largest entry m, which
    only scales the minimiser, by m / c.
    """
    c, m = np.trace(P) / len(P), np.abs(r).max() or 1.0
    w = quadprog.solve_qp(P / c, -r / m, np.eye(len(r)), np.zeros(len(r)))[0]
    return m / c * w


# Defined in chapter 05 (notebooks/05_projection.ipynb).
def gem_step(g, G, gamma=0.5, eps=1e-3, always=False):
    """(g~, number of violated constraints): g itself when it violates none of (7),
    else g~ = g + G' v* (eq. 11), v* solving the dual (10); with `always`, g~ even then.

    One host read, the decision, when g violates nothing; a second (G G' and G g, one
    transfer) when it projects. g~ is not read back: it is finite when g, G and v* are,
    unless it overflows, which the next step's check (or `project`) reports.
    """
    Gg = G @ g  # an inf or NaN anywhere in g or G reaches G g
    counts = torch.stack([(Gg < 0).sum(), Gg.isfinite().logical_not().sum()])  # (7)
    n_violated, n_bad = counts.tolist()  # the host read
    if n_bad:
        raise FloatingPointError("non-finite gradient or memory gradient")
    if not (n_violated or always):
        return g, 0
    v = torch.from_numpy(solve_dual(G @ G.T, Gg, gamma, eps)).to(G.dtype)
    return g + v.to(G.device, non_blocking=True) @ G, n_violated


# Defined in chapter 05 (notebooks/05_projection.ipynb).
def project(g, G, gamma=0.5, eps=1e-3):
    """Eq. (11) for any g and G, inputs checked: g~ = G' v* + g, v* solving eq. (10).

    `G` holds one past task's memory gradient per row; the margin `gamma` is a lower
    bound on v.
    """
    check_inputs(g, G, gamma, eps)
    if len(G) == 0:  # no past task: nothing to protect
        return g.clone()
    try:
        g_tilde, _ = gem_step(g, G, gamma, eps, always=True)
    except FloatingPointError:  # finite g and G, but G g overflows
        raise ValueError(f"gradients too large to project: G g overflows {G.dtype}; "
                         "lower the learning rate") from None
    if not all_finite(g_tilde):
        raise ValueError(f"the projected gradient overflows {G.dtype}; "
                         "lower the learning rate")
    return g_tilde
