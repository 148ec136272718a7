"""Test-wide settings, inherited by the kernels that nbval starts."""

import os
import tempfile

# Text progress bars (tqdm on stderr) would be compared as output; keep them out. A
# kernel's bars are widgets, which tqdm.notebook shows whatever TQDM_DISABLE says: the
# cells that show one are tagged nbval-ignore-output.
os.environ["TQDM_DISABLE"] = "1"
# Notebooks compute their experiments afresh instead of reading a reader's cache.
os.environ.setdefault("GEMBOOK_RESULTS", tempfile.mkdtemp(prefix="gembook-results-"))
