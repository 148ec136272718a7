"""Generated from notebooks/09_agem.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import torch
from torch.nn import functional as F

from gembook.memory import EpisodicMemory
from gembook.training import Single, gradient, sgd_step


# Defined in chapter 09 (notebooks/09_agem.ipynb).
def project_average(g, g_ref):
    """A-GEM's update: g minus its component against g_ref, if the two conflict."""
    dot = g @ g_ref
    return g - dot / (g_ref @ g_ref) * g_ref if dot < 0 else g


# Defined in chapter 09 (notebooks/09_agem.ipynb).
class AGEM(Single):
    """Averaged GEM: one projection onto the gradient of a sample of past memories."""

    settings = {"lr": 0.1, "n_memories": 256, "n_reference": 256}

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


# Defined in chapter 09 (notebooks/09_agem.ipynb).
class ER(Single):
    """Experience replay: each minibatch is joined by past memories drawn at random."""

    settings = {"lr": 0.1, "n_memories": 256, "n_replay": 10}

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


# Defined in chapter 09 (notebooks/09_agem.ipynb).
class Audited:
    """A learner with an episodic memory, audited: every `every` steps of tasks t >= 1,
    `log` gets [t, share of past tasks whose memory loss rose with the step, mean change
    of the past tasks' memory losses].
    """

    def __init__(self, Learner, n_tasks, every=10, **hyper):
        self.learner, self.every = Learner(n_tasks, **hyper), every
        self.steps, self.log = 0, []

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
            rose = (change > 0).float().mean().item()
            self.log.append([t, rose, change.mean().item()])
        return loss
