#!/usr/bin/env python3
"""genmodels' Bernoulli RBM against scikit-learn's BernoulliRBM, side by side.

Both train PCD-1 (scikit-learn's algorithm: persistent chains, one Gibbs step per update,
as many chains as rows in a batch, no momentum or weight decay) with the same learning rate
on the same binary data:

* ``digits``: scikit-learn's 1,797 8x8 digits (``data/digits.csv``, values 0..16, binarised
  as > 7, i.e. ``data/digits_binary.csv``'s pixels), 64 visible, 64 hidden, batch 10,
  20 epochs, learning rate 0.1;
* ``mnist``: the 60,000 MNIST training images binarised at 0.5 (values > 127), 784 visible,
  256 hidden, batch 100, learning rate 0.1, 3 epochs (per-epoch time is what is compared).

Timed: the whole ``fit`` of each side in its own process (ours: ``rbm-bench``; scikit-learn:
``compare_rbm.py sklearn-fit``), divided by the number of epochs; best of ``--repeats``. The
pseudo-likelihood (scikit-learn's ``score_samples``, one random unit flipped per row) is the
mean over all training rows of each side's own fitted model.

    bash bench/run_rbm.sh [--repeats 3] [--workloads digits mnist]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))
import compare as gmc  # noqa: E402  (the mixture benchmark's helpers: runs, quiet-machine guard)

WORKLOADS = {
    "digits": {"hidden": 64, "batch": 10, "epochs": 20, "lr": 0.1},
    "mnist": {"hidden": 256, "batch": 100, "epochs": 3, "lr": 0.1},
}


def write_inputs() -> dict:
    OUT.mkdir(exist_ok=True)
    paths = {}
    digits = np.loadtxt(ROOT / "data" / "digits.csv", delimiter=",", skiprows=1)[:, :64]
    assert digits.max() == 16 and digits.min() == 0, "digits.csv holds the 0..16 pixel values"
    paths["digits"] = OUT / "rbm_digits.npy"
    np.save(paths["digits"], (digits > 7).astype(np.float64))
    with gzip.open(ROOT / "data" / "mnist" / "train-images-idx3-ubyte.gz", "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[4:8], "big")
    x = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, 784)
    paths["mnist"] = OUT / "rbm_mnist.npy"
    np.save(paths["mnist"], (x > 127).astype(np.float64))
    return paths


def sklearn_worker(argv: list[str]) -> None:
    """compare_rbm.py sklearn-fit X.npy HIDDEN BATCH EPOCHS LR SEED: one JSON line."""
    from sklearn.neural_network import BernoulliRBM

    path, hidden, batch, epochs, lr, seed = argv
    x = np.load(path)
    rbm = BernoulliRBM(n_components=int(hidden), batch_size=int(batch), n_iter=int(epochs),
                       learning_rate=float(lr), random_state=int(seed))
    t0 = time.perf_counter()
    rbm.fit(x)
    seconds = time.perf_counter() - t0
    rbm.random_state = int(seed) + 1
    pl = float(rbm.score_samples(x).mean())
    print(json.dumps({"seconds": seconds, "per_epoch": seconds / int(epochs), "pseudo_likelihood": pl,
                      "max_rss_kb": gmc.vm_hwm_kb()}))


def workload(name: str, path: Path, repeats: int, max_wait: float, ours_bin: Path) -> dict:
    w = WORKLOADS[name]
    args = [str(w["hidden"]), str(w["batch"]), str(w["epochs"]), str(w["lr"])]
    best = {}
    for side in ("ours", "sklearn"):
        runs = []
        for r in range(repeats):
            if side == "ours":
                cmd = [str(ours_bin), "--data", str(path), "--hidden", args[0], "--batch", args[1],
                       "--epochs", args[2], "--lr", args[3], "--seed", str(r), "--method", "pcd"]
            else:
                cmd = [sys.executable, str(Path(__file__).resolve()), "sklearn-fit", str(path), *args, str(r)]
            d = gmc.run_json(cmd, max_wait)
            print(f"    {name} {side} run {r + 1}: {d['per_epoch'] * 1e3:.1f} ms/epoch, "
                  f"PL {d['pseudo_likelihood']:.3f}, others {100 * d['others']:.0f}%", flush=True)
            runs.append(d)
        best[side] = min(runs, key=lambda d: d["per_epoch"])
        best[side]["all_per_epoch"] = [d["per_epoch"] for d in runs]
    return {"workload": name, **w, "ours": best["ours"], "sklearn": best["sklearn"],
            "ratio": best["sklearn"]["per_epoch"] / best["ours"]["per_epoch"]}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "sklearn-fit":
        sklearn_worker(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=list(WORKLOADS))
    ap.add_argument("--max-wait", type=float, default=120.0)
    ap.add_argument("--mnist-epochs", type=int, default=WORKLOADS["mnist"]["epochs"])
    ap.add_argument("--ours-bin", type=Path, default=ROOT / "target" / "release" / "rbm-bench",
                    help="the rbm-bench binary to time (default: the release build)")
    a = ap.parse_args()
    WORKLOADS["mnist"]["epochs"] = a.mnist_epochs
    paths = write_inputs()
    bindir = OUT / "bin"
    bindir.mkdir(exist_ok=True)
    ours_bin = bindir / "rbm-bench"
    import shutil
    shutil.copy2(a.ours_bin, ours_bin)
    info = gmc.machine_info()
    rows = [workload(w, paths[w], a.repeats, a.max_wait, ours_bin) for w in a.workloads]
    lines = [
        f"Measured {info['date']} on {info['nproc']} cores ({info['cpu']}); numpy {info['numpy']} "
        f"({info['blas']}), scikit-learn {info['sklearn']}; genmodels {info['library']}.",
        "",
        "| workload | ours per epoch | scikit-learn per epoch | ratio (sklearn/ours) | ours PL | sklearn PL | others' CPU (ours/sklearn) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        o, s = r["ours"], r["sklearn"]
        lines.append(
            f"| {r['workload']} ({r['hidden']} hidden, batch {r['batch']}, {r['epochs']} epochs) "
            f"| {o['per_epoch'] * 1e3:.1f} ms | {s['per_epoch'] * 1e3:.1f} ms | ×{r['ratio']:.2f} "
            f"| {o['pseudo_likelihood']:.3f} | {s['pseudo_likelihood']:.3f} "
            f"| {100 * o['others']:.0f}% / {100 * s['others']:.0f}% |")
    text = "\n".join(lines)
    print()
    print(text)
    (OUT / "rbm_results.md").write_text(text + "\n")
    (OUT / "rbm_results.json").write_text(json.dumps({"info": info, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
