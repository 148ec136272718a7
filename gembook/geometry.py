"""Generated from notebooks/11_geometry.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import numpy as np
import torch
from matplotlib import pyplot as plt
from matplotlib.colors import ListedColormap

from gembook.projection import gem_step, violations
from gembook.training import angle

COLORS = {"g": "tab:red", "g_k": "dimgray", "g_tilde": "tab:blue", "cone": "tab:green"}


# Defined in chapter 11 (notebooks/11_geometry.ipynb).
def check_dimension(g, G, n):
    """Refuse vectors that do not live in n dimensions, saying what was wrong."""
    if g.shape != (n,) or G.dim() != 2 or G.shape[1] != n or len(G) == 0:
        raise ValueError(f"need g of shape ({n},) and G of shape (t, {n}) with t >= 1, "
                         f"got g of shape {tuple(g.shape)} and G of shape "
                         f"{tuple(G.shape)}")


# Defined in chapter 11 (notebooks/11_geometry.ipynb).
def arrow(ax, vector, label, color):
    """An arrow from the origin to `vector` (2-D or 3-D axes), labelled at its tip."""
    v = vector.tolist()
    if len(v) == 2:
        ax.annotate("", xy=v, xytext=(0, 0),
                    arrowprops=dict(arrowstyle="-|>", color=color, linewidth=2))
    else:
        ax.quiver(0, 0, 0, *v, color=color, linewidth=2, arrow_length_ratio=0.12)
    ax.text(*(1.1 * np.asarray(v)), label, color=color, fontsize=12)


# Defined in chapter 11 (notebooks/11_geometry.ipynb).
def draw_2d(ax, g, G, gamma=0.5, lim=2.0):
    """Draw the cone {z : Gz >= 0} (shaded), g, each g_k and GEM's step in the plane.

    Returns the step (eq. 11 with margin gamma, or g when no constraint is violated).
    """
    check_dimension(g, G, 2)
    grid = np.linspace(-lim, lim, 401)
    Z = np.stack(np.meshgrid(grid, grid), axis=-1)
    feasible = (Z @ G.double().numpy().T >= 0).all(axis=-1)
    ax.imshow(feasible, extent=(-lim, lim, -lim, lim), origin="lower", alpha=0.25,
              cmap=ListedColormap(["white", COLORS["cone"]]), vmin=0, vmax=1)
    for k, g_k in enumerate(G.double()):
        normal = g_k / g_k.norm()  # the boundary <z, g_k> = 0 is orthogonal to g_k
        ax.plot(*(3 * lim * np.outer([-1, 1], [-normal[1], normal[0]])).T,
                color=COLORS["g_k"], linewidth=0.8, linestyle="--")
        arrow(ax, g_k, f"$g_{k}$", COLORS["g_k"])
    g_tilde, _ = gem_step(g, G, gamma)  # chapter 05: g, or g~
    arrow(ax, g, "$g$", COLORS["g"])
    arrow(ax, g_tilde, r"$\tilde g$", COLORS["g_tilde"])
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal",
           xlabel=r"parameter $\theta_1$", ylabel=r"parameter $\theta_2$")
    return g_tilde


from mpl_toolkits.mplot3d.art3d import Poly3DCollection


# Defined in chapter 11 (notebooks/11_geometry.ipynb).
def cone_edges(G):
    """The edges of the cone {z : Gz >= 0} for an invertible 3 x 3 G: the columns of
    G^{-1}, as unit rows (row i lies on every face but that of constraint i).
    """
    if G.shape != (3, 3) or torch.linalg.matrix_rank(G.double()) < 3:
        raise ValueError(f"need three linearly independent memory gradients in 3-D "
                         f"(G of shape (3, 3) and rank 3), got G of shape "
                         f"{tuple(G.shape)}")
    edges = torch.linalg.inv(G.double()).T
    return edges / edges.norm(dim=1, keepdim=True)


# Defined in chapter 11 (notebooks/11_geometry.ipynb).
def draw_3d(ax, g, G, gamma=0.5, length=1.5):
    """Draw the cone {z : Gz >= 0} (faces shaded), g, each g_k and GEM's step in space.

    `ax` is a 3-D axes; returns the step.
    """
    check_dimension(g, G, 3)
    edges = length * cone_edges(G)
    faces = [[np.zeros(3), *edges[[i for i in range(3) if i != k]].tolist()]
             for k in range(3)]
    ax.add_collection3d(Poly3DCollection(faces, color=COLORS["cone"], alpha=0.2,
                                         edgecolor=COLORS["cone"]))
    for k, g_k in enumerate(G.double()):
        arrow(ax, g_k, f"$g_{k}$", COLORS["g_k"])
    g_tilde, _ = gem_step(g, G, gamma)  # chapter 05: g, or g~
    arrow(ax, g, "$g$", COLORS["g"])
    arrow(ax, g_tilde, r"$\tilde g$", COLORS["g_tilde"])
    ax.set(xlim=(-length, length), ylim=(-length, length), zlim=(-length, length),
           xlabel=r"$\theta_1$", ylabel=r"$\theta_2$", zlabel=r"$\theta_3$")
    return g_tilde


# Defined in chapter 11 (notebooks/11_geometry.ipynb).
def explore(G=None, lim=2.0):
    """Sliders for the direction and length of g and for gamma, redrawing `draw_2d`.

    G defaults to two memory gradients in the plane.
    """
    import ipywidgets  # only the interactive view needs it (Colab and Jupyter have it)

    G = torch.tensor([[1.0, 0.3], [0.1, 1.0]], dtype=torch.float64) if G is None else G
    check_dimension(torch.zeros(2, dtype=G.dtype), G, 2)

    def show(direction=-40.0, length=1.5, gamma=0.5):
        radians = np.radians(direction)
        g = length * torch.tensor([np.cos(radians), np.sin(radians)], dtype=G.dtype)
        fig, ax = plt.subplots(figsize=(5.3, 5.3))
        g_tilde = draw_2d(ax, g, G, gamma, lim)
        ax.set_title(f"violated: {int(violations(G, g).sum())} of {len(G)}, "
                     f"angle(g, g~) = {angle(g, g_tilde):.0f}°")
        plt.show()

    return ipywidgets.interactive(
        show,
        direction=ipywidgets.FloatSlider(-40.0, min=-180.0, max=180.0, step=5.0,
                                         description="direction of g (°)"),
        length=ipywidgets.FloatSlider(1.5, min=0.1, max=2.0, step=0.1,
                                      description="length of g"),
        gamma=ipywidgets.FloatSlider(0.5, min=0.0, max=1.0, step=0.05,
                                     description="margin γ"))
