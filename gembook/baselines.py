"""Generated from notebooks/08_baselines.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

from functools import partial

import torch
from torch import nn
from torch.nn import functional as F

from gembook.memory import EpisodicMemory
from gembook.network import mlp
from gembook.training import (LEARNERS, PAPER_SETTINGS, Single, gradient, run_all,
                              settings_for, sgd_step)


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


def zero_bias_(layer):
    """PyTorch's default weights and a zero bias: the public code's multimodal layers."""
    nn.init.zeros_(layer.bias)


class Multimodal:
    """A task-specific input layer per task under shared upper layers.

    With `sizes=(784, 100, 100, 10)`: per task 784-100, shared 100-100-10, so the
    network is as deep as the single one. Defined in chapter 08 (the paper's baselines).
    """

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
        room = self.memory.n_memories - int(self.memory.seen[t])
        if room > 0:  # keep the task's first n_memories examples
            self.memory.add(t, X[:room], y[:room])
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


class Audited:
    """A learner with an episodic memory, audited: every `every` steps of tasks t >= 1,
    `log` gets [t, share of past tasks whose memory loss rose with the step, mean change
    of the past tasks' memory losses].

    Defined in chapter 08 (beyond the paper).
    """

    def __init__(self, Learner, n_tasks, every=10, **hyper):
        self.learner, self.every, self.steps, self.log = Learner(n_tasks, **hyper), every, 0, []

    def __call__(self, X, t):
        return self.learner(X, t)

    @property
    def n_projected(self):
        return getattr(self.learner, "n_projected", None)

    @torch.no_grad()
    def memory_losses(self, t):
        """The mean loss on each past task's memory, k < t."""
        memory = self.learner.memory
        return torch.stack([F.cross_entropy(self(memory.x[k, :memory.size(k)], k),
                                            memory.y[k, :memory.size(k)])
                            for k in range(t)])

    def observe(self, X, y, t):
        audit = t > 0 and self.steps % self.every == 0
        self.steps += t > 0  # counts the steps that can be audited
        before = self.memory_losses(t) if audit else None
        loss = self.learner.observe(X, y, t)
        if audit:
            change = self.memory_losses(t) - before
            self.log.append([t, (change > 0).float().mean().item(), change.mean().item()])
        return loss


def audit(requests):
    """Audited runs of `requests` (dicts of `settings_for` arguments), in parallel."""
    return run_all([settings_for(**request) for request in requests],
                   wrap=lambda Learner: partial(Audited, Learner))
