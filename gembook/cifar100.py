"""Generated from notebooks/90_sources.ipynb and notebooks/12_cifar100.ipynb by tools/export.py: do not edit; edit the notebooks and re-export."""

import pickle
import socket
import tarfile
import threading
import urllib.parse
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pooch
import requests
from torchvision.datasets import CIFAR100 as TorchvisionCIFAR100
from torchvision.datasets.utils import check_integrity

from gembook.sources import ArrayUnpickler, check_folder, data_dir

CIFAR100_URL = TorchvisionCIFAR100.url
CIFAR100_FILE = TorchvisionCIFAR100.filename  # cifar-100-python.tar.gz
CIFAR100_MD5 = TorchvisionCIFAR100.tgz_md5  # as published with the archive
N_CLASSES, IMAGE_SHAPE = 100, (3, 32, 32)


# Defined in Appendix A (notebooks/90_sources.ipynb).
@dataclass(frozen=True)
class CIFAR100:
    """Images (N, 3, 32, 32) and labels (N,) in 0..99, uint8, train and test."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


# Defined in Appendix A (notebooks/90_sources.ipynb).
class CIFAR100Unavailable(RuntimeError):
    """CIFAR-100 could not be had; `reason` says why in a few stable words."""

    def __init__(self, message, reason):
        super().__init__(message)
        self.reason = reason


# Defined in Appendix A (notebooks/90_sources.ipynb).
def check_host(url, timeout=5.0):
    """Raise `OSError` unless the name of `url`'s host resolves within `timeout` s."""
    host = urllib.parse.urlsplit(url).hostname
    failure = []

    def look_up():
        try:
            socket.getaddrinfo(host, None)
        except OSError as error:  # raised again in the caller's thread
            failure.append(error)

    thread = threading.Thread(target=look_up, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"{host} gave no answer within {timeout} s")
    if failure:
        raise failure[0]


# Defined in Appendix A (notebooks/90_sources.ipynb).
def read_archive(archive):
    """The `CIFAR100` arrays inside a `cifar-100-python.tar.gz` archive."""
    arrays = {}
    with tarfile.open(archive, "r:gz") as tar:
        for split in ("train", "test"):
            with tar.extractfile(f"cifar-100-python/{split}") as file:
                entry = ArrayUnpickler(file, encoding="latin1").load()
            x, y = np.asarray(entry["data"]), np.asarray(entry["fine_labels"])
            if x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != np.prod(IMAGE_SHAPE):
                raise ValueError(f"{split} images should be uint8 rows of 3072 values")
            if len(y) != len(x) or y.min() < 0 or y.max() >= N_CLASSES:
                raise ValueError(f"{split} labels should be one in 0..99 per image")
            arrays[f"x_{split}"] = x.reshape(-1, *IMAGE_SHAPE)
            arrays[f"y_{split}"] = y.astype(np.uint8)
    return CIFAR100(**arrays)


# Defined in Appendix A (notebooks/90_sources.ipynb).
def fetch_cifar100(folder=None, url=CIFAR100_URL, md5=CIFAR100_MD5, timeout=5.0,
                   download=True, downloader=None):
    """Return `(data, source)`: CIFAR-100 from the cache or from `url`, MD5 verified.

    With `download=False` only the cache is read. `downloader` is in pooch's form
    (default: pooch's HTTP, after `check_host`). Raises `CIFAR100Unavailable`."""
    folder = Path(folder) if folder is not None else data_dir() / "cifar100"
    archive = folder / CIFAR100_FILE
    try:
        check_folder(folder)
        if check_integrity(archive, md5):
            return read_archive(archive), f"the cache {archive}"
        if not download:
            raise CIFAR100Unavailable(
                f"CIFAR-100 (MD5 {md5}) is not in {archive} and no download was asked "
                f"for; download {url} and save it there",
                "it is not in the cache and, without a GPU for the full run, the "
                "chapter does not download it")
        if archive.exists():
            warnings.warn(f"{archive} does not have CIFAR-100's MD5: downloading it "
                          "again", stacklevel=2)
        if downloader is None:
            if not urllib.request.getproxies().get(urllib.parse.urlsplit(url).scheme):
                check_host(url, timeout)  # behind a proxy, the proxy looks the name up
            downloader = pooch.HTTPDownloader(timeout=(timeout, max(timeout, 30)))
        pooch.retrieve(url, f"md5:{md5}", fname=CIFAR100_FILE, path=folder,
                       downloader=downloader)
        return read_archive(archive), url
    except (OSError, ValueError, tarfile.TarError, pickle.UnpicklingError,
            KeyError, EOFError) as error:
        host = urllib.parse.urlsplit(url).hostname or url
        offline = isinstance(error, (socket.gaierror, TimeoutError, ConnectionError,
                                     requests.ConnectionError, requests.Timeout))
        reason = (f"{host} cannot be reached from this machine" if offline
                  else "its download or its check failed")
        raise CIFAR100Unavailable(
            f"CIFAR-100 unavailable: {type(error).__name__}: {error}\nTo place it by "
            f"hand, download {url} (MD5 {md5})\nand save it as {archive}.",
            reason) from error


import torch
from torch import nn
from torch.func import functional_call, grad, vmap
from torch.nn import functional as F

from gembook.data import Task, labels
from gembook.memory import EpisodicMemory
from gembook.projection import gem_step
from gembook.runs import Result, on, task_progress, to_device
from gembook.training import sgd_step, train


# Defined in chapter 12 (notebooks/12_cifar100.ipynb).
def generated_cifar100(n_train=20, n_test=20, seed=0):
    """Images of CIFAR-100's shape: per class a noisy coarse colour pattern, uint8.

    `n_train` and `n_test` images per class.
    """
    generator = torch.Generator().manual_seed(seed)
    patterns = torch.rand(N_CLASSES, 3, 4, 4, generator=generator) * 255
    patterns = patterns.repeat_interleave(8, dim=2).repeat_interleave(8, dim=3)

    def draw(n):
        y = torch.arange(N_CLASSES).repeat_interleave(n)
        noise = 64 * torch.randn(len(y), *IMAGE_SHAPE, generator=generator)
        x = (patterns[y] + noise).clamp(0, 255).round().to(torch.uint8)
        return x.numpy(), y.to(torch.uint8).numpy()

    (x_train, y_train), (x_test, y_test) = draw(n_train), draw(n_test)
    return CIFAR100(x_train, y_train, x_test, y_test)


# Defined in chapter 12 (notebooks/12_cifar100.ipynb).
def cifar100_or_generated(folder=None, timeout=5.0, seed=0, download=True):
    """`(data, real, sentence)`: CIFAR-100 if it can be had, else generated images.

    `sentence` says plainly which data these are and why.
    """
    try:
        data, source = fetch_cifar100(folder, timeout=timeout, download=download)
    except CIFAR100Unavailable as error:
        return generated_cifar100(seed=seed), False, (
            f"Data: generated images of CIFAR-100's shape (3x32x32 uint8, 100 classes, "
            f"seed {seed}), NOT CIFAR-100, because {error.reason}.")
    return data, True, f"Data: the real CIFAR-100, MD5 verified, from {source}."


# Defined in chapter 12 (notebooks/12_cifar100.ipynb).
def split_cifar100(data, n_tasks=20, n_train=2500, n_test=None, seed=0,
                   classes_per_task=5):
    """Split CIFAR-100 into tasks: task t holds classes 5t..5t+4 (uint8 rows, int64 y).

    `n_train` training images per task, shuffled; `n_test` test images per task (all of
    them when None).
    """
    if not 1 <= n_tasks * classes_per_task <= N_CLASSES:
        raise ValueError(f"{n_tasks} tasks of {classes_per_task} classes need more "
                         f"than CIFAR-100's {N_CLASSES} classes")
    generator = torch.Generator().manual_seed(seed)
    x_train = torch.from_numpy(data.x_train).flatten(1)
    x_test = torch.from_numpy(data.x_test).flatten(1)
    y_train, y_test = labels(data.y_train), labels(data.y_test)
    tasks = []
    for t in range(n_tasks):
        first = classes_per_task * t
        inside = lambda y: torch.nonzero((y >= first) & (y < first + classes_per_task))
        i, j = inside(y_train).squeeze(1), inside(y_test).squeeze(1)
        if n_train > len(i) or (n_test or 0) > len(j):
            raise ValueError(f"task {t} has {len(i)} training and {len(j)} test "
                             f"images: cannot draw {n_train} and {n_test}")
        i = i[torch.randperm(len(i), generator=generator)[:n_train]]
        if n_test is not None:
            j = j[torch.randperm(len(j), generator=generator)[:n_test]].sort().values
        tasks.append(Task(f"classes {first}-{first + classes_per_task - 1}",
                          x_train[i], y_train[i], x_test[j], y_test[j]))
    return tasks


# Defined in chapter 12 (notebooks/12_cifar100.ipynb).
class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm, plus a shortcut: h = relu(F(x) + S x)."""

    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:  # match the residual's shape
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(h)) + self.shortcut(x))


# Defined in chapter 12 (notebooks/12_cifar100.ipynb).
class ReducedResNet18(nn.Module):
    """The paper's CIFAR learner: ResNet-18 with nf = 20 base filters, 100 outputs.

    Takes uint8-scaled rows (N, 3072) or images (N, 3, 32, 32).
    """

    def __init__(self, n_classes=N_CLASSES, nf=20):
        super().__init__()
        self.conv1 = nn.Conv2d(3, nf, 3, 1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(nf)
        blocks, c_in = [], nf
        for stage, stride in enumerate((1, 2, 2, 2)):
            c_out = nf * 2 ** stage
            blocks += [BasicBlock(c_in, c_out, stride), BasicBlock(c_out, c_out)]
            c_in = c_out
        self.blocks = nn.Sequential(*blocks)
        self.linear = nn.Linear(c_in, n_classes)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x.view(-1, *IMAGE_SHAPE))))
        h = F.avg_pool2d(self.blocks(h), 4)
        return self.linear(h.flatten(1))


MASKED = -1e9  # the logit of a class outside the task: softmax probability 0


# Defined in chapter 12 (notebooks/12_cifar100.ipynb).
def mask_outputs(logits, t, classes_per_task=5):
    """Keep the logits of task t's classes 5t..5t+4; set the others to MASKED."""
    first = classes_per_task * t
    keep = torch.zeros(logits.shape[-1], dtype=torch.bool, device=logits.device)
    keep[first:first + classes_per_task] = True
    return logits.masked_fill(~keep, MASKED)


# Defined in chapter 12 (notebooks/12_cifar100.ipynb).
def masked_gradient(net, X, y, t, classes_per_task=5):
    """The loss on (X, y) of task t with masked outputs, and its gradient g (flat)."""
    loss = F.cross_entropy(mask_outputs(net(X), t, classes_per_task), y)
    g = torch.autograd.grad(loss, list(net.parameters()))
    return loss.detach(), torch.cat([d.flatten() for d in g])


# Defined in chapter 12 (notebooks/12_cifar100.ipynb).
def masked_memory_gradients(net, memory, t, classes_per_task=5):
    """G: row k is the gradient of task k's memory loss, k < t, outputs masked to k,
    in training mode: one batched pass per memory size.
    """
    sizes, rows = [memory.size(k) for k in range(t)], {}
    for n in dict.fromkeys(sizes):  # each size once, in task order
        tasks = [k for k in range(t) if sizes[k] == n]
        rows.update(zip(tasks, same_size_gradients(net, memory, tasks, n,
                                                   classes_per_task)))
    return torch.stack([rows[k] for k in range(t)])


# Defined in chapter 12 (notebooks/12_cifar100.ipynb).
def same_size_gradients(net, memory, tasks, n, classes_per_task=5):
    """The rows of G of `tasks`, whose memories hold n examples each: one vmapped
    pass, each task with its own copy of BN's buffers, folded back by eq. (F)."""
    params = {name: p.detach() for name, p in net.named_parameters()}
    buffers = {name: b.expand(len(tasks), *b.shape).clone()
               for name, b in net.named_buffers()}

    def loss(params, buffers, X, y, k):
        logits = functional_call(net, (params, buffers), (X,))
        classes = torch.arange(logits.shape[-1], device=logits.device)
        logits = logits.masked_fill(classes // classes_per_task != k, MASKED)
        return F.cross_entropy(logits, y)

    k = torch.tensor(tasks).to(memory.x.device, non_blocking=True)
    G = vmap(grad(loss), in_dims=(None, 0, 0, 0, 0))(params, buffers, memory.x[k, :n],
                                                      memory.y[k, :n], k)
    fold_running_averages(net, buffers)
    return torch.cat([G[name].flatten(1) for name in params], dim=1)


# Defined in chapter 12 (notebooks/12_cifar100.ipynb).
@torch.no_grad()
def fold_running_averages(net, buffers):
    """Move each BN layer's running averages as t passes in turn would (eq. F), from
    `buffers`: per buffer, the t copies that the t tasks updated side by side."""
    for name, layer in net.named_modules():
        if not (isinstance(layer, nn.BatchNorm2d) and layer.track_running_stats):
            continue
        m = layer.momentum
        for stat in ("running_mean", "running_var"):
            r, b = getattr(layer, stat), buffers[f"{name}.{stat}"]
            t = len(b)
            decay = (1 - m) ** torch.arange(t - 1, -1, -1, device=r.device)
            r.copy_((1 - m) ** t * r + (decay[:, None] * (b - (1 - m) * r)).sum(0))
        layer.num_batches_tracked += t


# Defined in chapter 12 (notebooks/12_cifar100.ipynb).
def masked_memory_gradients_loop(net, memory, t, classes_per_task=5):
    """G as the paper's setting computes it: a pass per past task, one after another."""
    return torch.stack([masked_gradient(net, memory.x[k, :memory.size(k)],
                                        memory.y[k, :memory.size(k)], k,
                                        classes_per_task)[1] for k in range(t)])


# Defined in chapter 12 (notebooks/12_cifar100.ipynb).
class MaskedSingle:
    """Fine-tune the reduced ResNet-18 along the stream, outputs masked to the task."""

    def __init__(self, n_tasks, lr, classes_per_task=5, nf=20):
        self.net = ReducedResNet18(N_CLASSES, nf)
        self.lr, self.classes_per_task = lr, classes_per_task

    def __call__(self, X, t):
        """Masked logits of test inputs X of task t (BN in eval mode)."""
        self.net.eval()
        return mask_outputs(self.net(X), t, self.classes_per_task)

    def observe(self, X, y, t):
        """One SGD update on a minibatch of task t; returns the minibatch loss."""
        self.net.train()
        loss, g = masked_gradient(self.net, X, y, t, self.classes_per_task)
        sgd_step(self.net, g, self.lr)
        return loss


# Defined in chapter 12 (notebooks/12_cifar100.ipynb).
class MaskedGEM(MaskedSingle):
    """GEM on the reduced ResNet-18 with task-masked outputs."""

    def __init__(self, n_tasks, lr, n_memories=256, gamma=0.5, eps=1e-3,
                 classes_per_task=5, nf=20):
        super().__init__(n_tasks, lr, classes_per_task, nf)
        self.memory = EpisodicMemory(n_tasks, n_memories, n_inputs=3 * 32 * 32)
        self.gamma, self.eps, self.n_projected = gamma, eps, 0
        # batched on a GPU; on a CPU the loop is faster (see the text above)
        self.memory_gradients = (masked_memory_gradients if self.memory.x.is_cuda
                                 else masked_memory_gradients_loop)

    def observe(self, X, y, t):
        self.net.train()
        self.memory.add(t, X, y)
        loss, g = masked_gradient(self.net, X, y, t, self.classes_per_task)
        if t > 0:
            G = self.memory_gradients(self.net, self.memory, t, self.classes_per_task)
            g, n_violated = gem_step(g, G, self.gamma, self.eps)  # chapter 05
            self.n_projected += n_violated > 0
        sgd_step(self.net, g, self.lr, checked=t > 0)
        return loss


LR = {"single": 1.0, "gem": 0.1}  # the public code's learning rates on CIFAR-100
FULL = {"n_tasks": 20, "n_train": 2500, "n_test": None, "batch_size": 10,
        "n_memories": 256, "gamma": 0.5}
SMOKE = {"n_tasks": 3, "n_train": 100, "n_test": 100, "batch_size": 10,
         "n_memories": 25, "gamma": 0.5}


# Defined in chapter 12 (notebooks/12_cifar100.ipynb).
def choose_configuration(real, device):
    """`(name, settings, sentence)`: full with real data on a GPU, else smoke."""
    if real and device == "cuda":
        return "full", FULL, "Configuration: full (the paper's settings), on a GPU."
    missing = [what for what, there in (("the real CIFAR-100", real),
                                        ("a GPU", device == "cuda")) if not there]
    return "smoke", SMOKE, (
        f"Configuration: smoke ({SMOKE['n_tasks']} tasks of {SMOKE['n_train']} "
        f"training and {SMOKE['n_test']} test images, {SMOKE['n_memories']} memories "
        f"per task), because this machine lacks {' and '.join(missing)}.")


# Defined in chapter 12 (notebooks/12_cifar100.ipynb).
def run_cifar100(method, tasks, settings, device="cpu", seed=0, progress=False):
    """Train `method` ("single" or "gem") on `tasks`; returns a `Result` (Appendix B).
    """
    torch.manual_seed(seed)
    # the learner is built, and trained, on `device`
    with on(device), task_progress(progress, len(tasks)) as after_task:
        if method == "gem":
            learner = MaskedGEM(len(tasks), LR[method], settings["n_memories"],
                                settings["gamma"])
        else:
            learner = MaskedSingle(len(tasks), LR[method])
        R, seconds = train(learner, to_device(tasks, device), settings["batch_size"],
                           after_task)
    return Result({"method": method, "seed": seed, "lr": LR[method], **settings},
                  R.tolist(),
                  seconds["train"], seconds["eval"],
                  getattr(learner, "n_projected", None))
