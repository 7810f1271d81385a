//! `.jsonl` files: the seed log analyzer's logs and generic JSON-lines metric logs.

use crate::text::{
    Line, Outcome, kind, lines, number, origin, parent_name, parse_json, problem, read_config,
    read_text,
};
use crate::{ForeignRun, Format, Problem};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;
use sweep_core::{History, MetricRecord, RunStatus};

/// How many lines from the end a seed log's training-time message may be.
const TRAINING_TIME_WINDOW: usize = 10;

/// Reads one `.jsonl` file as a seed log or a generic JSONL log, or gives nothing when
/// `only` names another format.
pub(crate) fn read(path: &Path, only: Option<Format>) -> Outcome {
    let text = match read_text(path) {
        Ok(text) => text,
        Err(p) => {
            return Outcome {
                run: None,
                problems: vec![p],
                failed: true,
            };
        }
    };
    let lines = lines(&text);
    let first = lines.first().and_then(|l| parse_json(l.text).ok());
    let seed = first
        .as_ref()
        .is_some_and(|v| v.get("type").and_then(Value::as_str) == Some("dict_config"));
    let format = if seed { Format::SeedLog } else { Format::Jsonl };
    if only.is_some_and(|f| f != format) {
        return Outcome::default();
    }
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    let mut run = ForeignRun {
        origin: origin(format, path),
        format,
        experiment: parent_name(path),
        name: stem,
        config: Value::Object(Map::new()),
        history: History::new(),
        status: RunStatus::Completed,
        started_at: None,
        ended_at: None,
        tags: Vec::new(),
    };
    let mut problems = Vec::new();
    let read_any = if seed {
        read_seed_log(path, &lines, &mut run, &mut problems);
        true
    } else {
        read_generic(path, &lines, &mut run, &mut problems)
    };
    if !read_any {
        return Outcome::failed(problems, path, "no line is a JSON object".to_string());
    }
    Outcome {
        run: Some(run),
        problems,
        failed: false,
    }
}

/// Parses a line as a JSON object; a problem otherwise, except for a cut-off last line.
fn object_line(
    path: &Path,
    line: &Line<'_>,
    problems: &mut Vec<Problem>,
) -> Option<Map<String, Value>> {
    match parse_json(line.text) {
        Ok(Value::Object(map)) => Some(map),
        Ok(other) => {
            problems.push(problem(
                path,
                Some(line.number),
                format!("a record must be a JSON object, found {}", kind(&other)),
            ));
            None
        }
        Err(_) if line.unterminated_last => None,
        Err(e) => {
            problems.push(problem(
                path,
                Some(line.number),
                format!("invalid JSON: {e}"),
            ));
            None
        }
    }
}

/// Reads a generic JSONL log into `run`; false when the file has lines but none is a JSON
/// object (nothing could be read).
fn read_generic(
    path: &Path,
    lines: &[Line<'_>],
    run: &mut ForeignRun,
    problems: &mut Vec<Problem>,
) -> bool {
    let mut objects = 0usize;
    let mut config = None;
    let mut fields = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        // The first line may be the config; every other line is a record, read on the fast
        // path when it is plain JSON.
        if i > 0 && crate::fastline::numbers(line.text, &mut fields) {
            objects += 1;
            push_record(
                &mut run.history,
                fields.iter().map(|(k, v)| (k.as_ref(), *v)),
            );
            continue;
        }
        let Some(map) = object_line(path, line, problems) else {
            continue;
        };
        objects += 1;
        if i == 0
            && let Some(c) = map.get("config")
        {
            match c {
                Value::Object(c) => config = Some(Value::Object(c.clone())),
                other => problems.push(problem(
                    path,
                    Some(line.number),
                    format!("`config` is {}, not an object; ignored", kind(other)),
                )),
            }
            continue;
        }
        push_record(
            &mut run.history,
            map.iter()
                .filter_map(|(k, v)| number(v).map(|n| (k.as_str(), n))),
        );
    }
    run.config = match config {
        Some(c) => c,
        None => sibling_config(path, problems),
    };
    objects > 0 || lines.is_empty()
}

/// Appends a generic log's record (its numeric fields) to `history`, with `_step` copied
/// from `step` when the record has no `_step` of its own; a record without numbers adds
/// nothing.
fn push_record<'k>(history: &mut History, fields: impl Iterator<Item = (&'k str, f64)>) {
    history.begin();
    let mut step = None;
    let mut has_step = false;
    for (k, v) in fields {
        match k {
            "step" => step = Some(v),
            "_step" => has_step = true,
            _ => {}
        }
        history.set(k, v);
    }
    if !has_step && let Some(step) = step {
        history.set("_step", step);
    }
    history.end();
}

/// The config in the same directory as a JSONL log (`config.json`, `config.yaml`,
/// `config.yml`, the first found), else `{}`.
fn sibling_config(path: &Path, problems: &mut Vec<Problem>) -> Value {
    let dir = path.parent().unwrap_or(Path::new("."));
    ["config.json", "config.yaml", "config.yml"]
        .into_iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
        .map_or_else(|| Value::Object(Map::new()), |p| read_config(&p, problems))
}

/// Reads a seed log into `run`: the config line, `agg_<split>` metric lines, and the
/// training-time message that marks a finished run.
fn read_seed_log(
    path: &Path,
    lines: &[Line<'_>],
    run: &mut ForeignRun,
    problems: &mut Vec<Problem>,
) {
    let mut epochs: BTreeMap<String, usize> = BTreeMap::new();
    let mut training_time = None;
    for (i, line) in lines.iter().enumerate() {
        let Some(map) = object_line(path, line, problems) else {
            continue;
        };
        if i == 0 {
            match map.get("value") {
                Some(Value::Object(c)) => run.config = Value::Object(c.clone()),
                other => problems.push(problem(
                    path,
                    Some(line.number),
                    format!(
                        "the dict_config `value` is {}, not an object; config read as {{}}",
                        other.map_or("missing", kind)
                    ),
                )),
            }
            continue;
        }
        if let Some(stats) = map.get("agg_stats") {
            let split = map
                .get("data_name")
                .and_then(Value::as_str)
                .or_else(|| {
                    map.get("title")
                        .and_then(Value::as_str)
                        .and_then(|t| t.strip_prefix("agg_"))
                })
                .filter(|s| !s.is_empty());
            let Some(split) = split else {
                problems.push(problem(
                    path,
                    Some(line.number),
                    "a metric line without `data_name` or an `agg_<split>` title",
                ));
                continue;
            };
            let Value::Object(stats) = stats else {
                problems.push(problem(
                    path,
                    Some(line.number),
                    format!("`agg_stats` is {}, not an object", kind(stats)),
                ));
                continue;
            };
            let epoch = epochs.entry(split.to_string()).or_insert(0);
            let mut record: MetricRecord = stats
                .iter()
                .filter_map(|(k, v)| number(v).map(|n| (format!("{split}/{k}"), n)))
                .collect();
            if !record.is_empty() {
                record.insert("epoch".to_string(), *epoch as f64);
                run.history.push(&record);
            }
            *epoch += 1;
            continue;
        }
        if map.get("type").and_then(Value::as_str) == Some("str")
            && lines.len() - i <= TRAINING_TIME_WINDOW
            && let Some(t) = map
                .get("value")
                .and_then(Value::as_str)
                .and_then(parse_training_time)
        {
            training_time = Some(t);
        }
    }
    match training_time {
        Some(t) => {
            run.status = RunStatus::Completed;
            run.tags = vec![format!("training_time={t}")];
        }
        None => run.status = RunStatus::Interrupted,
    }
}

/// The duration of a `Training time H:MM:SS` (or `Training time: …`) message, as written:
/// `H:MM:SS`, optionally with fractional seconds and a leading `N day(s), ` (Python's
/// `timedelta` text).
fn parse_training_time(message: &str) -> Option<String> {
    let at = message.find("Training time")?;
    let rest = message.get(at + "Training time".len()..)?;
    let rest = rest.strip_prefix(':').unwrap_or(rest).trim_start();
    let digits = |s: &str| s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let mut pos = 0;
    // `N day, ` / `N days, `
    let n = digits(rest);
    if n > 0 {
        let after = rest.get(n..)?;
        for word in [" days, ", " day, "] {
            if after.starts_with(word) {
                pos = n + word.len();
                break;
            }
        }
    }
    // H:MM:SS[.ffffff]
    let clock = rest.get(pos..)?;
    let h = digits(clock);
    if h == 0 {
        return None;
    }
    let mut end = h;
    for _ in 0..2 {
        let part = clock.get(end..)?.strip_prefix(':')?;
        if digits(part) != 2 {
            return None;
        }
        end += 3;
    }
    if let Some(frac) = clock.get(end..).and_then(|r| r.strip_prefix('.')) {
        let f = digits(frac);
        if f > 0 {
            end += 1 + f;
        }
    }
    if clock
        .get(end..)?
        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == ':')
    {
        return None;
    }
    rest.get(..pos + end).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::parse_training_time;

    #[test]
    fn training_time_messages_are_recognised() {
        let t = |m: &str| parse_training_time(m);
        assert_eq!(t("Training time 0:12:34").as_deref(), Some("0:12:34"));
        assert_eq!(t("Training time: 12:03:04").as_deref(), Some("12:03:04"));
        assert_eq!(
            t("Training time 1 day, 2:03:04").as_deref(),
            Some("1 day, 2:03:04")
        );
        assert_eq!(
            t(">> Training time: 3 days, 0:00:01.250000").as_deref(),
            Some("3 days, 0:00:01.250000")
        );
        assert_eq!(t("Training time unknown"), None);
        assert_eq!(t("Training time 1:2:3"), None);
        assert_eq!(t("Total time 0:01:00"), None);
        assert_eq!(t("Training time 1 week, 0:01:00"), None);
        assert_eq!(
            t("Training time 0:01:00 (wall)").as_deref(),
            Some("0:01:00")
        );
        assert_eq!(t("Training time 0:01:002"), None);
    }
}
