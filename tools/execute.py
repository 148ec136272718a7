"""Execute notebooks in place, in a fresh kernel each, as the book's tests will.

    python tools/execute.py notebooks/*.ipynb

Text progress bars are switched off (TQDM_DISABLE=1) so that the saved outputs are the
ones nbval compares (a kernel's widget bars, which tqdm.notebook shows all the same, are
saved; their cells are tagged nbval-ignore-output); no execution timestamps are
written, so re-running leaves a clean diff.

The kernel talks to this script over Unix sockets in a private temporary folder
(ZeroMQ's IPC transport), not over TCP ports on localhost, which any program of any
user on the machine could connect to, unencrypted (ipykernel warns of that at every
start).
"""

import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from traitlets.config import Config


def execute(path, timeout=1800):
    """Run every cell of the notebook at `path` and save it with its new outputs."""
    notebook = nbformat.read(path, as_version=4)
    # mkdtemp's folder is readable by this user only; the kernel's sockets are
    # SOCKETS/kernel-1, -2, ... and go with the folder.
    with tempfile.TemporaryDirectory(prefix="gembook-kernel-") as sockets:
        config = Config()
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = str(Path(sockets) / "kernel")
        client = NotebookClient(
            notebook, timeout=timeout, kernel_name="python3", record_timing=False,
            config=config, resources={"metadata": {"path": str(Path(path).parent)}})
        client.execute()
    # Widget state (chapter 11's sliders) would make the website load the widget
    # manager from a CDN; the site shows static figures instead.
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, path)


def main(paths):
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    os.environ["TQDM_DISABLE"] = "1"
    for path in paths:
        start = time.perf_counter()
        execute(path)
        print(f"{path}: executed in {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
