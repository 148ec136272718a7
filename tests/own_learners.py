"""Learners from outside the package, for tests of `--method module:Class` (Appendix B).

The tests run the command line with this folder on the path, as a reader would run it
next to a file of their own.
"""

import torch
from torch.nn import functional as F


class NearestMean:
    """One mean image per class and task; the logits are minus the squared distances
    (up to |x|^2, the same for every class).

    What it learns of task t never changes after task t: it cannot forget.
    """

    settings = {}  # no learning rate

    def __init__(self, n_tasks, n_classes=10, n_inputs=784):
        self.sums = torch.zeros(n_tasks, n_classes, n_inputs)
        self.counts = torch.zeros(n_tasks, n_classes)

    def __call__(self, X, t):
        means = self.sums[t] / self.counts[t].clamp(min=1)[:, None]
        return 2 * X @ means.T - (means ** 2).sum(1)

    def observe(self, X, y, t):
        loss = F.cross_entropy(self(X, t), y)
        self.sums[t].index_add_(0, y, X)
        self.counts[t].index_add_(0, y, torch.ones(len(y)))
        return loss


class NoObserve:
    """Predicts, but cannot learn: not a learner."""

    def __init__(self, n_tasks, lr):
        self.lr = lr

    def __call__(self, X, t):
        return torch.zeros(len(X), 10)


class WithoutLearningRate:
    """A learner with no `settings` whose constructor takes no learning rate."""

    def __init__(self, n_tasks):
        self.inner = NearestMean(n_tasks)

    def __call__(self, X, t):
        return self.inner(X, t)

    def observe(self, X, y, t):
        return self.inner.observe(X, y, t)
