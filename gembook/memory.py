"""Generated from notebooks/04_memory.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import torch


class EpisodicMemory:
    """The last `n_memories` examples of each task, in one ring buffer per task.

    `x[t, :size(t)]` and `y[t, :size(t)]` hold task t's memories, inputs scaled to
    [0, 1]. Defined in chapter 04 (episodic memory).
    """

    def __init__(self, n_tasks, n_memories, n_inputs=784):
        if n_tasks < 1 or n_memories < 1:
            raise ValueError(f"n_tasks and n_memories must be positive, got "
                             f"{n_tasks} and {n_memories}")
        self.x = torch.zeros(n_tasks, n_memories, n_inputs)
        self.y = torch.zeros(n_tasks, n_memories, dtype=torch.long)
        self.seen = torch.zeros(n_tasks, dtype=torch.long)

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
        slots = (self.seen[task] + torch.arange(n)[keep]) % m
        self.x[task, slots] = X[keep]
        self.y[task, slots] = y[keep]
        self.seen[task] += n
