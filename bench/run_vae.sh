#!/usr/bin/env bash
# genmodels' MLP VAE and GAN against PyTorch and JAX on CPU (2 threads), side by side.
#   bash bench/run_vae.sh [--epochs N] [--peers torch jax]
# The venv bench/.venv-torch (PyTorch's Linux wheel is large: ~3 GB with its CUDA libraries)
# is created once and reused.
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
cd "$ROOT"
VENV="$BENCH/.venv-torch"
if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import numpy, torch, jax" 2>/dev/null; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check numpy torch "jax[cpu]"
fi
cargo build --release -p genmodels-bench
export OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 RAYON_NUM_THREADS=2
export XLA_FLAGS="--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads=2"
exec "$VENV/bin/python" "$BENCH/compare_vae.py" "$@"
