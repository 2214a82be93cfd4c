#!/usr/bin/env bash
# The one command: genmodels' discrete Bayesian networks against pgmpy and pyAgrum, side by side.
#   bash bench/run_bn.sh [compare_bn.py options, e.g. --nets alarm hepar2 --repeats 5 --groups inference hc]
# Results: printed, and written to bench/out/bn_results.md (see bench/README.md).
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
cd "$ROOT"

# (a) Python environment: the other benchmarks' (bench/.venv), created here if missing, with
# pgmpy and pyAgrum added (reused afterwards). pgmpy is installed with --no-deps: its only heavy
# dependency, torch (~3 GB of CUDA wheels), is needed neither for reading BIF nor for inference,
# sampling, estimation or structure learning; what `import pgmpy.{inference,estimators,sampling,
# readwrite,causal_discovery,parameter_estimator,structure_score}` does need is listed here
# (huggingface_hub and scikit-base are imported by pgmpy itself). compare_bn.py also imports
# compare.py's helpers, which need scikit-learn and threadpoolctl. The versions of pgmpy and
# pyAgrum are pinned to those fixtures/make_bn_fixtures.py was written against.
PGMPY_VERSION="${PGMPY_VERSION:-1.1.2}"
PYAGRUM_VERSION="${PYAGRUM_VERSION:-3.3.1}"
VENV="$BENCH/.venv"
if [[ ! -x "$VENV/bin/python" ]]; then
    echo "creating $VENV ..."
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "
import numpy, sklearn, threadpoolctl, pandas, networkx, pyagrum
import pgmpy.inference, pgmpy.estimators, pgmpy.sampling, pgmpy.readwrite
import pgmpy.causal_discovery, pgmpy.parameter_estimator, pgmpy.structure_score
assert pgmpy.__version__ == '$PGMPY_VERSION' and pyagrum.__version__ == '$PYAGRUM_VERSION'
" 2>/dev/null; then
    echo "installing pgmpy $PGMPY_VERSION (--no-deps) and its imports, pyAgrum $PYAGRUM_VERSION into $VENV ..."
    "$VENV/bin/pip" install --quiet --disable-pip-version-check numpy scipy pandas networkx scikit-learn \
        threadpoolctl statsmodels tqdm joblib opt_einsum pyparsing scikit-base huggingface_hub \
        "pyAgrum==$PYAGRUM_VERSION"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps "pgmpy==$PGMPY_VERSION"
fi

# (b) Release build of gm-bench (the `bn` subcommand times our side).
cargo build --release -p genmodels-bench

# (c) The comparison. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be set on this machine and force
# a slower OpenBLAS kernel; they are removed for the Python runs only (as in run.sh).
exec env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$VENV/bin/python" "$BENCH/compare_bn.py" "$@"
