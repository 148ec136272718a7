"""Re-run the GEM paper's public code on the MNIST benchmarks and record every metric.

The official code (https://github.com/facebookresearch/GradientEpisodicMemory) is
licensed CC BY-NC 4.0, so none of it lives in this repository. This script takes the
path of a reader's own clone (`--code`), copies it to a scratch folder, and there:

1. writes `data/raw/mnist_train.pt` and `data/raw/mnist_test.pt` from the book's
   verified MNIST (`gembook.sources.load_mnist`), in the layout their `data/raw/raw.py`
   writes from Keras' `mnist.npz` (their script downloads; this one never does);
2. for each seed S and benchmark, runs their data script with `--seed S`, then their
   `main.py` for each method with `--seed S` and the arguments of their
   `run_experiments.sh` (MNIST lines), one process at a time, then deletes the data
   file (about 4.4 GB each);
3. reads the `.pt` file each run saves, builds the (T + 1) x T accuracy matrix R the
   book uses (row 0 before training, row i + 1 after task i) the way their metrics
   code selects it, checks that ACC/BWT/FWT computed from R with
   `gembook.lifelong_learning.metrics(R, "public code")` equal the stats their run
   saved, and writes everything, with provenance, to one JSON file.

Their code runs unchanged: no edit is applied to the scratch copy.

The output file is rewritten after every run, and runs already in it are skipped, so
an interrupted run resumes where it stopped. Run from the repository root:

    .venv/bin/python benchmarks/public_code/run.py --code /tmp/gem-code

The full run (3 seeds x 2 benchmarks x 5 methods) took 38 minutes on 2 CPU cores.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from gembook.sources import load_mnist, mnist_sha256  # noqa: E402
from gembook.lifelong_learning import metrics  # noqa: E402

REPOSITORY = "https://github.com/facebookresearch/GradientEpisodicMemory"
HERE = Path(__file__).resolve().parent
N_TASKS = 20
TOLERANCE = 1e-6

# Arguments of their run_experiments.sh, MNIST lines; --seed is appended per run.
COMMON = ("--n_layers 2 --n_hiddens 100 --data_path data/ --save_path results/ "
          "--batch_size 10 --log_every 100 --samples_per_task 1000").split()
BENCHMARKS = {
    "rotations": {
        "data_file": "mnist_rotations.pt",
        "script": "mnist_rotations.py",
        "script_args": f"--min_rot 0 --max_rot 180 --n_tasks {N_TASKS}".split(),
    },
    "permutations": {
        "data_file": "mnist_permutations.pt",
        "script": "mnist_permutations.py",
        "script_args": f"--n_tasks {N_TASKS}".split(),
    },
}
METHOD_ARGS = {
    ("rotations", "single"): "--lr 0.003",
    ("rotations", "independent"): "--lr 0.1 --finetune yes",
    ("rotations", "multimodal"): "--lr 0.1",
    ("rotations", "ewc"): "--lr 0.01 --n_memories 1000 --memory_strength 1000",
    ("rotations", "gem"): "--lr 0.1 --n_memories 256 --memory_strength 0.5",
    ("permutations", "single"): "--lr 0.03",
    ("permutations", "independent"): "--lr 0.03 --finetune yes",
    ("permutations", "multimodal"): "--lr 0.1",
    ("permutations", "ewc"): "--lr 0.1 --n_memories 10 --memory_strength 3",
    ("permutations", "gem"): "--lr 0.1 --n_memories 256 --memory_strength 0.5",
}
METHODS = ["single", "independent", "multimodal", "ewc", "gem"]

NOTES = {
    "seeds": "Seed S is passed as --seed S both to the data scripts (it seeds torch, "
             "so it fixes the 20 pixel permutations) and to main.py (it seeds torch, "
             "numpy and random: the 1000 training samples per task, their order "
             "and the initialisation). Their run_experiments.sh uses seed 0 only.",
    "rotation_angles": "Their mnist_rotations.py draws each task's angle with "
                       "Python's random module, which it never seeds (only torch is "
                       "seeded), so the angles change on every regeneration of the "
                       "data, whatever --seed is. The angles actually used are "
                       "recorded per seed (from the first element of each task "
                       "entry of the generated file) and in every rotations run.",
    "dropped_test_example": "Their main.py evaluates a task on x[0:N-1] (the last "
                            "of the N = 10000 test digits is skipped) and divides "
                            "by N, so every accuracy is (correct among the first "
                            "9999) / 10000 and at most 0.9999. R is recorded as "
                            "their code computes it, uncorrected.",
    "R": "R has T + 1 = 21 rows and T = 20 columns: row 0 is result_a[0], their "
         "evaluation before any update; row i + 1 is the last evaluation labelled "
         "task i in result_t, made after the last minibatch of task i (the rows "
         "their metrics/metrics.py selects).",
    "conventions": "'public code' divides BWT and FWT sums by T (as their "
                   "metrics.py, whose stats are stored as their_stats); 'paper' "
                   "divides by T - 1 (paper eqs. 3-4). ACC is the same in both.",
    "learned": "mean over tasks i of R[i + 1, i], the accuracy on each task just "
               "after training on it.",
    "time_spent": "their own timer: seconds in life_experience (training and all "
                  "evaluations, not data loading), as printed by main.py; wall_s is "
                  "the whole main.py process, data loading included.",
    "unchanged": "Their code ran as published on current torch, numpy, Pillow and "
                 "quadprog: no edit was needed (torch.load's weights_only default "
                 "accepts their data files, which hold only tensors, floats and "
                 "strings), hence run_time_edits is empty.",
    "sessions": "one entry per invocation of run.py (a resumed run adds one); "
                "wall_s is the invocation's whole time, data generation included.",
    "mnist": "data/raw/mnist_{train,test}.pt are written by this script from "
             "gembook.sources.load_mnist (uint8 images (N, 28, 28), int64 labels), "
             "identical in content to what their data/raw/raw.py writes from Keras' "
             "mnist.npz; mnist_sha256 identifies the digits.",
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--code", type=Path, required=True,
                        help="a clone of " + REPOSITORY)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="seeds, each passed to their data scripts and main.py")
    parser.add_argument("--benchmarks", nargs="+", choices=list(BENCHMARKS),
                        default=list(BENCHMARKS), help="benchmarks to run")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=METHODS,
                        help="methods to run")
    parser.add_argument("--out", type=Path, default=ROOT / "gembook" / "public_code.json",
                        help="the JSON file to write (and resume from)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/gem-public-code"),
                        help="scratch folder: the copy of their code, data, logs")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter that runs their code")
    return parser.parse_args(argv)


# Provenance ###########################################################################

def git(code, *args):
    return subprocess.run(["git", "-C", str(code), *args], capture_output=True,
                          text=True, check=True).stdout.strip()


def checkout_commit(code):
    """Full commit hash of the reader's clone; refuses a clone with local changes."""
    commit = git(code, "rev-parse", "HEAD")
    if git(code, "status", "--porcelain", "--untracked-files=no"):
        sys.exit(f"{code} has uncommitted changes: run the code as published")
    return commit


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


ENVIRONMENT = """
import importlib.metadata, json, platform, torch
print(json.dumps({
    "python": platform.python_version(),
    "versions": {name: importlib.metadata.version(name) for name in
                 ["torch", "torchvision", "numpy", "quadprog", "pillow"]},
    "torch_threads": torch.get_num_threads()}))
"""


def environment(python):
    """Versions and machine as the interpreter that runs their code sees them."""
    found = json.loads(subprocess.run([python, "-c", ENVIRONMENT], capture_output=True,
                                      text=True, check=True).stdout)
    return {
        "python": found["python"],
        "versions": found["versions"],
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(),
                    "torch_threads": found["torch_threads"],
                    "platform": platform.platform()},
    }


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


# Their code, in a scratch copy ########################################################

def copy_code(code, work):
    """A fresh copy of their tracked files, outside the reader's clone."""
    target = work / "code"
    if target.exists():
        shutil.rmtree(target)
    files = git(code, "ls-files").splitlines()
    for name in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(code / name, target / name)
    return target


def write_raw_mnist(mnist, code):
    """The two files their data scripts read, as their raw.py would write them."""
    raw = code / "data" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for split in ["train", "test"]:
        x = torch.from_numpy(getattr(mnist, f"x_{split}"))
        y = torch.from_numpy(getattr(mnist, f"y_{split}")).long()
        torch.save((x, y), raw / f"mnist_{split}.pt")


def data_command(benchmark, seed):
    spec = BENCHMARKS[benchmark]
    return [spec["script"], "--o", spec["data_file"], "--seed", str(seed),
            *spec["script_args"]]


def main_command(benchmark, method, seed):
    return ["main.py", *COMMON, "--data_file", BENCHMARKS[benchmark]["data_file"],
            "--cuda", "no", "--seed", str(seed), "--model", method,
            *METHOD_ARGS[benchmark, method].split()]


def shown(command, folder=""):
    """A command as a reader would type it, from the root of their repository."""
    line = "python " + " ".join(command)
    return f"cd {folder} && {line}" if folder else line


def run_logged(python, command, cwd, log):
    """Run one of their scripts; keep its output in `log`; fail loudly."""
    start = time.time()
    result = subprocess.run([python, *command], cwd=cwd, capture_output=True,
                            text=True)
    wall = time.time() - start
    log.write_text(f"$ {shown(command)}\n--- stdout\n{result.stdout}"
                   f"--- stderr\n{result.stderr}")
    if result.returncode != 0:
        sys.exit(f"{command[0]} failed (exit {result.returncode}); see {log}")
    return result, wall


def make_data(python, code, benchmark, seed, logs):
    """Generate one benchmark's data file with their script; its rotation angles."""
    command = data_command(benchmark, seed)
    _, wall = run_logged(python, command, code / "data",
                         logs / f"data_{benchmark}_seed{seed}.log")
    path = code / "data" / BENCHMARKS[benchmark]["data_file"]
    print(f"  data {benchmark} seed {seed}: {wall:.0f} s, "
          f"{path.stat().st_size / 1e9:.1f} GB", flush=True)
    return path, task_labels(path), wall


def task_labels(path):
    """First element of each task entry: the rotation angle (or a description)."""
    train, test = torch.load(path, mmap=True, weights_only=True)
    labels = [task[0] for task in train]
    if labels != [task[0] for task in test] or len(labels) != N_TASKS:
        sys.exit(f"{path}: train and test tasks disagree")
    return labels


def find_saved(results_dir, before, method, data_file):
    """The .pt file main.py saved in this run (the name holds a date and a uid)."""
    new = [p for p in set(results_dir.glob("*.pt")) - before
           if p.name.startswith(f"{method}_{data_file}_")]
    if len(new) != 1:
        sys.exit(f"expected one new result file in {results_dir}, found {new}")
    return new[0]


def their_time(stdout):
    """main.py's last printed field: seconds spent in life_experience."""
    return float(stdout.strip().splitlines()[-1].rsplit(" # ", 1)[1])


# Metrics ##############################################################################

def accuracy_matrix(result_t, result_a):
    """(T + 1) x T: the evaluation before training, then the last one of each task."""
    labels = result_t.tolist()
    last = [i for i in range(len(labels))
            if i == len(labels) - 1 or labels[i + 1] != labels[i]]
    return [result_a[0].tolist()] + [result_a[i].tolist() for i in last]


def run_record(benchmark, method, seed, saved, stdout, wall):
    """Everything we keep of one run, with the check against their own stats."""
    result_t, result_a, _, stats, one_liner, _ = torch.load(saved, weights_only=False)
    R = accuracy_matrix(result_t, result_a)
    if len(R) != N_TASKS + 1:
        sys.exit(f"{saved}: R has {len(R)} rows, expected {N_TASKS + 1}")
    their_stats = dict(zip(["acc", "bwt", "fwt"], (float(s) for s in stats)))
    ours = metrics(R, "public code")
    gap = max(abs(ours[k] - their_stats[k]) for k in ours)
    if gap > TOLERANCE:
        sys.exit(f"{saved}: our metrics {ours} differ from theirs {their_stats}")
    return {
        "benchmark": benchmark, "method": method, "seed": seed,
        "acc": ours["acc"],
        "public_code": ours,
        "paper": metrics(R, "paper"),
        "learned": float(np.mean([R[i + 1][i] for i in range(N_TASKS)])),
        "their_stats": their_stats,
        "max_gap_to_their_stats": gap,
        "time_spent": their_time(stdout),
        "wall_s": wall,
        "command": shown(main_command(benchmark, method, seed)),
        "result_file": saved.name,
        "one_liner": one_liner,
        "date": now(),
        "R": R,
    }


def run_method(python, code, benchmark, method, seed, logs):
    results_dir = code / "results"
    results_dir.mkdir(exist_ok=True)
    before = set(results_dir.glob("*.pt"))
    command = main_command(benchmark, method, seed)
    result, wall = run_logged(python, command, code,
                              logs / f"{benchmark}_{method}_seed{seed}.log")
    saved = find_saved(results_dir, before, method, BENCHMARKS[benchmark]["data_file"])
    record = run_record(benchmark, method, seed, saved, result.stdout, wall)
    if result.stderr.strip():
        record["stderr"] = result.stderr
    print(f"  {benchmark} {method} seed {seed}: ACC {record['acc']:.4f} "
          f"BWT {record['public_code']['bwt']:+.4f} ({wall:.0f} s)", flush=True)
    return record


# The output file ######################################################################

def summary(runs):
    """Mean and sample sd over seeds of each scalar metric, per benchmark and method."""
    fields = {"acc": lambda r: r["acc"], "learned": lambda r: r["learned"],
              "time_spent": lambda r: r["time_spent"]}
    for convention in ["public_code", "paper"]:
        for key in ["bwt", "fwt"]:
            fields[f"{key}_{convention}"] = (
                lambda r, c=convention, k=key: r[c][k])
    table = []
    for benchmark in BENCHMARKS:
        for method in METHODS:
            chosen = [r for r in runs if (r["benchmark"], r["method"]) ==
                      (benchmark, method)]
            if not chosen:
                continue
            row = {"benchmark": benchmark, "method": method,
                   "seeds": sorted(r["seed"] for r in chosen)}
            for name, get in fields.items():
                values = [get(r) for r in chosen]
                row[name] = {"mean": statistics.fmean(values),
                             "sd": statistics.stdev(values) if len(values) > 1
                             else None}
            table.append(row)
    return table


def new_output(code, python, mnist):
    return {
        "provenance": {
            "repository": REPOSITORY,
            "commit": checkout_commit(code),
            "run_time_edits": [],
            "how": "benchmarks/public_code/run.py: their data scripts run from "
                   "data/, main.py from the root of a scratch copy of their "
                   "repository, one process at a time, with the interpreter below",
            "interpreter": python,
            **environment(python),
            "sessions": [],
            "mnist_sha256": mnist_sha256(mnist),
            "common_arguments": " ".join(COMMON),
            "method_arguments": {f"{b} {m}": a for (b, m), a in METHOD_ARGS.items()},
            "commands": [],
            "rotation_angles": {},
            "notes": NOTES,
        },
        "summary": [],
        "runs": [],
    }


def load_output(path, code, python, mnist):
    """The existing file to resume, if its code, data and environment match."""
    fresh = new_output(code, python, mnist)
    if not path.exists():
        return fresh
    output = json.loads(path.read_text())
    old, new = output["provenance"], fresh["provenance"]
    for key in ["commit", "mnist_sha256", "python", "versions", "machine"]:
        if old[key] != new[key]:
            sys.exit(f"{path} was made with another {key} ({old[key]} against "
                     f"{new[key]} now): write to a new --out")
    return output


def rotation_angles(runs):
    """Seed -> the angles its rotations runs used (a list of draws if they differ)."""
    angles = {}
    for run in runs:
        if run["benchmark"] == "rotations":
            draws = angles.setdefault(str(run["seed"]), [])
            if run["rotation_angles"] not in draws:
                draws.append(run["rotation_angles"])
    return {seed: draws[0] if len(draws) == 1 else draws
            for seed, draws in sorted(angles.items())}


def save(output, path):
    output["runs"].sort(key=lambda r: (list(BENCHMARKS).index(r["benchmark"]),
                                       METHODS.index(r["method"]), r["seed"]))
    output["summary"] = summary(output["runs"])
    output["provenance"]["rotation_angles"] = rotation_angles(output["runs"])
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(output, indent=1) + "\n")
    temporary.replace(path)


def done(output, benchmark, method, seed):
    return any((r["benchmark"], r["method"], r["seed"]) == (benchmark, method, seed)
               for r in output["runs"])


def run_benchmark(args, output, code, logs, benchmark, seed):
    """One data file, then every pending method on it, then the data file goes."""
    pending = [m for m in args.methods if not done(output, benchmark, m, seed)]
    if not pending:
        return
    provenance = output["provenance"]
    path, labels, _ = make_data(args.python, code, benchmark, seed, logs)
    provenance["commands"].append(shown(data_command(benchmark, seed), "data"))
    try:
        for method in pending:
            record = run_method(args.python, code, benchmark, method, seed, logs)
            if benchmark == "rotations":
                record["rotation_angles"] = labels
            output["runs"].append(record)
            provenance["commands"].append(record["command"])
            save(output, args.out)
    finally:
        path.unlink()


def main(argv=None):
    args = parse_args(argv)
    args.code = args.code.resolve()
    mnist = load_mnist()
    output = load_output(args.out, args.code, args.python, mnist)
    code = copy_code(args.code, args.work)
    logs = args.work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    write_raw_mnist(mnist, code)
    print(f"their code at {code}, logs in {logs}", flush=True)
    session = {"started": now(), "seeds": args.seeds, "benchmarks": args.benchmarks,
               "methods": args.methods}
    start = time.time()
    for seed in args.seeds:
        for benchmark in args.benchmarks:
            run_benchmark(args, output, code, logs, benchmark, seed)
    session.update(finished=now(), wall_s=time.time() - start)
    output["provenance"]["sessions"].append(session)
    save(output, args.out)
    print(f"done in {session['wall_s']:.0f} s: {args.out}", flush=True)


if __name__ == "__main__":
    main()
