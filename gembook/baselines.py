"""Generated from notebooks/08_baselines.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import torch
from torch import nn

from gembook.memory import EpisodicMemory
from gembook.network import mlp
from gembook.training import Single, gradient, sgd_step


# Defined in chapter 08 (notebooks/08_baselines.ipynb).
class Independent:
    """One small network per task, each initialised from the previous task's network."""

    settings = {"permutations": {"lr": 0.03, "n_hidden": 5},  # public code
                "rotations": {"lr": 0.1, "n_hidden": 5}}

    def __init__(self, n_tasks, lr, n_hidden=5, sizes=(784, 100, 100, 10)):
        shape = (sizes[0], *[n_hidden] * (len(sizes) - 2), sizes[-1])
        self.nets, self.lr, self.trained = [mlp(shape) for _ in range(n_tasks)], lr, -1

    def __call__(self, X, t):
        return self.nets[t](X)

    def observe(self, X, y, t):
        if t != self.trained and t > 0:  # first step of task t: start from task t - 1
            self.nets[t].load_state_dict(self.nets[t - 1].state_dict())
        self.trained = t
        loss, g = gradient(self.nets[t], X, y)
        sgd_step(self.nets[t], g, self.lr)
        return loss


# Defined in chapter 08 (notebooks/08_baselines.ipynb).
def zero_bias_(layer):
    """PyTorch's default weights and a zero bias, as in the public code's multimodal."""
    nn.init.zeros_(layer.bias)


# Defined in chapter 08 (notebooks/08_baselines.ipynb).
class Multimodal:
    """A task-specific input layer per task under shared upper layers.

    With `sizes=(784, 100, 100, 10)`: per task 784-100, shared 100-100-10, so the
    network is as deep as the single one.
    """

    settings = {"lr": 0.1}  # public code, both benchmarks

    def __init__(self, n_tasks, lr, sizes=(784, 100, 100, 10)):
        shared = nn.Sequential(nn.ReLU(), mlp(sizes[1:], init=zero_bias_))
        inputs = [nn.Linear(*sizes[:2]) for _ in range(n_tasks)]
        for layer in inputs:
            zero_bias_(layer)
        self.nets, self.lr = [nn.Sequential(layer, shared) for layer in inputs], lr

    def __call__(self, X, t):
        return self.nets[t](X)

    def observe(self, X, y, t):
        loss, g = gradient(self.nets[t], X, y)
        sgd_step(self.nets[t], g, self.lr)
        return loss


# Defined in chapter 08 (notebooks/08_baselines.ipynb).
class EWC(Single):
    """Elastic weight consolidation: SGD plus a Fisher-weighted anchor per past task."""

    settings = {  # the public code's
        "permutations": {"lr": 0.1, "n_memories": 10, "strength": 3.0},
        "rotations": {"lr": 0.01, "n_memories": 1000, "strength": 1000.0}}

    def __init__(self, n_tasks, lr, n_memories, strength, sizes=(784, 100, 100, 10)):
        super().__init__(n_tasks, lr, sizes)
        self.memory = EpisodicMemory(n_tasks, n_memories, n_inputs=sizes[0])
        self.strength, self.task = strength, 0
        self.A = torch.zeros(sum(p.numel() for p in self.net.parameters()))
        self.B, self.C = torch.zeros_like(self.A), 0.0  # C = sum_k F_k . theta*_k^2

    def theta(self):
        return torch.cat([p.detach().flatten() for p in self.net.parameters()])

    def consolidate(self, k):
        """Anchor the parameters at their end-of-task-k values, weighted by F_k."""
        size = self.memory.size(k)
        _, g = gradient(self.net, self.memory.x[k, :size], self.memory.y[k, :size])
        F_k, theta = g ** 2, self.theta()
        self.A += F_k
        self.B += F_k * theta
        self.C += (F_k * theta ** 2).sum().item()

    def penalty(self):
        """lambda * sum_k sum_i F_ki (theta_i - theta*_ki)^2, from the running sums."""
        theta = self.theta()
        return self.strength * ((self.A * theta - 2 * self.B) @ theta + self.C)

    def observe(self, X, y, t):
        if t != self.task:
            self.consolidate(self.task)
            self.task = t
        room = self.memory.n_memories - int(self.memory.seen[t])
        if room > 0:  # keep the task's first n_memories examples
            self.memory.add(t, X[:room], y[:room])
        loss, g = gradient(self.net, X, y)
        anchor = 2 * self.strength * (self.A * self.theta() - self.B)
        sgd_step(self.net, g + anchor, self.lr)
        return loss
