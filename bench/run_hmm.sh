#!/usr/bin/env bash
# The one command: genmodels' hidden Markov models against hmmlearn, side by side.
#   bash bench/run_hmm.sh [compare_hmm.py options, e.g. --repeats 5 --workloads gaussian]
# Results: printed, and written to bench/out/hmm_results.md (see bench/README.md).
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
cd "$ROOT"

# (a) Python environment: the mixture benchmark's (bench/.venv), created here if missing, with
# hmmlearn added (reused afterwards). compare_hmm.py imports compare.py's helpers, which need
# scikit-learn and threadpoolctl too; hmmlearn depends on scikit-learn and scipy anyway.
VENV="$BENCH/.venv"
if [[ ! -x "$VENV/bin/python" ]]; then
    echo "creating $VENV ..."
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import numpy, sklearn, threadpoolctl, hmmlearn" 2>/dev/null; then
    echo "installing numpy, scikit-learn, threadpoolctl, hmmlearn into $VENV ..."
    "$VENV/bin/pip" install --quiet --disable-pip-version-check numpy scikit-learn threadpoolctl hmmlearn
fi

# (b) Release build of gm-bench (the `hmm` subcommand times our Baum-Welch and Viterbi).
cargo build --release -p genmodels-bench

# (c) The comparison. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be set on this machine and force
# a slower OpenBLAS kernel; they are removed for the Python runs only (as in run.sh).
exec env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$VENV/bin/python" "$BENCH/compare_hmm.py" "$@"
