#!/usr/bin/env python3
"""genmodels' discrete Bayesian networks against pgmpy and pyAgrum, side by side (see bench/README.md).

Run through `bash bench/run_bn.sh`, which builds `gm-bench` and installs pgmpy and pyAgrum into
bench/.venv first. The timing conventions are those of the other benchmarks (compare.py, whose
helpers this imports): every measurement is its own process, the three tools' runs are
interleaved, a wait for a quiet machine before each run and a † on rows whose best runs others
disturbed; inside each process a workload is repeated (--inner-repeats, hill climbing once) and
the best time counts, and so does the best over the processes (--repeats). Reading files and
importing libraries are never timed. Everything this writes goes to bench/out/ (git-ignored):

  bn_{net}_queries.json        the queries (target + 3 evidence variables each) and the evidence
                               set of the all-marginals workload, by name
  bn_{net}_mle.csv             20,000 forward samples (header = BIF names, cells = state names)
  bn_{net}_hc.csv              10,000 other forward samples
  bn_{net}_{tool}_{group}.json each tool's last answers (posteriors, marginals, CPTs, edges)
  bin/gm-bench-bn              the binary timed (copied from target/release)
  bn_results.md, bn_results.json   the tables, and every raw number behind them

Workloads (per network; the same inputs for all three tools)
  queries     100 single-target posterior queries, each with 3 evidence variables whose states
              come from one forward sample (so every evidence set is possible). Ours:
              VariableElimination::new + marginal() per query; pgmpy: VariableElimination +
              query([t], evidence); pyAgrum: one LazyPropagation, per query setEvidence,
              a single target (eraseAllTargets/addTarget), makeInference, posterior.
  marginals   every variable's posterior for one evidence set (3 variables). Ours:
              JunctionTree::new + calibrate + all_marginals; pgmpy: VariableElimination, one
              query per variable (its BeliefPropagation.query ran out of memory on alarm, > 22 GB);
              pyAgrum: LazyPropagation, setEvidence, makeInference, posterior of every variable.
  sample      100,000 forward samples. Ours: net.sample (state codes, both cores);
              pgmpy: BayesianModelSampling.forward_sample (a DataFrame of state names);
              pyAgrum: BNDatabaseGenerator.drawSamples (its own database of codes).
  mle         maximum-likelihood CPTs for the true graph from 20,000 rows, network states.
              Ours: align_to + refit(Estimator::Mle); pgmpy: DiscreteMLE(state_names).fit;
              pyAgrum: BNLearner(csv, network).learnParameters(dag) after
              useSmoothingPrior(1e-10) (pyAgrum refuses plain MLE when a parent configuration
              never occurs; 1e-10 per cell gives the same uniform row for those, and changes
              the others by < 1e-9). The learner's database is loaded untimed.
  hc          greedy hill climbing with BIC on 10,000 rows (states as in the data), from the
              empty graph. Ours: HillClimb::new(ScoreKind::Bic) (pgmpy's defaults: tabu 100,
              epsilon 1e-4); pgmpy: causal_discovery.HillClimbSearch(scoring_method="bic-d",
              return_type="dag") (PYTHONHASHSEED=0: it breaks ties in set order); pyAgrum:
              BNLearner(csv) + useGreedyHillClimbing + useScoreBIC + learnDAG (database loaded
              untimed). SHD against the true graph: missing + extra + reversed.

Threads: ours uses rayon over both cores where it parallelises (sampling, hill climbing);
pyAgrum's repeats alternate between 1 thread and its default (all cores) and its best counts
(on a busy machine its multi-threaded runs were sometimes 10-90× slower); pgmpy is Python with
numpy (its forward_sample's n_jobs=-1 default).

Agreement: the query and marginal answers of ours and pyAgrum against pgmpy's (max |Δ|, target
≤ 1e-9); the MLE tables likewise; each tool's sample frequencies against the exact marginals.
Networks: pgmpy's BIFReader with every CPT row renormalised (alarm's HREKG and HRSAT rows sum to
1 − 1e-7; genmodels renormalises too); pyAgrum's loadBN with every CPT entry overwritten by
pgmpy's double (pyAgrum stores BIF numbers as float32). See fixtures/BN_FIXTURES.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import compare as gmc  # noqa: E402  (the mixture benchmark's helpers: runs, quiet-machine guard, formats)

OUT = gmc.OUT
ROOT = gmc.ROOT
BUILT_BENCH = gmc.BUILT_BENCH
GM_BENCH = OUT / "bin" / "gm-bench-bn"  # its own snapshot, as in compare_hmm.py
NETS_DIR = ROOT / "data" / "bayesnets"

SEED = 20240801
N_QUERIES = 100
N_EVIDENCE = 3
N_SAMPLES = 100_000
N_MLE = 20_000
N_HC = 10_000

TARGET_PGMPY = 10.0  # ≥10× faster than pgmpy on every workload
TARGET_PYAGRUM = 1.0  # faster than pyAgrum on every workload
TOL_ANSWERS = 1e-9  # query answers against pgmpy's

GROUPS = ["inference", "sample", "mle", "hc"]  # one process per tool and group
WORKLOADS = ["queries", "marginals", "sample", "mle", "hc"]
TOOLS = ["ours", "pgmpy", "pyagrum"]


def quiet_libraries() -> None:
    warnings.simplefilter("ignore")
    import logging

    logging.getLogger("pgmpy").setLevel(logging.ERROR)


# ----------------------------------------------------------------------------- networks


class Net:
    """A BIF network as pgmpy reads it, every CPT row renormalised; `cpt[v]` is an array with
    axes (parents in BIF order..., v), states in BIF order."""

    def __init__(self, path: Path):
        quiet_libraries()
        from pgmpy.readwrite import BIFReader

        self.path = path
        self.name = path.stem
        reader = BIFReader(str(path))
        self.model = reader.get_model()
        self.variables = list(reader.variable_names)
        self.states = {v: list(reader.variable_states[v]) for v in self.variables}
        self.parents = {v: list(reader.variable_parents[v]) for v in self.variables}
        self.card = {v: len(self.states[v]) for v in self.variables}
        self.cpt = {}
        for v in self.variables:
            cpd = self.model.get_cpds(v)
            cpd.normalize(inplace=True)
            self.cpt[v] = factor_array(list(cpd.variables), cpd.values, cpd.state_names,
                                       self.parents[v] + [v], self.states)
        self.topo = topological_order(self.variables, self.parents)

    def true_edges(self) -> list[tuple[str, str]]:
        return [(p, v) for v in self.variables for p in self.parents[v]]

    def pyagrum(self):
        """pyAgrum's network from the same file, CPT entries overwritten by pgmpy's doubles."""
        import pyagrum as gum

        bn = gum.loadBN(str(self.path))
        sidx = {v: {s: i for i, s in enumerate(self.states[v])} for v in self.variables}
        worst = 0.0
        for v in self.variables:
            assert list(bn.variable(v).labels()) == self.states[v], (self.name, v)
            cpt = bn.cpt(v)
            inst = gum.Instantiation(cpt)
            inst.setFirst()
            while not inst.end():
                lab = inst.todict(True)
                exact = float(self.cpt[v][tuple(sidx[p][lab[p]] for p in self.parents[v]) + (sidx[v][lab[v]],)])
                worst = max(worst, abs(cpt.get(inst) - exact))
                cpt.set(inst, exact)
                inst.inc()
        assert worst < 1e-6, worst
        return bn


def factor_array(fvars, values, state_names, want_vars, want_states) -> np.ndarray:
    """A pgmpy factor's array with axes `want_vars`, each axis in `want_states` order."""
    arr = np.transpose(np.asarray(values, dtype=float), [list(fvars).index(v) for v in want_vars])
    for ax, v in enumerate(want_vars):
        arr = np.take(arr, [list(state_names[v]).index(s) for s in want_states[v]], axis=ax)
    return arr


def topological_order(variables, parents) -> list[str]:
    done, order = set(), []
    while len(order) < len(variables):
        for v in variables:
            if v not in done and all(p in done for p in parents[v]):
                done.add(v)
                order.append(v)
    return order


def forward_sample(net: Net, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """{variable: state indices} of n forward samples (numpy, vectorised over rows)."""
    idx = {}
    for v in net.topo:
        pa = net.parents[v]
        table = net.cpt[v].reshape(-1, net.card[v])
        flat = (np.ravel_multi_index([idx[p] for p in pa], [net.card[p] for p in pa]) if pa
                else np.zeros(n, dtype=np.int64))
        cum = np.cumsum(table, axis=1)[flat]
        idx[v] = np.minimum((rng.random(n)[:, None] >= cum).sum(axis=1), net.card[v] - 1)
    return idx


def write_csv(net: Net, n: int, rng: np.random.Generator, path: Path) -> None:
    idx = forward_sample(net, n, rng)
    cols = [np.asarray(net.states[v], dtype=object)[idx[v]] for v in net.variables]
    with path.open("w", newline="\n") as f:
        f.write(",".join(net.variables) + "\n")
        for row in zip(*cols):
            f.write(",".join(row) + "\n")


def write_inputs(net: Net) -> dict:
    """The shared inputs of one network (the same files whichever tools or workloads run)."""
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([SEED, 0])
    queries = []
    for _ in range(N_QUERIES):
        row = forward_sample(net, 1, rng)
        chosen = rng.choice(len(net.variables), size=N_EVIDENCE + 1, replace=False)
        target, ev = net.variables[chosen[0]], [net.variables[i] for i in sorted(chosen[1:])]
        queries.append({"target": target, "evidence": [[v, net.states[v][int(row[v][0])]] for v in ev]})
    row = forward_sample(net, 1, rng)
    chosen = sorted(rng.choice(len(net.variables), size=N_EVIDENCE, replace=False))
    marg_ev = [[net.variables[i], net.states[net.variables[i]][int(row[net.variables[i]][0])]] for i in chosen]
    p = {"queries": OUT / f"bn_{net.name}_queries.json", "mle": OUT / f"bn_{net.name}_mle.csv",
         "hc": OUT / f"bn_{net.name}_hc.csv"}
    p["queries"].write_text(json.dumps({"queries": queries, "marginals_evidence": marg_ev}))
    write_csv(net, N_MLE, np.random.default_rng([SEED, 1]), p["mle"])
    write_csv(net, N_HC, np.random.default_rng([SEED, 2]), p["hc"])
    return p


def read_frame(path):
    import pandas as pd

    # State names such as `None` or `NA` must stay text (fixtures/BN_FIXTURES.md).
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)


# ----------------------------------------------------------------------------- workers


def best_of(repeats: int, work):
    """Runs work() `repeats` times: (best seconds, all seconds, the last result)."""
    times, out = [], None
    for _ in range(max(repeats, 1)):
        t0 = time.perf_counter()
        out = work()
        times.append(time.perf_counter() - t0)
    return min(times), times, out


def pgmpy_worker(a, net: Net) -> dict:
    quiet_libraries()
    import pgmpy

    out = {"pgmpy": pgmpy.__version__, "pythonhashseed": os.environ.get("PYTHONHASHSEED")}
    if a.queries:
        from pgmpy.inference import VariableElimination

        spec = json.loads(Path(a.queries).read_text())
        qs = [(q["target"], dict(q["evidence"])) for q in spec["queries"]]

        def queries():
            ve = VariableElimination(net.model)
            return [ve.query([t], evidence=ev, show_progress=False).values.tolist() for t, ev in qs]

        s, all_s, ans = best_of(a.repeats, queries)
        out["queries"] = {"seconds": s, "all_seconds": all_s, "answers": ans}
        ev = dict(spec["marginals_evidence"])

        def marginals():
            ve = VariableElimination(net.model)
            res = []
            for v in net.variables:
                if v in ev:
                    res.append([float(s == ev[v]) for s in net.states[v]])
                else:
                    res.append(ve.query([v], evidence=ev, show_progress=False).values.tolist())
            return res

        s, all_s, ans = best_of(a.repeats, marginals)
        out["marginals"] = {"seconds": s, "all_seconds": all_s, "answers": ans}
    if a.samples:
        from pgmpy.sampling import BayesianModelSampling

        s, all_s, df = best_of(a.repeats, lambda: BayesianModelSampling(net.model).forward_sample(
            size=a.samples, show_progress=False, seed=a.seed))
        out["sample"] = {"seconds": s, "all_seconds": all_s, "n": len(df), "freq": [
            (df[v].value_counts(normalize=True).reindex(net.states[v], fill_value=0.0)).tolist()
            for v in net.variables]}
    if a.mle_data:
        from pgmpy.models import DiscreteBayesianNetwork
        from pgmpy.parameter_estimator import DiscreteMLE

        data = read_frame(a.mle_data)
        model = DiscreteBayesianNetwork()
        model.add_nodes_from(net.variables)
        model.add_edges_from(net.true_edges())
        s, all_s, est = best_of(a.repeats, lambda: DiscreteMLE(state_names=net.states).fit(model, data))
        cpts = {}
        for cpd in est.parameters_:
            v = cpd.variables[0]
            cpts[v] = factor_array(cpd.variables, cpd.values, cpd.state_names, net.parents[v] + [v],
                                   net.states).ravel().tolist()
        out["mle"] = {"seconds": s, "all_seconds": all_s, "n_rows": len(data), "cpts": cpts}
    if a.hc_data:
        from pgmpy.causal_discovery import HillClimbSearch

        data = read_frame(a.hc_data)

        def hc():
            h = HillClimbSearch(scoring_method="bic-d", return_type="dag", show_progress=False)
            h.fit(data)
            return h

        s, all_s, h = best_of(a.hc_repeats, hc)
        edges = sorted((str(x), str(y)) for x, y in h.causal_graph_.edges())
        out["hc"] = {"seconds": s, "all_seconds": all_s, "n_rows": len(data), "edges": edges}
    return out


def pyagrum_worker(a, net: Net) -> dict:
    """pyAgrum's runs alternate between 1 thread and its default (all cores): on a busy machine
    its multi-threaded runs can be 10-90× slower than usual (hill climbing on alarm: 0.2 s
    against 5-17 s with 2 threads while other processes used the cores), so each workload's best
    is taken over both settings and the setting that gave it is reported."""
    import pyagrum as gum

    default_threads = gum.getNumberOfThreads()
    settings = [a.pyagrum_threads] if a.pyagrum_threads else sorted({1, default_threads})
    bn = net.pyagrum()
    out = {"pyagrum": gum.__version__, "threads": settings}

    def timed(repeats: int, prepare, work):
        """Best of `repeats` runs of work(prepare()) (prepare untimed), threads alternating."""
        best, times, threads, res = None, [], [], None
        for r in range(max(repeats, 1)):
            n = settings[r % len(settings)]
            gum.setNumberOfThreads(n)
            obj = prepare()
            if hasattr(obj, "setNumberOfThreads"):
                obj.setNumberOfThreads(n)
            t0 = time.perf_counter()
            res = work(obj)
            times.append(time.perf_counter() - t0)
            threads.append(n)
            if best is None or times[-1] < times[best]:
                best = r
        return {"seconds": times[best], "all_seconds": times, "threads_per_run": threads,
                "best_threads": threads[best]}, res

    if a.queries:
        spec = json.loads(Path(a.queries).read_text())
        qs = [(q["target"], dict(q["evidence"])) for q in spec["queries"]]

        def queries(_):
            ie = gum.LazyPropagation(bn)
            res = []
            for t, ev in qs:
                ie.eraseAllTargets()
                ie.addTarget(t)
                ie.setEvidence(ev)
                ie.makeInference()
                res.append(ie.posterior(t).toarray().tolist())
            return res

        out["queries"], ans = timed(max(a.repeats, 2), lambda: None, queries)
        out["queries"]["answers"] = ans
        ev = dict(spec["marginals_evidence"])

        def marginals(_):
            ie = gum.LazyPropagation(bn)
            ie.setEvidence(ev)
            ie.makeInference()
            return [ie.posterior(v).toarray().tolist() for v in net.variables]

        out["marginals"], ans = timed(max(a.repeats, 2), lambda: None, marginals)
        out["marginals"]["answers"] = ans
    if a.samples:
        def sample(g):
            g.drawSamples(a.samples)
            return g

        out["sample"], g = timed(max(a.repeats, 2), lambda: gum.BNDatabaseGenerator(bn), sample)
        df = g.to_pandas()
        out["sample"].update(n=len(df), freq=[
            (df[v].astype(str).value_counts(normalize=True).reindex(net.states[v], fill_value=0.0)).tolist()
            for v in net.variables])
    if a.mle_data:
        def learner_mle():
            learner = gum.BNLearner(str(a.mle_data), bn)  # loads the CSV: untimed
            learner.useSmoothingPrior(a.pyagrum_smoothing)
            return learner

        out["mle"], fitted = timed(max(a.repeats, 2), learner_mle, lambda l: l.learnParameters(bn.dag()))
        cpts = {}
        for v in net.variables:
            p = fitted.cpt(v)
            names = list(p.names)  # toarray(): axes in reverse of `names`
            arr = np.transpose(p.toarray(), [len(names) - 1 - names.index(u) for u in net.parents[v] + [v]])
            cpts[v] = arr.ravel().tolist()
        out["mle"].update(n_rows=N_MLE, cpts=cpts, smoothing=a.pyagrum_smoothing)
    if a.hc_data:
        def learner_hc():
            learner = gum.BNLearner(str(a.hc_data))  # loads the CSV: untimed
            learner.useGreedyHillClimbing()
            learner.useScoreBIC()
            return learner

        def hc(learner):
            dag = learner.learnDAG()
            state = {k: str(v[0]) for k, v in learner.state().items() if k not in ("Filename", "Variables")}
            return sorted((learner.nameFromId(x), learner.nameFromId(y)) for x, y in dag.arcs()), state

        out["hc"], (edges, state) = timed(max(a.hc_repeats, 2), learner_hc, hc)
        out["hc"].update(n_rows=N_HC, edges=edges, learner_state=state)
    return out


def worker(argv: list[str]) -> None:
    """`compare_bn.py worker --tool pgmpy|pyagrum ...`: one tool's workloads in this fresh process,
    with the same inputs and the same JSON line as `gm-bench bn`."""
    ap = argparse.ArgumentParser(prog="compare_bn.py worker")
    ap.add_argument("--tool", required=True, choices=["pgmpy", "pyagrum"])
    ap.add_argument("--net", required=True)
    ap.add_argument("--queries")
    ap.add_argument("--samples", type=int)
    ap.add_argument("--mle-data")
    ap.add_argument("--hc-data")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--hc-repeats", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pyagrum-threads", type=int, default=0)
    ap.add_argument("--pyagrum-smoothing", type=float, default=1e-10)
    a = ap.parse_args(argv)
    net = Net(Path(a.net))
    out = pgmpy_worker(a, net) if a.tool == "pgmpy" else pyagrum_worker(a, net)
    out["max_rss_kb"] = gmc.vm_hwm_kb()
    print(json.dumps(out))


# ----------------------------------------------------------------------------- running


def group_args(group: str, tool: str, paths: dict, a) -> list[str]:
    # Hill climbing: pgmpy's takes seconds, so once per process; the others a few times.
    hc_inner = 1 if tool == "pgmpy" else a.hc_inner_repeats
    return {
        "inference": ["--queries", str(paths["queries"]), "--repeats", str(a.inner_repeats)],
        "sample": ["--samples", str(N_SAMPLES), "--repeats", str(a.inner_repeats)],
        "mle": ["--mle-data", str(paths["mle"]), "--repeats", str(a.inner_repeats)],
        "hc": ["--hc-data", str(paths["hc"]), "--hc-repeats", str(hc_inner)],
    }[group]


def tool_cmd(tool: str, net: Net, args: list[str], a) -> list[str]:
    if tool == "ours":
        return [str(GM_BENCH), "bn", "--net", str(net.path), *args]
    extra = ["--pyagrum-threads", str(a.pyagrum_threads)] if tool == "pyagrum" else []
    return [sys.executable, str(Path(__file__).resolve()), "worker", "--tool", tool, "--net", str(net.path),
            *args, *extra]


def run_net(net: Net, paths: dict, a) -> dict:
    """Every group for every tool, each as its own processes (interleaved); returns
    {workload: {tool: [run results]}}."""
    runs = {w: {t: [] for t in a.tools} for w in WORKLOADS}
    for group in a.groups:
        reps = a.hc_repeats if group == "hc" else a.repeats
        for rep in range(reps):
            line = f"  {net.name} {group} run {rep + 1}/{reps}:"
            for tool in a.tools:
                r = gmc.run_json(tool_cmd(tool, net, group_args(group, tool, paths, a), a), a.max_wait)
                for w in WORKLOADS:
                    if w in r:
                        res = dict(r[w], others=r["others"], max_rss_kb=r.get("max_rss_kb"))
                        for k in ("pgmpy", "pyagrum", "threads", "pythonhashseed"):
                            if k in r:
                                res[k] = r[k]
                        runs[w][tool].append(res)
                        line += f" {tool} {w} {fmt_time(r[w]['seconds'])}"
                line += f" ({100 * r['others']:.0f}%);"
            print(line, flush=True)
            if rep == reps - 1:  # keep the last answers of every tool
                for tool in a.tools:
                    for w in WORKLOADS:
                        if runs[w][tool]:
                            (OUT / f"bn_{net.name}_{tool}_{w}.json").write_text(json.dumps(runs[w][tool][-1]))
    return runs


def max_abs(a, b) -> float:
    return max(float(np.max(np.abs(np.asarray(x, dtype=float) - np.asarray(y, dtype=float)))) for x, y in zip(a, b))


def shd(true_edges, learned_edges) -> dict:
    ts = {frozenset(e): e for e in map(tuple, true_edges)}
    ls = {frozenset(e): e for e in map(tuple, learned_edges)}
    missing = len(set(ts) - set(ls))
    extra = len(set(ls) - set(ts))
    reversed_ = sum(1 for p in set(ts) & set(ls) if ts[p] != ls[p])
    return {"missing": missing, "extra": extra, "reversed": reversed_, "shd": missing + extra + reversed_,
            "n_edges": len(learned_edges)}


def exact_prior_marginals(net: Net) -> list[list[float]]:
    import pyagrum as gum

    ie = gum.LazyPropagation(net.pyagrum())
    ie.makeInference()
    return [ie.posterior(v).toarray().tolist() for v in net.variables]


def bic_scores(net: Net, hc_csv: Path, graphs: dict) -> dict:
    """pgmpy's BIC (states as in the data) of each learned graph and of the true one."""
    quiet_libraries()
    from pgmpy.base import DAG
    from pgmpy.structure_score import BIC

    sc = BIC(read_frame(hc_csv))
    out = {}
    for name, edges in graphs.items():
        d = DAG()
        d.add_nodes_from(net.variables)
        d.add_edges_from(edges)
        out[name] = float(sc.score(d))
    return out


def summarise(net: Net, paths: dict, runs: dict, a) -> dict:
    rows, checks = [], {}
    for w in WORKLOADS:
        r = runs[w]
        if not any(r[t] for t in a.tools):
            continue
        best = {t: min(r[t], key=lambda x: x["seconds"]) for t in a.tools if r[t]}
        row = {"net": net.name, "workload": w}
        for t in a.tools:
            if t in best:
                row[f"{t}_s"] = best[t]["seconds"]
                row[f"all_{t}_s"] = [x["seconds"] for x in r[t]]
                row[f"{t}_rss_kb"] = max(x.get("max_rss_kb") or -1 for x in r[t])
        if "ours" in best:
            for t in ("pgmpy", "pyagrum"):
                if t in best:
                    row[f"ratio_{t}"] = best[t]["seconds"] / best["ours"]["seconds"]
        row["others_load"] = max(best[t]["others"] for t in best)
        if "pyagrum" in best:
            row["pyagrum_best_threads"] = best["pyagrum"].get("best_threads")
        last = {t: r[t][-1] for t in best}
        if w in ("queries", "marginals") and "pgmpy" in last:
            for t in ("ours", "pyagrum"):
                if t in last:
                    row[f"maxdiff_{t}_vs_pgmpy"] = max_abs(last[t]["answers"], last["pgmpy"]["answers"])
        if w == "mle" and "pgmpy" in last:
            ref = last["pgmpy"]["cpts"]
            for t in ("ours", "pyagrum"):
                if t in last:
                    row[f"maxdiff_{t}_vs_pgmpy"] = max(
                        float(np.max(np.abs(np.asarray(last[t]["cpts"][v]) - np.asarray(ref[v])))) for v in ref)
        if w == "marginals" and "ours" in best:
            row["ours_calibrate_only_s"] = min(x.get("calibrate_seconds", np.inf) for x in r["ours"])
            row["ours_jt"] = {k: last["ours"].get(k) for k in ("n_cliques", "max_clique_size")}
        if w == "sample":
            exact = exact_prior_marginals(net)
            for t in last:
                row[f"freq_maxdiff_{t}"] = max_abs(last[t]["freq"], exact)
        if w == "hc":
            graphs = {t: [tuple(e) for e in last[t]["edges"]] for t in last}
            for t, edges in graphs.items():
                row[f"shd_{t}"] = shd(net.true_edges(), edges)
            if "ours" in last:
                row["shd_ours_reported"] = {k: last["ours"][k] for k in ("missing", "extra", "reversed", "shd")}
                row["score_ours_reported"] = last["ours"].get("score")
            row["bic"] = bic_scores(net, paths["hc"], {**graphs, "true": net.true_edges()})
            if "pyagrum" in last:
                row["pyagrum_learner_state"] = last["pyagrum"].get("learner_state")
        if "pgmpy" in last:
            checks["pgmpy"] = last["pgmpy"].get("pgmpy")
        if "pyagrum" in last:
            checks["pyagrum"] = last["pyagrum"].get("pyagrum")
            checks["pyagrum_thread_settings"] = last["pyagrum"].get("threads")
        rows.append(row)
    return {"rows": rows, "versions": checks}


# ----------------------------------------------------------------------------- reporting


def fmt_time(s) -> str:
    if s is None:
        return "—"
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    return f"{s * 1e3:.2f} ms" if s < 0.1 else (f"{s * 1e3:.0f} ms" if s < 1 else f"{s:.2f} s")


def fmt_ratio(r) -> str:
    if r is None:
        return "—"
    return f"×{r:.1f}" if r >= 1 else f"×{r:.2f} (slower)"


WHAT = {
    "queries": f"{N_QUERIES} queries (1 target, {N_EVIDENCE} evidence)",
    "marginals": f"all marginals, {N_EVIDENCE} evidence",
    "sample": f"{N_SAMPLES:,} forward samples",
    "mle": f"MLE of all CPTs, {N_MLE:,} rows",
    "hc": f"hill climbing + BIC, {N_HC:,} rows",
}


def check_text(row: dict) -> str:
    w = row["workload"]
    if w in ("queries", "marginals", "mle"):
        parts = [f"{t} {row[f'maxdiff_{t}_vs_pgmpy']:.1e}" for t in ("ours", "pyagrum")
                 if f"maxdiff_{t}_vs_pgmpy" in row]
        return "max \\|Δ\\| vs pgmpy: " + ", ".join(parts) if parts else ""
    if w == "sample":
        return "max \\|freq − exact\\|: " + ", ".join(
            f"{t} {row[f'freq_maxdiff_{t}']:.1e}" for t in TOOLS if f"freq_maxdiff_{t}" in row)
    if w == "hc":
        return "SHD " + ", ".join(f"{t} {row[f'shd_{t}']['shd']}" for t in TOOLS if f"shd_{t}" in row)
    return ""


def table(rows: list[dict], tools: list[str]) -> list[str]:
    head = ["network", "workload"] + [{"ours": "ours", "pgmpy": "pgmpy", "pyagrum": "pyAgrum"}[t] for t in tools]
    head += [f"{'pgmpy' if t == 'pgmpy' else 'pyAgrum'}/ours" for t in tools if t != "ours" and "ours" in tools]
    head += ["check"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        noisy = " †" if r["others_load"] > gmc.NOISY else ""
        cells = [r["net"], WHAT[r["workload"]] + noisy] + [fmt_time(r.get(f"{t}_s")) for t in tools]
        cells += [fmt_ratio(r.get(f"ratio_{t}")) for t in tools if t != "ours" and "ours" in tools]
        cells.append(check_text(r))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def shd_table(rows: list[dict]) -> list[str]:
    lines = ["| network | learner | edges | missing | extra | reversed | SHD | BIC (pgmpy, data states) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["workload"] != "hc":
            continue
        for t in TOOLS:
            if f"shd_{t}" not in r:
                continue
            s = r[f"shd_{t}"]
            lines.append(f"| {r['net']} | {t} | {s['n_edges']} | {s['missing']} | {s['extra']} | {s['reversed']} | "
                         f"{s['shd']} | {r['bic'][t]:.2f} |")
        lines.append(f"| {r['net']} | (true graph) | | 0 | 0 | 0 | 0 | {r['bic']['true']:.2f} |")
    return lines


def verdicts(rows: list[dict], tools: list[str]) -> list[str]:
    ok = lambda b: "MET" if b else "NOT MET"  # noqa: E731
    out = []
    for r in rows:
        parts = []
        if "ratio_pgmpy" in r:
            parts.append(f"≥{TARGET_PGMPY:g}× pgmpy: {ok(r['ratio_pgmpy'] >= TARGET_PGMPY)} ({r['ratio_pgmpy']:.1f}×)")
        if "ratio_pyagrum" in r:
            parts.append(f"faster than pyAgrum: {ok(r['ratio_pyagrum'] > TARGET_PYAGRUM)} ({r['ratio_pyagrum']:.2f}×)")
        if r["workload"] in ("queries", "marginals") and "maxdiff_ours_vs_pgmpy" in r:
            d = r["maxdiff_ours_vs_pgmpy"]
            parts.append(f"answers within {TOL_ANSWERS:g} of pgmpy: {ok(d <= TOL_ANSWERS)} ({d:.1e})")
        if r["workload"] == "marginals" and "ours_calibrate_only_s" in r:
            jt = r.get("ours_jt") or {}
            parts.append(f"ours without building the junction tree ({jt.get('n_cliques')} cliques, largest "
                         f"{jt.get('max_clique_size')} entries): {fmt_time(r['ours_calibrate_only_s'])}")
        if r["workload"] == "hc" and "shd_ours" in r:
            others = [r[f"shd_{t}"]["shd"] for t in ("pgmpy", "pyagrum") if f"shd_{t}" in r]
            if others:
                parts.append(f"SHD no worse than the others: {ok(r['shd_ours']['shd'] <= min(others))} "
                             f"({r['shd_ours']['shd']} vs {', '.join(map(str, others))})")
            rep = r.get("shd_ours_reported")
            if rep and rep["shd"] != r["shd_ours"]["shd"]:
                parts.append(f"(gm-bench's own SHD {rep['shd']} differs from the script's!)")
        out.append(f"- {r['net']} {r['workload']}: " + "; ".join(parts))
        spread = ", ".join(f"{t} " + "/".join(fmt_time(s) for s in r[f"all_{t}_s"]) for t in tools
                           if f"all_{t}_s" in r)
        if r.get("pyagrum_best_threads"):
            spread += f" (pyAgrum's best with {r['pyagrum_best_threads']} thread(s))"
        out.append(f"  - every process's best: {spread}")
    if any(r["others_load"] > gmc.NOISY for r in rows):
        out.append(f"- †: other processes used more than {100 * gmc.NOISY:.0f}% of the CPUs during the best runs of "
                   f"this row; its timings are pessimistic (re-run on a quiet machine)")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nets", nargs="+", default=["alarm", "hepar2"], help="networks in data/bayesnets/")
    ap.add_argument("--groups", nargs="+", default=GROUPS, choices=GROUPS,
                    help="inference (queries + marginals), sample, mle, hc")
    ap.add_argument("--tools", nargs="+", default=TOOLS, choices=TOOLS)
    ap.add_argument("--repeats", type=int, default=3, help="processes per tool and group; best counts")
    ap.add_argument("--inner-repeats", type=int, default=5,
                    help="repeats of each workload inside a process (not hill climbing); best counts")
    ap.add_argument("--hc-repeats", type=int, default=2, help="processes per tool for hill climbing")
    ap.add_argument("--hc-inner-repeats", type=int, default=4,
                    help="hill climbs inside each of ours' and pyAgrum's processes (pgmpy's: 1)")
    ap.add_argument("--no-hc-for", nargs="*", default=[], help="networks to skip hill climbing for")
    ap.add_argument("--pyagrum-threads", type=int, default=0, help="0: pyAgrum's default (all cores)")
    ap.add_argument("--max-wait", type=float, default=60.0,
                    help="seconds to wait before each timed run for other processes to leave the CPUs")
    a = ap.parse_args()
    if "ours" in a.tools:
        if not BUILT_BENCH.exists():
            sys.exit(f"{BUILT_BENCH} is missing: run `bash bench/run_bn.sh` (it builds it)")
        (OUT / "bin").mkdir(parents=True, exist_ok=True)
        shutil.copy2(BUILT_BENCH, GM_BENCH)
    # pgmpy's hill climbing breaks ties in set-iteration order: fixed string hashing makes it
    # reproducible (the workers inherit this).
    os.environ["PYTHONHASHSEED"] = "0"

    import pgmpy
    import pyagrum as gum

    info = gmc.machine_info()
    info.update(pgmpy=pgmpy.__version__, pyagrum=gum.__version__)
    print(f"machine: {info['nproc']} × {info['cpu']} @ {info['mhz']} MHz; numpy {info['numpy']}, "
          f"pgmpy {info['pgmpy']}, pyAgrum {info['pyagrum']}; genmodels {info['library']}", flush=True)

    all_rows, versions = [], {}
    for name in a.nets:
        net = Net(NETS_DIR / f"{name}.bif")
        print(f"{name}: {len(net.variables)} variables, {len(net.true_edges())} edges; writing inputs ...",
              flush=True)
        paths = write_inputs(net)
        b = argparse.Namespace(**vars(a))
        b.groups = [g for g in a.groups if not (g == "hc" and name in a.no_hc_for)]
        s = summarise(net, paths, run_net(net, paths, b), b)
        all_rows.extend(s["rows"])
        versions.update(s["versions"])

    lines = table(all_rows, a.tools)
    shd_lines = shd_table(all_rows)
    notes = verdicts(all_rows, a.tools)
    print()
    print("\n".join(lines))
    print()
    print("\n".join(shd_lines))
    print()
    print("\n".join(notes))

    md = [
        "# genmodels vs pgmpy and pyAgrum: discrete Bayesian networks",
        "",
        f"- date: {info['date']}",
        f"- machine: {info['nproc']} × {info['cpu']} ({info['mhz']} MHz)",
        f"- Python {info['python']}, numpy {info['numpy']}, pgmpy {info['pgmpy']}, pyAgrum {info['pyagrum']} "
        f"(thread settings tried: {versions.get('pyagrum_thread_settings', '?')})",
        f"- genmodels: {info['library']}",
        f"- best of {a.repeats} processes × {a.inner_repeats} repeats inside each (hill climbing: "
        f"{a.hc_repeats} processes × {a.hc_inner_repeats} inside, pgmpy's × 1); pyAgrum's repeats alternate "
        f"between 1 thread and its default; files read and libraries imported untimed",
        "",
        *lines,
        "",
        *shd_lines,
        "",
        *notes,
        "",
    ]
    (OUT / "bn_results.md").write_text("\n".join(md))
    (OUT / "bn_results.json").write_text(json.dumps({"machine": info, "versions": versions, "rows": all_rows},
                                                    indent=2, default=str))
    print(f"\nwritten: {OUT / 'bn_results.md'}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker(sys.argv[2:])
    else:
        main()
