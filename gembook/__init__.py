"""GEM Book's helper package.

Every module but this one and ``__main__`` is generated from the book by
``tools/export.py``: ``gembook/data.py`` from ``notebooks/02_data.ipynb``, and so on; a
chapter may also send a cell to another module (``#@save runs``), and each function and
class says, in a comment above it, where the book defines it. The algorithm is in
``network``, ``memory``, ``projection`` (GEM's step, ``gem_step``) and ``training``; the
harness that runs experiments is in ``runs``.
"""

__version__ = "0.1.0"
