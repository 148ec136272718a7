"""Generated from notebooks/08_baselines.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import torch
from torch import nn

from gembook.memory import EpisodicMemory
from gembook.network import mlp
from gembook.training import LEARNERS, PAPER_SETTINGS, Single, gradient, sgd_step


class Independent:
    """One small network per task, each initialised from the previous task's network.

    Defined in chapter 08 (the paper's baselines).
    """

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


class Multimodal:
    """A task-specific input layer per task under shared upper layers.

    Defined in chapter 08 (the paper's baselines).
    """

    def __init__(self, n_tasks, lr, sizes=(784, 100, 100, 10)):
        shared = nn.Sequential(nn.ReLU(), mlp(sizes[1:]))
        self.nets = [nn.Sequential(nn.Linear(*sizes[:2]), shared) for _ in range(n_tasks)]
        self.lr = lr

    def __call__(self, X, t):
        return self.nets[t](X)

    def observe(self, X, y, t):
        loss, g = gradient(self.nets[t], X, y)
        sgd_step(self.nets[t], g, self.lr)
        return loss


class EWC(Single):
    """Elastic weight consolidation: SGD plus a Fisher-weighted anchor per past task.

    Defined in chapter 08 (the paper's baselines).
    """

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
        self.memory.add(t, X, y)
        loss, g = gradient(self.net, X, y)
        anchor = 2 * self.strength * (self.A * self.theta() - self.B)
        sgd_step(self.net, g + anchor, self.lr)
        return loss


def project_average(g, g_ref):
    """A-GEM's update: g minus its component against g_ref, if the two conflict."""
    dot = g @ g_ref
    return g - dot / (g_ref @ g_ref) * g_ref if dot < 0 else g


class AGEM(Single):
    """Averaged GEM: one projection onto the gradient of a sample of past memories.

    Defined in chapter 08 (beyond the paper).
    """

    def __init__(self, n_tasks, lr, n_memories=256, n_reference=256,
                 sizes=(784, 100, 100, 10)):
        super().__init__(n_tasks, lr, sizes)
        self.memory = EpisodicMemory(n_tasks, n_memories, n_inputs=sizes[0])
        self.n_reference, self.n_projected = n_reference, 0

    def observe(self, X, y, t):
        self.memory.add(t, X, y)
        loss, g = gradient(self.net, X, y)
        if t > 0:
            _, g_ref = gradient(self.net, *self.memory.sample(t, self.n_reference))
            projected = project_average(g, g_ref)
            self.n_projected += projected is not g
            g = projected
        sgd_step(self.net, g, self.lr)
        return loss


class ER(Single):
    """Experience replay: each minibatch is joined by past memories drawn at random.

    Defined in chapter 08 (beyond the paper).
    """

    def __init__(self, n_tasks, lr, n_memories=256, n_replay=10,
                 sizes=(784, 100, 100, 10)):
        super().__init__(n_tasks, lr, sizes)
        self.memory = EpisodicMemory(n_tasks, n_memories, n_inputs=sizes[0])
        self.n_replay = n_replay

    def observe(self, X, y, t):
        self.memory.add(t, X, y)
        if t > 0:
            X_past, y_past = self.memory.sample(t, self.n_replay)
            X, y = torch.cat([X, X_past]), torch.cat([y, y_past])
        loss, g = gradient(self.net, X, y)
        sgd_step(self.net, g, self.lr)
        return loss


LEARNERS.update({"independent": Independent, "multimodal": Multimodal, "ewc": EWC,
                 "agem": AGEM, "er": ER})
PAPER_SETTINGS.update({
    ("permutations", "independent"): {"lr": 0.03, "n_hidden": 5},
    ("rotations", "independent"): {"lr": 0.1, "n_hidden": 5},
    ("permutations", "multimodal"): {"lr": 0.1},
    ("rotations", "multimodal"): {"lr": 0.1},
    ("permutations", "ewc"): {"lr": 0.1, "n_memories": 10, "strength": 3.0},
    ("rotations", "ewc"): {"lr": 0.01, "n_memories": 1000, "strength": 1000.0},
    **{(benchmark, "agem"): {"lr": 0.1, "n_memories": 256, "n_reference": 256}
       for benchmark in ("permutations", "rotations")},
    **{(benchmark, "er"): {"lr": 0.1, "n_memories": 256, "n_replay": 10}
       for benchmark in ("permutations", "rotations")},
})
