#!/usr/bin/env python3
"""Optuna's default TPE with k parallel workers, simulated through ask/tell.

The five-function protocol of `../shared/bench/optuna_baseline.py` (objectives, search
spaces and f* from `../shared/bench/hpo_testfunctions.py`; 100 trials; simple regret at
25/50/100 trials, median and 25th/75th percentile over seeds, numpy "linear" method),
but with k trials in flight at once. The Rust side (`hpo.rs`) implements the same
schedule, so it is spelled out exactly here.

Sampler: `optuna.samplers.TPESampler(seed=seed)` with the library defaults, in-memory
study, direction "minimize", `study.ask(fixed_distributions=space)` with the distributions
built as in optuna_baseline.py. What the defaults mean with trials in flight (Optuna 5.1):
multivariate TPE with `constant_liar=True`, so the other running trials (their parameters
are fixed at ask time) are put in the "above" (bad) group of the Parzen split; gamma counts
finished trials only; and the `n_startup_trials=10` random phase lasts until 10 trials have
been TOLD, so with k workers up to 9 + k of the first trials are random.

Schedule (k workers, n = 100 trials; `running` = asked-but-not-told trials, in ask order):

    loop:
        while asked < n and len(running) < k:
            running.append(study.ask(space))
        if running is empty: stop
        order "oldest":     i = 0
        order "random":     i = splitmix64_next(state) % len(running)
        (k = 1, order "sequential": i = 0, i.e. ask -> evaluate -> tell, as the baseline)
        trial = running.pop(i)
        study.tell(trial, objective(trial.params))

The "random" generator state starts at `seed * 1_000_003 + k` (u64, wrapping), one state
per run (function, seed, k), and is advanced only when a finishing trial is picked:

    def splitmix64_next(state):          # all arithmetic mod 2**64
        state = state + 0x9E3779B97F4A7C15
        z = state
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB
        return z ^ (z >> 31)             # and the new state

The regret at 25/50/100 is over the first 25/50/100 trials in ASK order (trial number),
not tell order: regret@m = min(value of trials 0..m-1) - f*.

Configurations: k in --workers-list (default 1,2,4,8) x order in {oldest, random}
(k = 1 only once, order "sequential"), seeds 0..--seeds-1 (default 20), --functions
(default all five). Runs are spread over --procs processes (default 2), niced by --nice.

Usage (from the repository root, optuna installed in the python that runs it):
    python3 crates/sweep-search/benches/optuna_parallel.py                 # full run
    python3 crates/sweep-search/benches/optuna_parallel.py --functions branin \\
        --seeds 3 --workers-list 1,4 --out /tmp/quick                      # quick check
Options: --shared DIR (default <repo>/../shared/bench), --out DIR (default
crates/sweep-search/benches/results), --procs, --nice, --orders, --trials.

Outputs (in --out):
    optuna_tpe_parallel.csv        function,sampler,workers,order,trials,median,q25,q75,n_seeds
    optuna_tpe_parallel_meta.json  versions, date, command, wall time, and the k = 1 rows
                                   checked against results/optuna_baseline_summary.csv
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import json
import math
import os
import platform
import sys
import time
from multiprocessing import Pool
from pathlib import Path

# One thread per process: the runs themselves are spread over processes.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

HERE = Path(__file__).resolve().parent
REPO = Path(__file__).resolve().parents[3]  # benches -> sweep-search -> crates -> repo
DEFAULT_SHARED = REPO.parent / "shared" / "bench"  # <repo>/../shared/bench
DEFAULT_OUT = HERE / "results"

MASK64 = (1 << 64) - 1
SAMPLER_NAME = "tpe_default"

# Filled in by _setup() (in the parent and in every worker process).
FUNCTIONS: dict = {}
CHECKPOINTS: tuple = ()


def splitmix64_next(state: int) -> tuple[int, int]:
    """One splitmix64 step: returns (new_state, output), all mod 2**64."""
    state = (state + 0x9E3779B97F4A7C15) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return state, z ^ (z >> 31)


def _setup(shared: str, nice: int = 0) -> None:
    global FUNCTIONS, CHECKPOINTS
    if nice:
        try:
            os.nice(nice)
        except OSError:
            pass
    if shared not in sys.path:
        sys.path.insert(0, shared)
    import optuna
    from hpo_testfunctions import CHECKPOINTS as _cp
    from hpo_testfunctions import PROBLEMS
    from optuna.distributions import CategoricalDistribution
    from optuna.distributions import FloatDistribution
    from optuna.distributions import IntDistribution

    def to_optuna(space: dict) -> dict:  # as in optuna_baseline.py
        out = {}
        for name, spec in space.items():
            if spec[0] == "float":
                out[name] = FloatDistribution(spec[1], spec[2], log=spec[3])
            elif spec[0] == "int":
                out[name] = IntDistribution(spec[1], spec[2])
            elif spec[0] == "cat":
                out[name] = CategoricalDistribution(spec[1])
            else:
                raise ValueError(spec)
        return out

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    FUNCTIONS = {n: (f, to_optuna(space), fstar) for n, (f, space, fstar) in PROBLEMS.items()}
    CHECKPOINTS = tuple(_cp)


def run_one(job: tuple) -> tuple:
    """One run; returns (function, k, order, seed, values in ask order)."""
    import optuna

    fname, k, order, seed, n = job
    func, space, _fstar = FUNCTIONS[fname]
    study = optuna.create_study(
        direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed)
    )
    state = (seed * 1_000_003 + k) & MASK64
    values: list = [None] * n
    running: list = []
    asked = 0
    while True:
        while asked < n and len(running) < k:
            trial = study.ask(fixed_distributions=space)
            assert trial.number == asked
            running.append(trial)
            asked += 1
        if not running:
            break
        if order == "random":
            state, r = splitmix64_next(state)
            i = r % len(running)
        else:  # "oldest" and "sequential"
            i = 0
        trial = running.pop(i)
        value = float(func(trial.params))
        study.tell(trial, value)
        values[trial.number] = value
    assert all(v is not None for v in values)
    return fname, k, order, seed, values


def configurations(workers_list: list, orders: list) -> list:
    out = []
    for k in workers_list:
        if k == 1:
            out.append((1, "sequential"))
        else:
            out.extend((k, o) for o in orders)
    return out


def baseline_check(rows: list, shared: Path) -> dict:
    """Compare the k = 1 medians with results/optuna_baseline_summary.csv (tpe_default)."""
    path = shared / "results" / "optuna_baseline_summary.csv"
    if not path.exists():
        return {"baseline": str(path), "found": False}
    ref = {}
    with open(path, newline="") as fh:
        for r in csv.DictReader(fh):
            if r["sampler"] == SAMPLER_NAME:
                ref[(r["function"], int(r["trials"]))] = (float(r["median"]), int(r["n_seeds"]))
    cmp = []
    for r in rows:
        if r["workers"] != 1:
            continue
        key = (r["function"], r["trials"])
        if key not in ref:
            continue
        ours, theirs = float(r["median"]), ref[key][0]
        rel = abs(ours - theirs) / max(abs(theirs), 1e-300)
        cmp.append(
            {
                "function": r["function"],
                "trials": r["trials"],
                "median": r["median"],
                "baseline_median": f"{theirs:.6g}",
                "n_seeds": r["n_seeds"],
                "baseline_n_seeds": ref[key][1],
                "rel_diff": rel,
            }
        )
    return {
        "baseline": "results/optuna_baseline_summary.csv (tpe_default rows)",
        "found": True,
        "rows_compared": len(cmp),
        "same_n_seeds": all(c["n_seeds"] == c["baseline_n_seeds"] for c in cmp),
        "max_rel_diff": max((c["rel_diff"] for c in cmp), default=None),
        "identical_at_6_significant_digits": all(c["median"] == c["baseline_median"] for c in cmp),
        "rows": cmp,
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--shared", default=str(DEFAULT_SHARED), help="dir with hpo_testfunctions.py")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="output dir")
    ap.add_argument("--functions", default=None, help="comma list (default: all five)")
    ap.add_argument("--seeds", type=int, default=20, help="seeds 0..SEEDS-1")
    ap.add_argument("--workers-list", default="1,2,4,8", help="comma list of k")
    ap.add_argument("--orders", default="oldest,random", help="finish orders for k > 1")
    ap.add_argument("--trials", type=int, default=100, help="trials per run (n)")
    ap.add_argument("--procs", type=int, default=2, help="worker processes")
    ap.add_argument("--nice", type=int, default=10, help="niceness increment (0: none)")
    args = ap.parse_args()

    shared = Path(args.shared).resolve()
    if not (shared / "hpo_testfunctions.py").exists():
        sys.exit(f"hpo_testfunctions.py not found in {shared} (use --shared DIR)")
    _setup(str(shared), args.nice)  # niceness is inherited by the pool's processes
    import numpy as np
    import optuna

    functions = args.functions.split(",") if args.functions else list(FUNCTIONS)
    for f in functions:
        if f not in FUNCTIONS:
            sys.exit(f"unknown function {f!r}; known: {', '.join(FUNCTIONS)}")
    workers_list = [int(x) for x in args.workers_list.split(",")]
    orders = args.orders.split(",")
    for o in orders:
        if o not in ("oldest", "random"):
            sys.exit(f"unknown order {o!r}")
    configs = configurations(workers_list, orders)
    checkpoints = [c for c in CHECKPOINTS if c <= args.trials]
    jobs = [
        (f, k, o, seed, args.trials)
        for f in functions
        for (k, o) in configs
        for seed in range(args.seeds)
    ]
    print(
        f"optuna {optuna.__version__} numpy {np.__version__} python {platform.python_version()}; "
        f"{len(jobs)} runs ({len(functions)} functions x {len(configs)} configs x "
        f"{args.seeds} seeds) on {args.procs} processes",
        flush=True,
    )

    t0 = time.time()
    results: dict = {}
    step = max(1, len(jobs) // 50)
    if args.procs > 1:
        with Pool(args.procs, initializer=_setup, initargs=(str(shared), 0)) as pool:
            it = pool.imap_unordered(run_one, jobs, chunksize=1)
            for done, res in enumerate(it, 1):
                results[res[:4]] = res[4]
                if done % step == 0 or done == len(jobs):
                    el = time.time() - t0
                    eta = el / done * (len(jobs) - done)
                    print(f"  {done}/{len(jobs)} runs, {el:.0f}s elapsed, ~{eta:.0f}s left", flush=True)
    else:
        for done, job in enumerate(jobs, 1):
            res = run_one(job)
            results[res[:4]] = res[4]
            if done % step == 0 or done == len(jobs):
                el = time.time() - t0
                print(f"  {done}/{len(jobs)} runs, {el:.0f}s elapsed", flush=True)
    wall = time.time() - t0

    rows = []
    for f in functions:
        fstar = FUNCTIONS[f][2]
        for k, o in configs:
            for m in checkpoints:
                arr = np.array(
                    [min(results[(f, k, o, s)][:m]) - fstar for s in range(args.seeds)]
                )
                rows.append(
                    {
                        "function": f,
                        "sampler": SAMPLER_NAME,
                        "workers": k,
                        "order": o,
                        "trials": m,
                        "median": f"{np.median(arr):.6g}",
                        "q25": f"{np.percentile(arr, 25):.6g}",
                        "q75": f"{np.percentile(arr, 75):.6g}",
                        "n_seeds": len(arr),
                    }
                )

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cols = ["function", "sampler", "workers", "order", "trials", "median", "q25", "q75", "n_seeds"]
    with open(out / "optuna_tpe_parallel.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)

    check = baseline_check(rows, shared)
    try:
        cmd_script = os.path.relpath(Path(sys.argv[0]).resolve(), REPO)
    except ValueError:
        cmd_script = Path(sys.argv[0]).name
    meta = {
        "optuna": optuna.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "date_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["python3", cmd_script] + sys.argv[1:]),
        "wall_s": round(wall, 1),
        "procs": args.procs,
        "nice": args.nice,
        "sampler": "optuna.samplers.TPESampler(seed=seed), library defaults (Optuna 5.1: multivariate, constant_liar=True), in-memory study",
        "functions": functions,
        "seeds": args.seeds,
        "trials": args.trials,
        "configs": [{"workers": k, "order": o} for k, o in configs],
        "k1_vs_baseline": check,
    }
    with open(out / "optuna_tpe_parallel_meta.json", "w") as fh:
        json.dump(meta, fh, indent=2)
        fh.write("\n")

    print(f"{len(jobs)} runs in {wall:.1f}s -> {out / 'optuna_tpe_parallel.csv'}")
    if check.get("found") and check["rows_compared"]:
        print(
            f"k=1 vs baseline tpe_default: {check['rows_compared']} rows, max rel diff "
            f"{check['max_rel_diff']:.3g}, identical (6 sig. digits): "
            f"{check['identical_at_6_significant_digits']}"
            + ("" if check["same_n_seeds"] else " (different seed counts, not comparable)")
        )
    last = checkpoints[-1] if checkpoints else None
    if last is not None:
        print(f"median regret at {last} trials:")
        hdr = "  " + f"{'function':<12}" + "".join(f"{f'k{k}/{o[:3]}':>12}" for k, o in configs)
        print(hdr)
        for f in functions:
            med = {(r["workers"], r["order"]): r["median"] for r in rows if r["function"] == f and r["trials"] == last}
            print("  " + f"{f:<12}" + "".join(f"{med[(k, o)]:>12}" for k, o in configs))


if __name__ == "__main__":
    main()
