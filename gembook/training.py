"""Generated from notebooks/06_training.ipynb by tools/export.py: do not edit; edit the notebook and re-export."""

import math
import time

import numpy as np
import torch
from torch.func import functional_call, grad, vmap
from torch.nn import functional as F

from gembook.data import scale
from gembook.memory import EpisodicMemory
from gembook.network import mlp
from gembook.projection import all_finite, gem_step


# Defined in chapter 06 (notebooks/06_training.ipynb).
def gradient(net, X, y):
    """g: the gradient of the mean cross-entropy on (X, y), as one flat vector."""
    loss = F.cross_entropy(net(X), y)
    g = torch.autograd.grad(loss, list(net.parameters()))
    return loss.detach(), torch.cat([d.flatten() for d in g])


# Defined in chapter 06 (notebooks/06_training.ipynb).
def sgd_step(net, g, lr, checked=False):
    """Plain SGD along a flat gradient: theta <- theta - lr * g, in place.

    A non-finite g is refused before it reaches the network, unless the caller
    `checked` it already (GEM's step does, in its host read).
    """
    if not (checked or all_finite(g)):
        raise FloatingPointError("non-finite gradient")
    with torch.no_grad():
        for p, g_p in zip(net.parameters(), g.split([p.numel() for p in
                                                     net.parameters()])):
            p.sub_(lr * g_p.view_as(p))


# Defined in chapter 06 (notebooks/06_training.ipynb).
def memory_gradients_loop(net, memory, t):
    """G: row k is the gradient of the mean loss on task k's memory (eq. 5), k < t."""
    rows = []
    for k in range(t):
        n = memory.size(k)
        _, g_k = gradient(net, memory.x[k, :n], memory.y[k, :n])
        rows.append(g_k)
    return torch.stack(rows)


# Defined in chapter 06 (notebooks/06_training.ipynb).
def memory_weights(memory, t):
    """w[k, i] = 1 / |M_k| for the valid slots i of task k's memory, else 0; k < t.

    Computed on the CPU from the memory's counts and sent to the memory's device
    without waiting for it.
    """
    sizes = torch.tensor([memory.size(k) for k in range(t)], device="cpu")
    valid = torch.arange(memory.n_memories, device="cpu") < sizes[:, None]
    return (valid / sizes.clamp(min=1)[:, None]).to(memory.x.device, non_blocking=True)


# Defined in chapter 06 (notebooks/06_training.ipynb).
def memory_gradients(net, memory, t):
    """G: row k is the gradient of the mean loss on task k's memory, for k < t (eq.
    5)."""
    params = {name: p.detach() for name, p in net.named_parameters()}
    weights = memory_weights(memory, t)

    def loss(params, X, y, w):
        logits = functional_call(net, params, (X,))
        return (F.cross_entropy(logits, y, reduction="none") * w).sum()

    G = vmap(grad(loss), in_dims=(None, 0, 0, 0))(params, memory.x[:t], memory.y[:t],
                                                     weights)
    return torch.cat([G[name].flatten(1) for name in params], dim=1)


# Defined in chapter 06 (notebooks/06_training.ipynb).
def linear_layers(net):
    """The linear layers of an MLP (chapter 03), checked."""
    sequential = isinstance(net, torch.nn.Sequential)
    kinds = [type(module) for module in net] if sequential else []
    expected = [torch.nn.Linear, torch.nn.ReLU] * (len(kinds) // 2) + [torch.nn.Linear]
    if not kinds or kinds != expected:
        raise ValueError("GEM's step from factors needs chapter 03's MLP (linear "
                         f"layers with ReLUs between them), got {net!r}")
    return list(net)[::2]


# Defined in chapter 06 (notebooks/06_training.ipynb).
def layer_factors(net, X, y, w):
    """(h, e) of the loss sum_i w_i l(net(x_i), y_i): per linear layer, its inputs h
    and errors e = dL/d(its outputs), batched over X's leading dimensions.

    The backward steps are autograd's (log-softmax's, ReLU's), bit for bit.
    """
    layers = linear_layers(net)
    h = [X]
    for layer in layers[:-1]:  # product, then sum, as vmap's linear: addmm rounds apart
        h.append((h[-1] @ layer.weight.T + layer.bias).relu())
    log_p = (h[-1] @ layers[-1].weight.T + layers[-1].bias).log_softmax(-1)
    dlog_p = torch.zeros_like(log_p).scatter_(-1, y[..., None], -w[..., None])
    e = [torch._log_softmax_backward_data(dlog_p, log_p, -1, log_p.dtype)]
    for layer, h_l in zip(layers[:0:-1], h[:0:-1]):
        e.insert(0, torch.ops.aten.threshold_backward(e[0] @ layer.weight, h_l, 0))
    return h, e


# Defined in chapter 06 (notebooks/06_training.ipynb).
def rows(h, e):
    """Gradients from factors, one row per batch: per linear layer, its weight's e' h
    and its bias's sum of e, flattened in `parameters()` order."""
    blocks = []
    for h_l, e_l in zip(h, e):
        blocks += [(e_l.transpose(-2, -1) @ h_l).flatten(-2), e_l.sum(-2)]
    return torch.cat(blocks, -1)


# Defined in chapter 06 (notebooks/06_training.ipynb).
def memory_factors(net, memory, t):
    """`layer_factors` of the memories of tasks k < t, weighted 1 / |M_k| (eq. 5)."""
    return layer_factors(net, memory.x[:t], memory.y[:t], memory_weights(memory, t))


TAU = 1e-3  # decide from the factors alone where every G g clears TAU * S


# Defined in chapter 06 (notebooks/06_training.ipynb).
def memory_products(x, e_1, x_b, e_b, G_rest, g):
    """(G g, S): G g with its first layer's part from eq. (GF), from the memories'
    inputs x and first-layer errors e_1 and the minibatch's (x_b, e_b), the rest from
    G's other columns G_rest; S[k] sums the absolute values of the terms of entry k."""
    first = (e_1 @ e_b.T) * (x @ x_b.T + 1)  # (e_i' e_j)(x_i' x_j + 1)
    rest = G_rest * g[len(g) - G_rest.shape[-1]:]
    return (first.sum((-2, -1)) + rest.sum(-1),
            first.abs().sum((-2, -1)) + rest.abs().sum(-1))


# Defined in chapter 06 (notebooks/06_training.ipynb).
class Single:
    """Fine-tune one network along the stream with plain SGD (the paper's "single")."""

    settings = {"permutations": {"lr": 0.03}, "rotations": {"lr": 0.003}}  # public code

    def __init__(self, n_tasks, lr, sizes=(784, 100, 100, 10)):
        self.net, self.lr = mlp(sizes), lr

    def __call__(self, X, t):
        """Logits of inputs X of task t (one shared network: t is not used)."""
        return self.net(X)

    def observe(self, X, y, t):
        """One update on a minibatch of task t; returns the minibatch loss."""
        loss, g = gradient(self.net, X, y)
        sgd_step(self.net, g, self.lr)
        return loss


# Defined in chapter 06 (notebooks/06_training.ipynb).
def cosine(g, g_tilde):
    """cos of the angle between g and g~, as a tensor where they are."""
    norms = (g.norm() * g_tilde.norm()).clamp(min=torch.finfo(g.dtype).tiny)
    return g @ g_tilde / norms


# Defined in chapter 06 (notebooks/06_training.ipynb).
def degrees(cos):
    """The angle, in degrees, of a cosine (NaN stays NaN)."""
    return math.degrees(math.acos(min(1.0, max(-1.0, cos)))) if cos == cos else math.nan


# Defined in chapter 06 (notebooks/06_training.ipynb).
def angle(g, g_tilde):
    """The angle, in degrees, between the gradient g and the step g~ taken instead."""
    return degrees(cosine(g, g_tilde).item())


# Defined in chapter 06 (notebooks/06_training.ipynb).
class GEM(Single):
    """Gradient Episodic Memory: SGD with g projected so no memory loss increases."""

    settings = {"lr": 0.1, "n_memories": 256, "gamma": 0.5}  # public code

    def __init__(self, n_tasks, lr, n_memories=256, gamma=0.5, eps=1e-3,
                 sizes=(784, 100, 100, 10)):
        super().__init__(n_tasks, lr, sizes)
        linear_layers(self.net)  # refuse now a net the step cannot factor (eq. GF)
        self.memory = EpisodicMemory(n_tasks, n_memories, n_inputs=sizes[0])
        self.gamma, self.eps = gamma, eps
        self.n_projected, self.steps, self.cosines = 0, [], []

    def observe(self, X, y, t):
        self.memory.add(t, X, y)
        loss, g = gradient(self.net, X, y)
        if t > 0:
            g_tilde, n_violated = self.step(g, X, y, t)
            self.steps.append((t, n_violated))
            if n_violated:
                self.n_projected += 1
                self.cosines.append(cosine(g, g_tilde))
            g = g_tilde
        sgd_step(self.net, g, self.lr, checked=t > 0)
        return loss

    @torch.no_grad()
    def step(self, g, X, y, t):
        """(g~, number of violated constraints) from one pass over the memories: g
        where G g from the factors clears TAU * S (eq. GF), else `gem_step` on G.
        g must be the mean loss's gradient on (X, y) at the current weights."""
        h, e = memory_factors(self.net, self.memory, t)
        h_b, e_b = layer_factors(self.net, X, y, torch.full(y.shape, 1 / len(y),
                                                            device=y.device))
        G_rest = (rows(h[1:], e[1:]) if len(h) > 1  # the later layers' columns of G
                  else g.new_zeros(t, 0))
        Gg, S = memory_products(h[0], e[0], h_b[0], e_b[0], G_rest, g)
        if bool((Gg > TAU * S).all() & (g @ g).isfinite()):  # the host read
            return g, 0
        G = torch.cat([rows(h[:1], e[:1]), G_rest], -1)
        return gem_step(g, G, self.gamma, self.eps)  # chapter 05

    @property
    def log(self):
        """A row [t, violated constraints, angle(g, g~)] per step of tasks t >= 1."""
        cosines = iter(torch.stack(self.cosines).tolist() if self.cosines else [])
        return [[t, n, degrees(next(cosines)) if n else 0.0] for t, n in self.steps]


# Defined in chapter 06 (notebooks/06_training.ipynb).
@torch.no_grad()
def accuracy(learner, task, t, chunk=None):
    """Fraction of task t's test digits that `learner` classifies correctly, `chunk`
    at a time (default: 1000 on a CPU, all at once on a GPU)."""
    n = len(task.y_test)
    chunk = chunk or (1000 if task.x_test.device.type == "cpu" else n)
    correct = sum((learner(scale(task.x_test[i:i + chunk]), t).argmax(1)
                   == task.y_test[i:i + chunk]).sum() for i in range(0, n, chunk))
    return correct.item() / n


# Defined in chapter 06 (notebooks/06_training.ipynb).
def evaluate(learner, tasks, tested=None):
    """One row of R: test accuracy on each task in `tested` (default: all), else NaN."""
    tested = range(len(tasks)) if tested is None else tested
    return [accuracy(learner, task, t) if t in tested else math.nan
            for t, task in enumerate(tasks)]


EVALUATIONS = ("full", "seen", "metrics")


# Defined in chapter 06 (notebooks/06_training.ipynb).
def tasks_to_test(t, T, evaluation="full"):
    """The tasks tested after training task t (t = -1: before training).

    "full": all of them. "metrics": what ACC, BWT and FWT read (eqs. 2-4): all at the
    start and at the end, else task t (R[t + 1, t]) and task t + 1 (R[t + 1, t + 1]).
    "seen": also what forgetting reads (eq. F): tasks 0 to t + 1.
    """
    if evaluation not in EVALUATIONS:
        raise ValueError(f"evaluation must be one of {EVALUATIONS}, got {evaluation!r}")
    if evaluation == "full" or t in (-1, T - 1):
        return range(T)
    return range(t + 2) if evaluation == "seen" else (t, t + 1)


# Defined in chapter 06 (notebooks/06_training.ipynb).
def train(learner, tasks, batch_size=10, progress=None, evaluation="full"):
    """One pass over the continuum; returns R (T+1 rows) and the seconds spent.
    `progress()`, if given, is called after each task is trained and tested."""
    T = len(tasks)
    R = [evaluate(learner, tasks, tasks_to_test(-1, T, evaluation))]
    seconds = {"train": 0.0, "eval": 0.0}
    for t, task in enumerate(tasks):
        start, losses = time.perf_counter(), []
        for step, i in enumerate(range(0, len(task.y_train), batch_size)):
            X, y = scale(task.x_train[i:i + batch_size]), task.y_train[i:i + batch_size]
            try:
                losses.append(learner.observe(X, y, t))
            except FloatingPointError as error:
                raise FloatingPointError(f"{error} at task {t}, step {step}: lower the "
                                         "learning rate") from error
        check_losses(losses, t)
        middle = time.perf_counter()
        R.append(evaluate(learner, tasks, tasks_to_test(t, T, evaluation)))
        seconds["train"] += middle - start
        seconds["eval"] += time.perf_counter() - middle
        if progress:
            progress()
    return np.array(R), seconds


# Defined in chapter 06 (notebooks/06_training.ipynb).
def check_losses(losses, t):
    """Refuse a task whose minibatch losses are not all finite, naming the first
    (one host sync per task: a learner checks its gradients at every step)."""
    finite = torch.stack(losses).isfinite().tolist()
    if not all(finite):
        raise FloatingPointError(f"non-finite loss at task {t}, step "
                                 f"{finite.index(False)}: lower the learning rate")
