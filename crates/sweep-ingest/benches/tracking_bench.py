#!/usr/bin/env python3
"""Tracking benchmark, anchor half: sweep's store against MLflow's SQLite tracking store.

    python3 tracking_bench.py CORPUS_DIR SWEEP_BIN WORK_DIR [--repeat R] [--acc-min X]

CORPUS_DIR is written by `make_corpus.py` (N runs, `exp/run_XXXXX.jsonl`: a config line, then
one record per step with the metrics train/loss, val/loss, val/acc, val/f1 and lr). WORK_DIR
gets a fresh `sweep-store/`, a fresh `mlflow.db`, the commands' outputs and
`tracking_bench.json` (the rows printed, the corpus size, the versions, the MLflow load).

What is compared, step by step, on the same runs (each step's wall clock; for sweep also the
peak RSS of its process, from GNU time `-f %M` where /usr/bin/time is GNU time):

  1. ingest        `sweep ingest CORPUS`            | MLflow: not compared (loaded in bulk, below)
  2. re-ingest     `sweep ingest CORPUS` again      | MLflow has no idempotent import
  3. list          `sweep ls --runs --format csv`   | mlflow.search_runs -> DataFrame, and
                                                      MlflowClient.search_runs paged (1,000/page)
  4. filter        `sweep ls --runs --where "config.optim.lr > 1e-3 and metrics.val/acc >= X"`
                   | MLflow cannot compare params numerically (they are strings) nor use IN or OR
                     on params: `metrics.val/acc >= X` in the store, then the lr test in pandas;
                     and, alternatively, one search per lr value above 1e-3, concatenated
  5. analyze       `sweep analyze --metric val/acc --format csv` (groups over seeds, bootstrap
                   intervals, Welch tests, ranking) | search_runs -> pandas groupby(model, lr)
                   mean/std/count, sorted (no intervals, no tests)
  6. export        `sweep export --format csv`      | search_runs DataFrame .to_csv

sweep's `metrics.val/acc` is the run's best value, MLflow's is the latest; the corpus's val/acc
rises monotonically, so both are the last value and the filter returns the same runs (checked).
sweep's times include process start and opening the store; MLflow's are measured in this process
after `import mlflow` and opening the store, which are reported apart.

Loading MLflow: logging N runs x 1,000 steps x 5 metrics through the client API takes hours, so
the first run is logged through the API (create_experiment, create_run, log_batch,
set_terminated: the schema and that run are MLflow's own) and every other run is written with
executemany in large transactions as a copy of that run's rows in `runs`, `tags`, `params`,
`metrics` and `latest_metrics` (the columns read from the database, so the rows match what MLflow
writes). MLflow then reads all of it back: search_runs must see N runs with the right params and
latest metrics, and get_metric_history every step of a copied run. The load time is reported
apart, with the API time of the first run times N as the estimate for loading through the API.

Requirements: Python 3.11+, mlflow (tested with 3.18; `mlflow-skinny` suffices) and, for the
`sqlite:///` store, `pip install sqlalchemy alembic` (alembic brings Mako); pandas for the
DataFrame steps. Linux or macOS (os.wait4).
"""
import argparse
import csv
import json
import logging
import math
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

LR_KEY = "optim.lr"
ACC = "val/acc"
EXPERIMENT = "tracking-bench"
BATCH_RUNS = 100  # runs per transaction in the bulk load (about 500,000 metric rows at 1k steps)
PAGE = 1000  # MlflowClient.search_runs page size (MLflow's default; the store caps it at 50,000)


# --------------------------------------------------------------------------------------------
# Corpus


def corpus_files(corpus):
    files = sorted(Path(corpus).rglob("*.jsonl"))
    if not files:
        sys.exit(f"no .jsonl files under {corpus}")
    return files


def scan_corpus(files):
    """Runs, records and bytes; reading every file also warms the page cache before timing."""
    records = size = 0
    for f in files:
        data = f.read_bytes()
        size += len(data)
        records += data.count(b"\n") - 1  # the config line
    return {"runs": len(files), "records": records, "bytes": size}


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def read_run(path):
    """(params as MLflow strings, [(step, {metric: value})]) of one corpus file."""
    with open(path) as fh:
        config = json.loads(fh.readline())["config"]
        steps = []
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                step = rec.pop("step")
                steps.append((step, rec))
    params = {k: str(v) for k, v in flatten(config).items()}  # what mlflow.log_param stores
    return params, steps


# --------------------------------------------------------------------------------------------
# sweep side


def gnu_time():
    """/usr/bin/time if it is GNU time (takes -f and -o), else None."""
    exe = "/usr/bin/time"
    if not os.access(exe, os.X_OK):
        return None
    probe = subprocess.run([exe, "-f", "%M", "-o", os.devnull, "true"], capture_output=True)
    return exe if probe.returncode == 0 else None


def run_child(argv, out_path, err_path, timer):
    """Runs argv with stdout and stderr to files: (exit code, wall seconds, peak RSS in MB).

    The peak RSS comes from GNU time (`-f %M`) where there is one. Without it, from os.wait4 on
    this one child, which overstates small programs: a child spawned by this (large) Python
    process starts from the parent's memory, and Linux carries that peak across exec()."""
    rss_file = out_path.with_suffix(".rss")
    cmd = [timer, "-f", "%M", "-o", str(rss_file)] + argv if timer else argv
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if timer:
        rss_kb = float(rss_file.read_text().split()[-1])
    else:
        rss_kb = usage.ru_maxrss / (1024 if sys.platform == "darwin" else 1)  # bytes on macOS
    return proc.returncode, wall, rss_kb / 1024


def csv_rows(path):
    """Data rows of a CSV file (the header excluded)."""
    with open(path, newline="") as fh:
        return max(sum(1 for _ in csv.reader(fh)) - 1, 0)


def sweep_side(sweep_bin, corpus, work, acc_min, repeat):
    store = work / "sweep-store"
    if store.exists():
        shutil.rmtree(store)
    outdir = work / "sweep-out"
    outdir.mkdir(exist_ok=True)
    base = [sweep_bin, "--store", str(store)]
    where = f"config.{LR_KEY} > 1e-3 and metrics.{ACC} >= {acc_min}"
    steps = [  # (name, argv, counts CSV rows, timed more than once)
        ("ingest", ["ingest", str(corpus)], False, False),
        ("re-ingest", ["ingest", str(corpus)], False, False),
        ("list", ["ls", "--runs", "--format", "csv"], True, True),
        ("filter", ["ls", "--runs", "--where", where, "--format", "csv"], True, True),
        ("analyze", ["analyze", "--metric", ACC, "--format", "csv"], True, True),
        ("export", ["export", "--format", "csv"], True, True),
    ]
    timer = gnu_time()
    results = {"rss_from": "GNU time" if timer else "os.wait4 (an upper bound)"}
    for name, args, counts, repeated in steps:
        walls, rsss = [], []
        for _ in range(repeat if repeated else 1):
            out, err = outdir / f"{name}.out", outdir / f"{name}.err"
            rc, wall, rss = run_child(base + args, out, err, timer)
            if rc != 0:
                sys.stderr.write(f"`{' '.join(base + args)}` exited {rc}:\n{err.read_text()}")
                sys.exit(1)
            walls.append(wall)
            rsss.append(rss)
        results[name] = {
            "command": "sweep " + " ".join(f"'{a}'" if " " in a else a for a in args),
            "wall_s": min(walls),
            "max_rss_mb": max(rsss),
            "rows": csv_rows(out) if counts else None,
            "stdout_tail": None if counts else out.read_text().strip()[-300:],
        }
    results["store_bytes"] = sum(f.stat().st_size for f in store.rglob("*") if f.is_file())
    return results


# --------------------------------------------------------------------------------------------
# MLflow side: load


def table_columns(con, table):
    return [r[1] for r in con.execute(f"PRAGMA table_info({table})")]


def template_rows(con, table, run_id):
    cols = table_columns(con, table)
    rows = con.execute(f"SELECT * FROM {table} WHERE run_uuid = ?", (run_id,)).fetchall()
    return cols, [dict(zip(cols, r)) for r in rows]


def metric_value(v):
    """(value, is_nan) as MLflow's SqlAlchemyStore stores a metric (NaN as 0, inf clamped)."""
    v = float(v)
    if math.isnan(v):
        return 0.0, 1
    if math.isinf(v):
        return (1.7976931348623157e308 if v > 0 else -1.7976931348623157e308), 0
    return v, 0


def run_times(i, steps):
    """Deterministic timestamps (ms): run i starts at T0 + i s; step k is logged at start + k."""
    start = 1_700_000_000_000 + i * 1000
    end = start + (steps[-1][0] if steps else 0) + 1
    return start, end


def load_mlflow(mlflow, uri, db_path, files, work):
    from mlflow.entities import Metric, Param, RunStatus
    from mlflow.tracking import MlflowClient

    info = {}
    expected = {}  # run name -> (params, latest {metric: value})
    t_all = time.perf_counter()

    # Schema and experiment, through MLflow (runs its migrations on the new database).
    t0 = time.perf_counter()
    client = MlflowClient(tracking_uri=uri)
    exp_id = client.create_experiment(EXPERIMENT, artifact_location=(work / "mlartifacts").as_uri())
    info["schema_and_experiment_s"] = time.perf_counter() - t0

    # The first run, entirely through the client API: the template for the bulk rows.
    t0 = time.perf_counter()
    params, steps = read_run(files[0])
    name = files[0].stem
    start, end = run_times(0, steps)
    run = client.create_run(exp_id, start_time=start, run_name=name)
    tid = run.info.run_id
    client.log_batch(tid, params=[Param(k, v) for k, v in params.items()])
    metrics = [Metric(k, float(v), start + s, s) for s, rec in steps for k, v in rec.items()]
    for i in range(0, len(metrics), 1000):  # MLflow's limit: 1,000 metrics per log_batch
        client.log_batch(tid, metrics=metrics[i : i + 1000])
    client.set_terminated(tid, RunStatus.to_string(RunStatus.FINISHED), end_time=end)
    info["api_one_run_s"] = time.perf_counter() - t0
    info["api_estimate_all_runs_s"] = info["api_one_run_s"] * len(files)
    expected[name] = (params, steps[-1][1] if steps else {})

    # Every other run: the template's rows with this run's id, name, times, params and metrics.
    t0 = time.perf_counter()
    con = sqlite3.connect(db_path, isolation_level=None)
    # Bulk-load settings of this connection only; they change nothing in the database file.
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA journal_mode = MEMORY")
    con.execute("PRAGMA cache_size = -524288")  # 512 MiB of page cache for the index inserts
    tpl = {t: template_rows(con, t, tid) for t in ("runs", "tags", "params", "metrics", "latest_metrics")}
    assert len(tpl["runs"][1]) == 1 and tpl["metrics"][1] and tpl["params"][1]

    def inserter(table):
        cols = tpl[table][0]
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        return cols, sql

    cols_of = {t: inserter(t) for t in tpl}
    run_tpl = tpl["runs"][1][0]
    metric_tpl = tpl["metrics"][1][0]
    latest_tpl = tpl["latest_metrics"][1][0]
    param_tpl = tpl["params"][1][0]
    batches = {t: [] for t in tpl}

    def flush():
        con.execute("BEGIN")
        for t in ("runs", "tags", "params", "metrics", "latest_metrics"):
            if batches[t]:
                con.executemany(cols_of[t][1], batches[t])
                batches[t].clear()
        con.execute("COMMIT")

    def row(table, base, **over):
        return tuple(over[c] if c in over else base[c] for c in cols_of[table][0])

    for i, path in enumerate(files[1:], start=1):
        params, steps = read_run(path)
        name = path.stem
        rid = uuid.uuid4().hex
        start, end = run_times(i, steps)
        batches["runs"].append(row(
            "runs", run_tpl, run_uuid=rid, name=name, start_time=start, end_time=end,
            artifact_uri=run_tpl["artifact_uri"].replace(tid, rid),
        ))
        for tag in tpl["tags"][1]:
            value = name if tag["key"] == "mlflow.runName" else tag["value"]
            if isinstance(value, str):
                value = value.replace(tid, rid)
            batches["tags"].append(row("tags", tag, run_uuid=rid, value=value))
        for k, v in params.items():
            batches["params"].append(row("params", param_tpl, run_uuid=rid, key=k, value=v))
        mrows = batches["metrics"]
        for s, rec in steps:
            for k, v in rec.items():
                value, nan = metric_value(v)
                mrows.append(row("metrics", metric_tpl, run_uuid=rid, key=k, value=value,
                                 is_nan=nan, step=s, timestamp=start + s))
        if steps:  # latest = the highest step (then timestamp, then value): the last record
            s, rec = steps[-1]
            for k, v in rec.items():
                value, nan = metric_value(v)
                batches["latest_metrics"].append(row(
                    "latest_metrics", latest_tpl, run_uuid=rid, key=k, value=value,
                    is_nan=nan, step=s, timestamp=start + s,
                ))
        expected[name] = (params, steps[-1][1] if steps else {})
        if i % BATCH_RUNS == 0:
            flush()
    flush()
    con.close()
    info["bulk_sql_s"] = time.perf_counter() - t0
    info["load_total_s"] = time.perf_counter() - t_all
    info["db_bytes"] = Path(db_path).stat().st_size
    return client, exp_id, expected, info


def verify_mlflow(client, exp_id, expected, files):
    """MLflow reads the loaded store back: every run, its params and latest metrics, and the
    full history of one bulk-written run."""
    t0 = time.perf_counter()
    seen, token = {}, None
    while True:
        page = client.search_runs([exp_id], max_results=PAGE, page_token=token)
        for r in page:
            seen[r.info.run_name] = r
        token = page.token
        if not token:
            break
    if set(seen) != set(expected):
        sys.exit(f"MLflow sees {len(seen)} runs, expected {len(expected)}")
    for name, (params, latest) in expected.items():
        r = seen[name]
        if r.data.params != params:
            sys.exit(f"MLflow params of {name}: {r.data.params} != {params}")
        want = {k: float(v) for k, v in latest.items()}
        if r.data.metrics != want:
            sys.exit(f"MLflow latest metrics of {name}: {r.data.metrics} != {want}")
    path = files[-1]
    _, steps = read_run(path)
    rid = seen[path.stem].info.run_id
    for key in steps[0][1] if steps else []:
        hist = client.get_metric_history(rid, key)
        got = [(m.step, m.value) for m in hist]
        want = [(s, float(rec[key])) for s, rec in steps]
        if got != want:
            sys.exit(f"MLflow history of {path.stem}/{key}: {len(got)} points, {len(want)} expected")
    return time.perf_counter() - t0


# --------------------------------------------------------------------------------------------
# MLflow side: the timed equivalents


def mlflow_side(mlflow, client, exp_id, n, lr_values, work, acc_min, repeat):
    import pandas as pd

    col_lr, col_acc = f"params.{LR_KEY}", f"metrics.{ACC}"
    acc_filter = f"metrics.`{ACC}` >= {acc_min}"
    high_lrs = sorted((v for v in lr_values if float(v) > 1e-3), key=float)

    def all_runs(filter_string=""):
        return mlflow.search_runs(experiment_ids=[exp_id], filter_string=filter_string,
                                  max_results=n)

    def list_df():
        return len(all_runs())

    def list_paged():
        count, token = 0, None
        while True:
            page = client.search_runs([exp_id], max_results=PAGE, page_token=token)
            count += len(page)
            token = page.token
            if not token:
                return count

    def filter_pandas():
        df = all_runs(acc_filter)
        if df.empty:  # no matching run: MLflow returns a DataFrame without columns
            return 0
        return int((df[col_lr].astype(float) > 1e-3).sum())

    def filter_per_value():
        dfs = [all_runs(f"params.`{LR_KEY}` = '{v}' and {acc_filter}") for v in high_lrs]
        return len(pd.concat(dfs)) if dfs else 0

    def group():
        df = all_runs()
        g = df.groupby(["params.model", col_lr])[col_acc].agg(["mean", "std", "count"])
        return len(g.sort_values("mean", ascending=False))

    def export():
        out = work / "mlflow-export.csv"
        all_runs().to_csv(out, index=False)
        return csv_rows(out)

    steps = [
        ("list", "mlflow.search_runs(max_results=N) -> DataFrame", list_df),
        ("list", f"MlflowClient.search_runs paged ({PAGE}/page)", list_paged),
        ("filter", f"search_runs(\"{acc_filter}\") + lr > 1e-3 in pandas", filter_pandas),
        ("filter", f"{len(high_lrs)} x search_runs(\"params.`{LR_KEY}` = 'v' and {acc_filter}\")",
         filter_per_value),
        ("analyze", "search_runs -> groupby(model, lr) mean/std/count, sorted", group),
        ("export", "search_runs -> DataFrame.to_csv", export),
    ]
    results = []
    for step, what, fn in steps:
        walls = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            rows = fn()
            walls.append(time.perf_counter() - t0)
        results.append({"step": step, "mlflow": what, "wall_s": min(walls), "rows": rows})

    # What MLflow refuses: numeric comparison, IN and OR on params (recorded, not timed).
    refused = {}
    for f in (f"params.`{LR_KEY}` > '0.001'",
              f"params.`{LR_KEY}` IN ({', '.join(repr(v) for v in high_lrs)})",
              f"params.`{LR_KEY}` = '{high_lrs[0] if high_lrs else 1}' or {acc_filter}"):
        try:
            client.search_runs([exp_id], filter_string=f, max_results=1)
            refused[f] = "accepted"
        except Exception as e:  # MlflowException: INVALID_PARAMETER_VALUE
            refused[f] = str(e).splitlines()[0][:200]
    return results, refused


# --------------------------------------------------------------------------------------------
# Report


def fmt(x, digits=3):
    return "—" if x is None else f"{x:.{digits}f}"


def markdown(sweep, mlf, corpus, versions, load):
    lines = [
        f"Corpus: {corpus['runs']:,} runs, {corpus['records']:,} records, "
        f"{corpus['bytes'] / 1e6:,.1f} MB",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        "",
        "| step | sweep wall (s) | sweep max RSS (MB) | sweep rows | MLflow equivalent "
        "| MLflow wall (s) | MLflow rows |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = []
    for step in ("ingest", "re-ingest", "list", "filter", "analyze", "export"):
        s = sweep[step]
        ms = [m for m in mlf if m["step"] == step] or [{
            "mlflow": "bulk SQL load, not compared (below)" if step == "ingest"
            else "none (no idempotent import)", "wall_s": None, "rows": None}]
        for j, m in enumerate(ms):
            first = j == 0
            row = {
                "step": step, "sweep_command": s["command"] if first else None,
                "sweep_wall_s": s["wall_s"] if first else None,
                "sweep_max_rss_mb": s["max_rss_mb"] if first else None,
                "sweep_rows": s["rows"] if first else None,
                "mlflow": m["mlflow"], "mlflow_wall_s": m["wall_s"], "mlflow_rows": m["rows"],
            }
            rows.append(row)
            lines.append(
                f"| {step if first else ''} | {fmt(row['sweep_wall_s']) if first else ''} "
                f"| {fmt(row['sweep_max_rss_mb'], 1) if first else ''} "
                f"| {'' if row['sweep_rows'] is None else row['sweep_rows']} | {m['mlflow']} "
                f"| {fmt(m['wall_s'])} | {'' if m['rows'] is None else m['rows']} |"
            )
    lines += [
        "",
        f"MLflow load (not compared): {fmt(load['load_total_s'], 1)} s in all = schema and "
        f"experiment {fmt(load['schema_and_experiment_s'], 2)} s + the first run through the "
        f"API {fmt(load['api_one_run_s'], 2)} s + bulk SQL {fmt(load['bulk_sql_s'], 1)} s; "
        f"read back and verified in {fmt(load['verify_s'], 1)} s. Through the API all runs "
        f"would take about {load['api_estimate_all_runs_s']:,.0f} s "
        f"({load['api_estimate_all_runs_s'] / 3600:.1f} h).",
        f"MLflow import {fmt(load['import_s'], 2)} s (not in the MLflow walls; sweep's walls "
        f"include its process start).",
        f"sweep max RSS from {sweep['rss_from']}. "
        f"Stores: sweep {sweep['store_bytes'] / 1e6:,.1f} MB, mlflow.db "
        f"{load['db_bytes'] / 1e6:,.1f} MB.",
    ]
    return "\n".join(lines), rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path, help="written by make_corpus.py")
    ap.add_argument("sweep_bin", help="the sweep binary")
    ap.add_argument("work", type=Path, help="scratch directory (stores, outputs, JSON)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="time each query step R times and keep the fastest (default 1)")
    ap.add_argument("--acc-min", type=float, default=0.6,
                    help="the filter's val/acc threshold (default 0.6)")
    args = ap.parse_args()
    corpus, work = args.corpus.resolve(), args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    sweep_bin = shutil.which(args.sweep_bin) or args.sweep_bin

    files = corpus_files(corpus)
    corpus_info = scan_corpus(files)
    print(f"corpus: {corpus_info}", file=sys.stderr)

    print("sweep ...", file=sys.stderr)
    sweep = sweep_side(sweep_bin, corpus, work, args.acc_min, args.repeat)

    print("mlflow: import and load ...", file=sys.stderr)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    t0 = time.perf_counter()
    import mlflow
    import_s = time.perf_counter() - t0
    logging.getLogger("alembic").setLevel(logging.WARNING)
    db_path = work / "mlflow.db"
    for p in (db_path, work / "mlflow-export.csv"):
        p.unlink(missing_ok=True)
    shutil.rmtree(work / "mlartifacts", ignore_errors=True)
    uri = f"sqlite:///{db_path}"
    mlflow.set_tracking_uri(uri)
    client, exp_id, expected, load = load_mlflow(mlflow, uri, db_path, files, work)
    load["import_s"] = import_s
    print("mlflow: verify ...", file=sys.stderr)
    load["verify_s"] = verify_mlflow(client, exp_id, expected, files)

    print("mlflow: queries ...", file=sys.stderr)
    lr_values = {p[LR_KEY] for p, _ in expected.values()}
    mlf, refused = mlflow_side(mlflow, client, exp_id, len(files), lr_values, work,
                               args.acc_min, args.repeat)

    # Both tools must return the same runs: all of them, and the same count for the filter.
    checks = {
        "list": sweep["list"]["rows"] == len(files)
        and all(m["rows"] == len(files) for m in mlf if m["step"] == "list"),
        "filter": all(m["rows"] == sweep["filter"]["rows"] for m in mlf if m["step"] == "filter"),
        "export": all(m["rows"] == sweep["export"]["rows"] for m in mlf if m["step"] == "export"),
        "analyze_groups": all(m["rows"] == sweep["analyze"]["rows"]
                              for m in mlf if m["step"] == "analyze"),
    }

    sweep_version = subprocess.run([sweep_bin, "--version"], capture_output=True, text=True)
    versions = {
        "sweep": sweep_version.stdout.strip().removeprefix("sweep ") or "?",
        "mlflow": mlflow.__version__,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    try:
        import pandas
        import sqlalchemy
        versions.update(pandas=pandas.__version__, sqlalchemy=sqlalchemy.__version__)
    except ImportError:
        pass

    text, rows = markdown(sweep, mlf, corpus_info, versions, load)
    print(text)
    print("\nSame runs returned:", ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in checks.items()))
    print("MLflow filters on params it refuses (hence the two workarounds above):")
    for f, why in refused.items():
        print(f"  {f}: {why}")

    report = {
        "corpus": {**corpus_info, "dir": str(corpus)},
        "versions": versions,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "repeat": args.repeat,
        "rows": rows,
        "sweep": sweep,
        "mlflow_load": load,
        "mlflow_refused_filters": refused,
        "same_runs": checks,
    }
    (work / "tracking_bench.json").write_text(json.dumps(report, indent=2) + "\n")
    if not all(checks.values()):
        sys.exit("the two tools returned different runs (see above)")


if __name__ == "__main__":
    main()
