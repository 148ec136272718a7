"""The speed scripts of benchmarks/ run (their timings are reported, never asserted)."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def script(*arguments):
    return subprocess.run([sys.executable, *arguments], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_the_gpu_check_is_valid_bash_and_names_files_that_exist():
    check = ROOT / "benchmarks" / "gpu_check.sh"
    assert subprocess.run(["bash", "-n", str(check)]).returncode == 0
    named = set(re.findall(r"(?:benchmarks|notebooks)/[\w./]+\.(?:py|ipynb)",
                           check.read_text()))
    assert {"benchmarks/benchmark.py", "benchmarks/cifar_steps.py",
            "benchmarks/gpu_syncs.py", "notebooks/06_training.ipynb",
            "notebooks/07_results.ipynb"} <= named
    assert all((ROOT / path).exists() for path in named), named


def test_cifar_steps_times_steps_and_extrapolates_on_the_cpu():
    out = script("benchmarks/cifar_steps.py", "--device", "cpu", "--steps", "1",
                 "--ts", "1", "2", "--nf", "2")
    assert out.returncode == 0, out.stderr
    assert re.search(r"t =  1: [\d.]+ ms per GEM step\nt =  2: [\d.]+ ms", out.stdout)
    assert re.search(r"estimated: train [\d.]+ min, evaluate [\d.]+ min", out.stdout)


def test_cifar_steps_refuses_past_tasks_out_of_range():
    out = script("benchmarks/cifar_steps.py", "--device", "cpu", "--ts", "5", "20")
    assert out.returncode == 2 and "--ts must increase within 1..19" in out.stderr


def test_the_benchmark_offers_the_public_code_comparison():
    out = script("benchmarks/benchmark.py", "--help")
    assert out.returncode == 0 and "--public-code CLONE" in out.stdout


def test_the_benchmark_counts_the_work_chapter_06s_step_saves():
    """A step that projects forms all of G; one that does not skips the first layer's
    weight gradients of every memory, 2 x 78,400 operations each, for eq. (GF)'s two
    products, 2 x (784 + 100) x 10."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from benchmark import gem_flops, gem_flops_done
    s = {"n_tasks": 3, "n_memories": 4, "n_train": 20, "batch_size": 10}
    log = [[1, 1, 30.0], [1, 0, 0.0], [2, 2, 40.0], [2, 0, 0.0]]
    plain = gem_flops(s, 89_400, 78_400)
    saved = (1 + 2) * 4 * (2 * 78_400 - 2 * (784 + 100) * 10)
    assert gem_flops_done(s, 89_400, 78_400, log) == plain - saved
    assert gem_flops_done(s, 89_400, 78_400, [[1, 1, 9.0], [2, 3, 9.0]]) == plain


def test_book_time_sums_the_seconds_of_the_cached_runs(results):
    """Three cached runs (chapter 06's `store`, as `make book` caches them): the tables
    and the total are their recorded seconds, by method and by evaluation."""
    from dataclasses import replace

    from gembook.runs import Result, settings_for, store
    made = [Result(settings_for("permutations", method, n_tasks=2, evaluation=evaluation),
                   [[0.1, 0.1]] * 3, train, test, None, None, 1)
            for method, evaluation, train, test in (("gem", "metrics", 3.0, 1.0),
                                                    ("single", "full", 0.5, 2.0))]
    for result in made + [replace(made[1], settings={**made[1].settings, "seed": 1})]:
        store(result)
    out = script("benchmarks/book_time.py", str(results), "--cores", "2")
    assert out.returncode == 0, out.stderr
    assert re.search(r"^gem\s+1\s+3\.0\s+1\.0\s+4\.0$", out.stdout, re.M)
    assert re.search(r"^single\s+2\s+1\.0\s+4\.0\s+5\.0$", out.stdout, re.M)
    assert re.search(r"^full\s+2\s+1\.0\s+4\.0\s+5\.0$", out.stdout, re.M)
    assert ("3 runs (threads: 3 on 1): train 4 s + test 5 s = 9 s; side by side on 2 "
            "cores, at least 4 s") in out.stdout


def test_book_time_says_what_is_wrong_with_its_folder(tmp_path):
    out = script("benchmarks/book_time.py", str(tmp_path / "none"))
    assert out.returncode == 2 and "is not a folder: give a results cache" in out.stderr
    out = script("benchmarks/book_time.py", str(tmp_path))
    assert out.returncode == 2 and "holds no cached run" in out.stderr
