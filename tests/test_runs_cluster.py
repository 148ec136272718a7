"""Runs on a Dask cluster: the same results as in local worker processes, and a clear
error, before any run, when the cluster cannot be used."""

import json
import os
import socket
import sys
import time

import numpy as np
import pytest

from gembook import __main__ as cli
from gembook import runs
from gembook.runs import ClusterError, as_completed, cluster, experiments, settings_for
from test_runs import bars, moved_task_by_task  # noqa: F401 (bars: a fixture)

SMALL = {"n_tasks": 3, "n_train": 30, "evaluation": "metrics", "device": "cpu"}
NO_DASK = "dask.distributed is not installed (pip install 'dask[distributed]')"
# joblib 1.5.2's own dask backend still implements the API that joblib deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:`apply_async` is deprecated")


def distributed():
    """The `distributed` package, or a skip that says it is missing."""
    return pytest.importorskip("distributed", reason=NO_DASK)


@pytest.fixture(scope="module")
def scheduler():
    """The address of a cluster of two worker processes of one thread each, here.

    Dask's nannies set OMP_NUM_THREADS=1 (and more) in this process's environment,
    which every later process would inherit (the notebooks' kernels under nbval, on
    one thread): the environment is put back as it was.
    """
    environ = dict(os.environ)
    try:
        with distributed().LocalCluster(n_workers=2, threads_per_worker=1,
                                        processes=True, dashboard_address=":0") as local:
            yield local.scheduler_address
    finally:
        os.environ.clear()
        os.environ.update(environ)


@pytest.fixture
def nobody():
    """An address where no scheduler listens: a port just freed on this machine."""
    distributed()  # without it the error is another: tested last
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"tcp://127.0.0.1:{port}"


def worker_pids(address):
    with cluster(address) as client:
        return set(client.run(os.getpid).values())


def pids(**options):
    """The processes that ran four calls of `as_completed`."""
    return {pid for _, pid in as_completed(os.getpid, [{}] * 4, **options)}


def test_the_calls_go_to_the_cluster_and_come_back_numbered(scheduler, results):
    with cluster(scheduler) as client:
        assert pids(n_jobs=1) <= set(client.run(os.getpid).values())
        squares = dict(as_completed(pow, [{"base": i, "exp": 2} for i in range(6)]))
    assert [squares[i] for i in range(6)] == [0, 1, 4, 9, 16, 25]
    assert pids(n_jobs=1).isdisjoint(worker_pids(scheduler))  # no block: local again


def test_a_sweep_on_the_cluster_equals_the_sweep_here(scheduler, results, bars):
    requests = [{"benchmark": "permutations", "method": method, "seed": seed, **SMALL,
                 **extra}
                for method, extra in (("single", {}), ("gem", {"n_memories": 10}))
                for seed in (0, 1)]
    settings = [settings_for(**request) for request in requests]
    here = experiments(requests, cache=False)
    with cluster(scheduler):
        there = experiments(requests, cache=False)
    assert [r.settings for r in there] == settings == [r.settings for r in here]
    assert [r.threads for r in there] == [1, 1, 1, 1] == [r.threads for r in here]
    # The same code on one thread on the same CPU adds the same numbers in the same
    # order, whichever process it runs in: equal to the last digit, no tolerance.
    for a, b in zip(there, here):
        assert np.array_equal(a.R, b.R, equal_nan=True)
    assert [r.n_projected for r in there] == [r.n_projected for r in here]
    # One bar each, here and there, moved by every task as it ended, wherever it ran.
    assert len(bars) == 2 and all(moved_task_by_task(bar, n_runs=4) for bar in bars)


def test_the_environment_sets_the_scheduler(scheduler, results, monkeypatch):
    monkeypatch.setenv("GEMBOOK_SCHEDULER", scheduler)
    assert pids() <= worker_pids(scheduler)
    with cluster() as client:
        assert client.scheduler.address == scheduler
    monkeypatch.delenv("GEMBOOK_SCHEDULER")
    with cluster() as client:
        assert client is None


def test_the_command_line_runs_its_seeds_on_the_cluster(scheduler, results,
                                                        monkeypatch, capsys):
    monkeypatch.setattr(runs, "settings_for", lambda **kw: settings_for(
        **kw, n_tasks=2, n_train=20))
    argv = ["experiment", "--method", "single", "--seeds", "2", "--device", "cpu",
            "--json"]
    assert cli.main(argv) == 0
    here = json.loads(capsys.readouterr().out)
    with cluster(scheduler):  # what the command line's --scheduler wraps its run in
        assert cli.main(argv) == 0
    there = json.loads(capsys.readouterr().out)
    assert [r["R"] for r in there["runs"]] == [r["R"] for r in here["runs"]]


def test_an_unreachable_scheduler_is_a_clear_error_and_nothing_runs(nobody, results,
                                                                    monkeypatch):
    monkeypatch.setenv("GEMBOOK_SCHEDULER", nobody)
    start = time.perf_counter()
    with pytest.raises(ClusterError) as error:
        experiments([{"benchmark": "rotations", "method": "single", **SMALL}])
    assert time.perf_counter() - start < 15
    message = str(error.value)
    assert f"cannot reach a Dask scheduler at {nobody}" in message
    for advice in ("check the address", "`dask scheduler`",
                   f"`dask worker {nobody} --nthreads 1`", "unset GEMBOOK_SCHEDULER"):
        assert advice in message
    assert isinstance(error.value, ValueError)  # the command line prints `error: ...`
    assert list(results.iterdir()) == []  # no run, no result


def test_the_command_line_prints_the_error(nobody, results, monkeypatch, capsys):
    monkeypatch.setattr(runs, "TIMEOUT", 1)  # the wait itself is timed above
    monkeypatch.setenv("GEMBOOK_SCHEDULER", nobody)
    assert cli.main(["experiment", "--method", "single", "--seeds", "2"]) == 1
    assert f"error: cannot reach a Dask scheduler at {nobody}" in capsys.readouterr().err
    assert list(results.iterdir()) == []


def test_a_malformed_address_is_the_same_error(results):
    distributed()
    with pytest.raises(ClusterError, match="cannot reach a Dask scheduler at 10.0.0.5"):
        with cluster("10.0.0.5"):  # no port
            pass


def test_with_everything_cached_no_scheduler_is_reached(nobody, results, monkeypatch):
    requests = [{"benchmark": "rotations", "method": "single", **SMALL}]
    [result] = experiments(requests)
    monkeypatch.setenv("GEMBOOK_SCHEDULER", nobody)
    start = time.perf_counter()
    [again] = experiments(requests)
    assert np.array_equal(again.R, result.R, equal_nan=True)
    assert time.perf_counter() - start < runs.TIMEOUT / 2  # it did not try to connect


def test_workers_of_several_threads_are_refused():
    with distributed().LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                                    dashboard_address=":0") as local:
        with pytest.raises(ClusterError, match="has 2 threads.*--nthreads 1"):
            with cluster(local.scheduler_address):
                pass


def test_a_scheduler_without_workers_is_refused(monkeypatch):
    monkeypatch.setattr(runs, "TIMEOUT", 1)
    with distributed().LocalCluster(n_workers=0, dashboard_address=":0") as local:
        with pytest.raises(ClusterError, match="has no worker after 1 s"):
            with cluster(local.scheduler_address):
                pass


def test_workers_with_other_code_are_refused(scheduler, monkeypatch):
    monkeypatch.setattr(runs, "code_hash", lambda: str(os.getpid()))  # differs there
    with pytest.raises(ClusterError, match="has other gembook code"):
        with cluster(scheduler):
            pass


def test_without_dask_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails
    with pytest.raises(ClusterError, match=r'pip install "dask\[distributed\]"'):
        with cluster("tcp://127.0.0.1:8786"):
            pass
