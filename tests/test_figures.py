"""Appendix C's interactive figure of the projection: its frames, its texts, its HTML."""

import json
import re

import numpy as np
import pytest
import torch

from gembook.figures import (FALLBACK, cone_corners, figure_html, in_words,
                             projection_figure, step_in_words)
from gembook.projection import gem_step
from planes import random_problem

G_2D = torch.tensor([[1.0, 0.3], [0.1, 1.0]], dtype=torch.float64)  # the chapter's G
ANGLES, GAMMAS = [-150, -50, -40, 60, 120], [0.0, 0.25, 0.5, 0.75, 1.0]


def direction(degrees, length=1.5):
    radians = np.radians(degrees)
    return length * torch.tensor([np.cos(radians), np.sin(radians)],
                                 dtype=torch.float64)


@pytest.fixture(scope="module")
def figure():
    return projection_figure(G_2D, ANGLES, GAMMAS)


def test_projection_figure_frames_hold_gem_step(figure):
    assert [frame.name for frame in figure.frames] == [str(a) for a in ANGLES]
    for degrees, frame in zip(ANGLES, figure.frames):
        g = direction(degrees)
        g_trace, *steps = frame.data
        assert [g_trace.x[1], g_trace.y[1]] == g.tolist()
        assert len(steps) == len(GAMMAS)
        for gamma, step in zip(GAMMAS, steps):
            assert [step.x[0], step.y[0]] == [0.0, 0.0]
            assert [step.x[1], step.y[1]] == gem_step(g, G_2D, gamma)[0].tolist()


def test_projection_figure_frames_and_sliders_address_the_right_traces(figure):
    names = [trace.name for trace in figure.data]
    for frame in figure.frames:
        g_index, *step_indices = frame.traces
        assert names[g_index] == "g (current task)"
        assert [names[i].split(",")[0] for i in step_indices] == [
            f"g\u0303 (γ = {gamma:g})" for gamma in GAMMAS]
    turn, margin = figure.layout.sliders
    assert [list(step.args[0]) for step in turn.steps] == [[str(a)] for a in ANGLES]
    assert [step.label for step in margin.steps] == ["0", "0.25", "0.5", "0.75", "1"]
    for i, step in enumerate(margin.steps):  # shows the g~ of its gamma, hides the rest
        visible, indices = step.args
        assert indices == figure.frames[0].traces[1:]
        assert visible == {"visible": [j == i for j in range(len(GAMMAS))]}
    # It opens at -40 degrees and gamma = 0.5: the title and the one g~ shown say so.
    now, shown_gamma = ANGLES.index(-40), GAMMAS.index(0.5)
    assert (turn.active, margin.active) == (now, shown_gamma)
    shown = [trace.name for trace in figure.data if trace.visible is True]
    assert shown == ["g (current task)", figure.frames[now].data[1 + shown_gamma].name]
    assert figure.layout.title.text == figure.frames[now].layout.title.text


@pytest.mark.parametrize("degrees, gamma, violated, tight", [
    (-40, 0.0, "violated by g: 1 of 2 (constraint 1)", "tight: constraint 1"),
    (-40, 1.0, "violated by g: 1 of 2 (constraint 1)", "tight: none"),
    (-150, 0.0, "violated by g: 2 of 2 (constraints 0, 1)", "tight: constraints 0, 1"),
    (-150, 1.0, "violated by g: 2 of 2 (constraints 0, 1)", "tight: constraint 0"),
    (120, 0.0, "violated by g: 1 of 2 (constraint 0)", "tight: constraint 0"),
    (120, 0.5, "violated by g: 1 of 2 (constraint 0)", "tight: none"),
    # steps just inside the cone, 0.012 and 0.005 off a face: not tight
    (120, 0.25, "violated by g: 1 of 2 (constraint 0)", "tight: none"),
    (-50, 0.75, "violated by g: 1 of 2 (constraint 1)", "tight: none"),
    (60, 0.5, "violated by g: 0 of 2", "nothing violated: g\u0303 = g"),
])
def test_projection_figure_says_which_constraints_are_violated_and_tight(
        figure, degrees, gamma, violated, tight):
    frame = figure.frames[ANGLES.index(degrees)]
    step = frame.data[1 + GAMMAS.index(gamma)]
    assert frame.layout.title.text.split("<br>")[1] == violated
    assert step.name == f"g\u0303 (γ = {gamma:g}), {tight}"
    # ... as the numbers say: G g < 0 for the violated, G g~ = 0 for the tight.
    g = direction(degrees)
    g_tilde = torch.tensor([step.x[1], step.y[1]], dtype=torch.float64)
    broken = [int(k) for k in re.findall(r"\d", violated.partition("(")[2])]
    assert (G_2D @ g < 0).nonzero().flatten().tolist() == broken
    if broken:
        products = (G_2D @ g_tilde).tolist()
        slack = (2e-3 * g.norm() * G_2D.norm(dim=1)).tolist()  # step_in_words' tol
        on = [int(k) for k in re.findall(r"\d", tight)]
        assert all(abs(products[k]) <= slack[k] for k in on)
        assert all(products[k] > slack[k] for k in range(2) if k not in on)


def test_step_in_words_finds_a_satisfied_constraint_that_ends_tight():
    # Chapter 11's example: g satisfies constraint 0, yet the step ends on both faces.
    G = torch.tensor([[1.0, 0.0], [-1.0, 0.1]], dtype=torch.float64)
    g = torch.tensor([0.99, -0.1], dtype=torch.float64)
    step, violated, tight = step_in_words(g, G, gamma=0.0)
    assert step.norm() < 1e-2 * g.norm()
    assert violated == "violated by g: 1 of 2 (constraint 1)"
    assert tight == "tight: constraints 0, 1"


def test_in_words():
    assert [in_words(k) for k in ([], [1], [0, 2])] == [
        "none", "constraint 1", "constraints 0, 2"]


def shoelace(corners):
    x, y = corners.T
    return 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


@pytest.mark.parametrize("seed", range(10))
def test_cone_corners_bound_the_cone_in_the_square(seed):
    _, G = random_problem(2, seed)
    corners = cone_corners(G, lim=2.0)
    assert (corners @ G.numpy().T >= -1e-9).all()
    assert (np.abs(corners) <= 2 + 1e-9).all()
    # The polygon's area is the share of the square the cone covers, as sampled.
    grid = np.stack(np.meshgrid(*[np.linspace(-2, 2, 401)] * 2), axis=-1).reshape(-1, 2)
    covered = (grid @ G.numpy().T >= 0).all(axis=1).mean()
    assert shoelace(corners) / 16 == pytest.approx(covered, abs=0.01)


def test_cone_corners_of_a_quadrant_a_line_and_an_apex():
    quadrant = cone_corners(torch.eye(2), lim=1.0)
    assert sorted(map(tuple, quadrant.tolist())) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    line = cone_corners(torch.tensor([[1.0, 0.0], [-1.0, 0.0]]))
    assert len(line) > 0 and shoelace(line) == 0 and (line[:, 0] == 0).all()
    apex = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    corners = cone_corners(apex)
    assert len(corners) > 0 and not np.abs(corners).any()  # the apex, some times over


def test_figure_html_holds_the_page_plotly_or_its_cdn(figure):
    """The text of the HTML; tests/test_browser.py checks that it draws."""
    html = figure_html(figure)
    assert html == figure_html(figure), "the same figure, the same HTML (no random id)"
    (name,) = re.findall(r'<div id="([^"]+)" class="plotly-graph-div"', html)
    script = html[html.index("<script>") + len("<script>"):html.rindex("</script>")]
    assert "</" not in script, "nothing in the data may end the script early"
    assert 'getElementById("plotly-js")' in script  # the website's copy
    assert re.search(r'https://cdn\.plot\.ly/plotly-\d+\.\d+\.\d+\.min\.js', script)
    data = json.loads(re.search(rf'Plotly\.newPlot\("{name}", (\{{.*\}})\);',
                                script).group(1))
    assert len(data["frames"]) == len(ANGLES) and len(data["data"]) == len(figure.data)
    assert data["config"] == {"responsive": True, "displayModeBar": False}
    assert "height" not in data["layout"]  # the div's, which follows its width


def test_figure_html_escapes_an_end_of_script_in_the_data(figure):
    titled = projection_figure(G_2D, ANGLES, GAMMAS)
    titled.layout.title.text = "</script><b>not the end</b>"
    html = figure_html(titled)
    script = html[html.index("<script>") + len("<script>"):html.rindex("</script>")]
    assert "</" not in script and "<\\/script><b>not the end<\\/b>" in script


def test_projection_figure_refuses_what_is_not_in_the_plane():
    with pytest.raises(ValueError, match=r"G of shape \(t, 2\)"):
        projection_figure(torch.ones(2, 3))


def test_figure_html_says_what_it_needs_until_it_is_drawn(figure):
    """Where plotly.js cannot load, the box shows why; drawing clears it first."""
    html = figure_html(figure)
    name = re.search(r'<div id="(plotly-\w+)" class="plotly-graph-div"', html)[1]
    box = html[html.index(f'<div id="{name}"'):html.index("</div>")]
    assert f'<p class="plotly-fallback">{FALLBACK}</p>' in box
    draw = html[html.index("const draw"):html.index("Plotly.newPlot")]
    assert f'document.getElementById("{name}").replaceChildren()' in draw
