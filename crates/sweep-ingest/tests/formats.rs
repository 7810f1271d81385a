//! Hand-made corpora of each format, written into temporary directories.

use serde_json::json;
use std::path::{Path, PathBuf};
use sweep_core::{MetricRecord, RunStatus};
use sweep_ingest::{ForeignRun, Format, Problem, Scan, scan};

fn write(root: &Path, rel: &str, text: impl AsRef<[u8]>) {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

fn scan_dir(root: &Path) -> Scan {
    scan(&[root.to_path_buf()], None)
}

fn only_run(scan: &Scan) -> &ForeignRun {
    assert_eq!(scan.runs.len(), 1, "runs: {:#?}", scan.runs);
    &scan.runs[0]
}

fn rec(pairs: &[(&str, f64)]) -> MetricRecord {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn problems_of(scan: &Scan) -> Vec<(String, Option<usize>)> {
    scan.problems
        .iter()
        .map(|p| {
            (
                p.path.file_name().unwrap().to_string_lossy().into_owned(),
                p.line,
            )
        })
        .collect()
}

// ---- Sweep run directories ----

#[test]
fn a_sweep_run_directory_is_read_with_its_summary_status() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("runs/r-0001");
    write(&run, "config.json", r#"{"lr": 0.1, "model": {"depth": 2}}"#);
    write(
        &run,
        "metrics.jsonl",
        "{\"loss\": 1.0}\n{\"loss\": NaN, \"note\": \"x\"}\n{broken\n{\"note\": \"only text\"}\n{\"loss\": 0.5}\n",
    );
    write(
        &run,
        "summary.json",
        r#"{"id": "r-0001", "status": "pruned", "exit_code": null}"#,
    );
    let found = scan_dir(dir.path());
    let r = only_run(&found);
    assert_eq!(r.format, Format::Sweep);
    assert_eq!(r.experiment, "runs");
    assert_eq!(r.name.as_deref(), Some("r-0001"));
    assert_eq!(r.config, json!({"lr": 0.1, "model": {"depth": 2}}));
    assert_eq!(r.status, RunStatus::Pruned);
    assert_eq!(r.history.len(), 3);
    assert_eq!(r.history.record(0), rec(&[("loss", 1.0)]));
    assert!(r.history.record(1)["loss"].is_nan());
    assert_eq!(r.history.record(2), rec(&[("loss", 0.5)]));
    assert_eq!(problems_of(&found), vec![("metrics.jsonl".into(), Some(3))]);
    assert_eq!(found.failed, 0);
    // The metrics file of a Sweep run is not also read as a JSONL log.
    assert!(found.runs.iter().all(|r| r.format == Format::Sweep));
}

#[test]
fn a_sweep_run_without_summary_is_completed_only_with_history() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ended/config.json", "{}");
    write(
        dir.path(),
        "ended/metrics.jsonl",
        "{\"a\": 1}\n{\"a\": 2}\n",
    );
    write(
        dir.path(),
        "ended/history.jsonl",
        "{\"a\": 1}\n{\"a\": 2}\n{\"a\": 3}\n",
    );
    write(dir.path(), "cut/config.json", "{}");
    write(dir.path(), "cut/metrics.jsonl", "{\"a\": 1}\n");
    let found = scan_dir(dir.path());
    assert_eq!(found.runs.len(), 2);
    let by_name = |n: &str| {
        found
            .runs
            .iter()
            .find(|r| r.name.as_deref() == Some(n))
            .unwrap()
    };
    assert_eq!(by_name("ended").status, RunStatus::Completed);
    assert_eq!(
        by_name("ended").history.len(),
        3,
        "history.jsonl is preferred"
    );
    assert_eq!(by_name("cut").status, RunStatus::Interrupted);
    assert!(found.problems.is_empty(), "{:?}", found.problems);
}

// ---- Generic JSONL ----

#[test]
fn a_jsonl_log_is_read_with_its_config_line_and_steps() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "exp1/baseline.jsonl",
        concat!(
            "{\"config\": {\"lr\": 0.01, \"opt\": {\"name\": \"adam\"}}}\n",
            "{\"step\": 0, \"loss\": 2.0, \"phase\": \"train\"}\n",
            "\n",
            "{\"step\": 1, \"loss\": Infinity\n",
            "[1, 2]\n",
            "{\"_step\": 7, \"step\": 2, \"loss\": \"NaN\", \"ok\": true}\n",
            "{\"phase\": \"done\"}\n",
        ),
    );
    let found = scan_dir(dir.path());
    let r = only_run(&found);
    assert_eq!(r.format, Format::Jsonl);
    assert_eq!(r.experiment, "exp1");
    assert_eq!(r.name.as_deref(), Some("baseline"));
    assert_eq!(r.config, json!({"lr": 0.01, "opt": {"name": "adam"}}));
    assert_eq!(r.status, RunStatus::Completed);
    assert_eq!(r.history.len(), 2);
    assert_eq!(
        r.history.record(0),
        rec(&[("step", 0.0), ("_step", 0.0), ("loss", 2.0)])
    );
    assert_eq!(r.history.record(1)["_step"], 7.0);
    assert_eq!(r.history.record(1)["step"], 2.0);
    assert!(r.history.record(1)["loss"].is_nan());
    assert_eq!(
        problems_of(&found),
        vec![
            ("baseline.jsonl".into(), Some(4)),
            ("baseline.jsonl".into(), Some(5))
        ]
    );
    assert_eq!(found.failed, 0);
}

#[test]
fn a_jsonl_log_takes_a_sibling_yaml_config() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "e/config.yaml",
        "lr: 1e-3\nlayers: [64, 32]\nname: mlp\n",
    );
    write(dir.path(), "e/log.jsonl", "{\"acc\": 0.5}\n");
    write(dir.path(), "f/log.jsonl", "{\"acc\": 0.5}\n");
    let found = scan_dir(dir.path());
    assert_eq!(found.runs.len(), 2);
    let e = found.runs.iter().find(|r| r.experiment == "e").unwrap();
    assert_eq!(
        e.config,
        json!({"lr": 0.001, "layers": [64, 32], "name": "mlp"})
    );
    let f = found.runs.iter().find(|r| r.experiment == "f").unwrap();
    assert_eq!(f.config, json!({}));
}

#[test]
fn a_truncated_last_line_is_dropped_silently() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "x/log.jsonl",
        "{\"a\": 1}\n{\"a\": 2}\n{\"a\": 3, \"b\"",
    );
    let found = scan_dir(dir.path());
    assert_eq!(only_run(&found).history.len(), 2);
    assert!(found.problems.is_empty(), "{:?}", found.problems);

    // The same line with a newline after it is a malformed line, not a cut-off one.
    write(dir.path(), "x/log.jsonl", "{\"a\": 1}\n{\"a\": 3, \"b\"\n");
    let found = scan_dir(dir.path());
    assert_eq!(only_run(&found).history.len(), 1);
    assert_eq!(problems_of(&found), vec![("log.jsonl".into(), Some(2))]);
}

#[test]
fn a_file_that_is_not_utf8_is_a_problem_and_a_failed_run() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.jsonl", [0xff, 0xfe, b'{', b'}', b'\n']);
    write(dir.path(), "good.jsonl", "{\"a\": 1}\n");
    let found = scan_dir(dir.path());
    assert_eq!(only_run(&found).name.as_deref(), Some("good"));
    assert_eq!(found.failed, 1);
    assert_eq!(problems_of(&found), vec![("bad.jsonl".into(), None)]);
    assert!(found.problems[0].reason.contains("UTF-8"));
}

#[test]
fn a_jsonl_file_with_no_object_at_all_is_a_failed_run() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "junk.jsonl", "not json\nnor this\n");
    let found = scan_dir(dir.path());
    assert!(found.runs.is_empty());
    assert_eq!(found.failed, 1);
    assert_eq!(
        problems_of(&found),
        vec![
            ("junk.jsonl".into(), None),
            ("junk.jsonl".into(), Some(1)),
            ("junk.jsonl".into(), Some(2))
        ]
    );
}

/// A `.jsonl` file that is listed but cannot be read gives a problem, not a panic or a run.
/// The file is a link to `/proc/self/mem`, which no process can read from its start (its
/// address 0 is not mapped), root included: file permissions would not stop CI's root.
#[cfg(target_os = "linux")]
#[test]
fn an_unreadable_file_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("locked.jsonl");
    std::os::unix::fs::symlink("/proc/self/mem", &path).unwrap();
    assert!(std::fs::read(&path).is_err(), "/proc/self/mem read from 0");
    let found = scan_dir(dir.path());
    assert!(found.runs.is_empty());
    assert_eq!(found.failed, 1);
    assert!(
        found.problems[0].reason.starts_with("cannot read"),
        "{:?}",
        found.problems
    );
}

// ---- Seed logs ----

const SEED_CONFIG: &str = r#"{"type": "dict_config", "value": {"optim": {"lr": 0.1}, "seed": 3}}"#;

fn seed_log(ending: &str) -> String {
    [
        SEED_CONFIG,
        r#"{"type": "str", "value": "Starting training"}"#,
        r#"{"title": "agg_train", "data_name": "train", "agg_stats": {"loss": 2.5, "acc1": 10.0}}"#,
        r#"{"title": "agg_val", "data_name": "val", "agg_stats": {"loss": 2.7, "acc1": 9.0}}"#,
        r#"{"title": "agg_train", "data_name": "train", "agg_stats": {"loss": 1.5, "acc1": NaN}"#,
        r#"{"title": "agg_train", "data_name": "train", "agg_stats": {"loss": 1.0, "acc1": 40.0}}"#,
        r#"{"title": "agg_val", "agg_stats": {"loss": 1.2, "acc1": 35.0, "note": "x"}}"#,
        ending,
    ]
    .join("\n")
        + "\n"
}

#[test]
fn a_finished_seed_log_is_completed_with_its_training_time() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "sweep_a/lr0.1_s3.jsonl",
        seed_log(r#"{"type": "str", "value": "Training time 1 day, 2:03:04"}"#),
    );
    let found = scan_dir(dir.path());
    let r = only_run(&found);
    assert_eq!(r.format, Format::SeedLog);
    assert_eq!(r.experiment, "sweep_a");
    assert_eq!(r.name.as_deref(), Some("lr0.1_s3"));
    assert_eq!(r.config, json!({"optim": {"lr": 0.1}, "seed": 3}));
    assert_eq!(r.status, RunStatus::Completed);
    assert_eq!(r.tags, vec!["training_time=1 day, 2:03:04".to_string()]);
    assert_eq!((r.started_at, r.ended_at), (None, None));
    assert_eq!(
        r.history.records(),
        vec![
            rec(&[("train/loss", 2.5), ("train/acc1", 10.0), ("epoch", 0.0)]),
            rec(&[("val/loss", 2.7), ("val/acc1", 9.0), ("epoch", 0.0)]),
            rec(&[("train/loss", 1.0), ("train/acc1", 40.0), ("epoch", 1.0)]),
            rec(&[("val/loss", 1.2), ("val/acc1", 35.0), ("epoch", 1.0)]),
        ]
    );
    // The malformed metric line (line 5) is a problem; the rest is read.
    assert_eq!(
        problems_of(&found),
        vec![("lr0.1_s3.jsonl".into(), Some(5))]
    );
}

#[test]
fn a_seed_log_without_training_time_was_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "sweep_a/run.jsonl",
        seed_log(r#"{"type": "str", "value": "Epoch 2 done"}"#),
    );
    let found = scan_dir(dir.path());
    let r = only_run(&found);
    assert_eq!(r.format, Format::SeedLog);
    assert_eq!(r.status, RunStatus::Interrupted);
    assert!(r.tags.is_empty());
    assert_eq!(r.history.len(), 4);

    // `Training time: H:MM:SS` is recognised too.
    write(
        dir.path(),
        "sweep_a/run.jsonl",
        seed_log(r#"{"type": "str", "value": "Training time: 0:42:10"}"#),
    );
    let r = scan_dir(dir.path()).runs.remove(0);
    assert_eq!(r.status, RunStatus::Completed);
    assert_eq!(r.tags, vec!["training_time=0:42:10".to_string()]);
}

// ---- MLflow ----

fn mlflow_run(root: &Path, exp: &str, run: &str, meta: &str) {
    write(root, &format!("mlruns/{exp}/{run}/meta.yaml"), meta);
}

fn mlflow_corpus(root: &Path) {
    write(
        root,
        "mlruns/1/meta.yaml",
        "artifact_location: file:///x/mlruns/1\nexperiment_id: '1'\nlifecycle_stage: active\nname: cifar-sweep\n",
    );
    mlflow_run(
        root,
        "1",
        "abc123",
        "artifact_uri: file:///x\nend_time: 1700000060000\nexperiment_id: '1'\nlifecycle_stage: active\nrun_id: abc123\nrun_name: brave-owl-7\nstart_time: 1700000000000\nstatus: 3\nuser_id: me\n",
    );
    let run = root.join("mlruns/1/abc123");
    write(&run, "params/lr", "0.001");
    write(&run, "params/model.depth", "4\n");
    write(&run, "params/optimizer/name", "adam");
    write(&run, "params/use_bn", "true");
    write(&run, "params/layers", "[1, 2]");
    write(&run, "tags/mlflow.runName", "brave-owl-7");
    write(&run, "tags/mlflow.user", "me");
    write(&run, "tags/team", "vision\n");
    write(
        &run,
        "metrics/train/loss",
        "1700000001000 2.0 0\n1700000002000 1.5 1\nnot a metric line\n1700000003000 nan 2\n",
    );
    write(
        &run,
        "metrics/val_acc",
        "1700000002500 0.4 1\n1700000003500 0.6 2\n",
    );
    write(&run, "artifacts/model/data.jsonl", "{\"not\": \"a run\"}\n");
}

#[test]
fn an_mlflow_run_is_read_with_slashed_keys_merged_by_step() {
    let dir = tempfile::tempdir().unwrap();
    mlflow_corpus(dir.path());
    let found = scan_dir(dir.path());
    let r = only_run(&found);
    assert_eq!(r.format, Format::Mlflow);
    assert_eq!(r.experiment, "cifar-sweep");
    assert_eq!(r.name.as_deref(), Some("brave-owl-7"));
    assert_eq!(r.status, RunStatus::Completed);
    assert_eq!(
        (r.started_at, r.ended_at),
        (Some(1_700_000_000.0), Some(1_700_000_060.0))
    );
    assert_eq!(
        r.config,
        json!({"lr": 0.001, "model.depth": 4, "optimizer/name": "adam", "use_bn": true, "layers": "[1, 2]"})
    );
    assert_eq!(r.tags, vec!["team=vision".to_string()]);
    assert_eq!(r.history.len(), 3);
    assert_eq!(
        r.history.record(0),
        rec(&[("_step", 0.0), ("train/loss", 2.0)])
    );
    assert_eq!(
        r.history.record(1),
        rec(&[("_step", 1.0), ("train/loss", 1.5), ("val_acc", 0.4)])
    );
    assert!(r.history.record(2)["train/loss"].is_nan());
    assert_eq!(r.history.record(2)["val_acc"], 0.6);
    assert_eq!(problems_of(&found), vec![("loss".into(), Some(3))]);
    assert_eq!(found.failed, 0);
}

#[test]
fn a_running_mlflow_run_is_running() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "mlruns/0/meta.yaml",
        "experiment_id: '0'\nname: Default\n",
    );
    mlflow_run(
        dir.path(),
        "0",
        "r1",
        "run_id: r1\nstart_time: 1700000000000\nend_time: null\nstatus: RUNNING\n",
    );
    write(dir.path(), "mlruns/0/r1/tags/mlflow.runName", "fuzzy-cat");
    write(
        dir.path(),
        "mlruns/0/r1/metrics/loss",
        "1700000001000 1.0 0\n",
    );
    let found = scan_dir(dir.path());
    let r = only_run(&found);
    assert_eq!(r.status, RunStatus::Running);
    assert_eq!(r.experiment, "Default");
    assert_eq!(
        r.name.as_deref(),
        Some("fuzzy-cat"),
        "from the mlflow.runName tag"
    );
    assert_eq!((r.started_at, r.ended_at), (Some(1_700_000_000.0), None));
    assert!(r.tags.is_empty());
}

#[test]
fn mlflow_statuses_map_to_run_statuses() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "mlruns/0/meta.yaml", "name: Default\n");
    for (run, status) in [
        ("a", "2"),
        ("b", "4"),
        ("c", "5"),
        ("d", "FINISHED"),
        ("e", "KILLED"),
    ] {
        mlflow_run(
            dir.path(),
            "0",
            run,
            &format!("run_id: {run}\nstatus: {status}\n"),
        );
        write(
            dir.path(),
            &format!("mlruns/0/{run}/metrics/m"),
            "1 1.0 0\n",
        );
    }
    let found = scan_dir(dir.path());
    let statuses: Vec<RunStatus> = found.runs.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        vec![
            RunStatus::Running,
            RunStatus::Failed,
            RunStatus::Interrupted,
            RunStatus::Completed,
            RunStatus::Interrupted
        ]
    );
}

#[test]
fn an_mlflow_run_without_meta_is_a_failed_run_and_trash_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    mlflow_corpus(dir.path());
    write(dir.path(), "mlruns/1/nometa/params/lr", "0.1");
    write(dir.path(), "mlruns/1/nometa/metrics/loss", "1 1.0 0\n");
    write(dir.path(), "mlruns/.trash/9/meta.yaml", "name: gone\n");
    mlflow_run(dir.path(), ".trash/9", "old", "run_id: old\nstatus: 3\n");
    write(dir.path(), "mlruns/.trash/9/old/metrics/loss", "1 1.0 0\n");
    mlflow_run(
        dir.path(),
        "1",
        "deleted",
        "run_id: deleted\nstatus: 3\nlifecycle_stage: deleted\n",
    );
    write(dir.path(), "mlruns/1/deleted/metrics/loss", "1 1.0 0\n");
    let found = scan_dir(dir.path());
    assert_eq!(only_run(&found).name.as_deref(), Some("brave-owl-7"));
    assert_eq!(found.failed, 1);
    let nometa: Vec<&Problem> = found
        .problems
        .iter()
        .filter(|p| p.path.ends_with("nometa"))
        .collect();
    assert_eq!(nometa.len(), 1);
    assert!(nometa[0].reason.contains("meta.yaml"));
}

// ---- Lightning ----

#[test]
fn a_lightning_version_directory_is_read_row_by_row() {
    let dir = tempfile::tempdir().unwrap();
    let v = "lightning_logs/resnet/version_3";
    write(
        dir.path(),
        &format!("{v}/hparams.yaml"),
        "lr: 0.01\noptimizer:\n  name: sgd\n  momentum: 0.9\n",
    );
    write(
        dir.path(),
        &format!("{v}/metrics.csv"),
        "epoch,step,train_loss,val_acc\n0,49,0.9,\n0,49,,0.61\n1,99,0.5,oops\n1,99\n1,149,0.4,0.7,extra\n2,149,nan,0.75\n",
    );
    write(dir.path(), &format!("{v}/checkpoints/last.ckpt"), "binary");
    let found = scan_dir(dir.path());
    let r = only_run(&found);
    assert_eq!(r.format, Format::Lightning);
    assert_eq!(r.experiment, "resnet");
    assert_eq!(r.name.as_deref(), Some("version_3"));
    assert_eq!(r.status, RunStatus::Completed);
    assert_eq!(
        r.config,
        json!({"lr": 0.01, "optimizer": {"name": "sgd", "momentum": 0.9}})
    );
    assert_eq!(r.history.len(), 4);
    assert_eq!(
        r.history.record(0),
        rec(&[("epoch", 0.0), ("_step", 49.0), ("train_loss", 0.9)])
    );
    assert_eq!(
        r.history.record(1),
        rec(&[("epoch", 0.0), ("_step", 49.0), ("val_acc", 0.61)])
    );
    assert_eq!(
        r.history.record(2),
        rec(&[("epoch", 1.0), ("_step", 99.0), ("train_loss", 0.5)])
    );
    assert!(r.history.record(3)["train_loss"].is_nan());
    assert_eq!(
        problems_of(&found),
        vec![
            ("metrics.csv".into(), Some(5)),
            ("metrics.csv".into(), Some(6))
        ]
    );
}

#[test]
fn a_lightning_version_without_hparams_has_an_empty_config() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "logs/exp/version_0/metrics.csv",
        "epoch,step,loss\n0,0,1.0\n0,1,0.5",
    );
    write(dir.path(), "logs/exp/version_1/hparams.yaml", "lr: 1\n");
    let found = scan_dir(dir.path());
    let r = only_run(&found);
    assert_eq!(r.config, json!({}));
    assert_eq!(r.history.len(), 2);
    assert_eq!(found.failed, 1, "version_1 has no metrics.csv");
}

// ---- W&B ----

#[test]
fn a_wandb_run_directory_is_read_from_config_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let run = "wandb/run-20240102_030405-ab12cd34";
    write(
        dir.path(),
        &format!("{run}/files/config.yaml"),
        "wandb_version: 1\n\n_wandb:\n  desc: null\n  value:\n    python_version: 3.11.4\n    t:\n      1: [1, 55]\nlr:\n  desc: null\n  value: 0.003\nmodel:\n  desc: null\n  value:\n    depth: 3\n",
    );
    write(
        dir.path(),
        &format!("{run}/files/wandb-summary.json"),
        r#"{"loss": 0.25, "val/acc": 0.9, "best": NaN, "_step": 99, "_runtime": 60.5, "_timestamp": 1700000100.0, "_wandb": {"runtime": 60}, "hist": {"_type": "histogram"}, "label": "x"}"#,
    );
    write(
        dir.path(),
        &format!("{run}/run-ab12cd34.wandb"),
        [0u8, 1, 2],
    );
    write(dir.path(), &format!("{run}/logs/debug.log"), "log");
    write(
        dir.path(),
        "wandb/run-20240103_000000-zz99/files/config.yaml",
        "lr:\n  value: [0.1\n",
    );
    let found = scan_dir(dir.path());
    assert_eq!(found.runs.len(), 2);
    let r = found
        .runs
        .iter()
        .find(|r| r.name.as_deref() == Some("ab12cd34"))
        .unwrap();
    assert_eq!(r.format, Format::Wandb);
    assert_eq!(r.experiment, "wandb");
    assert_eq!(r.config, json!({"lr": 0.003, "model": {"depth": 3}}));
    assert_eq!(r.status, RunStatus::Completed);
    assert_eq!(r.history.len(), 1);
    let h = &r.history.record(0);
    assert_eq!(
        h.keys().map(String::as_str).collect::<Vec<_>>(),
        vec!["_runtime", "_step", "best", "loss", "val/acc"]
    );
    assert!(h["best"].is_nan());
    assert_eq!(r.ended_at, Some(1_700_000_100.0));
    assert_eq!(r.started_at, Some(1_700_000_100.0 - 60.5));

    // No summary: interrupted; its malformed config is a problem with a line.
    let cut = found
        .runs
        .iter()
        .find(|r| r.name.as_deref() == Some("zz99"))
        .unwrap();
    assert_eq!(cut.status, RunStatus::Interrupted);
    assert_eq!(cut.config, json!({}));
    // The other problems: the malformed config, with lines, and the 3-byte `.wandb` log,
    // which is not a W&B log (the summary stays the only record, above).
    let (logs, configs): (Vec<&Problem>, Vec<&Problem>) = found
        .problems
        .iter()
        .partition(|p| p.path.ends_with("run-ab12cd34.wandb"));
    assert_eq!(logs.len(), 1, "{:?}", found.problems);
    assert!(logs[0].reason.contains("not a W&B log"), "{}", logs[0]);
    assert!(!configs.is_empty());
    assert!(
        configs
            .iter()
            .all(|p| p.path.ends_with("config.yaml") && p.line.is_some())
    );
    assert_eq!(found.failed, 0);
}

/// The runs written by `tests/fixtures/wandb/make.py` (wandb 0.31.0, offline mode).
fn wandb_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wandb")
}

/// The run named `id` of a scan.
fn run_named<'a>(scan: &'a Scan, id: &str) -> &'a ForeignRun {
    scan.runs
        .iter()
        .find(|r| r.name.as_deref() == Some(id))
        .unwrap_or_else(|| panic!("no run {id} in {:#?}", scan.runs))
}

/// The values of `key` in each record of a run's history (`None` where a record lacks it).
fn column(run: &ForeignRun, key: &str) -> Vec<Option<f64>> {
    (0..run.history.len())
        .map(|i| run.history.record(i).get(key).copied())
        .collect()
}

#[test]
fn a_wandb_log_gives_every_logged_step() {
    let found = scan_dir(&wandb_fixtures());
    let full = run_named(&found, "full01");
    assert_eq!(full.format, Format::Wandb);
    assert_eq!(full.experiment, "wandb");
    // Offline, wandb 0.31 writes no config.yaml: the config is the log's.
    assert_eq!(full.config, json!({"lr": 0.01, "model": {"depth": 3}}));
    assert_eq!(
        full.status,
        RunStatus::Completed,
        "an exit record with code 0"
    );
    assert_eq!(full.history.len(), 5);
    let steps = [0.0, 1.0, 2.0, 30.0, 40.0];
    assert_eq!(column(full, "_step"), steps.map(Some));
    let loss = column(full, "loss");
    assert_eq!(loss[..2], [Some(1.0), Some(0.8)]);
    assert!(loss[2].is_some_and(f64::is_nan), "NaN is kept: {loss:?}");
    assert_eq!(loss[3..], [Some(0.5), Some(0.4)]);
    assert_eq!(
        column(full, "acc"),
        [0.5, 0.6, 0.7, 0.8, 0.9].map(Some).to_vec()
    );
    // A nested dict is named as W&B names it; text and W&B's own `_timestamp` are dropped.
    assert_eq!(column(full, "nested.a"), [Some(1.0); 5].to_vec());
    for i in 0..5 {
        let keys: Vec<String> = full.history.record(i).into_keys().collect();
        assert_eq!(
            keys,
            ["_runtime", "_step", "acc", "loss", "nested.a"],
            "{i}"
        );
    }
    let (start, end) = (full.started_at.unwrap(), full.ended_at.unwrap());
    assert!(
        start > 1.6e9 && end >= start && end - start < 600.0,
        "{start} {end}"
    );
    assert!(
        found
            .problems
            .iter()
            .all(|p| !p.path.to_string_lossy().contains("full01")),
        "{:?}",
        found.problems
    );

    let failed = run_named(&found, "fail01");
    assert_eq!(failed.status, RunStatus::Failed, "finish(exit_code=2)");
    assert_eq!(column(failed, "_step"), vec![Some(0.0), Some(1.0)]);
    assert!(failed.ended_at.is_some());
}

#[test]
fn a_wandb_log_cut_mid_record_keeps_the_steps_before_the_cut() {
    let found = scan_dir(&wandb_fixtures());
    let cut = run_named(&found, "cut01");
    assert_eq!(
        cut.status,
        RunStatus::Interrupted,
        "no exit record, no summary"
    );
    assert_eq!(column(cut, "_step"), vec![Some(0.0), Some(1.0), Some(2.0)]);
    assert_eq!(column(cut, "acc"), vec![Some(0.5), Some(0.6), Some(0.7)]);
    assert_eq!(cut.config, json!({"lr": 0.01, "model": {"depth": 3}}));
    assert_eq!(cut.ended_at, None);
    let cut_problems: Vec<&Problem> = found
        .problems
        .iter()
        .filter(|p| p.path.ends_with("run-cut01.wandb"))
        .collect();
    assert_eq!(cut_problems.len(), 1, "{:?}", found.problems);
    assert!(
        cut_problems[0].reason.contains("cut off"),
        "{}",
        cut_problems[0]
    );

    // Killed by os._exit: wandb-core had flushed only the log's header. Nothing to read.
    assert_eq!(found.runs.len(), 3, "{:#?}", found.runs);
    assert_eq!(found.failed, 1);
    let killed: Vec<&Problem> = found
        .problems
        .iter()
        .filter(|p| p.path.to_string_lossy().ends_with("-kill01"))
        .collect();
    assert_eq!(killed.len(), 1, "{:?}", found.problems);
    assert!(killed[0].reason.contains("killed before"), "{}", killed[0]);
}

/// The fixture log of `id`.
fn fixture_log(id: &str) -> Vec<u8> {
    let runs = wandb_fixtures().join("wandb");
    let dir = std::fs::read_dir(&runs)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(&format!("-{id}")))
        .unwrap()
        .path();
    std::fs::read(dir.join(format!("run-{id}.wandb"))).unwrap()
}

#[test]
fn an_online_wandb_run_takes_config_yaml_and_the_logs_history() {
    let dir = tempfile::tempdir().unwrap();
    let run = "wandb/run-20240101_000000-full01";
    write(
        dir.path(),
        &format!("{run}/run-full01.wandb"),
        fixture_log("full01"),
    );
    write(
        dir.path(),
        &format!("{run}/files/config.yaml"),
        "lr:\n  value: 0.5\n",
    );
    write(
        dir.path(),
        &format!("{run}/files/wandb-summary.json"),
        r#"{"loss": 0.4, "nested": {"a": 1}, "_step": 40, "_timestamp": 1700000000.5}"#,
    );
    let found = scan_dir(dir.path());
    let r = only_run(&found);
    assert!(found.problems.is_empty(), "{:?}", found.problems);
    assert_eq!(r.config, json!({"lr": 0.5}));
    assert_eq!(r.history.len(), 5, "the log's history, not the summary");
    assert_eq!(r.status, RunStatus::Completed);
    assert_eq!(r.ended_at, Some(1_700_000_000.5));
}

#[test]
fn a_garbage_wandb_log_is_a_problem_and_the_summary_is_the_only_record() {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut noise = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect()
    };
    let headed = [b":W&B\xe1\xbe\x00".to_vec(), noise(70_000)].concat();
    for (case, bytes) in [("no header", noise(5000)), ("header", headed)] {
        let dir = tempfile::tempdir().unwrap();
        let run = "wandb/run-20240101_000000-g1";
        write(dir.path(), &format!("{run}/run-g1.wandb"), bytes);
        write(
            dir.path(),
            &format!("{run}/files/wandb-summary.json"),
            r#"{"loss": 0.25, "nested": {"a": 2, "h": {"_type": "histogram", "n": 1}}, "_step": 9}"#,
        );
        let found = scan_dir(dir.path());
        let r = only_run(&found);
        assert_eq!(r.status, RunStatus::Completed, "{case}: the summary exists");
        assert_eq!(
            r.history.records(),
            vec![rec(&[("loss", 0.25), ("nested.a", 2.0), ("_step", 9.0)])],
            "{case}"
        );
        assert!(!found.problems.is_empty(), "{case}");
        assert!(
            found
                .problems
                .iter()
                .all(|p| p.path.ends_with("run-g1.wandb") && !p.reason.is_empty()),
            "{case}: {:?}",
            found.problems
        );
        assert_eq!(found.failed, 0);
    }

    // A garbage log and nothing else: the run cannot be read.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "wandb/run-x-g2/run-g2.wandb", [1u8, 2, 3]);
    let found = scan_dir(dir.path());
    assert!(found.runs.is_empty());
    assert_eq!(found.failed, 1);
    assert_eq!(found.problems.len(), 2, "{:?}", found.problems);
}

// ---- The whole scan ----

fn mixed_tree(root: &Path) {
    write(root, "sweep/runs/r1/config.json", r#"{"a": 1}"#);
    write(root, "sweep/runs/r1/metrics.jsonl", "{\"loss\": 1}\n");
    write(root, "logs/plain.jsonl", "{\"loss\": 1}\n");
    write(root, "logs/seed.jsonl", format!("{SEED_CONFIG}\n"));
    mlflow_corpus(root);
    write(root, "pl/exp/version_0/metrics.csv", "step,loss\n0,1.0\n");
    write(
        root,
        "wandb/run-20240101_000000-w1/files/wandb-summary.json",
        r#"{"loss": 1}"#,
    );
    write(root, "notes/readme.md", "# notes");
    write(root, "notes/data.csv", "a,b\n1,2\n");
    write(root, "notes/config.yaml", "x: [");
}

#[test]
fn detection_picks_each_runs_format_in_a_mixed_tree() {
    let dir = tempfile::tempdir().unwrap();
    mixed_tree(dir.path());
    let found = scan_dir(dir.path());
    let mut formats: Vec<(Format, Option<String>)> = found
        .runs
        .iter()
        .map(|r| (r.format, r.name.clone()))
        .collect();
    formats.sort();
    assert_eq!(
        formats,
        vec![
            (Format::Sweep, Some("r1".into())),
            (Format::Jsonl, Some("plain".into())),
            (Format::SeedLog, Some("seed".into())),
            (Format::Mlflow, Some("brave-owl-7".into())),
            (Format::Lightning, Some("version_0".into())),
            (Format::Wandb, Some("w1".into())),
        ]
    );
    // Unknown files (the notes, an unrelated broken YAML) are ignored; the only problem
    // is the malformed MLflow metric line.
    assert_eq!(problems_of(&found), vec![("loss".into(), Some(3))]);
    let origins: Vec<&str> = found.runs.iter().map(|r| r.origin.as_str()).collect();
    let mut sorted = origins.clone();
    sorted.sort();
    assert_eq!(origins, sorted, "runs are sorted by origin");
    let canonical = std::fs::canonicalize(dir.path()).unwrap();
    for r in &found.runs {
        let (format, path) = r.origin.split_once(':').unwrap();
        assert_eq!(format, r.format.name());
        assert!(Path::new(path).starts_with(&canonical), "{}", r.origin);
    }
}

#[test]
fn scanning_twice_gives_the_same_runs_and_origins() {
    let dir = tempfile::tempdir().unwrap();
    mixed_tree(dir.path());
    let first = scan_dir(dir.path());
    let second = scan_dir(dir.path());
    // NaN != NaN, so compare through Debug text.
    assert_eq!(format!("{first:?}"), format!("{second:?}"));
    // A relative-looking alias and overlapping paths give the same origins, each run once.
    let alias = dir.path().join("logs/../logs");
    let again = scan(
        &[
            dir.path().to_path_buf(),
            alias,
            dir.path().join("sweep/runs/r1"),
        ],
        None,
    );
    assert_eq!(format!("{:?}", again.runs), format!("{:?}", first.runs));
}

#[test]
fn a_format_filter_reads_only_that_format() {
    let dir = tempfile::tempdir().unwrap();
    mixed_tree(dir.path());
    let found = scan(&[dir.path().to_path_buf()], Some(Format::Jsonl));
    let r = only_run(&found);
    assert_eq!(r.format, Format::Jsonl);
    assert_eq!(r.name.as_deref(), Some("plain"));
    assert!(found.problems.is_empty(), "{:?}", found.problems);
    let mlflow = scan(&[dir.path().to_path_buf()], Some(Format::Mlflow));
    assert_eq!(only_run(&mlflow).format, Format::Mlflow);
}

#[test]
fn files_can_be_given_directly() {
    let dir = tempfile::tempdir().unwrap();
    mixed_tree(dir.path());
    let paths: Vec<PathBuf> = [
        "logs/plain.jsonl",
        "sweep/runs/r1/metrics.jsonl",
        "pl/exp/version_0/metrics.csv",
        "notes/readme.md",
        "missing.jsonl",
    ]
    .iter()
    .map(|p| dir.path().join(p))
    .collect();
    let found = scan(&paths, None);
    let formats: Vec<Format> = found.runs.iter().map(|r| r.format).collect();
    assert_eq!(formats.len(), 3);
    assert!(formats.contains(&Format::Jsonl));
    assert!(
        formats.contains(&Format::Sweep),
        "a Sweep run's file gives its run"
    );
    assert!(formats.contains(&Format::Lightning));
    assert_eq!(
        problems_of(&found),
        vec![("missing.jsonl".into(), None), ("readme.md".into(), None)]
    );
}

#[cfg(unix)]
#[test]
fn directory_symlinks_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a/log.jsonl", "{\"x\": 1}\n");
    std::os::unix::fs::symlink(dir.path(), dir.path().join("a/loop")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("a"), dir.path().join("alias")).unwrap();
    let found = scan_dir(dir.path());
    assert_eq!(found.runs.len(), 1);
    assert!(found.problems.is_empty());
}

#[test]
fn formats_have_names_and_problems_print_with_lines() {
    for f in Format::ALL {
        assert_eq!(f.name().parse::<Format>(), Ok(f));
    }
    assert_eq!("MLflow".parse::<Format>(), Ok(Format::Mlflow));
    let err = "tensorboard".parse::<Format>().unwrap_err();
    assert!(err.contains("seed-log") && err.contains("wandb"), "{err}");
    let p = Problem {
        path: PathBuf::from("a/b.jsonl"),
        line: Some(3),
        reason: "invalid JSON".into(),
    };
    assert_eq!(p.to_string(), "a/b.jsonl:3: invalid JSON");
    let p = Problem { line: None, ..p };
    assert_eq!(p.to_string(), "a/b.jsonl: invalid JSON");
}

#[test]
fn hostile_inputs_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "a/empty.jsonl", "");
    write(
        root,
        "a/seed.jsonl",
        "{\"type\": \"dict_config\", \"value\": 3}\n{\"agg_stats\": 1}\n{\"title\": \"agg_\", \"agg_stats\": {}}\n{\"type\": \"str\", \"value\": \"Training time 9\"}\n",
    );
    write(root, "m/meta.yaml", "- not\n- a mapping\n");
    write(root, "m/r/meta.yaml", "status: [1]\nstart_time: soon\n");
    write(root, "m/r/metrics/x", "1 2 3 4\n\u{fffd} a b\n");
    write(root, "m/s/meta.yaml", ": : :\n\t- [\n");
    write(root, "m/s/params/p", [0xffu8]);
    write(root, "pl/version_0/metrics.csv", "");
    write(root, "pl/version_1/metrics.csv", "\"unclosed,quote\n1,2\n");
    write(root, "sw/config.json", "[1]");
    write(root, "sw/metrics.jsonl", "\"x\"\n");
    write(root, "sw/summary.json", "{\"status\": \"exploded\"}");
    write(root, "wandb/run-x-y/files/wandb-summary.json", "[]");
    write(root, "wandb/run-x-z/files/config.yaml", "- 1\n");
    let found = scan_dir(root);
    assert!(!found.problems.is_empty());
    for p in &found.problems {
        assert!(!p.to_string().is_empty());
    }
    assert_eq!(found.failed, 1, "the MLflow run with unreadable meta.yaml");
    assert_eq!(found.runs.len(), 8);
}
