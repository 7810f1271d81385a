//! Training-step time of every neural model against PyTorch on the same shapes, side by side
//! in one run: `cargo bench -p sweep-neural --bench steps [-- NAME …]`.
//!
//! One step is forward → loss → backward → optimizer step on a batch of 64 texts of 64
//! random token ids (vocabulary 20,000, 4 classes), AdamW (lr 1e-3, weight decay 0.01),
//! burn's `flex` backend on one thread; 3 steps of warm-up, then the median and minimum of
//! 10 timed steps. The sizes are the models' defaults (embeddings 128; TextCNN 100 filters
//! of widths 3, 4, 5; recurrent states 128; Transformer 2 layers, 4 heads, feed-forward
//! 256; CNN+LSTM 100 filters of width 3). `fasttext` is the text classifier's sparse model
//! (`sweep-textclf`, dim 100): the time of 64 examples of 64 tokens within a pass of 6,400.
//!
//! The PyTorch side is `benches/torch_steps.py` (the same models and shapes), run with
//! `SWEEP_BENCH_PYTHON` (a benchmark-only venv: `pip install torch numpy`; PyTorch is never
//! a runtime or CI dependency). Without it the table has the Rust column alone and says so.

use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::Device;
use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;
use sweep_neural::loss::{Loss, LossConfig};
use sweep_neural::model::{Network, NeuralModel};
use sweep_neural::nn::{Batch, Generator};
use sweep_neural::rnn::{CnnLstmConfig, RnnConfig};
use sweep_neural::textcnn::TextCnnConfig;
use sweep_neural::transformer::TransformerConfig;

const BATCH: usize = 64;
const LEN: usize = 64;
const VOCAB: usize = 20_000;
const CLASSES: usize = 4;
const WARMUP: usize = 3;
const STEPS: usize = 10;

fn models() -> Vec<(&'static str, NeuralModel)> {
    let rnn = RnnConfig::default();
    vec![
        ("textcnn", NeuralModel::Textcnn(TextCnnConfig::default())),
        ("lstm", NeuralModel::Lstm(rnn.clone())),
        ("bilstm", NeuralModel::Bilstm(rnn.clone())),
        ("gru", NeuralModel::Gru(rnn)),
        (
            "transformer",
            NeuralModel::Transformer(TransformerConfig::default()),
        ),
        ("cnn_lstm", NeuralModel::CnnLstm(CnnLstmConfig::default())),
    ]
}

/// A small generator for the token ids and labels.
fn ids(n: usize, modulo: u64, seed: u64) -> Vec<u64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (s >> 33) % modulo
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// (median, min) ms per step of a burn model.
fn burn_steps(model: &NeuralModel) -> (f64, f64, usize) {
    let device = Device::flex().autodiff();
    let mut network = Network::new(model, VOCAB, CLASSES, LEN, &device, &mut Generator::new(0));
    let params = network.parameters().0;
    let mut optim = AdamWConfig::new().with_weight_decay(0.01).init();
    let loss = Loss::new(
        &LossConfig::default(),
        &(0..CLASSES).map(|c| c.to_string()).collect::<Vec<_>>(),
        &[],
    )
    .expect("the default loss");
    let tokens: Vec<i64> = ids(BATCH * LEN, VOCAB as u64 - 1, 1)
        .into_iter()
        .map(|v| v as i64 + 1)
        .collect();
    let targets: Vec<usize> = ids(BATCH, CLASSES as u64, 2)
        .into_iter()
        .map(|v| v as usize)
        .collect();
    let texts: Vec<&[i64]> = tokens.chunks(LEN).collect();
    let mut dropout = Generator::for_epoch(0, 1);
    let mut times = Vec::new();
    for step in 0..WARMUP + STEPS {
        let start = Instant::now();
        let batch = Batch::new(&texts, network.min_len(), &device);
        let logits = network.forward(&batch, Some(&mut dropout));
        let l = loss.forward(logits, &targets);
        let grads = GradientsParams::from_grads(l.backward(), &network);
        network = optim.step(1e-3, network, grads);
        if step >= WARMUP {
            times.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    let min = times.iter().copied().fold(f64::INFINITY, f64::min);
    (median(times), min, params)
}

/// ms per 64 examples of the sparse fastText-style model, over one pass of 6,400.
fn fasttext_steps() -> (f64, f64, usize) {
    use sweep_features::CsrMatrix;
    use sweep_textclf::models::{FastTextConfig, ModelConfig};
    let n = BATCH * 100;
    let tokens = ids(n * LEN, VOCAB as u64, 3);
    let mut x = CsrMatrix::empty(VOCAB);
    for row in tokens.chunks(LEN) {
        let mut counts: BTreeMap<u32, f32> = BTreeMap::new();
        for &t in row {
            *counts.entry(t as u32).or_default() += 1.0;
        }
        x.push_row(counts);
    }
    let y: Vec<usize> = ids(n, CLASSES as u64, 4)
        .into_iter()
        .map(|v| v as usize)
        .collect();
    let classes: Vec<String> = (0..CLASSES).map(|c| c.to_string()).collect();
    let cfg = ModelConfig::FastText(FastTextConfig {
        dim: 100,
        epochs: 1,
        ..FastTextConfig::default()
    });
    let mut times = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let _ = cfg.fit(&x, &y, &classes);
        times.push(start.elapsed().as_secs_f64() * 1e3 / 100.0);
    }
    let min = times.iter().copied().fold(f64::INFINITY, f64::min);
    (median(times), min, VOCAB * 100 + 100 * CLASSES)
}

/// The PyTorch rows by model name, or why there are none.
fn torch(only: &[String]) -> Result<BTreeMap<String, (f64, f64, String)>, String> {
    let Ok(python) = std::env::var("SWEEP_BENCH_PYTHON") else {
        return Err("SWEEP_BENCH_PYTHON is not set".into());
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/torch_steps.py");
    let mut cmd = Command::new(&python);
    cmd.arg(script)
        .args(["--threads", "1", "--steps", "10", "--warmup", "3"])
        .env("OMP_NUM_THREADS", "1");
    if !only.is_empty() {
        cmd.args(["--only", &only.join(",")]);
    }
    eprintln!("running {script} with {python}...");
    let out = cmd.output().map_err(|e| format!("{python}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{script} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut rows = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("{line}: {e}"))?;
        let name = v["model"].as_str().unwrap_or_default().to_string();
        let median = v["median_ms"].as_f64().unwrap_or(f64::NAN);
        let min = v["min_ms"].as_f64().unwrap_or(f64::NAN);
        let version = v["torch"].as_str().unwrap_or_default().to_string();
        rows.insert(name, (median, min, version));
    }
    Ok(rows)
}

fn main() {
    sweep_neural::nn::keep_freed_memory();
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let mut rows: Vec<(String, (f64, f64, usize))> = Vec::new();
    if wanted("fasttext") {
        eprintln!("fasttext...");
        rows.push(("fasttext".into(), fasttext_steps()));
    }
    for (name, model) in models() {
        if wanted(name) {
            eprintln!("{name}...");
            rows.push((name.into(), burn_steps(&model)));
        }
    }
    let names: Vec<String> = rows.iter().map(|(n, _)| n.clone()).collect();
    let reference = torch(&names);
    println!(
        "training step, batch {BATCH} x {LEN} tokens, vocabulary {VOCAB}, {CLASSES} classes, one thread"
    );
    match &reference {
        Ok(r) => {
            let version = r.values().next().map_or("?", |v| v.2.as_str());
            println!("PyTorch {version} from benches/torch_steps.py in this run");
        }
        Err(why) => println!("no PyTorch column: {why}"),
    }
    println!(
        "| model | parameters | Sweep ms/step (median, min) | PyTorch ms/step (median, min) | ratio |"
    );
    println!("|---|---|---|---|---|");
    for (name, (median, min, params)) in rows {
        let (torch_cell, ratio) = match reference.as_ref().ok().and_then(|r| r.get(&name)) {
            Some((m, mn, _)) => (format!("{m:.1}, {mn:.1}"), format!("{:.2}x", median / m)),
            None => ("-".into(), "-".into()),
        };
        println!("| {name} | {params} | {median:.1}, {min:.1} | {torch_cell} | {ratio} |");
    }
}
