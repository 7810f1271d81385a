//! Times `fit_transform` on the benchmark datasets and optionally dumps the result.
//!
//! ```text
//! cargo run --release -p sweep-features --example vectorize_bench -- \
//!     [--datasets DIR] [--config JSON] [--runs N] [--dump OUT_DIR] [NAME ...]
//! ```
//! Default config: `TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)`,
//! as `../shared/bench/sklearn_baseline.py`. `--dump` writes `<NAME>.json` with the
//! vocabulary and the CSR arrays, for comparison with scikit-learn.

use std::time::Instant;

use sweep_features::{Vectorizer, VectorizerConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/datasets").to_string();
    let mut config_json =
        r#"{"kind":"tfidf","ngram_min":1,"ngram_max":2,"min_df":2,"sublinear_tf":true}"#
            .to_string();
    let mut runs = 5;
    let mut dump: Option<String> = None;
    let mut names = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--datasets" => dir = args.next().ok_or("--datasets needs a value")?,
            "--config" => config_json = args.next().ok_or("--config needs a value")?,
            "--runs" => runs = args.next().ok_or("--runs needs a value")?.parse()?,
            "--dump" => dump = Some(args.next().ok_or("--dump needs a value")?),
            _ => names.push(a),
        }
    }
    if names.is_empty() {
        names = [
            "deepset_prompt_injections",
            "sms_spam",
            "trec6",
            "ag_news",
            "sst2",
        ]
        .map(String::from)
        .to_vec();
    }
    let config: VectorizerConfig = serde_json::from_str(&config_json)?;
    println!("threads={}", rayon::current_num_threads());
    for name in &names {
        let docs = load(&format!("{dir}/{name}/train.jsonl"))?;
        let test = load(&format!("{dir}/{name}/test.jsonl"))?;
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..runs.max(1) {
            let t0 = Instant::now();
            let out = Vectorizer::fit_transform(&config, &docs)?;
            times.push(t0.elapsed().as_secs_f64());
            last = Some(out);
        }
        times.sort_by(f64::total_cmp);
        let (v, x) = last.ok_or("no run")?;
        let mut t_times = Vec::new();
        for _ in 0..runs.max(1) {
            let t0 = Instant::now();
            let y = v.transform(&test);
            t_times.push(t0.elapsed().as_secs_f64());
            std::hint::black_box(y);
        }
        t_times.sort_by(f64::total_cmp);
        println!(
            "{name:28} docs={:6} features={:7} nnz={:8} fit_transform median={:.4}s min={:.4}s \
             | transform(test, {} docs) median={:.4}s",
            docs.len(),
            v.n_features(),
            x.nnz(),
            times[times.len() / 2],
            times[0],
            test.len(),
            t_times[t_times.len() / 2],
        );
        if let Some(out) = &dump {
            let j = serde_json::json!({
                "vocabulary": v.feature_names(),
                "indptr": x.indptr, "indices": x.indices, "data": x.data,
            });
            std::fs::write(format!("{out}/{name}.json"), serde_json::to_string(&j)?)?;
        }
    }
    Ok(())
}

/// The `text` of each line of a JSONL file.
fn load(path: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path)?;
    let mut docs = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)?;
        docs.push(
            v["text"]
                .as_str()
                .ok_or("text is not a string")?
                .to_string(),
        );
    }
    Ok(docs)
}
