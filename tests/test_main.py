"""The command line, `python -m gembook`: `experiment`, whose bad arguments are refused
early with a message naming the setting and its choices, and `data`, which fetches and
verifies MNIST and says what to do when MNIST cannot be had."""

import errno
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from gembook import __main__ as cli
from gembook import data, runs, sources, training
from gembook.runs import LEARNERS, settings_for


# --- the command line ---------------------------------------------------------------

@pytest.mark.parametrize("option, value, choices", [
    ("--benchmark", "mnist", sorted(data.BENCHMARKS)),
    ("--evaluation", "some", list(training.EVALUATIONS)),
])
def test_cli_unknown_choice_lists_the_valid_ones(capsys, option, value, choices):
    """argparse's own error: exit 2, the bad value and every valid choice."""
    with pytest.raises(SystemExit) as exit:
        cli.main(["experiment", option, value])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: invalid choice: '{value}'" in err
    assert "(choose from " + ", ".join(f"'{c}'" for c in choices) + ")" in err


def test_cli_unknown_method_lists_the_books_and_the_module_form(capsys):
    """Not argparse's choice: a learner of your own may be named too (exit 1)."""
    assert cli.main(["experiment", "--method", "sgd"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: unknown method 'sgd'; choose one of {sorted(LEARNERS)}")
    assert "or name a learner class of your own as 'module:Class'" in err


def test_cli_seed_must_be_an_integer(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["experiment", "--seed", "one"])
    assert exit.value.code == 2
    assert "argument --seed: invalid int value: 'one'" in capsys.readouterr().err


def test_cli_unknown_benchmark_exits_2_without_traceback(tmp_path):
    """The real process: exit status 2, usage and choices on stderr, nothing run."""
    result = subprocess.run([sys.executable, "-m", "gembook", "experiment",
                             "--benchmark", "cifar"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("usage: python -m gembook experiment")
    assert "invalid choice: 'cifar' (choose from 'permutations', 'rotations')" in (
        result.stderr)
    assert "Traceback" not in result.stderr


# --- make_benchmark -----------------------------------------------------------------


# --- EpisodicMemory -----------------------------------------------------------------


# --- settings_for and experiment ----------------------------------------------------


def test_cli_several_seeds_report_mean_sd_and_every_run(results, capsys, monkeypatch):
    monkeypatch.setattr(runs, "settings_for", lambda **kw: settings_for(
        **kw, n_tasks=2, n_train=20))
    assert cli.main(["experiment", "--method", "single", "--seeds", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["seeds"] == [0, 1] and len(out["runs"]) == 2
    accs = [run_["acc"] for run_ in out["runs"]]
    assert out["acc"] == pytest.approx(np.mean(accs))
    assert out["sd"]["acc"] == pytest.approx(np.std(accs, ddof=1))
    assert out["device"] == out["runs"][0]["settings"]["device"]


def test_cli_seed_and_seeds_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["experiment", "--seed", "0", "--seeds", "3"])
    assert exit.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_cli_seeds_must_be_positive(capsys):
    with pytest.raises(SystemExit):
        cli.main(["experiment", "--seeds", "0"])
    assert "must be a positive integer, got 0" in capsys.readouterr().err


# --- python -m gembook data -----------------------------------------------------------

# Everything the data sources could reach, closed: pooch's downloads (requests) go
# through a proxy on a port nobody listens on (discard, 9), pip reads no configuration
# and has no index.
OFFLINE = {
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "no_proxy": "",
    "NO_PROXY": "",
    "PIP_CONFIG_FILE": os.devnull,
    "PIP_NO_INDEX": "1",
    "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
    "PIP_FIND_LINKS": "",
    "PIP_NO_CACHE_DIR": "1",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
}


def run_data(tmp_path, folder, *args):
    """Run `python -m gembook data` offline with GEMBOOK_DATA=folder."""
    proxies = ("http_proxy", "https_proxy", "no_proxy", "all_proxy")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PIP_") and k.lower() not in proxies}
    env.update(OFFLINE, GEMBOOK_DATA=str(folder), HOME=str(tmp_path / "home"))
    return subprocess.run([sys.executable, "-m", "gembook", "data", *args], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_data_reads_a_good_cache(tmp_path, mnist_npz):
    """With a verified cache, the command names it and prints the checksum."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "mnist.npz").write_bytes(mnist_npz)
    result = run_data(tmp_path, folder)
    assert result.returncode == 0, result.stderr
    assert f"source: cache {folder / 'mnist.npz'}\n" in result.stdout
    assert f"sha256: {sources.MNIST_SHA256} (verified)\n" in result.stdout
    assert sorted(p.name for p in folder.iterdir()) == ["mnist.npz"]


def test_data_offline_with_empty_cache_fails_cleanly(tmp_path):
    """No cache, no network: exit 1, every source named, nothing left behind."""
    folder = tmp_path / "data"
    folder.mkdir()
    result = run_data(tmp_path, folder)
    assert result.returncode == 1, result.stdout
    assert result.stdout == ""
    assert result.stderr.startswith("error: no source served the canonical MNIST")
    assert "Traceback" not in result.stderr
    for name in sources.SOURCES:
        assert f"\n  {name}: " in result.stderr
    assert sources.KERAS_URL in result.stderr
    assert str(folder / "mnist.npz") in result.stderr
    assert list(folder.iterdir()) == []


def test_data_folder_option(tmp_path, monkeypatch, capsys, mnist_npz):
    """--folder overrides $GEMBOOK_DATA (in-process, no subprocess needed)."""
    folder = tmp_path / "chosen"
    folder.mkdir()
    (folder / "mnist.npz").write_bytes(mnist_npz)
    monkeypatch.setenv("GEMBOOK_DATA", str(tmp_path / "unused"))
    monkeypatch.setattr(sources.fetch_mnist, "__defaults__", (None, {"none": None}))
    assert cli.main(["data", "--folder", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out == (f"source: cache {folder / 'mnist.npz'}\n"
                   f"sha256: {sources.MNIST_SHA256} (verified)\n")
    assert not (tmp_path / "unused").exists()


def test_data_folder_that_is_a_file(tmp_path, monkeypatch, capsys):
    """`python -m gembook data`: exit 1 with the message, no traceback."""
    blocker = tmp_path / "mnist"
    blocker.write_text("")
    monkeypatch.setenv("GEMBOOK_DATA", str(blocker))
    assert cli.main(["data"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"error: cannot use {blocker} as the data")


def test_experiment_without_data_fails_cleanly(tmp_path, monkeypatch, capsys):
    """No MNIST anywhere: `experiment` prints the data error and exits 1."""
    def no_space(folder):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setenv("GEMBOOK_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("GEMBOOK_RESULTS", str(tmp_path / "results"))
    monkeypatch.setattr(sources.fetch_mnist, "__defaults__", (None, {"x": no_space}))
    assert cli.main(["experiment", "--method", "single"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: no source served the canonical MNIST")
    assert not (tmp_path / "results").exists()
