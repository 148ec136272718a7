"""Run chapters under several rounding realisations and report each claim's margin.

    python tools/realisations.py              # every chapter, every realisation
    python tools/realisations.py 07 10 --realisations reference aten-default
    python tools/realisations.py --write      # ... and write the report the book ships

A rounding realisation is a set of environment variables that makes this machine round
like another (Appendix D, `gembook.claims.REALISATIONS`). The realisations that change
the bits of a training step here (their fingerprints differ) are run, one after the
other; under each, every chosen chapter runs through nbval in a fresh kernel, as
`make test` runs it, with an empty results cache per realisation and a ledger of claims
per chapter (`GEMBOOK_CLAIMS`). nbval compares the outputs the committed notebooks show,
so a compared output that moves with rounding fails its cell here.

At the end the claims are gathered over the realisations and printed as a table: for
each, its value, bounds, smallest margin, spread and the margin in spreads. The exit
status is 1 if a cell failed under some realisation or a claim keeps less than three
spreads. Everything goes to --out (default: a new temporary folder, printed); with
--resume, the chapters already run there are not run again. --write also writes the
report that ships with the book, gembook/realisations.json, and its table,
benchmarks/realisations.md (only for a run of every chapter).
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from gembook.claims import (REALISATIONS, distinct, environment,  # noqa: E402
                            fingerprints, gather, margin_table, read_ledger)
from gembook.lifelong_learning import learning_accuracy, metrics  # noqa: E402

CHAPTERS = sorted(path.stem for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
KEEP = 3.0  # the margin, in spreads, that every claim must keep


def chapters_named(names):
    """The notebook stems that `names` ("07", "07_results") pick, all if none."""
    if not names:
        return CHAPTERS
    chosen = []
    for name in names:
        found = [stem for stem in CHAPTERS
                 if stem == name or stem.startswith(f"{name}_")]
        if len(found) != 1:
            raise SystemExit(f"no chapter {name!r}: choose from {', '.join(CHAPTERS)}")
        chosen += found
    return chosen


def failed_cells(junit):
    """The test items (notebook cells) that failed or erred, from a JUnit report."""
    if not junit.exists():
        return ["(pytest wrote no report)"]
    return [case.get("name") for case in ElementTree.parse(junit).iter("testcase")
            if case.find("failure") is not None or case.find("error") is not None]


def run_chapter(realisation, chapter, out):
    """nbval on one chapter under one realisation; its outcome, with the seconds."""
    folder = out / realisation
    ledger, junit = folder / "claims" / f"{chapter}.jsonl", folder / f"{chapter}.xml"
    ledger.parent.mkdir(parents=True, exist_ok=True)
    ledger.unlink(missing_ok=True)
    env = {**environment(realisation), "GEMBOOK_RESULTS": str(folder / "results"),
           "GEMBOOK_CLAIMS": str(ledger), "TQDM_DISABLE": "1"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    f"notebooks/{chapter}.ipynb", f"--junitxml={junit}"],
                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    outcome = {"failed": failed_cells(junit),
               "seconds": round(time.perf_counter() - start, 1)}
    (folder / f"{chapter}.json").write_text(json.dumps(outcome))
    return outcome


def results_of(folder):
    """The metrics of every run cached in a realisation's results folder: its
    settings, ACC, BWT and FWT (paper convention), the learning accuracy, and how far
    the accuracy on the earlier tasks moved, on average, during the last task."""
    found = []
    for path in sorted((folder / "results").glob("*.json")):
        result = json.loads(path.read_text())
        settings = {k: v for k, v in result["settings"].items()
                    if k not in ("device", "learner_code")}
        R = np.array(result["R"], dtype=float)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # rows tested on no task
            last_change = np.nanmean(R[-1, :-1] - R[-2, :-1])  # earlier tasks, last task
        m = {**metrics(R), "learned": learning_accuracy(R), "last_change": last_change}
        found.append({**settings, **{k: round(float(v), 6) for k, v in m.items()}})
    return found


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def commit():
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip() or "unknown"


def markdown(table, report):
    """The report as a Markdown table, one row per claim, weakest first."""
    machine = report["machine"]
    variables = {name: " ".join(f"{k}={v}" for k, v in env.items()) or "as it comes"
                 for name, env in report["realisations"].items()}
    lines = ["# Claims and their margins across rounding realisations", "",
             f"Written by `tools/realisations.py` on {report['date']} at commit "
             f"{report['commit'][:7]}, on {machine['cpu']} ({machine['cores']} cores), "
             f"torch {machine['torch']}. Realisations: "
             + "; ".join(f"{name} ({v})" for name, v in variables.items()) + ".", "",
             "Margin: the distance from the value to the nearer bound. Spread: the "
             "standard deviation of the margin over the realisations (distinct values "
             "once). Spreads: the smallest margin over the spread (inf: no realisation "
             "moves it). Appendix D of the book explains them.", "",
             "| chapter | claim | value | bound | smallest margin | spread | spreads |",
             "|---|---|---|---|---|---|---|"]
    for _, row in table.sort_values("spreads").iterrows():
        lines.append(f"| {row['chapter']} | {row['claim']} | {row['value']:.4g} | "
                     f"{row['bound']} | {row['smallest margin']:.3g} | "
                     f"{row['spread']:.2g} | {row['spreads']:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="chapter numbers or names "
                        "(default: all)")
    parser.add_argument("--realisations", nargs="+", choices=sorted(REALISATIONS),
                        default=list(REALISATIONS), metavar="NAME",
                        help="realisations to try (default: all of "
                        f"{', '.join(REALISATIONS)})")
    parser.add_argument("--out", type=Path, help="folder for results, ledgers and "
                        "reports (default: a new temporary folder)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the chapters already run in --out")
    parser.add_argument("--write", action="store_true", help="write "
                        "gembook/realisations.json and benchmarks/realisations.md")
    args = parser.parse_args(argv)
    chapters = chapters_named(args.chapters)
    if args.write and chapters != CHAPTERS:
        raise SystemExit("--write needs a run of every chapter: name none")
    out = args.out or Path(tempfile.mkdtemp(prefix="gembook-realisations-"))
    print(f"writing to {out}", flush=True)
    prints = fingerprints(args.realisations)
    chosen = distinct(prints)
    for name in args.realisations:
        print(f"{name:26} {prints[name]}" + ("" if name in chosen else
              "  same bits as a realisation before it: skipped"), flush=True)
    runs = {}
    for realisation in chosen:
        runs[realisation] = {}
        for chapter in chapters:
            done = out / realisation / f"{chapter}.json"
            if args.resume and done.exists():
                outcome = json.loads(done.read_text())
            else:
                outcome = run_chapter(realisation, chapter, out)
            runs[realisation][chapter] = outcome
            print(f"{realisation:26} {chapter:22} {outcome['seconds']:7.0f} s  "
                  + ("passed" if not outcome["failed"] else
                     f"FAILED: {', '.join(outcome['failed'])}"), flush=True)
    ledgers = {(realisation, chapter): read_ledger(path)
               for realisation in chosen for chapter in chapters
               if (path := out / realisation / "claims" / f"{chapter}.jsonl").exists()}
    claims = gather(ledgers)
    report = {"date": datetime.date.today().isoformat(), "commit": commit(),
              "machine": {"cpu": cpu_model(), "cores": os.cpu_count(),
                          "torch": torch.__version__.split("+")[0],
                          "numpy": np.__version__, "python": platform.python_version()},
              "realisations": {name: REALISATIONS[name] for name in chosen},
              "fingerprints": prints, "runs": runs, "claims": claims,
              "results": {realisation: results_of(out / realisation)
                          for realisation in chosen}}
    (out / "realisations.json").write_text(json.dumps(report, indent=1) + "\n")
    table = margin_table(claims)
    text = markdown(table, report)
    (out / "realisations.md").write_text(text)
    if args.write:
        (ROOT / "gembook" / "realisations.json").write_text(json.dumps(report, indent=1)
                                                            + "\n")
        (ROOT / "benchmarks" / "realisations.md").write_text(text)
    weak = table[table["spreads"] < KEEP]
    failed = {(r, c): o["failed"] for r, chapters_run in runs.items()
              for c, o in chapters_run.items() if o["failed"]}
    missing = table[table["realisations"] < len(chosen)]
    print(f"\n{len(table)} claims over {len(chosen)} realisations; "
          f"{len(weak)} keep less than {KEEP:g} spreads; {len(missing)} not recorded "
          f"under every realisation; {len(failed)} chapter runs with failed cells")
    for row in weak.itertuples():
        print(f"  {row.chapter}: {row.claim}: {row.spreads:.1f} spreads")
    print(f"report: {out / 'realisations.md'}")
    return 1 if len(weak) or failed or len(missing) else 0


if __name__ == "__main__":
    sys.exit(main())
