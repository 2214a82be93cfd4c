#!/usr/bin/env bash
# The one command: genmodels' Gaussian-mixture EM against scikit-learn, side by side.
#   bash bench/run.sh [compare.py options, e.g. --repeats 5 --covariance full diag tied]
# Results: printed, and written to bench/out/results.md (see bench/README.md).
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
cd "$ROOT"

# (a) Python environment: created once, reused afterwards.
VENV="$BENCH/.venv"
if [[ ! -x "$VENV/bin/python" ]]; then
    echo "creating $VENV ..."
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import numpy, sklearn, threadpoolctl" 2>/dev/null; then
    echo "installing numpy, scikit-learn, threadpoolctl into $VENV ..."
    "$VENV/bin/pip" install --quiet --disable-pip-version-check numpy scikit-learn threadpoolctl
fi

# (b) Release builds. The bench binary must build; the CLI is only needed for the small
# whole-process workload, which compare.py skips if target/release/genmodels is missing.
cargo build --release -p genmodels-bench
export GM_BENCH_CLI_BUILT=1
if ! cargo build --release -p genmodels-cli; then
    echo "warning: the genmodels CLI did not build; the small workload will be skipped" >&2
    GM_BENCH_CLI_BUILT=0   # so that compare.py never times a stale binary
fi

# (c) The comparison. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be set on this machine and force
# a slower OpenBLAS kernel; they are removed for the Python runs only (compare.py prints the
# kernel numpy actually uses).
exec env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$VENV/bin/python" "$BENCH/compare.py" "$@"
