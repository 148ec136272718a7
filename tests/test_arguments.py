"""Bad arguments are refused early, with a message naming the setting and its choices."""

import math
import subprocess
import sys

import numpy as np
import pytest

import gembook.agem  # noqa: F401  (the command line offers chapter 09's methods too)
import gembook.baselines  # noqa: F401  (and chapter 08's)
from gembook import __main__ as cli
from gembook import data, training
from gembook.memory import EpisodicMemory
from gembook.training import LEARNERS, experiment, settings_for


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

@pytest.mark.parametrize("kwargs, message", [
    ({"n_tasks": True}, "n_tasks must be a positive integer, got True"),
    ({"n_train": np.float64(5)}, "n_train must be a positive integer, got "),
    ({"seed": 1.5}, r"seed must be an integer in \[-2\*\*63, 2\*\*64\), got 1.5"),
    ({"seed": "0"}, "seed must be an integer .*, got '0'"),
    ({"seed": None}, "seed must be an integer .*, got None"),
    ({"seed": 2**64}, "seed must be an integer .*, got 18446744073709551616"),
])
def test_make_benchmark_refuses_bad_types(monkeypatch, kwargs, message):
    monkeypatch.setattr(data, "load_mnist", lambda: pytest.fail("loaded MNIST"))
    with pytest.raises(ValueError, match=message):
        data.make_benchmark("permutations", **kwargs)


def test_make_benchmark_takes_numpy_integers(mnist):
    """Sizes and seeds from NumPy (np.int64) work like Python ints."""
    tasks = data.make_benchmark("rotations", mnist, np.int64(2), np.int32(5),
                                np.int64(3))
    same = data.make_benchmark("rotations", mnist, 2, 5, 3)
    assert [t.description for t in tasks] == [t.description for t in same]
    assert all((a.x_train == b.x_train).all() for a, b in zip(tasks, same))


# --- EpisodicMemory -----------------------------------------------------------------

@pytest.mark.parametrize("args", [(3, 2.5, 6), (3, 2, 0), (True, 2, 6)])
def test_memory_refuses_non_integer_or_empty_sizes(args):
    with pytest.raises(ValueError, match="positive"):
        EpisodicMemory(*args)


# --- settings_for and experiment ----------------------------------------------------

BAD_SETTINGS = [
    ({"n_tasks": 0}, r"n_tasks.*0"),
    ({"n_train": -5}, r"n_train.*-5"),
    ({"batch_size": 0}, r"batch_size.*0"),
    ({"batch_size": -10}, r"batch_size.*-10"),
    ({"batch_size": 2.5}, r"batch_size.*2\.5"),
    ({"lr": 0.0}, r"lr.*0\.0"),
    ({"lr": -0.1}, r"lr.*-0\.1"),
    ({"lr": math.nan}, r"lr.*nan"),
    ({"n_memories": 0}, r"n_memories.*0"),
    ({"n_memories": -1}, r"n_memories.*-1"),
    ({"n_memories": 5000}, r"n_memories=5000 exceeds the 1000 examples"),
    ({"n_memories": 300, "n_train": 200}, r"n_memories=300 exceeds the 200"),
]


@pytest.mark.parametrize("kwargs, message", BAD_SETTINGS)
def test_settings_refuse_bad_values(kwargs, message):
    """settings_for names the setting and the value it got."""
    with pytest.raises(ValueError, match=message):
        settings_for("permutations", "gem", **kwargs)


@pytest.mark.parametrize("kwargs, message", BAD_SETTINGS[:4] + BAD_SETTINGS[8:])
def test_experiment_refuses_before_any_work(monkeypatch, tmp_path, kwargs, message):
    """No data is loaded, nothing is trained or cached for bad settings."""
    monkeypatch.setenv("GEMBOOK_RESULTS", str(tmp_path))
    monkeypatch.setattr(training, "make_benchmark",
                        lambda *a, **k: pytest.fail("built a benchmark"))
    with pytest.raises(ValueError, match=message):
        experiment("rotations", "gem", progress=False, **kwargs)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("gamma", [-0.5, math.nan])
def test_settings_refuse_a_negative_margin(gamma):
    with pytest.raises(ValueError, match="gamma"):
        settings_for("permutations", "gem", gamma=gamma)
