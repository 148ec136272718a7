"""gembook.claims (Appendix D): claims, their ledger, rounding realisations, margins;
and tools/realisations.py, run end to end on a small notebook of its own."""

import json
import math
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from gembook import claims
from gembook.claims import (claim, distinct, environment, gather,
                            in_spreads, margin_of, margin_table, read_ledger,
                            realisations_report, spread)

ROOT = Path(__file__).resolve().parents[1]


def test_a_claim_within_its_bounds_passes_and_returns_nothing():
    assert claim("small and positive", 0.031, above=0, below=0.05) is None
    assert claim("above", 2, above=1) is None and claim("below", 0, below=1) is None


@pytest.mark.parametrize("value", [0.06, -0.01, 0.0, 0.05, math.nan])
def test_a_claim_outside_its_bounds_fails_and_says_what_it_found(value):
    with pytest.raises(AssertionError) as error:
        claim("the backward transfer is small and positive", value, above=0, below=0.05)
    assert str(error.value).startswith("the backward transfer is small and positive: ")
    assert "is not between 0 and 0.05" in str(error.value)


def test_a_claim_without_a_bound_is_refused():
    with pytest.raises(ValueError, match="give above=, below= or both"):
        claim("it is what it is", 1.0)


def test_margins_are_distances_to_the_nearer_bound():
    assert margin_of(0.031, above=0, below=0.05) == pytest.approx(0.019)
    assert margin_of(-0.012, above=0, below=0.05) == pytest.approx(-0.012)
    assert margin_of(3.0, above=1.0) == 2.0 and margin_of(3.0, below=1.0) == -2.0
    assert math.isnan(margin_of(math.nan, above=0))


def test_claims_go_to_the_ledger_failed_ones_too(tmp_path, monkeypatch):
    ledger = tmp_path / "ch.jsonl"
    monkeypatch.setenv("GEMBOOK_CLAIMS", str(ledger))
    claim("holds", 0.5, above=0.1)
    with pytest.raises(AssertionError):
        claim("fails", 0.5, below=0.1)
    records = read_ledger(ledger)
    assert [r["claim"] for r in records] == ["holds", "fails"]
    assert records[0] == {"claim": "holds", "value": 0.5, "above": 0.1,
                          "margin": pytest.approx(0.4)}
    assert records[1]["margin"] == pytest.approx(-0.4) and "above" not in records[1]


def test_no_ledger_is_written_unless_asked(tmp_path, monkeypatch):
    monkeypatch.delenv("GEMBOOK_CLAIMS", raising=False)
    monkeypatch.chdir(tmp_path)
    claim("holds", 0.5, above=0.1)
    assert list(tmp_path.iterdir()) == []


def test_the_spread_counts_each_distinct_margin_once():
    assert spread([0.5, 0.5, 0.5]) == 0.0
    assert spread([0.1, 0.2, 0.2, 0.2]) == pytest.approx(spread([0.1, 0.2]))
    assert in_spreads([0.5, 0.5]) == math.inf and in_spreads([-1.0, -1.0]) == -math.inf
    assert in_spreads([0.1, 0.2]) == pytest.approx(0.1 / spread([0.1, 0.2]))
    assert in_spreads([-0.01, 0.03]) < 0


def test_gathering_ledgers_over_realisations():
    ledgers = {("reference", "07"): [{"claim": "a", "value": 1.0, "above": 0.5,
                                       "margin": 0.5}],
               ("one-thread", "07"): [{"claim": "a", "value": 0.9, "above": 0.5,
                                        "margin": 0.4}]}
    (found,) = gather(ledgers)
    assert found["values"] == {"reference": 1.0, "one-thread": 0.9}
    assert found["margins"] == {"reference": 0.5, "one-thread": 0.4}
    row = margin_table([found]).iloc[0]
    assert row["bound"] == "above 0.5" and row["realisations"] == 2
    assert row["smallest margin"] == 0.4
    assert row["spreads"] == pytest.approx(0.4 / spread([0.5, 0.4]))


def test_a_sentence_recorded_twice_in_a_chapter_is_refused():
    twice = [{"claim": "a", "value": 1.0, "above": 0, "margin": 1.0}] * 2
    with pytest.raises(ValueError, match="recorded twice"):
        gather({("reference", "07"): twice})


def test_a_realisation_sets_its_variables_and_clears_the_others(monkeypatch):
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "default")
    env = environment("mkl-avx2")
    assert env["MKL_ENABLE_INSTRUCTIONS"] == "AVX2" and "ATEN_CPU_CAPABILITY" not in env
    assert not set(claims.VARIABLES) & set(environment("reference"))
    with pytest.raises(ValueError, match="unknown realisation 'fast'"):
        environment("fast")


def test_distinct_keeps_the_first_realisation_of_each_fingerprint():
    prints = {"reference": {"torch": "a", "numpy": "x"},
              "one-thread": {"torch": "a", "numpy": "x"},
              "mkl-compatible": {"torch": "a", "numpy": "y"},
              "aten-default": {"torch": "b", "numpy": "x"}}
    assert distinct(prints) == ["reference", "mkl-compatible", "aten-default"]


def test_a_fingerprint_is_the_same_twice_in_one_process():
    assert claims.fingerprint() == claims.fingerprint()


# Appendix E came after the shipped report. It claims nothing: it shows the runs of
# chapters 07 to 10 as they came out, and checks identities only (the mean of R against
# the seeds' metrics, the page's R against the cache's); under another realisation it
# would train those 90 runs again to check them.
CLAIMS_NOTHING = {"94_explorer"}


def test_the_shipped_report_covers_every_chapter_and_keeps_three_spreads():
    report = realisations_report()
    chapters = {path.stem for path in (ROOT / "notebooks").glob("[0-9]*.ipynb")}
    for runs in report["runs"].values():
        assert chapters - CLAIMS_NOTHING <= set(runs) <= chapters
        assert all(outcome["failed"] == [] for outcome in runs.values())
    table = margin_table(report["claims"])
    assert len(report["runs"]) >= 4
    assert (table["realisations"] == len(report["runs"])).all()
    assert table["spreads"].min() >= 3


TINY = """\
from gembook.claims import claim
import torch

torch.manual_seed(0)
x = torch.rand(400, 400) @ torch.rand(400, 400)
claim("a product of positive matrices is positive", x.min(), above=0)
"""


def test_the_realisations_tool_runs_a_chapter_under_two_realisations(tmp_path):
    """A chapter with a claim and with a compared output that MKL's reproducible path
    moves: the claim is gathered over both realisations, the output fails under the
    second one, and the tool says so in its exit status."""
    for name in ("tools/realisations.py", "pyproject.toml", "tests/sanitize.cfg"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    printed = "print(x.double().sum().item())"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(TINY),
                                               nbformat.v4.new_code_cell(printed)])
    path = tmp_path / "notebooks" / "01_tiny.ipynb"
    path.parent.mkdir()
    nbformat.write(notebook, path)
    subprocess.run([sys.executable, str(ROOT / "tools" / "execute.py"), str(path)],
                   check=True, capture_output=True)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, str(tmp_path / "tools" / "realisations.py"),
                           "--realisations", "reference", "mkl-compatible", "--out",
                           str(out)], capture_output=True, text=True)
    report = json.loads((out / "realisations.json").read_text())
    if list(report["realisations"]) != ["reference", "mkl-compatible"]:
        pytest.skip("MKL's reproducible path does not change the bits on this machine")
    assert done.returncode == 1, done.stdout + done.stderr
    assert report["runs"]["reference"]["01_tiny"]["failed"] == []
    assert report["runs"]["mkl-compatible"]["01_tiny"]["failed"] != []
    (found,) = report["claims"]
    assert set(found["margins"]) == {"reference", "mkl-compatible"}
    assert "| 01_tiny | a product of positive matrices is positive |" in (
        out / "realisations.md").read_text()


@pytest.mark.parametrize("stem", sorted(CLAIMS_NOTHING))
def test_a_chapter_the_report_leaves_out_claims_nothing(stem):
    notebook = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "claim(" not in code and "claims" not in code, (
        f"{stem} makes claims: run it under every realisation (tools/realisations.py "
        f"{stem[:2]} --resume) and take it out of CLAIMS_NOTHING")
