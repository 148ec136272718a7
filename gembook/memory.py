"""Generated from notebooks/04_memory.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import numbers

import torch


# Defined in chapter 04 (notebooks/04_memory.ipynb).
class EpisodicMemory:
    """The last `n_memories` examples of each task, in one ring buffer per task.

    `x[t, :size(t)]` and `y[t, :size(t)]` hold task t's memories, inputs scaled to
    [0, 1].
    """

    def __init__(self, n_tasks, n_memories, n_inputs=784):
        sizes = (n_tasks, n_memories, n_inputs)
        if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool)
                   and n >= 1 for n in sizes):
            raise ValueError(f"n_tasks, n_memories and n_inputs must be positive "
                             f"integers, got {n_tasks}, {n_memories} and {n_inputs}")
        self.x = torch.zeros(n_tasks, n_memories, n_inputs)
        self.y = torch.zeros(n_tasks, n_memories, dtype=torch.long)
        self.seen = torch.zeros(n_tasks, dtype=torch.long, device="cpu")  # host counts

    @property
    def n_memories(self):
        return self.x.shape[1]

    def size(self, task):
        """How many memories of `task` are valid."""
        return min(int(self.seen[task]), self.n_memories)

    def add(self, task, X, y):
        """Store a minibatch of `task`, overwriting the task's oldest entries."""
        n, m = len(y), self.n_memories
        keep = slice(max(n - m, 0), n)  # of a batch longer than the buffer, the last m
        slots = (self.seen[task] + torch.arange(n, device="cpu")[keep]) % m
        slots = slots.to(self.x.device, non_blocking=True)  # no wait on a GPU
        self.x[task, slots] = X[keep]
        self.y[task, slots] = y[keep]
        self.seen[task] += n

    def sample(self, t, n):
        """n memories drawn at random, without replacement, from the tasks before t."""
        sizes = torch.tensor([self.size(k) for k in range(t)])
        valid = (torch.arange(self.n_memories) < sizes[:, None]).flatten()
        i = valid.nonzero().squeeze(1)[torch.randperm(int(valid.sum()))[:n]]
        return self.x[:t].flatten(0, 1)[i], self.y[:t].flatten()[i]
