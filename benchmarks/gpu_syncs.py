"""GEM's host synchronisations per step on a CUDA GPU, counted by CUDA's sync debug mode.

Run by gpu_check.sh; chapter 06 expects one per step where the factors decide (most steps
that do not project), two where they leave it open, three when the step projects.
"""
import warnings
import torch
from gembook.data import make_benchmark, scale
from gembook.runs import on
from gembook.runs import to_device
from gembook.training import GEM

tasks = to_device(make_benchmark("permutations", n_tasks=4, n_train=200), "cuda")
with on("cuda"):
    learner = GEM(4, lr=0.1, n_memories=50)
    for t in range(3):  # fill three memories; task 3 is the one counted
        for i in range(0, 200, 10):
            learner.observe(scale(tasks[t].x_train[i:i + 10]), tasks[t].y_train[i:i + 10], t)
    torch.cuda.set_sync_debug_mode("warn")
    counts = {}
    for i in range(0, 200, 10):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            learner.observe(scale(tasks[3].x_train[i:i + 10]), tasks[3].y_train[i:i + 10], 3)
        key = "projected" if learner.steps[-1][1] else "not projected"
        counts.setdefault(key, []).append(len(caught))
    torch.cuda.set_sync_debug_mode("default")
for key, n in counts.items():
    print(f"GEM steps at t = 3, {key}: synchronising calls per step {sorted(set(n))}")
