"""Test-wide settings, inherited by the kernels that nbval starts."""

import os
import tempfile

# Progress bars would be compared as output; keep them out.
os.environ["TQDM_DISABLE"] = "1"
# Notebooks compute their experiments afresh instead of reading a reader's cache.
os.environ.setdefault("GEMBOOK_RESULTS", tempfile.mkdtemp(prefix="gembook-results-"))
