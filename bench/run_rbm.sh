#!/usr/bin/env bash
# The one command: genmodels' Bernoulli RBM against scikit-learn's BernoulliRBM, side by side.
#   bash bench/run_rbm.sh [compare_rbm.py options, e.g. --repeats 5 --workloads digits]
# Results: printed, and written to bench/out/rbm_results.md (see bench/README.md).
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
cd "$ROOT"

# (a) Python environment: the mixture benchmark's (bench/.venv), created here if missing.
VENV="$BENCH/.venv"
if [[ ! -x "$VENV/bin/python" ]]; then
    echo "creating $VENV ..."
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import numpy, sklearn, threadpoolctl" 2>/dev/null; then
    echo "installing numpy, scikit-learn, threadpoolctl into $VENV ..."
    "$VENV/bin/pip" install --quiet --disable-pip-version-check numpy scikit-learn threadpoolctl
fi

# (b) Release build of rbm-bench.
cargo build --release -p genmodels-bench --bin rbm-bench

# (c) The comparison (OPENBLAS_* overrides removed for the Python side, as in run.sh).
exec env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$VENV/bin/python" "$BENCH/compare_rbm.py" "$@"
