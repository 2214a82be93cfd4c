#!/usr/bin/env python3
"""genmodels' Gaussian-mixture EM against scikit-learn's, side by side (see bench/README.md).

Run through `bash bench/run.sh`, which builds the Rust binaries and the Python environment
first. Everything this writes goes to bench/out/ (git-ignored):

  X_large.npy, init_{full,diag}.json   the shared data and start of the large workloads
  small.csv, small.json                 the small whole-process workload (and our model)
  means_*.npy                           each side's fitted means (a second correctness check)
  bin/                                  the binaries timed (copied from target/release at start)
  results.md, results.json              the table, and every raw number behind it

Workloads
  large-full / large-diag  n=100,000, d=16, K=8 (data from a mixture of 8 Gaussians with
      random full covariances), 100 EM iterations with tol=0 from the same start (means = K
      random rows, equal weights, precisions = inverse data covariance in the covariance
      type's layout). Only the fit is timed: ours by `gm-bench` (around `.fit()`), sklearn
      around `GaussianMixture.fit()`. Each run is its own process; best (min) of --repeats.
  small  n=1,000, d=2, K=3 from a CSV: wall time of the whole process (start-up, reading,
      k-means start, EM, and for us writing the model file), best of --small-repeats:
      `genmodels fit gmm` against `python -c` importing sklearn and fitting.

Peak memory is each process's maximum resident set: ours from gm-bench's VmHWM, sklearn's
from getrusage(RUSAGE_SELF) inside its own fresh process; for the small workload both come
from wait4() on the child.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
BUILT_BENCH = ROOT / "target" / "release" / "gm-bench"
BUILT_CLI = ROOT / "target" / "release" / "genmodels"
# The binaries actually timed: copies made at the start, so that a rebuild of target/ while the
# benchmark runs (someone else working in the repository) cannot swap them mid-way.
GM_BENCH = OUT / "bin" / "gm-bench"
CLI = OUT / "bin" / "genmodels"

SEED = 20240601
LARGE = dict(n=100_000, d=16, k=8)
SMALL = dict(n=1_000, d=2, k=3)
REG_COVAR = 1e-6

# Targets we are asked to meet (README "Results").
TARGET_SPEEDUP = {"full": 5.0, "diag": 3.0}
TARGET_LL_REL = 1e-6
# A row whose best runs saw other processes use more than this share of the CPUs is marked †.
NOISY = 0.10


# ----------------------------------------------------------------------------- data


def random_mixture(rng: np.random.Generator, n: int, d: int, k: int, spread: float):
    """n rows from a mixture of k Gaussians with random means, weights and full covariances."""
    means = rng.normal(0.0, spread, size=(k, d))
    weights = rng.dirichlet(np.full(k, 5.0))
    labels = rng.choice(k, size=n, p=weights)
    x = np.empty((n, d))
    for c in range(k):
        a = rng.normal(size=(d, d))
        cov = a @ a.T / d + 0.25 * np.eye(d)
        idx = np.flatnonzero(labels == c)
        x[idx] = means[c] + rng.normal(size=(idx.size, d)) @ np.linalg.cholesky(cov).T
    return x


def shared_init(x: np.ndarray, rows: np.ndarray, covariance: str) -> dict:
    """The start both sides get: means = the given distinct rows, equal weights, precisions =
    inverse of the whole data's covariance, in scikit-learn's layout for `covariance`."""
    k = len(rows)
    means = x[rows]
    cov = np.cov(x, rowvar=False)
    if covariance == "full":
        prec = np.repeat(np.linalg.inv(cov)[None], k, axis=0)  # K×d×d
    elif covariance == "tied":
        prec = np.linalg.inv(cov)  # d×d
    elif covariance == "diag":
        prec = np.repeat((1.0 / np.diag(cov))[None], k, axis=0)  # K×d
    elif covariance == "spherical":
        prec = np.full(k, 1.0 / np.diag(cov).mean())  # K
    else:
        raise ValueError(covariance)
    # JSON floats are written with Python's shortest round-trip repr, which serde_json (with
    # the workspace's float_roundtrip feature) reads back exactly: both sides start bit-identical.
    return {"weights": np.full(k, 1.0 / k).tolist(), "means": means.tolist(), "precisions": prec.tolist()}


def write_inputs(covariances: list[str]) -> dict:
    OUT.mkdir(parents=True, exist_ok=True)
    # One generator per purpose, so that each file is the same whichever workloads are run.
    x = random_mixture(np.random.default_rng([SEED, 0]), LARGE["n"], LARGE["d"], LARGE["k"], spread=2.0)
    np.save(OUT / "X_large.npy", np.ascontiguousarray(x, dtype=np.float64))
    paths = {"large": OUT / "X_large.npy"}
    rows = np.random.default_rng([SEED, 1]).choice(len(x), size=LARGE["k"], replace=False)
    for cov in covariances:  # the same mean rows for every covariance type
        p = OUT / f"init_{cov}.json"
        p.write_text(json.dumps(shared_init(x, rows, cov)))
        paths[f"init_{cov}"] = p
    xs = random_mixture(np.random.default_rng([SEED, 2]), SMALL["n"], SMALL["d"], SMALL["k"], spread=3.0)
    np.savetxt(OUT / "small.csv", xs, delimiter=",", header="x1,x2", comments="", fmt="%.17g")
    paths["small"] = OUT / "small.csv"
    return paths


# ----------------------------------------------------------------------------- sklearn worker


def sklearn_worker(argv: list[str]) -> None:
    """`compare.py sklearn-fit ...`: one scikit-learn fit in this fresh process; prints JSON."""
    ap = argparse.ArgumentParser(prog="compare.py sklearn-fit")
    ap.add_argument("--data", required=True)
    ap.add_argument("--init", required=True)
    ap.add_argument("--covariance", required=True)
    ap.add_argument("--max-iter", type=int, default=100)
    ap.add_argument("--max-wait", type=float, default=120.0,
                    help="seconds to wait before each timed run for other processes to leave the CPUs")
    ap.add_argument("--tol", type=float, default=0.0)
    ap.add_argument("--save-means")
    a = ap.parse_args(argv)
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    x = np.load(a.data)
    init = json.loads(Path(a.init).read_text())
    k = len(init["weights"])
    # init_params: in scikit-learn 1.9, `_initialize_parameters` always builds responsibilities
    # with the `init_params` method and `_initialize` always runs `_estimate_gaussian_parameters`
    # on them (one M-step's worth of work), and only then replaces weights / means / precisions
    # by the given *_init. The default 'kmeans' would therefore run a full KMeans fit that is
    # thrown away. 'random_from_data' only picks K rows (one-hot responsibilities), the cheapest
    # method; its result is discarded entirely since all three *_init are given. What sklearn's
    # timed fit still contains beyond 100 EM iterations: that one initial estimate and the final
    # extra E-step `fit_predict` makes for labels (~2% of the fit).
    gm = GaussianMixture(
        n_components=k,
        covariance_type=a.covariance,
        max_iter=a.max_iter,
        tol=a.tol,
        reg_covar=REG_COVAR,
        init_params="random_from_data",
        weights_init=np.asarray(init["weights"]),
        means_init=np.asarray(init["means"]),
        precisions_init=np.asarray(init["precisions"]),
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # tol=0 never "converges"
        t0 = time.perf_counter()
        gm.fit(x)
        seconds = time.perf_counter() - t0
    if a.save_means:
        np.save(a.save_means, gm.means_)
    print(json.dumps({
        "seconds": seconds,
        "n_iter": int(gm.n_iter_),
        "per_iter": seconds / gm.n_iter_,
        "lower_bound": float(gm.lower_bound_),
        "converged": bool(gm.converged_),
        # Peak memory: VmHWM, the high-water mark of this process's own address space, as
        # gm-bench reports it. getrusage's ru_maxrss is kept for reference but overstates: on
        # Linux it carries over across exec the peak of the process that spawned us (the
        # compare.py parent, which holds the data and has sklearn imported).
        "max_rss_kb": vm_hwm_kb(),
        "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,  # kB on Linux
    }))


def vm_hwm_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return -1


# ----------------------------------------------------------------------------- running


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs, from /proc/stat."""
    v = [int(t) for t in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = v[3] + v[4]  # idle + iowait
    return sum(v[:8]) - idle, sum(v[:8])


def background_busy(seconds: float = 0.5) -> float:
    """Fraction of all CPUs busy with other work while we sleep."""
    b0, t0 = cpu_ticks()
    time.sleep(seconds)
    b1, t1 = cpu_ticks()
    return (b1 - b0) / max(t1 - t0, 1)


def wait_quiet(max_wait: float, threshold: float = 0.10) -> float:
    """Waits (at most max_wait seconds) until other processes use < threshold of the CPUs: the
    machine has 2 cores, so a concurrent build would halve either side's speed. Returns the
    share of the CPUs others used just before returning."""
    deadline = time.monotonic() + max_wait
    busy = background_busy()
    if busy >= threshold:
        print(f"    (machine busy: {100 * busy:.0f}% of the CPUs used by others; waiting up to {max_wait:.0f} s)",
              flush=True)
    while busy >= threshold and time.monotonic() < deadline:
        busy = background_busy(2.0)
    return busy


CLK_TCK = os.sysconf("SC_CLK_TCK")


def run_child(cmd: list[str], max_wait: float = 0.0) -> dict:
    """Runs one child process; returns its stdout, wall seconds, peak RSS from wait4 (kB; see
    the note in sklearn_worker on why this overstates a child of a large parent) and the share
    of the CPUs that *other* processes used meanwhile (`others`: 0 = quiet machine)."""
    busy_before = wait_quiet(max_wait) if max_wait > 0 else 0.0
    b0, t0 = cpu_ticks()
    w0 = time.perf_counter()
    # Output goes to files, not pipes, so that the child can be reaped by wait4 (for its
    # rusage) rather than by subprocess.
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - w0
        b1, t1 = cpu_ticks()
        p.returncode = code = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read(), fe.read()
    if code != 0:
        raise RuntimeError(f"{shlex.join(cmd)} exited with {code}: {err.decode().strip()[-800:]}")
    ticks_per_cpu = max((t1 - t0) / (os.cpu_count() or 1), 1)
    child_ticks = (ru.ru_utime + ru.ru_stime) * CLK_TCK
    others = max(0.0, (b1 - b0) - child_ticks) / ((os.cpu_count() or 1) * ticks_per_cpu)
    if wall < 0.25:
        # /proc/stat counts in clock ticks (10 ms): too coarse for a run this short, so what
        # others used just before the run stands in.
        others = busy_before
    return {"stdout": out.decode(), "wall": wall, "wait4_rss_kb": ru.ru_maxrss, "others": min(others, 1.0)}


def run_json(cmd: list[str], max_wait: float) -> dict:
    r = run_child(cmd, max_wait)
    d = json.loads(r["stdout"].strip().splitlines()[-1])
    d["others"] = r["others"]
    return d


def peak_rss_kb(cmd: list[str]) -> int | None:
    """Peak RSS of `cmd` alone, measured by /usr/bin/time (a small process, so unlike wait4 on
    our own child the figure does not inherit this Python process's peak); None without it."""
    if not Path("/usr/bin/time").exists():
        return None
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True)
    if p.returncode != 0:
        return None
    return int(p.stderr.strip().splitlines()[-1])


def large_workload(cov: str, paths: dict, repeats: int, max_iter: int, max_wait: float) -> dict:
    data, init = str(paths["large"]), str(paths[f"init_{cov}"])
    ours_cmd = [str(GM_BENCH), "gmm", "--data", data, "--init", init, "--covariance", cov,
                "--max-iter", str(max_iter), "--tol", "0"]
    sk_cmd = [sys.executable, str(Path(__file__).resolve()), "sklearn-fit", "--data", data, "--init", init,
              "--covariance", cov, "--max-iter", str(max_iter), "--tol", "0"]
    ours, sk = [], []
    for rep in range(repeats):  # interleaved, so drifts in machine speed hit both sides alike
        last = rep == repeats - 1
        ours.append(run_json(ours_cmd + (["--save-means", str(OUT / f"means_ours_{cov}.npy")] if last else []),
                             max_wait))
        sk.append(run_json(sk_cmd + (["--save-means", str(OUT / f"means_sklearn_{cov}.npy")] if last else []),
                           max_wait))
        print(f"  {cov} run {rep + 1}/{repeats}: ours {ours[-1]['seconds']:.3f} s, sklearn {sk[-1]['seconds']:.3f} s"
              f"  (other load {100 * ours[-1]['others']:.0f}% / {100 * sk[-1]['others']:.0f}%)", flush=True)
    best_o = min(ours, key=lambda r: r["seconds"])
    best_s = min(sk, key=lambda r: r["seconds"])
    ll_o, ll_s = best_o["lower_bound"], best_s["lower_bound"]
    mo, ms = np.load(OUT / f"means_ours_{cov}.npy"), np.load(OUT / f"means_sklearn_{cov}.npy")
    return {
        "workload": f"large-{cov}",
        "kind": "per_iter",
        "ours_s": best_o["per_iter"],
        "sklearn_s": best_s["per_iter"],
        "ours_fit_s": best_o["seconds"],
        "sklearn_fit_s": best_s["seconds"],
        "ours_n_iter": best_o["n_iter"],
        "sklearn_n_iter": best_s["n_iter"],
        "ratio": best_s["per_iter"] / best_o["per_iter"],
        "ours_ll": ll_o,
        "sklearn_ll": ll_s,
        "ll_rel_diff": abs(ll_o - ll_s) / abs(ll_s),
        "ll_spread_ours": max(r["lower_bound"] for r in ours) - min(r["lower_bound"] for r in ours),
        "means_max_abs_diff": float(np.abs(mo - ms).max()),
        "ours_rss_kb": max(r["max_rss_kb"] for r in ours),
        "sklearn_rss_kb": max(r["max_rss_kb"] for r in sk),
        "sklearn_ru_maxrss_kb": max(r["ru_maxrss_kb"] for r in sk),
        "others_load": max(best_o["others"], best_s["others"]),
        "all_ours_s": [r["seconds"] for r in ours],
        "all_sklearn_s": [r["seconds"] for r in sk],
    }


SMALL_SKLEARN = (
    "import sys, json, numpy as np\n"
    "from sklearn.mixture import GaussianMixture\n"
    "X = np.loadtxt(sys.argv[1], delimiter=',', skiprows=1)\n"
    "gm = GaussianMixture(n_components=3, random_state=0).fit(X)\n"
    "print(json.dumps({'lower_bound': float(gm.lower_bound_), 'n_iter': int(gm.n_iter_)}))\n"
)


def find_key(obj, key):
    """First value of `key` anywhere in a JSON document (our model file's fit report)."""
    if isinstance(obj, dict):
        if key in obj and isinstance(obj[key], (int, float)):
            return obj[key]
        obj = list(obj.values())
    if isinstance(obj, list):
        for v in obj:
            found = find_key(v, key)
            if found is not None:
                return found
    return None


def small_workload(paths: dict, repeats: int, max_wait: float) -> dict | None:
    model = OUT / "small.json"
    ours_cmd = [str(CLI), "fit", "gmm", str(paths["small"]), "--components", "3", "--seed", "0",
                "-o", str(model), "--quiet"]
    sk_cmd = [sys.executable, "-c", SMALL_SKLEARN, str(paths["small"])]
    if not CLI.exists():
        return None
    try:
        run_child(ours_cmd)  # once untimed: checks that the CLI accepts the command, warms caches
    except RuntimeError as e:
        print(f"  ({e})")
        return None
    run_child(sk_cmd)  # warm the page cache for numpy's and sklearn's imports too
    ours, sk = [], []
    for _ in range(repeats):
        ours.append(run_child(ours_cmd, max_wait))
        sk.append(run_child(sk_cmd, max_wait))
    try:
        ll_o = find_key(json.loads(model.read_text()), "lower_bound")
    except (OSError, ValueError):
        ll_o = None
    ll_s = json.loads(sk[-1]["stdout"])["lower_bound"]
    best_o, best_s = min(ours, key=lambda r: r["wall"]), min(sk, key=lambda r: r["wall"])
    rss_o, rss_s = peak_rss_kb(ours_cmd), peak_rss_kb(sk_cmd)
    return {
        "workload": "small (whole process)",
        "kind": "process",
        "ours_s": best_o["wall"],
        "sklearn_s": best_s["wall"],
        "ratio": best_s["wall"] / best_o["wall"],
        "ours_ll": ll_o,
        "sklearn_ll": ll_s,
        "ll_rel_diff": None if ll_o is None else abs(ll_o - ll_s) / abs(ll_s),
        "ours_n_iter": None if ll_o is None else find_key(json.loads(model.read_text()), "n_iter"),
        "sklearn_n_iter": json.loads(sk[-1]["stdout"])["n_iter"],
        "ours_rss_kb": rss_o,
        "sklearn_rss_kb": rss_s,
        "others_load": max(best_o["others"], best_s["others"]),
        "all_ours_s": [r["wall"] for r in ours],
        "all_sklearn_s": [r["wall"] for r in sk],
    }


# ----------------------------------------------------------------------------- reporting


def library_state() -> str:
    """Which library code was measured: the commit, and whether (and how) the library's sources
    differ from it (another engineer may be editing them)."""
    def git(*args):
        p = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
        return p.stdout.strip() if p.returncode == 0 else ""
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    diff = git("diff", "HEAD", "--", "crates/genmodels")
    if not diff:
        return f"commit {commit}, crates/genmodels unmodified"
    import hashlib
    return (f"commit {commit} + uncommitted changes in crates/genmodels "
            f"(diff sha256 {hashlib.sha256(diff.encode()).hexdigest()[:12]})")


def machine_info() -> dict:
    from threadpoolctl import threadpool_info

    import sklearn  # noqa: F401  (loads its OpenMP runtime so threadpoolctl sees it)

    cpu, mhz = "unknown", None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and cpu == "unknown":
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("cpu MHz") and mhz is None:
                mhz = float(line.split(":", 1)[1])
    except OSError:
        pass
    pools = [
        {k: p.get(k) for k in ("user_api", "internal_api", "version", "architecture", "num_threads", "filepath")}
        for p in threadpool_info()
    ]
    for p in pools:  # whose copy: numpy.libs/..., scipy.libs/...
        p["owner"] = Path(p.pop("filepath") or "?").parent.name.removesuffix(".libs")
    blas = sorted((p for p in pools if p["user_api"] == "blas"), key=lambda p: p["owner"] != "numpy")
    blas_str = "; ".join(f"{p['owner']}: {p['internal_api']} {p['version']}, kernel {p['architecture']}, "
                         f"{p['num_threads']} threads" for p in blas) or "unknown"
    import sklearn as skl

    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mhz": mhz,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "sklearn": skl.__version__,
        "blas": blas_str,
        "library": library_state(),
        "threadpools": pools,
        "openblas_env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
    }


def fmt_time(s: float) -> str:
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


def fmt_ratio(r: float) -> str:
    return f"×{r:.2f} faster" if r >= 1 else f"×{1 / r:.2f} slower"


def fmt_ll(v) -> str:
    return "n/a" if v is None else f"{v:.10f}"


def fmt_rss(o, s) -> str:
    if o is None or s is None:
        return "n/a (no /usr/bin/time)"
    return f"{o / 1024:.0f} / {s / 1024:.0f} MiB"


def table(rows: list[dict], skipped_small: bool) -> list[str]:
    head = ["workload", "ours", "sklearn", "ratio (sklearn/ours)", "ours LL", "sklearn LL", "rel diff",
            "peak RSS ours / sklearn"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        unit = " /iter" if r["kind"] == "per_iter" else " /process"
        rel = "n/a" if r["ll_rel_diff"] is None else f"{r['ll_rel_diff']:.2e}"
        noisy = " †" if r["others_load"] > NOISY else ""
        lines.append("| " + " | ".join([
            r["workload"] + noisy, fmt_time(r["ours_s"]) + unit, fmt_time(r["sklearn_s"]) + unit,
            fmt_ratio(r["ratio"]), fmt_ll(r["ours_ll"]), fmt_ll(r["sklearn_ll"]), rel,
            fmt_rss(r["ours_rss_kb"], r["sklearn_rss_kb"]),
        ]) + " |")
    if skipped_small:
        lines.append("| small (whole process) | skipped (CLI not built) | | | | | | |")
    return lines


def verdicts(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        if r["kind"] != "per_iter":
            continue
        cov = r["workload"].split("-", 1)[1]
        t = TARGET_SPEEDUP.get(cov)  # no speed target for tied / spherical
        ok = lambda b: "MET" if b else "NOT MET"  # noqa: E731
        speed = (f"speed ≥{t:g}× sklearn per iteration: {ok(r['ratio'] >= t)} ({r['ratio']:.2f}×)" if t
                 else f"speed {r['ratio']:.2f}× sklearn per iteration (no target)")
        out.append(f"- {r['workload']}: {r['ours_n_iter']} / {r['sklearn_n_iter']} iterations (ours / sklearn), "
                   f"fit {r['ours_fit_s']:.2f} s / {r['sklearn_fit_s']:.2f} s; {speed}; LL within {TARGET_LL_REL:g} relative: "
                   f"{ok(r['ll_rel_diff'] <= TARGET_LL_REL)} ({r['ll_rel_diff']:.2e}); peak RSS ≤ sklearn's: "
                   f"{ok(r['ours_rss_kb'] <= r['sklearn_rss_kb'])}; max |Δmean| {r['means_max_abs_diff']:.2e}")
    for r in rows:
        if r["kind"] == "process":
            out.append(f"- small: each side starts from its own k-means (different random generators) and stops "
                       f"at tol=1e-3 ({r['ours_n_iter']} / {r['sklearn_n_iter']} iterations), so the two may reach "
                       f"different local optima: its LL columns are not a correctness check. The process time "
                       f"includes start-up, reading the CSV and, for us, writing the model file")
    if any(r["others_load"] > NOISY for r in rows):
        out.append(f"- †: other processes used more than {100 * NOISY:.0f}% of the CPUs during the best runs of "
                   f"this row; its timings are pessimistic (re-run on a quiet machine)")
    return out


def peak_note(rows: list[dict], info: dict) -> list[str]:
    full = next((r for r in rows if r["workload"] == "large-full"), None)
    if full is None or not info["mhz"]:
        return []
    n, d, k = LARGE["n"], LARGE["d"], LARGE["k"]
    flop = 2 * 2 * n * k * d * d  # E-step (x-μ)U and M-step scatter: n·K·d² multiply-adds each
    ghz = info["mhz"] / 1e3
    peak_avx2 = info["nproc"] * 16 * ghz  # 2 × 256-bit FMA per cycle = 16 f64 FLOP/cycle/core
    ours, sk = flop / full["ours_s"] / 1e9, flop / full["sklearn_s"] / 1e9
    return [
        f"- full EM iteration ≈ 4·n·K·d² = {flop / 1e6:.0f} MFLOP; ours {ours:.1f} GFLOP/s, sklearn {sk:.1f} GFLOP/s; "
        f"AVX2-FMA peak {info['nproc']} cores × 16 FLOP/cycle × {ghz:.2f} GHz = {peak_avx2:.1f} GFLOP/s "
        f"(ours at {100 * ours / peak_avx2:.0f}% of it, sklearn at {100 * sk / peak_avx2:.0f}%)"
        + ("; the CPU also has AVX-512, whose peak is up to twice that where the cores have 512-bit FMA units"
           if "avx512f" in Path("/proc/cpuinfo").read_text() else ""),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="runs per side of each large workload (best counts)")
    ap.add_argument("--small-repeats", type=int, default=5, help="runs per side of the small workload")
    ap.add_argument("--max-iter", type=int, default=100)
    ap.add_argument("--max-wait", type=float, default=120.0,
                    help="seconds to wait before each timed run for other processes to leave the CPUs")
    ap.add_argument("--covariance", nargs="+", default=["full", "diag"],
                    choices=["full", "diag", "tied", "spherical"])
    a = ap.parse_args()
    if not BUILT_BENCH.exists():
        sys.exit(f"{BUILT_BENCH} is missing: run `bash bench/run.sh` (it builds it)")
    (OUT / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy2(BUILT_BENCH, GM_BENCH)
    CLI.unlink(missing_ok=True)
    if BUILT_CLI.exists() and os.environ.get("GM_BENCH_CLI_BUILT") != "0":
        shutil.copy2(BUILT_CLI, CLI)

    info = machine_info()
    print(f"machine: {info['nproc']} × {info['cpu']} @ {info['mhz']} MHz; numpy {info['numpy']}, "
          f"scikit-learn {info['sklearn']}; BLAS: {info['blas']}", flush=True)
    print("writing data to bench/out/ ...", flush=True)
    paths = write_inputs(a.covariance)

    rows = []
    for cov in a.covariance:
        print(f"large-{cov}: n={LARGE['n']}, d={LARGE['d']}, K={LARGE['k']}, {a.max_iter} iterations, tol=0",
              flush=True)
        rows.append(large_workload(cov, paths, a.repeats, a.max_iter, a.max_wait))
    print("small: whole process ...", flush=True)
    small = small_workload(paths, a.small_repeats, a.max_wait)
    if small is None:
        print("small: skipped (CLI not built)")
    else:
        rows.append(small)

    lines = table(rows, small is None)
    notes = verdicts(rows) + peak_note(rows, info)
    print()
    print("\n".join(lines))
    print()
    print("\n".join(notes))

    md = [
        "# genmodels vs scikit-learn: Gaussian-mixture EM",
        "",
        f"- date: {info['date']}",
        f"- machine: {info['nproc']} × {info['cpu']} ({info['mhz']} MHz)",
        f"- Python {info['python']}, numpy {info['numpy']}, scikit-learn {info['sklearn']}; BLAS: {info['blas']}",
        f"- OPENBLAS_* in the Python runs: {info['openblas_env']}",
        f"- genmodels: {info['library']}",
        f"- large: n={LARGE['n']:,}, d={LARGE['d']}, K={LARGE['k']}, {a.max_iter} iterations, tol=0, same start, "
        f"best of {a.repeats}, time of the fit only; small: whole process, best of {a.small_repeats}",
        "",
        *lines,
        "",
        *notes,
        "",
    ]
    (OUT / "results.md").write_text("\n".join(md))
    (OUT / "results.json").write_text(json.dumps({"machine": info, "rows": rows}, indent=2))
    print(f"\nwritten: {OUT / 'results.md'}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "sklearn-fit":
        sklearn_worker(sys.argv[2:])
    else:
        main()
