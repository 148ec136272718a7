"""Generated from notebooks/93_claims.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import hashlib
import json
import math
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F

from gembook.network import mlp

REALISATIONS = {  # name: the environment variables that make it
    "reference": {},
    "one-thread": {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
    "aten-default": {"ATEN_CPU_CAPABILITY": "default"},
    "aten-avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    "mkl-compatible": {"MKL_CBWR": "COMPATIBLE", "OPENBLAS_CORETYPE": "Prescott"},
    "mkl-avx2": {"MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    "aten-avx2+mkl-avx2": {"ATEN_CPU_CAPABILITY": "avx2",
                           "MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    "aten-default+mkl-avx2": {"ATEN_CPU_CAPABILITY": "default",
                              "MKL_ENABLE_INSTRUCTIONS": "AVX2"},
}
VARIABLES = sorted({name for env in REALISATIONS.values() for name in env})


# Defined in Appendix D (notebooks/93_claims.ipynb).
def fingerprint():
    """Hashes of the bits of two gradients of the book's MLP (PyTorch) and of a
    float64 matrix product (NumPy): what a rounding realisation may change."""
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    net, bits = mlp(), hashlib.sha256()
    for n in (10, 256):  # a minibatch, a memory
        X = torch.rand(n, 784, generator=generator)
        y = torch.randint(0, 10, (n,), generator=generator)
        loss = F.cross_entropy(net(X), y)
        for g in torch.autograd.grad(loss, list(net.parameters())):
            bits.update(g.numpy().tobytes())
    A = np.random.default_rng(0).random((300, 300))
    return {"torch": bits.hexdigest()[:12],
            "numpy": hashlib.sha256((A @ A).tobytes()).hexdigest()[:12]}


# Defined in Appendix D (notebooks/93_claims.ipynb).
def environment(name):
    """This process's environment with realisation `name`'s variables, and no other."""
    if name not in REALISATIONS:
        raise ValueError(f"unknown realisation {name!r}; choose from "
                         f"{sorted(REALISATIONS)}")
    kept = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    return {**kept, **REALISATIONS[name]}


# Defined in Appendix D (notebooks/93_claims.ipynb).
def fingerprints(names=tuple(REALISATIONS)):
    """{name: fingerprint()} of each realisation, each in a fresh Python process."""
    code = ("import json; from gembook.claims import fingerprint; "
            "print(json.dumps(fingerprint()))")
    return {name: json.loads(subprocess.run(
                [sys.executable, "-c", code], env=environment(name), check=True,
                capture_output=True, text=True).stdout) for name in names}


# Defined in Appendix D (notebooks/93_claims.ipynb).
def distinct(prints):
    """The realisations whose bits differ from those of every realisation before."""
    seen = {}
    for name, bits in prints.items():
        seen.setdefault(tuple(bits.values()), name)
    return list(seen.values())


# Defined in Appendix D (notebooks/93_claims.ipynb).
def margin_of(value, above=None, below=None):
    """The distance from `value` to the nearer of its bounds: positive inside them,
    negative outside, NaN for a NaN value."""
    if above is None and below is None:
        raise ValueError("a claim needs a bound: give above=, below= or both")
    distances = [float(value) - float(above)] if above is not None else []
    distances += [float(below) - float(value)] if below is not None else []
    return min(distances)


# Defined in Appendix D (notebooks/93_claims.ipynb).
def claim(sentence, value, above=None, below=None):
    """Check that `value` lies strictly above `above` and below `below`, as
    `sentence` says (a bound the sentence does not state is left out).

    Records the claim in the ledger `$GEMBOOK_CLAIMS` names, if set, before checking
    it.
    """
    margin = margin_of(value, above, below)
    bounds = {name: float(bound) for name, bound in
              (("above", above), ("below", below)) if bound is not None}
    record({"claim": sentence, "value": float(value), **bounds, "margin": margin})
    if not margin > 0:  # a NaN margin fails too
        raise AssertionError(f"{sentence}: {float(value):.6g} is not {stated(bounds)}")


# Defined in Appendix D (notebooks/93_claims.ipynb).
def stated(bounds):
    """A claim's bounds in words: above a, below b, or between a and b."""
    if len(bounds) == 2:
        return f"between {bounds['above']:.6g} and {bounds['below']:.6g}"
    (name, bound), = bounds.items()
    return f"{name} {bound:.6g}"


# Defined in Appendix D (notebooks/93_claims.ipynb).
def record(entry):
    """Append `entry` to the file `$GEMBOOK_CLAIMS` names, if set: one JSON a line."""
    path = os.environ.get("GEMBOOK_CLAIMS")
    if path:
        with open(path, "a") as ledger:
            ledger.write(json.dumps(entry) + "\n")


# Defined in Appendix D (notebooks/93_claims.ipynb).
def spread(margins):
    """The standard deviation of a claim's margins over rounding realisations, each
    distinct value counted once; 0 when no realisation moves it."""
    values = np.unique(np.asarray(margins, dtype=float))
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


# Defined in Appendix D (notebooks/93_claims.ipynb).
def in_spreads(margins):
    """The smallest margin in units of the spread (inf when rounding does not move
    the claim, negative when it fails under some realisation)."""
    smallest, s = min(margins), spread(margins)
    return smallest / s if s > 0 else math.inf if smallest > 0 else -math.inf


# Defined in Appendix D (notebooks/93_claims.ipynb).
def read_ledger(path):
    """The claims recorded in one ledger file, in order."""
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


# Defined in Appendix D (notebooks/93_claims.ipynb).
def gather(ledgers):
    """Claims over realisations from {(realisation, chapter): [records]}: one dict
    per claim, with its chapter, sentence, bounds, and values and margins per
    realisation. A sentence recorded twice in a chapter is refused."""
    claims = {}
    for (realisation, chapter), records in ledgers.items():
        sentences = [entry["claim"] for entry in records]
        twice = sorted({s for s in sentences if sentences.count(s) > 1})
        if twice:
            raise ValueError(f"{chapter}: claims recorded twice under {realisation}: "
                             f"{twice}; give each sentence its own words")
        for entry in records:
            bounds = {k: entry[k] for k in ("above", "below") if k in entry}
            found = claims.setdefault((chapter, entry["claim"]), {
                "chapter": chapter, "claim": entry["claim"], **bounds, "values": {},
                "margins": {}})
            found["values"][realisation] = entry["value"]
            found["margins"][realisation] = entry["margin"]
    return list(claims.values())


# Defined in Appendix D (notebooks/93_claims.ipynb).
def margin_table(claims):
    """One row per claim: chapter, sentence, value, bounds, number of realisations,
    smallest margin, spread and the smallest margin in spreads."""
    rows = []
    for c in claims:
        margins = list(c["margins"].values())
        bounds = {k: c[k] for k in ("above", "below") if k in c}
        rows.append({"chapter": c["chapter"], "claim": c["claim"],
                     "value": next(iter(c["values"].values())), "bound": stated(bounds),
                     "realisations": len(margins), "smallest margin": min(margins),
                     "spread": spread(margins), "spreads": in_spreads(margins)})
    return pd.DataFrame(rows)


# Defined in Appendix D (notebooks/93_claims.ipynb).
def realisations_report(path=None):
    """The report `tools/realisations.py` wrote: shipped with gembook, or `path`."""
    source = Path(path) if path else resources.files("gembook") / "realisations.json"
    return json.loads(source.read_text())


# Defined in Appendix D (notebooks/93_claims.ipynb).
def report_runs(report):
    """Every run of a report, one row per run and realisation: the realisation, the
    run's settings, its ACC, BWT, FWT (paper convention) and learning accuracy, and
    `last_change`, how far the accuracy on the earlier tasks moved during the last."""
    return pd.DataFrame([{"realisation": name, **run}
                         for name, runs in report["results"].items() for run in runs])
