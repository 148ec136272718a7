"""Unit tests of gembook.projection: GEM's dual QP and the projection of g.

`project` is checked against an independent solver of the same dual (`reference`: NNLS
on the Cholesky form, refined on its active set and certified by the KKT conditions) on
more than 1000 seeded cases, random and degenerate, with gamma = 0 and 0.5.

And on problems that hypothesis generates: 1 to 20 past tasks mixing every degeneracy
GEM can meet (the same rows as the seeded cases': duplicate and zero rows, nearly
parallel rows, a row equal to -g), with row and g scales anywhere in 1e-8 .. 1e8. The
property: `project` returns a finite g~ of g's shape and dtype that meets every
constraint up to the documented slack (chapter 05)

    <g~, g_k> >= -(eps s v_k + TOL (||g_k|| size + dual)),

with v the dual solution (solved independently, by NNLS), s the mean squared row
norm, `size` the largest term that g~ = g + sum_k v_k g_k adds up and `dual` the
largest term of the dual's KKT residual P v + q (what rounding leaves of both).
Where rows differ by many orders of magnitude, a small row is thus protected only up
to the precision of the largest (the chapter: "such a task is protected less
exactly"). Otherwise `project` raises a ValueError that says what was wrong; it
never returns NaN.
"""

import math
import sys

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.linalg import cho_factor, cho_solve, cholesky, solve_triangular
from scipy.optimize import nnls

from gembook.projection import dual_qp, gem_step, project, violations

EPS = 1e-3  # project's default diagonal term, relative to s
GAMMAS = (0.0, 0.5)

# Tolerance, relative to scale = ||g|| + gamma * ||G||_F (the size of g~ - g: the
# term gamma * 1'G is bounded by gamma * sqrt(t) ||G||_F, the rest by ||g||).
# Normalised by s, the dual matrix P/s = G G'/s + eps I has eigenvalues in
# [eps, t + eps], so cond(P) <= 1 + t/eps <= 2.1e4 for t <= 20; two backward-
# stable solvers then agree to about cond * 1e-16 = 2e-12 of the scale (observed:
# below 2e-13, nearly parallel rows). 1e-9 leaves a margin of 500 over that, and
# is 1e4 times below the smallest change (1e-5; median 3e-3 to 0.8) that a wrong
# sign of q, gamma or eps makes (see test_tolerance_detects_wrong_solutions).
TOL = 1e-9

# The generated problems' rounding of g~, relative, by dtype.
ROUNDING = {torch.float64: TOL, torch.float32: 1e-4}
SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

pytestmark = pytest.mark.usefixtures("one_thread")


# --- the independent reference solver -------------------------------------------


def reference(g, G, gamma, eps=EPS, polish=True):
    """g~, v and s of GEM's dual QP, solved without quadprog.

    With P0 = G G'/s + eps I and q0 = G g/s (same minimiser as P, q: the
    objective is divided by s > 0), v = gamma + w, P0 = L L':
    1/2 v'P0 v + q0'v = 1/2 ||L'w - b||^2 + const, b = -L^-1 (P0 gamma 1 + q0),
    so w = NNLS(L', b). With `polish`, w is then recomputed exactly on its free set
    and the KKT conditions are checked to 1e-10, so a wrong reference fails loudly.
    Without, NNLS's own w is checked to 1e-6 only: the generated problems' many
    nearly identical rows at scales far apart are too much for the strict check,
    and the loose one still catches a wrong v.
    """
    t = G.shape[0]
    s = float((G**2).sum()) / t or 1.0  # mean squared row norm; 1 if G = 0
    P0 = G @ G.T / s + eps * np.eye(t)
    c = P0 @ np.full(t, gamma) + G @ g / s  # gradient of the objective at w = 0
    L = cholesky(P0, lower=True)
    w, _ = nnls(L.T, -solve_triangular(L, c, lower=True))
    free = w > 0
    if polish and free.any():  # the exact minimiser on the free set
        exact = np.zeros(t)
        exact[free] = cho_solve(cho_factor(P0[np.ix_(free, free)]), -c[free])
        if (exact[free] > 0).all():
            w = exact
    lam = P0 @ w + c  # KKT: lam >= 0, and lam = 0 where w > 0
    size = np.abs(P0).max() * np.abs(w).sum() + np.abs(c).max() + 1e-300
    kkt = 1e-10 if polish else 1e-6
    assert lam.min() >= -kkt * size, "reference: KKT multiplier negative"
    assert np.abs(lam[w > 0]).max(initial=0) <= kkt * size, "reference: KKT"
    v = gamma + w
    return g + v @ G, v, s


# --- the degenerate rows GEM can meet ---------------------------------------------

ROW_KINDS = ("random", "zero", "copy", "scaled copy", "nearly parallel", "minus g")


def row(kind, k, g, G, rng, scale=1.0):
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


def rows(kinds, scales, g, rng):
    """G: row k of kind kinds[k] (ROW_KINDS) and scale scales[k], built in order."""
    G = np.zeros((len(kinds), len(g)))
    for k, (kind, scale) in enumerate(zip(kinds, scales)):
        G[k] = row(kind, k, g, G, rng, scale)
    return G


# --- seeded cases -----------------------------------------------------------------


def _against(rng, g, G):
    """g against a random mix of the rows, plus noise."""
    return -rng.random(len(G)) @ G / np.sqrt(len(G)) + 0.3 * g


def _random(rng, t=None, p=None):
    """t x p rows of varied norms; g often built to conflict with them."""
    t = int(rng.integers(1, 21)) if t is None else t
    p = int(rng.integers(2, 301)) if p is None else p
    G = rng.standard_normal((t, p)) * np.exp(rng.standard_normal((t, 1)))
    g = rng.standard_normal(p)
    if rng.random() < 0.5:
        g = _against(rng, g, G)
    return g, G


def _of_kinds(rng, kinds, against=True):
    """Rows of the given kinds, of varied norms as _random's; g often against them."""
    g = rng.standard_normal(int(rng.integers(2, 301)))
    G = rows(kinds, np.exp(rng.standard_normal(len(kinds))), g, rng)
    if against and rng.random() < 0.5:
        g = _against(rng, g, G)
    return g, G


def _duplicate_rows(rng):
    """A few random rows, then copies of them (half the time positive multiples)."""
    n = int(rng.integers(1, 8))
    copy = "scaled copy" if rng.random() < 0.5 else "copy"
    return _of_kinds(rng, ["random"] * n + [copy] * int(rng.integers(1, 21 - n)))


def _zero_rows(rng):
    """Half the rows zero; now and then all of them (s falls back to 1)."""
    share = 1.0 if rng.random() < 0.2 else 0.5
    return _of_kinds(rng, ["zero" if rng.random() < share else "random"
                           for _ in range(int(rng.integers(1, 21)))])


def _nearly_parallel(rng):
    """Rows within about 1e-8 of each other's direction."""
    return _of_kinds(rng, ["random"] + ["nearly parallel"] * int(rng.integers(0, 20)))


def _row_is_minus_g(rng):
    """One row a positive multiple of -g, the others random."""
    kinds = ["random"] * int(rng.integers(1, 21))
    kinds[rng.integers(len(kinds))] = "minus g"
    return _of_kinds(rng, kinds, against=False)


def _inside_cone(rng):
    g, G = _random(rng)
    G = G * np.sign(G @ g)[:, None]  # flip rows so that G g > 0: no violation
    return g, G


def _more_tasks_than_dims(rng):
    p = int(rng.integers(2, 11))
    return _random(rng, t=int(rng.integers(p + 1, 21)), p=p)


def _scaled(sg, sG):
    def make(rng):
        g, G = _random(rng, p=int(rng.integers(2, 101)))
        return sg * g, sG * G

    return make


FAMILIES = {  # name: (generator, number of cases); each case runs both gammas
    "random": (_random, 500),
    "duplicate_rows": (_duplicate_rows, 60),
    "zero_rows": (_zero_rows, 60),
    "nearly_parallel": (_nearly_parallel, 60),
    "row_is_minus_g": (_row_is_minus_g, 60),
    "inside_cone": (_inside_cone, 60),
    "more_tasks_than_dims": (_more_tasks_than_dims, 60),
    "g_large": (_scaled(1e6, 1.0), 40),
    "g_small": (_scaled(1e-6, 1.0), 40),
    "G_small": (_scaled(1.0, 1e-6), 40),
    "g_and_G_small": (_scaled(1e-6, 1e-6), 40),
    "g_large_G_small": (_scaled(1e6, 1e-6), 40),
    # large rows: quadprog alone fails on entries above ~3e7; project() rescales
    "G_large": (_scaled(1.0, 1e6), 40),
    "g_and_G_large": (_scaled(1e6, 1e6), 40),
    "g_small_G_large": (_scaled(1e-6, 1e6), 40),
}


def cases(family):
    """The seeded (g, G) pairs of a family, float64 numpy."""
    make, n = FAMILIES[family]
    rng = np.random.default_rng(sorted(FAMILIES).index(family) + 2017)
    return [make(rng) for _ in range(n)]


def _project(g, G, gamma):
    return project(torch.from_numpy(g), torch.from_numpy(G), gamma).numpy()


def _scale(g, G, gamma):
    return np.linalg.norm(g) + gamma * np.linalg.norm(G)


# --- generated problems (hypothesis) ------------------------------------------------


@st.composite
def problems(draw):
    """(g, G): t in 1..20 rows of mixed kinds, scales 1e-8 .. 1e8, p in 1..40."""
    t, p = draw(st.integers(1, 20)), draw(st.integers(1, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    powers = st.integers(-8, 8).map(lambda e: 10.0**e)
    kinds = draw(st.lists(st.sampled_from(ROW_KINDS), min_size=t, max_size=t))
    scales = draw(st.lists(powers, min_size=t, max_size=t))
    g = rng.standard_normal(p) * draw(powers)
    G = rows(kinds, scales, g, rng)
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
    _, v, s = reference(g, G, gamma, polish=False)
    row_norms = np.linalg.norm(G, axis=1)
    size = np.linalg.norm(g) + v @ row_norms
    P, q = G @ G.T + EPS * s * np.eye(len(G)), G @ g
    dual = np.abs(q).max() + np.abs(P).max() * v.sum()
    allow = EPS * s * v + ROUNDING[dtype] * (row_norms * size + dual)
    inner = G @ got.double().numpy()
    worst = np.argmin(inner + allow)
    assert (inner >= -allow).all(), (
        f"constraint {worst} violated: <g~, g_k> = {inner[worst]:.3g}, "
        f"allowed down to {-allow[worst]:.3g} (v_k = {v[worst]:.3g}, s = {s:.3g})")
    return got


# --- against the reference --------------------------------------------------------


def test_enough_cases():
    """At least 1000 cases that are expected to pass (each with both gammas)."""
    assert sum(n for _, n in FAMILIES.values()) >= 1000


@pytest.mark.parametrize("family", FAMILIES)
def test_matches_reference_and_constraints(family):
    """g~ equals the reference; G g~ >= -eps s v (equal where v > gamma)."""
    for i, (g, G) in enumerate(cases(family)):
        for gamma in GAMMAS:
            where = f"{family} case {i} (t={len(G)}, p={len(g)}, gamma={gamma})"
            got = _project(g, G, gamma)
            want, v, s = reference(g, G, gamma)
            scale = _scale(g, G, gamma)
            err = np.linalg.norm(got - want)
            assert err <= TOL * scale, f"{where}: |g~ - ref| = {err:.3g}"

            slack = G @ got + EPS * s * v  # KKT multiplier of v >= gamma: >= 0
            allow = TOL * (np.linalg.norm(G, axis=1) * scale + EPS * s * v)
            assert (slack >= -allow).all(), f"{where}: constraint violated"
            free = v > gamma + 1e-9 * (1 + v)
            assert (abs(slack[free]) <= allow[free]).all(), f"{where}: KKT"


def test_margin_of_recovered_multipliers():
    """v >= gamma for the v recovered from project's g~ where G has full row rank."""
    checked = 0
    for i, (g, G) in enumerate(cases("random")):
        sv = np.linalg.svd(G, compute_uv=False)
        if len(G) > len(g) or sv[-1] < 1e-3 * sv[0]:
            continue
        for gamma in GAMMAS:
            got = _project(g, G, gamma)
            v = np.linalg.lstsq(G.T, got - g, rcond=None)[0]
            tol = 1e-8 * _scale(g, G, gamma) / sv[-1]  # |dv| <= |dg~| / sigma_min
            assert v.min() >= gamma - tol, f"case {i}, gamma={gamma}: v = {v}"
            assert np.allclose(v, reference(g, G, gamma)[1], rtol=0, atol=tol)
        checked += 1
    assert checked >= 300


def test_tolerance_detects_wrong_solutions():
    """The comparison above would reject a wrong sign of q, gamma or eps."""
    mutants = {  # name: (gamma of project, v of a plausible bug)
        "sign of q": (0.0, lambda g, G: reference(-g, G, 0.0)[1]),
        "gamma 0.25": (0.5, lambda g, G: reference(g, G, 0.25)[1]),
        "gamma 0": (0.5, lambda g, G: reference(g, G, 0.0)[1]),
        "eps 1e-4": (0.0, lambda g, G: reference(g, G, 0.0, eps=1e-4)[1]),
    }
    data = cases("random")[:200]
    for name, (gamma, wrong_v) in mutants.items():
        caught = 0
        for g, G in data:
            wrong = g + wrong_v(g, G) @ G
            right = _project(g, G, gamma)
            caught += np.linalg.norm(wrong - right) > TOL * _scale(g, G, gamma)
        assert caught >= 0.9 * len(data), f"{name}: caught {caught}/{len(data)}"


def test_large_G_is_never_silently_wrong():
    """Where project does not raise on rows of norm ~1e4, g~ is still right."""
    for family in ("random", "duplicate_rows", "more_tasks_than_dims"):
        for i, (g, G) in enumerate(cases(family)):
            G = 300 * G
            for gamma in GAMMAS:
                got = _project(g, G, gamma)
                err = np.linalg.norm(got - reference(g, G, gamma)[0])
                scale = _scale(g, G, gamma)
                assert err <= TOL * scale, f"{family} {i}, gamma={gamma}: {err:.3g}"


# --- properties -------------------------------------------------------------------


@pytest.mark.parametrize(
    "c",
    [1e-6, 1e6],
)
def test_scale_invariance(c):
    """project(c g, c G) = c project(g, G): v does not depend on the scale."""
    for i, (g, G) in enumerate(cases("random")[:150]):
        for gamma in GAMMAS:
            got = _project(c * g, c * G, gamma)
            want = c * _project(g, G, gamma)
            err = np.linalg.norm(got - want)
            tol = TOL * c * _scale(g, G, gamma)
            assert err <= tol, f"case {i}, gamma={gamma}: {err:.3g}"


def test_no_violation_and_no_margin_returns_g():
    """With G g >= 0 and gamma = 0, the projection leaves g as it is."""
    for i, (g, G) in enumerate(cases("inside_cone")):
        assert not violations(torch.from_numpy(G), torch.from_numpy(g)).any()
        got = _project(g, G, 0.0)
        assert np.linalg.norm(got - g) <= TOL * np.linalg.norm(g), f"case {i}"


def test_violation_is_removed_with_zero_margin():
    """Unit rows, gamma = 0: G g~ >= -eps s v >= -2 eps ||g|| / sigma_min(G)."""
    fixed = 0
    for i, (g, G) in enumerate(cases("random")):
        G = G / np.linalg.norm(G, axis=1, keepdims=True)  # s = 1
        sigma_min = np.linalg.svd(G, compute_uv=False)[-1]
        if len(G) > len(g) // 2 or sigma_min < 0.1:
            continue
        got = _project(g, G, 0.0)
        # ||v|| <= ||G'v|| / sigma_min = ||g~ - g|| / sigma_min, and g~ - g is at
        # most ||g|| long for the exact projection (0 is feasible); 2x for eps.
        bound = 2 * EPS * np.linalg.norm(g) / sigma_min
        assert (G @ got).min() >= -bound, f"case {i}: {(G @ got).min():.3g}"
        fixed += (G @ g).min() < -100 * bound
    assert fixed >= 100  # many cases had a violation far beyond the bound


def test_dual_qp_matrices():
    """P = G G' + eps s I with s the mean squared row norm, q = G g."""
    rng = np.random.default_rng(5)
    for i in range(50):
        g, G = _zero_rows(rng) if i % 5 == 0 else _random(rng)
        G_, g_ = torch.from_numpy(G), torch.from_numpy(g)
        P, q = dual_qp(G_ @ G_.T, G_ @ g_, 1e-2)
        s = float((G**2).sum(1).mean()) or 1.0
        assert P.dtype == np.float64 and q.dtype == np.float64
        want = G @ G.T + 1e-2 * s * np.eye(len(G))
        assert np.allclose(P, want, rtol=1e-12, atol=1e-12 * s), f"case {i}"
        assert np.allclose(q, G @ g, rtol=1e-12, atol=1e-12 * s), f"case {i}"


# --- the property on generated problems ----------------------------------------------


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


def test_the_check_rejects_an_unprojected_g(monkeypatch):
    """The tolerance has teeth: g itself fails where it violates a constraint."""
    this = sys.modules[__name__]

    g, G = np.array([1.2, -0.6]), np.array([[1.0, 0.3], [0.2, 1.0]])
    check(g, G, 0.0)
    monkeypatch.setattr(this, "project", lambda g, G, gamma: g.clone())
    with pytest.raises(AssertionError, match="constraint 1 violated"):
        check(g, G, 0.0)


# --- violations, input checks, dtypes ---------------------------------------------


def test_violations_exact():
    """Strictly negative inner products are flagged; zero is not a violation."""
    G = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    g = torch.tensor([2.0, -2.0])
    got = violations(G, g)
    assert got.dtype == torch.bool
    assert got.tolist() == [False, True, True, False, False]


def test_violations_random_integers():
    """On integer-valued data (exact products) it is exactly G g < 0."""
    gen = torch.Generator().manual_seed(3)
    for i in range(200):
        t, p = torch.randint(1, 21, (2,), generator=gen).tolist()
        G = torch.randint(-3, 4, (t, p), generator=gen).double()
        g = torch.randint(-3, 4, (p,), generator=gen).double()
        want = [sum(a * b for a, b in zip(row, g.tolist())) < 0 for row in G.tolist()]
        assert violations(G, g).tolist() == want, f"case {i}"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize("where", ["g", "G"])
def test_non_finite_input_raises(bad, where):
    """inf or NaN in g or G is refused, with a message saying so."""
    g, G = torch.ones(4, dtype=torch.float64), torch.eye(3, 4, dtype=torch.float64)
    (g if where == "g" else G).view(-1)[1] = bad
    with pytest.raises(ValueError, match="non-finite.*inf or NaN"):
        project(g, G)


def test_float32_in_float32_out():
    """float32 input gives float32 g~ of g's shape, close to the float64 one."""
    for i, (g, G) in enumerate(cases("random")[:100]):
        for gamma in GAMMAS:
            got = project(torch.from_numpy(g).float(), torch.from_numpy(G).float(),
                          gamma)
            assert got.dtype == torch.float32 and got.shape == (len(g),)
            err = np.linalg.norm(got.double().numpy() - _project(g, G, gamma))
            assert err <= 1e-3 * _scale(g, G, gamma), f"case {i}: {err:.3g}"


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


def test_gem_step_keeps_a_gradient_that_violates_nothing():
    G = torch.eye(2, dtype=torch.float64)
    g = torch.tensor([0.5, 1.0], dtype=torch.float64)
    step, n_violated = gem_step(g, G, gamma=0.5)
    assert step is g and n_violated == 0
