"""Generated from notebooks/92_figures.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import numpy as np
import torch

from gembook.geometry import COLORS, check_dimension
from gembook.projection import gem_step, violations


import math

import plotly.graph_objects as go
from matplotlib.colors import to_hex


# Defined in Appendix C (notebooks/92_figures.ipynb).
def cone_corners(G, lim=2.0):
    """The corners, in order, of the polygon the cone {z : Gz >= 0} cuts out of the
    square [-lim, lim]^2: an array of shape (n, 2), flat if the cone is.
    """
    square = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)]
    corners = [lim * np.array(corner) for corner in square]
    for g_k in G.double().numpy():  # keep the side <z, g_k> >= 0 of each boundary
        kept = []
        for a, b in zip(corners, corners[1:] + corners[:1]):
            side_a, side_b = a @ g_k, b @ g_k
            if side_a >= 0:
                kept.append(a)
            if side_a * side_b < 0:  # the edge crosses the boundary: keep the crossing
                kept.append(a + side_a / (side_a - side_b) * (b - a))
        corners = kept
    return np.array(corners, dtype=np.float64).reshape(-1, 2)


# Defined in Appendix C (notebooks/92_figures.ipynb).
def in_words(constraints):
    """Constraint indices in words: 'none', 'constraint 1', 'constraints 0, 1'."""
    if not constraints:
        return "none"
    label = "constraint" if len(constraints) == 1 else "constraints"
    return f"{label} {', '.join(map(str, constraints))}"


# Defined in Appendix C (notebooks/92_figures.ipynb).
def step_in_words(g, G, gamma=0.5, tol=2e-3):
    """GEM's step g~ and two texts: the constraints g violates, and those tight after
    the projection, |<g~, g_k>| <= tol |g| |g_k| (the faces of the cone g~ lies on;
    the QP's slack leaves them about 1e-3 |g| |g_k| off, inner steps ten times more).
    """
    g_tilde, _ = gem_step(g, G, gamma)
    broken = violations(G, g).nonzero().flatten().tolist()
    violated = f"violated by g: {len(broken)} of {len(G)}"
    if not broken:
        return g_tilde, violated, "nothing violated: g\u0303 = g"
    slack = tol * g.norm() * G.norm(dim=1)
    tight = ((G @ g_tilde).abs() <= slack).nonzero().flatten().tolist()
    return g_tilde, f"{violated} ({in_words(broken)})", f"tight: {in_words(tight)}"


# Defined in Appendix C (notebooks/92_figures.ipynb).
def plotly_arrow(v, label, head=None, **style):
    """A Plotly trace of an arrow from the origin to the 2-D vector v, labelled beyond
    its tip, with a head unless `head` is False (default: unless v is zero).
    """
    x, y = v.tolist()
    norm = math.hypot(x, y)
    head = norm > 0 if head is None else head
    sin, cos = (y / norm, x / norm) if norm else (1.0, 0.0)
    row = "top" if sin > 0.38 else "bottom" if sin < -0.38 else "middle"
    column = "right" if cos > 0.38 else "left" if cos < -0.38 else "center"
    return go.Scatter(x=[0.0, x], y=[0.0, y], text=["", label],
                      textposition=["middle center", f"{row} {column}"],
                      marker_size=[0, 13 if head else 0], **style)


# Defined in Appendix C (notebooks/92_figures.ipynb).
def step_label(step, g):
    """g~, or g~ ≈ 0 where the step is shorter than 1% of g: the QP's slack, not a
    direction, drawn without a head."""
    return "g\u0303" if step.norm() >= 1e-2 * g.norm() else "g\u0303 ≈ 0"


# Defined in Appendix C (notebooks/92_figures.ipynb).
def projection_frames(G, angles, gammas, length, traces):
    """The frames of `projection_figure`, one per direction of g (in degrees): a title
    saying which constraints g violates, and new data for the `traces` of g and of g~,
    one per margin, named by the constraints it leaves tight.
    """
    frames = []
    for degrees in angles:
        radians = np.radians(degrees)
        g = length * torch.tensor([np.cos(radians), np.sin(radians)],
                                  dtype=torch.float64)
        steps = [step_in_words(g, G, gamma) for gamma in gammas]
        title = f"GEM's step, g at {degrees}°<br>{steps[0][1]}".replace("-", "−")
        moved = bool(violations(G, g).any())  # else g~ = g: one label for both
        frames.append(go.Frame(
            name=str(degrees), traces=list(traces), layout={"title": {"text": title}},
            data=[plotly_arrow(g, "g" if moved else "g = g\u0303")] + [
                plotly_arrow(step, step_label(step, g) if moved else "",
                             head=bool(step.norm() >= 1e-2 * g.norm()),
                             name=f"g\u0303 (γ = {gamma:g}), {tight}")
                for gamma, (step, _, tight) in zip(gammas, steps)]))
    return frames


# Defined in Appendix C (notebooks/92_figures.ipynb).
def projection_figure(G, angles=range(-180, 180, 10),
                      gammas=(0.0, 0.25, 0.5, 0.75, 1.0), length=1.5, lim=3.0):
    """A Plotly figure of GEM's step in the plane, with two sliders: the direction of g
    (a frame per angle, in degrees) and the margin gamma (a trace of g~ per margin, one
    shown at a time). Every g~ is `gem_step` in float64, computed here: the figure
    needs no kernel. It starts at the angle nearest -40 and the gamma nearest 0.5; the
    plot spans [-lim, lim]^2, room for the longest steps (|g~| < 2.8 for the defaults).
    """
    check_dimension(torch.zeros(2, dtype=torch.float64), G, 2)
    G, angles, gammas = G.double(), list(angles), list(gammas)
    color = {name: to_hex(value) for name, value in COLORS.items()}
    first = 2 + len(G)  # the trace of g, after the cone, its boundaries and each g_k
    step_traces = list(range(first + 1, first + 1 + len(gammas)))  # those of g~
    frames = projection_frames(G, angles, gammas, length,
                               traces=[first, *step_traces])
    now = int(np.argmin([abs(degrees + 40) for degrees in angles]))
    shown = int(np.argmin([abs(gamma - 0.5) for gamma in gammas]))
    fig = go.Figure(frames=frames, layout=frames[now].layout)
    corners = cone_corners(G, 4 * lim)  # past the edges, however wide the plot
    fig.add_scatter(x=[*corners[:, 0], *corners[:1, 0]],
                    y=[*corners[:, 1], *corners[:1, 1]], fill="toself", mode="none",
                    fillcolor=color["cone"], opacity=0.25, name="cone {z : Gz ≥ 0}")
    lines = []  # the boundary <z, g_k> = 0 of each constraint, orthogonal to g_k
    for g_k in G.numpy():
        end = 4 * lim * np.array([-g_k[1], g_k[0]]) / np.linalg.norm(g_k)
        lines += [-end, end, [None, None]]
    fig.add_scatter(x=[p[0] for p in lines], y=[p[1] for p in lines], mode="lines",
                    line=dict(color=color["g_k"], width=1, dash="dash"),
                    showlegend=False)
    style = dict(mode="lines+markers+text", textfont_size=16,
                 marker=dict(symbol="arrow", angleref="previous"))
    for k, g_k in enumerate(G):
        fig.add_trace(plotly_arrow(
            g_k, f"g{chr(0x2080 + k)}", name="memory gradients", legendgroup="g_k",
            showlegend=k == 0, line_color=color["g_k"], **style))
    for i, trace in enumerate(frames[now].data):  # g, then g~ for each gamma
        fig.add_trace(go.Scatter(trace).update(
            name=trace.name or "g (current task)", visible=i == 0 or i - 1 == shown,
            line_color=color["g_tilde" if i else "g"], **style))
    go_to = {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
             "transition": {"duration": 0}}
    below = dict(x=0, len=1, y=0, yanchor="top")  # the sliders, under the plot
    turn = dict(below, active=now, pad={"t": 40}, steps=[
        dict(label=f"{degrees}°".replace("-", "−"), method="animate",
             args=[[frame.name], go_to]) for degrees, frame in zip(angles, frames)],
        currentvalue=dict(prefix="direction of g: "))
    margin = dict(below, active=shown, pad={"t": 130}, steps=[
        dict(label=f"{gamma:g}", method="restyle",
             args=[{"visible": [j == i for j in range(len(gammas))]},
                   step_traces])
        for i, gamma in enumerate(gammas)], currentvalue=dict(prefix="margin γ: "))
    ticks = [k for k in range(-int(lim), int(lim) + 1) if abs(k) < lim]
    axis = dict(range=[-lim, lim], dtick=1, fixedrange=True)
    fig.update_layout(
        template="plotly_white", font_size=13, title_font_size=15, hovermode=False,
        dragmode=False, height=830, margin=dict(l=55, r=15, t=60, b=310),
        xaxis=dict(axis, title="θ₁"),
        yaxis=dict(axis, title="θ₂", scaleanchor="x", tickvals=ticks),
        showlegend=True, sliders=[turn, margin], legend=dict(
            orientation="h", entrywidth=1, entrywidthmode="fraction",  # one per row
            traceorder="normal", xref="container", x=0, xanchor="left",
            yref="container", y=0, yanchor="bottom"))
    return fig


import hashlib
import json

import plotly.io
from plotly.offline import get_plotlyjs_version


FALLBACK = ("This interactive figure needs plotly.js, which has not loaded here (no "
            "network, or scripts blocked).")


# Defined in Appendix C (notebooks/92_figures.ipynb).
def figure_html(fig, side=460):
    """HTML that draws a Plotly figure with the page's plotly.js: the website's own copy
    (the script "plotly-js" of book/_ext/plotly_js.py) or, in Jupyter and Colab,
    plotly.js from its CDN. The plot is a square at most `side` px wide, with the
    figure's margins around it; until it is drawn, its box holds `FALLBACK`.
    """
    figure = json.loads(plotly.io.to_json(fig, remove_uids=True))
    figure["layout"].pop("height", None)  # the div's, which follows its width
    figure["config"] = {"responsive": True, "displayModeBar": False}
    text = json.dumps(figure, separators=(",", ":"), sort_keys=True)
    text = text.replace("</", "<\\/")  # no end of the script inside it
    name = "plotly-" + hashlib.sha1(text.encode()).hexdigest()[:12]
    margin = fig.layout.margin  # plotly's defaults, in px, where the figure sets none
    px = lambda value, default: default if value is None else value
    across = px(margin.l, 80) + px(margin.r, 80)
    down = px(margin.t, 100) + px(margin.b, 80)
    size = (f"width: 100%; max-width: {side + across}px; "
            f"height: calc(min(100cqw, {side + across}px) - {across}px + {down}px)")
    cdn = f"https://cdn.plot.ly/plotly-{get_plotlyjs_version()}.min.js"
    return f"""<div style="container-type: inline-size">
<div id="{name}" class="plotly-graph-div" style="{size}">
<p class="plotly-fallback">{FALLBACK}</p>
</div>
</div>
<script>
(function () {{
  const draw = () => {{
    if (!window.Plotly) return;  // it did not load: the fallback's sentence stays
    document.getElementById("{name}").replaceChildren();  // the fallback's sentence
    Plotly.newPlot("{name}", {text});
  }};
  if (window.Plotly) {{
    draw();
  }} else if (document.getElementById("plotly-js")) {{  // the website's, deferred
    document.addEventListener("DOMContentLoaded", draw);
  }} else {{  // Jupyter, Colab: plotly.js from its CDN
    const script = Object.assign(document.createElement("script"), {{src: "{cdn}"}});
    script.addEventListener("load", draw);
    document.head.appendChild(script);
  }}
}})();
</script>"""
