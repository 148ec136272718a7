"""CIFAR-100: what Appendix A adds to pooch and torchvision, and chapter 12's split,
network, masks and GEM's memory gradients under batch norm. No test touches the network:
downloads are faked in pooch's form and offline machines are simulated."""

import copy
import hashlib
import io
import pickle
import socket
import tarfile
import threading
import time
from pathlib import Path

import numpy as np
import pooch
import pytest
import requests
import torch
from tolerances import float32_atol
from torch.nn import functional as F

from gembook import cifar100 as c

pytestmark = pytest.mark.usefixtures("one_thread")


# --- a fake archive, laid out like cifar-100-python.tar.gz ---------------------------

def fake_arrays(seed=0):
    rng = np.random.default_rng(seed)
    return {split: (rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                    [int(v) for v in rng.integers(0, 100, n)])
            for split, n in (("train", 40), ("test", 12))}


def archive_bytes(arrays=None, payloads=None):
    """A tar.gz holding cifar-100-python/{train,test}, pickled like the real ones."""
    arrays = arrays or fake_arrays()
    payloads = payloads or {
        split: pickle.dumps({"data": x, "fine_labels": y, "batch_label": split},
                            protocol=2)
        for split, (x, y) in arrays.items()}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for split, payload in payloads.items():
            info = tarfile.TarInfo(f"cifar-100-python/{split}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def md5(data):
    return hashlib.md5(data).hexdigest()


URL = "https://example.org/cifar-100-python.tar.gz"


def serving(data, error=None):
    """A downloader in pooch's form that writes `data`, then raises `error` if any."""
    def download(url, output_file, pooch):
        Path(output_file).write_bytes(data)
        if error is not None:
            raise error
    return download


def forbidden(url, output_file, pooch):
    pytest.fail("a download was started although the cache is good")


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- download, cache and refusal --------------------------------------------------

def test_a_verified_download_is_read_and_cached(tmp_path):
    data = archive_bytes()
    folder = tmp_path / "cache"
    cifar, source = c.fetch_cifar100(folder, url=URL, md5=md5(data),
                                       downloader=serving(data))
    x, y = fake_arrays()["train"]
    assert source == URL
    assert cifar.x_train.shape == (40, 3, 32, 32) and cifar.x_train.dtype == np.uint8
    assert np.array_equal(cifar.x_train.reshape(40, -1), x)
    assert cifar.y_train.tolist() == y and cifar.y_test.shape == (12,)
    assert leftovers(folder) == [c.CIFAR100_FILE]  # no temporary file
    again, source = c.fetch_cifar100(folder, url=URL, md5=md5(data),
                                       downloader=forbidden)
    assert source == f"the cache {folder / c.CIFAR100_FILE}"
    assert np.array_equal(again.x_test, cifar.x_test)


def test_a_partial_download_is_refused_and_nothing_is_left(tmp_path):
    data = archive_bytes()
    folder = tmp_path / "cache"
    with pytest.raises(c.CIFAR100Unavailable, match="MD5") as caught:
        c.fetch_cifar100(folder, url=URL, md5=md5(data),
                           downloader=serving(data[:len(data) // 2]))
    assert f"download {URL} (MD5 {md5(data)})" in str(caught.value)
    assert f"save it as {folder / c.CIFAR100_FILE}" in str(caught.value)
    assert caught.value.reason == "its download or its check failed"
    assert leftovers(folder) == []


@pytest.mark.parametrize("error, reason", [
    (requests.ConnectionError("Connection broken: reset midway"),
     "example.org cannot be reached from this machine"),
    (requests.ReadTimeout("read timeout=30"),
     "example.org cannot be reached from this machine"),
    (requests.HTTPError("404 Client Error: Not Found"),
     "its download or its check failed"),
])
def test_a_download_that_fails_midway_leaves_nothing(tmp_path, error, reason):
    data = archive_bytes()
    with pytest.raises(c.CIFAR100Unavailable, match=str(error)) as caught:
        c.fetch_cifar100(tmp_path, url=URL, md5=md5(data),
                           downloader=serving(data[:100], error))
    assert caught.value.reason == reason
    assert leftovers(tmp_path) == []


def test_without_download_only_the_cache_is_read(tmp_path):
    data = archive_bytes()
    folder = tmp_path / "cache"
    with pytest.raises(c.CIFAR100Unavailable, match="no download was asked") as caught:
        c.fetch_cifar100(folder, url=URL, md5=md5(data), download=False,
                           downloader=forbidden)
    assert caught.value.reason == (
        "it is not in the cache and, without a GPU for the full run, the chapter does "
        "not download it")
    assert leftovers(folder) == []
    c.fetch_cifar100(folder, url=URL, md5=md5(data), downloader=serving(data))
    cifar, source = c.fetch_cifar100(folder, url=URL, md5=md5(data), download=False)
    assert source.startswith("the cache") and cifar.x_train.shape[0] == 40
    _, real, sentence = c.cifar100_or_generated(tmp_path / "empty", download=False)
    assert not real and "does not download it" in sentence


def test_the_published_checksum_refuses_a_fake(tmp_path):
    with pytest.raises(c.CIFAR100Unavailable, match=c.CIFAR100_MD5):
        c.fetch_cifar100(tmp_path, downloader=serving(archive_bytes()))
    assert leftovers(tmp_path) == []


def test_a_corrupt_cache_is_reported_never_read_and_replaced(tmp_path):
    data, folder = archive_bytes(), tmp_path / "cache"
    folder.mkdir()
    archive = folder / c.CIFAR100_FILE
    archive.write_bytes(data[:100])
    with pytest.warns(UserWarning, match="does not have CIFAR-100's MD5"), \
            pytest.raises(c.CIFAR100Unavailable):
        c.fetch_cifar100(folder, url=URL, md5=md5(data),
                           downloader=serving(b"not an archive"))
    assert archive.read_bytes() == data[:100]  # kept as it was: a failed download
    with pytest.raises(c.CIFAR100Unavailable, match="no download was asked"):
        c.fetch_cifar100(folder, url=URL, md5=md5(data), download=False)
    with pytest.warns(UserWarning, match="MD5"):
        cifar, source = c.fetch_cifar100(folder, url=URL, md5=md5(data),
                                           downloader=serving(data))
    assert source == URL and len(cifar.y_train) == 40
    assert leftovers(folder) == [c.CIFAR100_FILE]


def test_an_archive_with_other_objects_is_refused(tmp_path):
    """torchvision would `pickle.load` this archive and call `print`; the book refuses."""
    payload = pickle.dumps({"data": print, "fine_labels": []})
    data = archive_bytes(payloads={"train": payload, "test": payload})
    with pytest.raises(c.CIFAR100Unavailable,
                       match="refusing to load builtins.print") as caught:
        c.fetch_cifar100(tmp_path, url=URL, md5=md5(data), downloader=serving(data))
    assert caught.value.reason == "its download or its check failed"


def test_the_default_download_is_pooch_http_with_the_timeout(tmp_path, monkeypatch):
    data, calls = archive_bytes(), []

    def http(self, url, output_file, pooch):
        calls.append(("download", url, self.kwargs))
        Path(output_file).write_bytes(data)

    monkeypatch.setattr(c, "check_host", lambda *args: calls.append(("check", *args)))
    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", http)
    c.fetch_cifar100(tmp_path, url=URL, md5=md5(data), timeout=0.5)
    assert calls == [("check", URL, 0.5), ("download", URL, {"timeout": (0.5, 30)})]


# --- offline: fast, and said plainly ------------------------------------------------

@pytest.fixture
def hanging_dns(monkeypatch):
    """Name lookups that never answer, as on some offline machines."""
    release = threading.Event()

    def never_answer(*args, **kwargs):
        release.wait(60)
        raise socket.gaierror("released at the end of the test")

    monkeypatch.setattr(socket, "getaddrinfo", never_answer)
    yield
    release.set()


def test_offline_fallback_is_fast_and_says_so(tmp_path, hanging_dns):
    start = time.perf_counter()
    data, real, sentence = c.cifar100_or_generated(tmp_path, timeout=0.5)
    assert time.perf_counter() - start < 5
    assert not real and data.x_train.shape[1:] == (3, 32, 32)
    assert data.x_train.dtype == np.uint8
    assert set(data.y_train.tolist()) == set(range(100))
    assert sentence == (
        "Data: generated images of CIFAR-100's shape (3x32x32 uint8, 100 classes, seed "
        "0), NOT CIFAR-100, because www.cs.toronto.edu cannot be reached from this "
        "machine.")
    assert leftovers(tmp_path) == []


def test_an_unknown_host_fails_fast(tmp_path):
    start = time.perf_counter()
    with pytest.raises(c.CIFAR100Unavailable) as caught:
        c.fetch_cifar100(tmp_path, url="https://cifar.invalid/x.tar.gz", timeout=2)
    assert time.perf_counter() - start < 10
    assert caught.value.reason == "cifar.invalid cannot be reached from this machine"
    assert leftovers(tmp_path) == []


def test_generated_images_are_seeded():
    a, b = c.generated_cifar100(seed=1), c.generated_cifar100(seed=1)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_train, c.generated_cifar100(seed=2).x_train)
    assert a.x_train.shape == (2000, 3, 32, 32) and a.x_test.shape == (2000, 3, 32, 32)


# --- the split ---------------------------------------------------------------------

def test_split_gives_task_t_classes_5t_to_5t_plus_4():
    data = c.generated_cifar100(n_train=10, n_test=20)
    tasks = c.split_cifar100(data, n_tasks=20, n_train=50, n_test=None)
    assert len(tasks) == 20
    for t, task in enumerate(tasks):
        classes = set(range(5 * t, 5 * t + 5))
        assert set(task.y_train.tolist()) == classes == set(task.y_test.tolist())
        assert task.x_train.shape == (50, 3072) and task.x_train.dtype == torch.uint8
        assert task.x_test.shape == (100, 3072) and task.x_test.dtype == torch.uint8
        assert task.y_train.dtype == torch.int64
    # the rows are the images, channel-major
    image = tasks[3].x_test[0].reshape(3, 32, 32)
    i = np.flatnonzero(data.y_test == tasks[3].y_test[0].item())[0]
    assert np.array_equal(image.numpy(), data.x_test[i])


def test_split_is_seeded_and_refuses_what_it_cannot_draw():
    data = c.generated_cifar100(n_train=10, n_test=20)
    a = c.split_cifar100(data, n_tasks=2, n_train=30, n_test=40, seed=3)
    b = c.split_cifar100(data, n_tasks=2, n_train=30, n_test=40, seed=3)
    assert all(torch.equal(s.x_train, t.x_train) for s, t in zip(a, b))
    assert len(a[0].y_test) == 40
    with pytest.raises(ValueError, match="cannot draw"):
        c.split_cifar100(data, n_tasks=2, n_train=51)
    with pytest.raises(ValueError, match="100 classes"):
        c.split_cifar100(data, n_tasks=21, n_train=10)


# --- the network and the masks -----------------------------------------------------

def expected_parameters(nf=20, n_classes=100):
    """The reduced ResNet-18's size, counted from its description."""
    conv = lambda c_in, c_out, k: c_in * c_out * k * k
    total, c_in = conv(3, nf, 3) + 2 * nf, nf
    for stage, stride in enumerate((1, 2, 2, 2)):
        c_out = nf * 2 ** stage
        for block_in, block_stride in ((c_in, stride), (c_out, 1)):
            total += conv(block_in, c_out, 3) + conv(c_out, c_out, 3) + 4 * c_out
            if block_stride != 1 or block_in != c_out:
                total += conv(block_in, c_out, 1) + 2 * c_out
        c_in = c_out
    return total + c_in * n_classes + n_classes


def test_network_shape_and_size():
    torch.manual_seed(0)
    net = c.ReducedResNet18()
    n_parameters = sum(p.numel() for p in net.parameters())
    assert n_parameters == expected_parameters() == 1_109_240
    assert net(torch.rand(4, 3072)).shape == (4, 100)
    assert net(torch.rand(4, 3, 32, 32)).shape == (4, 100)
    assert net.linear.in_features == 160
    channels = [m.out_channels for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert sorted(set(channels)) == [20, 40, 80, 160]


@pytest.mark.parametrize("t", [0, 7, 19])
def test_masking_leaves_no_mass_outside_the_task(t):
    torch.manual_seed(t)
    logits = 50 * torch.randn(64, 100)
    masked = c.mask_outputs(logits, t)
    p = torch.softmax(masked, dim=1)
    inside = slice(5 * t, 5 * t + 5)
    assert p[:, :5 * t].sum() == 0 and p[:, 5 * t + 5:].sum() == 0
    assert torch.allclose(p[:, inside].sum(1), torch.ones(64))
    assert ((masked.argmax(1) >= 5 * t) & (masked.argmax(1) < 5 * t + 5)).all()
    y = torch.randint(5 * t, 5 * t + 5, (64,))
    assert torch.allclose(F.cross_entropy(masked, y),
                          F.cross_entropy(logits[:, inside], y - 5 * t))


def test_the_learner_predicts_only_the_task_classes():
    torch.manual_seed(0)
    learner = c.MaskedSingle(n_tasks=20, lr=0.1, nf=4)
    X = torch.rand(16, 3072)
    for t in (0, 11):
        prediction = learner(X, t).argmax(1)
        assert ((prediction >= 5 * t) & (prediction < 5 * t + 5)).all()
    assert not learner.net.training  # predictions use BN's running averages


# --- GEM's memory gradients under batch norm ---------------------------------------

def filled_memory(sizes=(6, 3, 6), n_memories=6):
    memory = c.EpisodicMemory(len(sizes), n_memories, n_inputs=3072)
    generator = torch.Generator().manual_seed(1)
    for k, n in enumerate(sizes):
        memory.add(k, torch.rand(n, 3072, generator=generator),
                   torch.randint(5 * k, 5 * k + 5, (n,), generator=generator))
    return memory


def test_memory_gradients_equal_per_task_autograd():
    torch.manual_seed(0)
    net = c.ReducedResNet18(nf=4).train()
    memory = filled_memory()
    G = c.masked_memory_gradients(net, memory, t=3)
    assert G.shape == (3, sum(p.numel() for p in net.parameters()))
    for k in range(3):
        twin = copy.deepcopy(net)
        n = memory.size(k)  # task 1's memory is only half full
        logits = twin(memory.x[k, :n])[:, 5 * k:5 * k + 5]
        F.cross_entropy(logits, memory.y[k, :n] - 5 * k).backward()
        g_k = torch.cat([p.grad.flatten() for p in twin.parameters()])
        # sums over n images x 32 x 32 pixels, chained through the network's 18 layers
        atol = float32_atol(g_k, n_terms=n * 32 * 32, depth=18)
        assert torch.allclose(G[k], g_k, atol=atol, rtol=0)
        assert not torch.allclose(G[(k + 1) % 3], g_k, atol=atol, rtol=0)  # can fail


def test_vmap_refuses_batch_norm_buffers_shared_by_the_tasks():
    """Why each task gets its own copy of the buffers (chapter 12)."""
    from torch.func import functional_call, grad, vmap
    net, memory = c.ReducedResNet18(nf=4).train(), filled_memory()
    params, shared = dict(net.named_parameters()), dict(net.named_buffers())

    def loss(params, X, y):
        return F.cross_entropy(functional_call(net, (params, shared), (X,)), y)

    with pytest.raises(RuntimeError, match="in-place"):
        vmap(grad(loss), in_dims=(None, 0, 0))(params, memory.x[:2], memory.y[:2])


@pytest.mark.parametrize("sizes", [(6, 6, 6), (6, 3, 6)])
def test_batched_memory_gradients_equal_the_loop_running_averages_too(sizes):
    """One batched pass per memory size = a pass per task in turn: G and BN's buffers."""
    torch.manual_seed(0)
    net = c.ReducedResNet18(nf=4).train()
    batched, looped = copy.deepcopy(net), copy.deepcopy(net)
    memory = filled_memory(sizes)
    G = c.masked_memory_gradients(batched, memory, t=3)
    G_loop = c.masked_memory_gradients_loop(looped, memory, t=3)
    atol = float32_atol(G_loop, n_terms=6 * 32 * 32, depth=18)
    assert torch.allclose(G, G_loop, atol=atol, rtol=0)
    moved = 0
    for (name, b), b_loop, b_before in zip(batched.named_buffers(), looped.buffers(),
                                           net.buffers()):
        if name.endswith("num_batches_tracked"):
            assert int(b) == int(b_loop) == 3, name
            continue
        # eq. (F) keeps the loop's order with one size; two sizes take the tasks in
        # another order (0, 2, 1), which moves the averages slightly
        tolerance = 1e-5 if len(set(sizes)) == 1 else 0.05
        assert torch.allclose(b, b_loop, rtol=0,
                              atol=tolerance * b_loop.abs().max().item()), name
        moved += not torch.equal(b_loop, b_before)
    assert moved > 0  # the memory passes did move the running averages (can fail)


def test_gem_step_does_not_increase_any_memory_loss():
    torch.manual_seed(0)
    learner = c.MaskedGEM(n_tasks=3, lr=0.1, n_memories=6, gamma=0.5, nf=4)
    learner.memory = filled_memory()
    X, y = torch.rand(10, 3072), torch.randint(10, 15, (10,))
    twin = copy.deepcopy(learner.net).train()
    G = c.masked_memory_gradients(twin, learner.memory, 2)
    _, g = c.masked_gradient(twin, X, y, 2)
    theta = torch.nn.utils.parameters_to_vector(learner.net.parameters()).detach()
    learner.observe(X, y, 2)
    step = (theta - torch.nn.utils.parameters_to_vector(learner.net.parameters())) / 0.1
    assert (G @ step >= -1e-4 * G.norm(dim=1) * step.norm()).all()
    assert learner.n_projected == int((G @ g < 0).any())


# --- the configuration ---------------------------------------------------------------

def test_full_only_with_real_data_on_a_gpu():
    assert c.choose_configuration(True, "cuda")[:2] == ("full", c.FULL)
    for real, device in ((True, "cpu"), (False, "cuda"), (False, "cpu")):
        name, settings, sentence = c.choose_configuration(real, device)
        assert (name, settings) == ("smoke", c.SMOKE) and "because" in sentence
    assert c.LR == {"single": 1.0, "gem": 0.1}  # the public code's learning rates
    assert c.FULL == {"n_tasks": 20, "n_train": 2500, "n_test": None, "batch_size": 10,
                      "n_memories": 256, "gamma": 0.5}
