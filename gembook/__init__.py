"""GEM Book's helper package.

Every module but this one and ``__main__`` is generated from a chapter of the book by
``tools/export.py``: ``gembook/data.py`` from ``notebooks/02_data.ipynb``, and so on.
"""

__version__ = "0.1.0"
