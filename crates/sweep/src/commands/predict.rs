//! `sweep predict`: a trained run's model on new texts.

use crate::InvalidInput;
use crate::cli::PredictFormat;
use crate::load::user_lookup;
use crate::output::num;
use crate::resolve::run_trainer;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;
use sweep_store::Store;

pub fn predict(
    store: &dyn Store,
    run_id: &str,
    input: &Path,
    text: &str,
    label: &str,
    format: PredictFormat,
    out_path: Option<&Path>,
) -> Result<()> {
    let run = user_lookup(store.run(run_id))?;
    let Some(trainer) = run_trainer(store, &run) else {
        return Err(InvalidInput(format!(
            "run {} has no saved model: only runs of a built-in `trainer:` can predict",
            run.id
        ))
        .into());
    };
    let dir = store.run_dir(&run.id);
    let field = |f: &str| match f.parse::<usize>() {
        Ok(i) => sweep_data::FieldRef::Index(i),
        Err(_) => sweep_data::FieldRef::name(f),
    };
    let defaults = sweep_data::SourceDefaults {
        text: field(text),
        label: field(label),
        ..Default::default()
    };
    let data = sweep_data::load_unlabeled(&sweep_data::DataSource::new(input), &defaults)
        .map_err(|e| InvalidInput(e.to_string()))?;
    for p in &data.skipped {
        eprintln!("warning: skipped {p}");
    }
    let labelled = data.labels.iter().all(|l| !l.is_empty());
    let sweep_core::Predictions {
        classes,
        predictions,
    } = trainer
        .predict(&dir, &data.texts, labelled.then_some(&data.labels[..]))
        .map_err(|e| InvalidInput(format!("run {}: {e}", run.id)))?;
    let mut sink: Box<dyn Write> = match out_path {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    match format {
        PredictFormat::Jsonl => {
            for p in &predictions {
                serde_json::to_writer(&mut sink, p)?;
                writeln!(sink)?;
            }
        }
        PredictFormat::Csv => {
            let mut w = csv::Writer::from_writer(&mut sink);
            let mut header = vec!["index".to_string(), "text".into()];
            if labelled {
                header.push("label".into());
            }
            header.push("predicted".into());
            // Probabilities as `p_<class>`; a model without them gives its decision values
            // as `score_<class>`.
            let first = predictions.first();
            let prefix = if first.is_some_and(|p| p.proba.is_some()) {
                Some("p_")
            } else if first.is_some_and(|p| p.scores.is_some()) {
                Some("score_")
            } else {
                None
            };
            if let Some(prefix) = prefix {
                header.extend(classes.iter().map(|c| format!("{prefix}{c}")));
            }
            w.write_record(&header)?;
            for p in &predictions {
                let mut row = vec![p.index.to_string(), p.text.clone()];
                if labelled {
                    row.push(p.label.clone().unwrap_or_default());
                }
                row.push(p.predicted.clone());
                if let Some(values) = p.proba.as_ref().or(p.scores.as_ref()) {
                    row.extend(
                        classes
                            .iter()
                            .map(|c| values.get(c).map(|v| v.to_string()).unwrap_or_default()),
                    );
                }
                w.write_record(&row)?;
            }
            w.flush()?;
        }
    }
    sink.flush()?;
    if labelled && !predictions.is_empty() {
        let correct = predictions
            .iter()
            .filter(|p| p.label.as_deref() == Some(p.predicted.as_str()))
            .count();
        eprintln!(
            "{} texts, accuracy {} ({correct} correct) with run {}",
            predictions.len(),
            num(correct as f64 / predictions.len() as f64),
            run.id
        );
    } else {
        eprintln!("{} texts predicted with run {}", predictions.len(), run.id);
    }
    Ok(())
}
