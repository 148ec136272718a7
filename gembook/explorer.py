"""Generated from notebooks/94_explorer.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import json

import numpy as np

from gembook.runs import cached, experiments, settings_for


# Defined in Appendix E (notebooks/94_explorer.ipynb).
def study(group, label, benchmark, method, n_seeds=1, seen=0, **options):
    """One explored setting: the menu group and label it is shown under, its benchmark,
    and the requests of seeds 0 to n_seeds - 1 (seed 0 tested in full, seeds 1 to
    `seen` on the tasks seen, the others on what ACC, BWT and FWT read, as chapter 07's
    `over_seeds`, unless `options` names an evaluation)."""
    tested = lambda seed: "full" if seed == 0 else "seen" if seed <= seen else "metrics"
    requests = [{"benchmark": benchmark, "method": method, "seed": seed,
                 "evaluation": tested(seed), **options} for seed in range(n_seeds)]
    return {"group": group, "label": label, "benchmark": benchmark,
            "requests": requests}


BENCHMARKS = ("permutations", "rotations")
PAPER = ("single", "independent", "multimodal", "ewc", "gem", "agem", "er")
TEN_SEEDS = {("permutations", "independent"), ("rotations", "independent"),
             ("permutations", "multimodal"), ("permutations", "ewc")}  # chapter 08
SEEN = PAPER[:5]  # chapters 07 and 08: seeds 1 and 2 tested on the tasks seen
ONCE = {"evaluation": "metrics"}  # the sweeps' runs: seed 0, on what metrics read
STUDIES = [
    *[study("the paper's settings, A-GEM and replay at GEM's (chapters 07-09)", method,
            benchmark, method, 10 if (benchmark, method) in TEN_SEEDS else 3,
            seen=2 if method in SEEN else 0)
      for method in PAPER for benchmark in BENCHMARKS],
    *[study("learning rate (chapter 07)", f"single, lr {lr}", "rotations", "single",
            lr=lr, **ONCE) for lr in (0.01, 0.03, 0.1)],
    *[study("A-GEM's protocol (chapter 09)", f"agem, 17 tasks of {n} examples",
            "permutations", "agem", n_tasks=17, sizes=(784, 256, 256, 10), n_train=n,
            **ONCE) for n in (1000, 5000)],
    *[study("memory size (chapter 10)", f"{method}, {n} memories", "permutations",
            method, n_memories=n, **ONCE)
      for method in ("gem", "agem", "er") for n in (8, 32, 128)],
    *[study("margin (chapter 10)", "gem, γ = 0", benchmark, "gem", 3, gamma=0.0,
            **ONCE) for benchmark in BENCHMARKS],
]


# Defined in Appendix E (notebooks/94_explorer.ipynb).
def requests_of(studies):
    """Every request of the studies, in order."""
    return [request for s in studies for request in s["requests"]]


# Defined in Appendix E (notebooks/94_explorer.ipynb).
def n_cached(studies):
    """How many of the studies' requests the results cache answers."""
    return sum(cached(settings_for(**r)) is not None for r in requests_of(studies))


# Defined in Appendix E (notebooks/94_explorer.ipynb).
def gather(studies):
    """{(label, benchmark): [Result of seed 0, 1, ...]} of every study, from the
    results cache (what is missing runs first, in worker processes)."""
    results = iter(experiments(requests_of(studies)))
    return {(s["label"], s["benchmark"]): [next(results) for _ in s["requests"]]
            for s in studies}


# Defined in Appendix E (notebooks/94_explorer.ipynb).
def mean_R(results):
    """The entrywise mean of the runs' R over their seeds: NaN where a seed did not
    test the entry."""
    return np.mean([np.asarray(r.R, dtype=float) for r in results], axis=0)


NAMES = ("ACC", "BWT", "FWT", "forgetting", "learned")  # Result.row()'s, in order


# Defined in Appendix E (notebooks/94_explorer.ipynb).
def as_text(R):
    """R as the page's text: accuracies in tenths of a percent, rows apart by spaces,
    entries by commas, an untested (NaN) entry empty: "873,912,, 880,...".
    """
    return " ".join(",".join("" if np.isnan(v) else str(round(1000 * v)) for v in row)
                    for row in np.asarray(R, dtype=float))


# Defined in Appendix E (notebooks/94_explorer.ipynb).
def from_text(text):
    """R back from `as_text`, as fractions, NaN where untested (what the page reads)."""
    return np.array([[float(v) / 1000 if v else np.nan for v in row.split(",")]
                     for row in text.split(" ")])


# Defined in Appendix E (notebooks/94_explorer.ipynb).
def metric_texts(results):
    """Each of `NAMES` (eqs. 2-4, F, LA of chapter 01) as text: the value of one run
    ("0.823"), mean ± sd over several ("0.823 ± 0.010"), "—" where R lacks an entry
    it reads."""
    values = np.array([list(r.row().values()) for r in results])
    if len(results) == 1:
        return ["—" if np.isnan(v) else f"{v:.3f}" for v in values[0]]
    mean, sd = values.mean(axis=0), values.std(axis=0, ddof=1)
    return ["—" if np.isnan(m) else f"{m:.3f} ± {s:.3f}" for m, s in zip(mean, sd)]


SHOWN = ("n_tasks", "n_train", "lr", "n_memories", "gamma", "n_hidden", "strength",
         "n_reference", "n_replay", "sizes")  # the settings a run is shown with


# Defined in Appendix E (notebooks/94_explorer.ipynb).
def settings_text(results):
    """The settings of a study's runs, as text, and how R was tested (chapter 06's
    `evaluation`), seed by seed."""
    s = results[0].settings
    shown = [f"{name} {'-'.join(map(str, s[name])) if name == 'sizes' else s[name]}"
             for name in SHOWN if name in s]
    tested = ", ".join(r.settings["evaluation"] for r in results)
    return f"settings: {', '.join(shown)}; R tested: {tested}"


# Defined in Appendix E (notebooks/94_explorer.ipynb).
def explorer_data(runs):
    """What the page's script reads: for each (label, benchmark) of `runs`, keyed
    "label|benchmark", its views (the mean over seeds, if several, then each seed),
    each with its R (`as_text`), metrics (`metric_texts`) and settings."""
    data = {}
    for (label, benchmark), results in runs.items():
        views = [(f"mean over {len(results)} seeds", "mean", results)] * (
            len(results) > 1)
        views += [(f"seed {r.settings['seed']}", str(r.settings["seed"]), [r])
                  for r in results]
        data[f"{label}|{benchmark}"] = [
            {"label": name, "view": view, "R": as_text(mean_R(rs)),
             "metrics": metric_texts(rs), "settings": settings_text(rs)}
            for name, view, rs in views]
    return data


import plotly.graph_objects as go

from gembook.figures import figure_html


# Defined in Appendix E (notebooks/94_explorer.ipynb).
def explorer_figure(R):
    """A Plotly heatmap of R in percent, chapter 07's `plot_R` in the browser: rows
    the number of tasks trained, columns the task tested, the value under the pointer.
    """
    R = 100 * np.asarray(R, dtype=float)
    fig = go.Figure(go.Heatmap(
        z=np.round(R, 1), x=list(range(R.shape[1])), y=list(range(R.shape[0])),
        zmin=0, zmax=100, colorscale="Viridis", hoverongaps=False,
        hovertemplate="tasks trained: %{y}<br>task tested: %{x}<br>"
                      "accuracy: %{z:.1f}%<extra></extra>",
        colorbar=dict(orientation="h", thickness=12, yref="container", y=0,
                      yanchor="bottom", title=dict(text="test accuracy (%)",
                                                   side="top"))))
    fig.update_layout(
        template="plotly_white", font_size=13, dragmode=False, hovermode="closest",
        plot_bgcolor="#e8e8e8", margin=dict(l=50, r=10, t=10, b=125),
        xaxis=dict(title="task tested", fixedrange=True, showgrid=False),
        yaxis=dict(title="tasks trained", autorange="reversed", fixedrange=True,
                   showgrid=False))
    return fig


CONTROLS_JS = """
(function () {
  const root = document.getElementById("EXPLORER");
  const data = JSON.parse(root.querySelector("script[type='application/json']").text);
  const [method, benchmark, seed] = ["method", "benchmark", "seed"].map(
    name => root.querySelector(`select[name="${name}"]`));
  const plot = root.querySelector(".plotly-graph-div");
  const decode = text => text.split(" ").map(
    row => row.split(",").map(v => v === "" ? null : Number(v) / 10));
  const views = () => data[`${method.value}|${benchmark.value}`];
  const offer = () => {  // the benchmarks and the seeds the chosen method ran
    for (const option of benchmark.options) {
      option.disabled = !data[`${method.value}|${option.value}`];
    }
    if (benchmark.selectedOptions[0].disabled) {
      benchmark.value = [...benchmark.options].find(option => !option.disabled).value;
    }
    const kept = seed.value;
    seed.replaceChildren(...views().map(v => new Option(v.label, v.view)));
    seed.value = views().some(v => v.view === kept) ? kept : views()[0].view;
  };
  const show = () => {
    const view = views().find(v => v.view === seed.value);
    root.querySelectorAll("[data-metric]").forEach(
      (cell, i) => { cell.textContent = view.metrics[i]; });
    root.querySelector("[data-settings]").textContent = view.settings;
    root.querySelector("[data-caption]").textContent =
      `R of ${method.value} on ${benchmark.value}, ${view.label}`;
    if (plot.data) {
      const R = decode(view.R);
      Plotly.restyle(plot, {z: [R], x: [R[0].map((_, j) => j)],
                            y: [R.map((_, i) => i)]}, [0]);
    }
  };
  method.addEventListener("change", () => { offer(); show(); });
  benchmark.addEventListener("change", () => { offer(); show(); });
  seed.addEventListener("change", show);
  new MutationObserver((_, watch) => {  // once plotly.js has drawn the figure
    if (plot.data) { watch.disconnect(); show(); }
  }).observe(plot, {childList: true});
  offer();
  show();
})();
"""


import hashlib

CELL = "padding: 0.2em 0.6em; text-align: left; white-space: nowrap"


# Defined in Appendix E (notebooks/94_explorer.ipynb).
def menu(name, options, chosen):
    """A labelled <select>: its options are (value, text, group), grouped under
    their group where it is not None, `chosen` selected."""
    html, group = "", None
    for value, text, where in options:
        if where != group:
            html += "</optgroup>" * (group is not None)
            html += f'<optgroup label="{where}">' * (where is not None)
            group = where
        mark = " selected" * (value == chosen)
        html += f'<option value="{value}"{mark}>{text}</option>'
    html += "</optgroup>" * (group is not None)
    return f'<label>{name} <select name="{name}">{html}</select></label>'


# Defined in Appendix E (notebooks/94_explorer.ipynb).
def metrics_table(texts):
    """The metrics' table, filled with `texts` (the script refills it)."""
    rows = "".join(f'<tr><th scope="row" style="{CELL}">{name}</th>'
                   f'<td data-metric style="{CELL}">{text}</td></tr>'
                   for name, text in zip(NAMES, texts))
    return f'<table style="margin: 0"><tbody>{rows}</tbody></table>'


# Defined in Appendix E (notebooks/94_explorer.ipynb).
def explorer_html(runs, studies=STUDIES, start=("gem", "permutations", "0"),
                  side=440):
    """The explorer of `runs` (of `gather`): menus of method (grouped as in
    `studies`), benchmark and seed, the heatmap of the chosen view's R
    (`explorer_figure` in `figure_html`, a plot at most `side` px wide), its metrics
    beside it and its settings under it. It opens at `start`: (label, benchmark,
    view)."""
    data = explorer_data(runs)
    label, benchmark, view = start
    views = {v["view"]: v for v in data.get(f"{label}|{benchmark}", [])}
    if view not in views:
        raise ValueError(f"no view {view!r} of {label} on {benchmark} to open at; the "
                         f"runs are of {sorted(data)}")
    first = views[view]
    caption = f"R of {label} on {benchmark}, {first['label']}"
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("</", "<\\/")  # no end of the script inside it
    name = "explorer-" + hashlib.sha1(text.encode()).hexdigest()[:12]
    groups = {s["label"]: s["group"] for s in studies}
    labels = dict.fromkeys(key[0] for key in runs)  # in order, once each
    menus = [menu("method", [(k, k, groups[k]) for k in labels], label),
             menu("benchmark", [(b, b, None) for b in BENCHMARKS], benchmark),
             menu("seed", [(view, first["label"], None)], view)]
    return f"""<div id="{name}">
<div style="display: flex; flex-wrap: wrap; gap: 0.4em 1.2em">{"".join(menus)}</div>
<p data-caption aria-live="polite" style="margin: 0.6em 0 0">{caption}</p>
<div style="display: flex; flex-wrap: wrap; gap: 0 1.5em; align-items: center">
<div style="flex: 1 1 300px; max-width: {side + 60}px; min-width: 0">
{figure_html(explorer_figure(from_text(first["R"])), side)}
</div>
{metrics_table(first["metrics"])}
</div>
<p data-settings style="margin: 0.3em 0 0">{first["settings"]}</p>
<script type="application/json">{text}</script>
<script>{CONTROLS_JS.replace("EXPLORER", name)}</script>
</div>"""
