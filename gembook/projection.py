"""Generated from notebooks/05_projection.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import numpy as np
import quadprog
import torch


def violations(G, g):
    """Which past tasks the step along `g` would hurt: <g, g_k> < 0 (eq. 7).

    Defined in chapter 05 (the QP projection).
    """
    return G @ g < 0


def dual_qp(G, g, gamma=0.5, eps=1e-3):
    """The matrices (P, q) of the dual QP (eq. 10): min 1/2 v'Pv + q'v s.t. v >= gamma.

    P = G G' + eps * s * I, with s the mean squared norm of the rows of G, so that
    quadprog accepts dependent rows at any scale. Defined in chapter 05 (eq. 10).
    """
    GGt = (G @ G.T).double()
    s = GGt.trace().item() / len(GGt) or 1.0
    P = 0.5 * (GGt + GGt.T) + eps * s * torch.eye(len(GGt), dtype=torch.float64)
    return P.numpy(), (G @ g).double().numpy()


def project(g, G, gamma=0.5, eps=1e-3):
    """GEM's update: g~ = G' v* + g (eq. 11), v* solving the dual QP (eq. 10).

    `G` holds one past task's memory gradient per row; the margin `gamma` is a lower
    bound on v. Defined in chapter 05 (eqs. 8-11).
    """
    if not (torch.isfinite(g).all() and torch.isfinite(G).all()):
        raise ValueError("cannot project a non-finite gradient: "
                         "g or G holds inf or NaN")
    P, q = dual_qp(G, g, gamma, eps)
    t = len(q)
    c = np.trace(P) / t  # quadprog fails on large entries; scaling keeps the minimiser
    v = quadprog.solve_qp(P / c, -q / c, np.eye(t), np.full(t, float(gamma)))[0]
    return g + torch.from_numpy(v).to(G.dtype) @ G
