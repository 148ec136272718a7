"""Chapter 11's drawings: the cone they shade, the step they draw, the sliders."""

import ipywidgets
import numpy as np
import pytest
import torch
from matplotlib import pyplot as plt

from gembook.geometry import cone_edges, draw_2d, draw_3d, explore
from gembook.projection import gem_step
from planes import random_problem

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("gamma", [0.0, 0.5])
@pytest.mark.parametrize("seed", range(20))
def test_draw_2d_returns_a_step_in_the_cone(seed, gamma):
    g, G = random_problem(2, seed)
    _, ax = plt.subplots()
    g_tilde = draw_2d(ax, g, G, gamma)
    assert torch.equal(g_tilde, gem_step(g, G, gamma)[0])
    scale = G.norm(dim=1) * g.norm()
    assert (G @ g_tilde >= -1e-2 * scale).all()


def test_draw_2d_shades_exactly_the_cone():
    # G = I allows the first quadrant: a quarter of the square is shaded
    _, ax = plt.subplots()
    draw_2d(ax, torch.tensor([1.0, -1.0]), torch.eye(2))
    (image,) = ax.images
    shaded = np.asarray(image.get_array(), dtype=bool)
    assert shaded.mean() == pytest.approx(0.25, abs=0.01)
    assert shaded[-1, -1] and not shaded[0, 0]  # origin="lower": row 0 is at the bottom


def test_draw_2d_stops_a_gradient_against_every_memory():
    G = torch.eye(2, dtype=torch.float64)
    _, ax = plt.subplots()
    g_tilde = draw_2d(ax, torch.tensor([-1.0, -1.0], dtype=torch.float64), G, gamma=0.0)
    assert g_tilde.norm() < 1e-2


@pytest.mark.parametrize("gamma", [0.0, 0.5])
@pytest.mark.parametrize("seed", range(20))
def test_draw_3d_returns_a_step_in_the_cone(seed, gamma):
    g, G = random_problem(3, seed)
    ax = plt.figure().add_subplot(projection="3d")
    g_tilde = draw_3d(ax, g, G, gamma)
    scale = G.norm(dim=1) * g.norm()
    assert (G @ g_tilde >= -1e-2 * scale).all()
    assert len(ax.collections) >= 1  # the shaded faces


@pytest.mark.parametrize("seed", range(10))
def test_cone_edges_lie_on_all_faces_but_their_own(seed):
    _, G = random_problem(3, seed)
    edges = cone_edges(G)
    products = G @ edges.T  # column i: <g_k, r_i> for every constraint k
    assert torch.allclose(edges.norm(dim=1), torch.ones(3, dtype=torch.float64))
    assert (products.diagonal() > 0).all()
    off = products - torch.diag(products.diagonal())
    assert off.abs().max() < 1e-9 * products.diagonal().min()


@pytest.mark.parametrize("G", [torch.ones(3, 3), torch.eye(2), torch.eye(3)[:2]],
                         ids=["singular", "2-D", "two rows"])
def test_cone_edges_refuses_what_is_not_three_independent_gradients(G):
    with pytest.raises(ValueError, match="three linearly independent"):
        cone_edges(G)


@pytest.mark.parametrize("g, G", [(torch.ones(3), torch.eye(3)),
                                  (torch.ones(2), torch.ones(2, 3)),
                                  (torch.ones(2), torch.ones(0, 2))],
                         ids=["3-D g", "3-D G", "no constraint"])
def test_draw_2d_refuses_what_is_not_in_the_plane(g, G):
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"need g of shape \(2,\)"):
        draw_2d(ax, g, G)


def test_explore_builds_the_three_sliders_and_redraws():
    widget = explore()
    sliders = {child.description: child for child in widget.children
               if isinstance(child, ipywidgets.FloatSlider)}
    assert set(sliders) == {"direction of g (°)", "length of g", "margin γ"}
    assert (sliders["direction of g (°)"].min, sliders["direction of g (°)"].max) \
        == (-180, 180)
    assert (sliders["margin γ"].min, sliders["margin γ"].value) == (0, 0.5)
    before = len(plt.get_fignums())
    sliders["direction of g (°)"].value = -135.0  # against both memories
    assert len(plt.get_fignums()) == before + 1
    title = plt.gcf().axes[0].get_title()
    assert title.startswith("violated: 2 of 2")


def test_explore_refuses_memory_gradients_outside_the_plane():
    with pytest.raises(ValueError, match=r"G of shape \(t, 2\)"):
        explore(torch.ones(2, 3))


# --------------------------------------------------------------------------------------
# The website's version of `explore`: a Plotly figure computed in advance.

