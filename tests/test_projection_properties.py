"""Property tests of gembook.projection.project on generated problems (hypothesis).

Problems have 1 to 20 past tasks and mix every degeneracy GEM can meet: duplicate and
zero rows, nearly parallel rows, a row equal to -g, and row and g scales anywhere in
1e-8 .. 1e8. The property: `project` returns a finite g~ of g's shape and dtype that
meets every constraint up to the documented slack (chapter 05; tests/test_projection.py)

    <g~, g_k> >= -(eps s v_k + TOL (||g_k|| size + dual)),

with v the dual solution (solved independently, by NNLS), s the mean squared row
norm, `size` the largest term that g~ = g + sum_k v_k g_k adds up and `dual` the
largest term of the dual's KKT residual P v + q (what rounding leaves of both).
Where rows differ by many orders of magnitude, a small row is thus protected only up
to the precision of the largest (the chapter: "such a task is protected less
exactly"). Otherwise `project` raises a ValueError that says what was wrong; it
never returns NaN."""

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.linalg import cholesky, solve_triangular
from scipy.optimize import nnls

from gembook.projection import project

EPS = 1e-3  # project's default diagonal term, relative to s
TOL = {torch.float64: 1e-9, torch.float32: 1e-4}  # rounding of g~, relative
ROW_KINDS = ("random", "zero", "copy", "scaled copy", "nearly parallel", "minus g")
SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


pytestmark = pytest.mark.usefixtures("one_thread")


def row(kind, k, g, G, rng, scale):
    """Row k of G, of the given kind, built from g and the rows before it."""
    earlier = G[rng.integers(k)] if k else rng.standard_normal(len(g))
    if kind == "zero":
        return np.zeros(len(g))
    if kind == "copy":
        return earlier.copy()
    if kind == "scaled copy":
        return earlier * scale
    if kind == "nearly parallel":
        return earlier + 1e-8 * np.linalg.norm(earlier) * rng.standard_normal(len(g))
    if kind == "minus g":
        return -g * scale
    return rng.standard_normal(len(g)) * scale


@st.composite
def problems(draw):
    """(g, G): t in 1..20 rows of mixed kinds, scales 1e-8 .. 1e8, p in 1..40."""
    t, p = draw(st.integers(1, 20)), draw(st.integers(1, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    powers = st.integers(-8, 8).map(lambda e: 10.0**e)
    kinds = draw(st.lists(st.sampled_from(ROW_KINDS), min_size=t, max_size=t))
    scales = draw(st.lists(powers, min_size=t, max_size=t))
    g = rng.standard_normal(p) * draw(powers)
    G = np.zeros((t, p))
    for k, (kind, scale) in enumerate(zip(kinds, scales)):
        G[k] = row(kind, k, g, G, rng, scale)
    if draw(st.booleans()):  # g against a mix of the rows: the projection must act
        g = -rng.random(t) @ G + 1e-3 * g
    return g, G


MAGNITUDES = [0.0] + [s * 10.0**e for e in (-8, -3, 0, 3, 8) for s in (1, -1)]


@st.composite
def small_exact_problems(draw):
    """(g, G) with t in 1..20, p in 1..5, every entry 0 or +-1e-8 .. 1e8."""
    t, p = draw(st.integers(1, 20)), draw(st.integers(1, 5))
    entries = st.sampled_from(MAGNITUDES)
    return (draw(arrays(np.float64, p, elements=entries)),
            draw(arrays(np.float64, (t, p), elements=entries)))


def dual_solution(g, G, gamma):
    """v and s of the dual (10), solved without quadprog: NNLS on its Cholesky form.

    As tests/test_projection.py's reference, without its final polishing, whose
    self-check is too strict for many nearly identical rows. A loose KKT check
    still catches a wrong v.
    """
    t = len(G)
    s = float((G**2).sum()) / t or 1.0
    P0 = G @ G.T / s + EPS * np.eye(t)
    c = P0 @ np.full(t, gamma) + G @ g / s
    L = cholesky(P0, lower=True)
    w = nnls(L.T, -solve_triangular(L, c, lower=True))[0]
    lam = P0 @ w + c
    size = np.abs(P0).max() * w.sum() + np.abs(c).max()
    assert lam.min() >= -1e-6 * size and abs(lam[w > 0]).max(initial=0) <= 1e-6 * size
    return gamma + w, s


def check(g, G, gamma, dtype=torch.float64):
    """`project` meets the property above on (g, G), or raises a clear ValueError."""
    try:
        got = project(torch.from_numpy(g).to(dtype), torch.from_numpy(G).to(dtype),
                      gamma)
    except ValueError as error:
        assert "overflows" in str(error) or "non-finite" in str(error), error
        return None
    assert got.dtype == dtype and got.shape == g.shape
    assert torch.isfinite(got).all(), "project returned inf or NaN"
    v, s = dual_solution(g, G, gamma)
    row_norms = np.linalg.norm(G, axis=1)
    size = np.linalg.norm(g) + v @ row_norms
    P, q = G @ G.T + EPS * s * np.eye(len(G)), G @ g
    dual = np.abs(q).max() + np.abs(P).max() * v.sum()
    allow = EPS * s * v + TOL[dtype] * (row_norms * size + dual)
    inner = G @ got.double().numpy()
    worst = np.argmin(inner + allow)
    assert (inner >= -allow).all(), (
        f"constraint {worst} violated: <g~, g_k> = {inner[worst]:.3g}, "
        f"allowed down to {-allow[worst]:.3g} (v_k = {v[worst]:.3g}, s = {s:.3g})")
    return got


@SETTINGS
@given(problem=problems(), gamma=st.sampled_from([0.0, 0.5]))
def test_constraints_hold_on_mixed_problems(problem, gamma):
    check(*problem, gamma)


@settings(SETTINGS, max_examples=200)
@given(problem=small_exact_problems(), gamma=st.sampled_from([0.0, 0.5]))
@example(problem=(np.array([1e8, -1e-8]), np.array([[1e-8, 1e8], [-1e8, 1e-8]])),
         gamma=0.0)
def test_constraints_hold_on_exact_extremes(problem, gamma):
    check(*problem, gamma)


@settings(SETTINGS, max_examples=100)
@given(problem=problems(), gamma=st.sampled_from([0.0, 0.5]))
def test_float32_constraints_hold(problem, gamma):
    """float32 in, float32 out, the same constraints up to float32 rounding."""
    g, G = problem
    assume(np.abs(G).max(initial=0) < 1e8 and np.abs(g).max() < 1e8)
    g32, G32 = (x.astype(np.float32).astype(np.float64) for x in (g, G))
    check(g32, G32, gamma, torch.float32)


@settings(SETTINGS, max_examples=100)
@given(problem=problems(), power=st.integers(10, 40),
       gamma=st.sampled_from([0.0, 0.5]))
def test_huge_float32_gradients_raise_or_hold(problem, power, gamma):
    """Rows up to 1e48 in float32 (G G' overflows): a ValueError, or a valid g~."""
    g, G = problem
    G = np.clip(G / max(np.abs(G).max(), 1e-300) * 10.0**power, -3e38, 3e38)
    G32 = G.astype(np.float32).astype(np.float64)
    g32 = g.astype(np.float32).astype(np.float64)
    check(g32, G32, gamma, torch.float32)


def test_overflow_is_a_value_error_not_nan():
    """float32 rows of norm 1e20: G G' overflows; a ValueError names it."""
    G = torch.full((3, 50), 1e20)
    G[1] *= -1
    with pytest.raises(ValueError, match="too large to project: G G' overflows "
                                         "torch.float32; lower the learning rate"):
        project(torch.ones(50), G)


def test_no_past_task_returns_g():
    """t = 0: nothing to protect, g unchanged (a copy)."""
    g = torch.randn(7, dtype=torch.float64)
    got = project(g, torch.zeros(0, 7, dtype=torch.float64))
    assert torch.equal(got, g) and got is not g


@pytest.mark.parametrize("g, G, message", [
    (torch.ones(5), torch.ones(2, 6), r"g must be a vector \(p,\) and G a matrix "
                                      r"\(t, p\), got g of shape \(5,\) and G of "
                                      r"shape \(2, 6\)"),
    (torch.ones(5), torch.ones(5), r"G of shape \(5,\)"),
    (torch.ones(1, 5), torch.ones(2, 5), r"g of shape \(1, 5\)"),
    (torch.ones(5, dtype=torch.long), torch.ones(2, 5),
     "g and G must be floating point, got torch.int64 and torch.float32"),
])
def test_bad_shapes_and_dtypes(g, G, message):
    with pytest.raises(ValueError, match=message):
        project(g, G)


@pytest.mark.parametrize("gamma, eps", [(-0.5, 1e-3), (math.nan, 1e-3),
                                        (math.inf, 1e-3), (0.5, 0.0), (0.5, -1e-3),
                                        (0.5, math.nan)])
def test_bad_margin_or_diagonal(gamma, eps):
    with pytest.raises(ValueError, match=f"need a margin gamma >= 0 and a diagonal "
                                         f"term eps > 0, got gamma={gamma} and "
                                         f"eps={eps}"):
        project(torch.ones(3), -torch.ones(2, 3), gamma, eps)


def test_the_check_rejects_an_unprojected_g(monkeypatch):
    """The tolerance has teeth: g itself fails where it violates a constraint."""
    import test_projection_properties as this

    g, G = np.array([1.2, -0.6]), np.array([[1.0, 0.3], [0.2, 1.0]])
    check(g, G, 0.0)
    monkeypatch.setattr(this, "project", lambda g, G, gamma: g.clone())
    with pytest.raises(AssertionError, match="constraint 1 violated"):
        check(g, G, 0.0)
