//! Agreement with scikit-learn on the benchmark datasets (`../shared/datasets`, train
//! splits). They fail, saying what is missing, where the folder is absent: CI always has
//! it, and a test that passes without checking is worse than one that fails.

use std::path::PathBuf;

use sweep_features::{Vectorizer, VectorizerConfig};

fn datasets_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/datasets"
    ));
    assert!(
        dir.is_dir(),
        "the shared datasets are missing: {} does not exist (these tests need the \
         project's shared/ folder beside the repository, as CI has it)",
        dir.display()
    );
    dir
}

/// The `text` of each line of `<name>/<split>.jsonl`.
fn load(dir: &std::path::Path, name: &str, split: &str) -> Vec<String> {
    let path = dir.join(name).join(format!("{split}.jsonl"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            let v: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1));
            match v.get("text").and_then(serde_json::Value::as_str) {
                Some(t) => t.to_string(),
                None => panic!("{}:{}: no string `text`", path.display(), i + 1),
            }
        })
        .collect()
}

/// `TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)`, the benchmark's.
fn bench_config() -> VectorizerConfig {
    serde_json::from_str(r#"{"ngram_min":1,"ngram_max":2,"min_df":2,"sublinear_tf":true}"#)
        .expect("config")
}

#[test]
fn vocabulary_sizes_match_sklearn() {
    let dir = datasets_dir();
    // len(TfidfVectorizer(ngram_range=(1, 2), min_df=2).fit(train).vocabulary_)
    let expected = [
        ("deepset_prompt_injections", 2_777),
        ("sms_spam", 12_007),
        ("trec6", 7_283),
        ("ag_news", 47_100),
        ("sst2", 74_055),
    ];
    for (name, size) in expected {
        let docs = load(&dir, name, "train");
        let v = Vectorizer::fit(&bench_config(), &docs).expect("fit");
        assert_eq!(v.n_features(), size, "{name}");
    }
}

#[track_caller]
fn assert_values(v: &Vectorizer, x: &sweep_features::CsrMatrix, expected: &[(usize, &str, f64)]) {
    for &(row, term, want) in expected {
        let col = v
            .column(term)
            .unwrap_or_else(|| panic!("{term:?} not in the vocabulary"));
        let (cols, vals) = x.row(row);
        let got = cols
            .iter()
            .position(|&c| c == col)
            .map(|i| vals[i])
            .unwrap_or_else(|| panic!("row {row}: no value for {term:?}"));
        assert!(
            (f64::from(got) - want).abs() < 1e-6,
            "row {row} {term:?}: {got} vs {want}"
        );
    }
    // Those rows hold exactly the listed terms.
    let mut rows: Vec<usize> = expected.iter().map(|e| e.0).collect();
    rows.dedup();
    for r in rows {
        let n = expected.iter().filter(|e| e.0 == r).count();
        assert_eq!(x.row(r).0.len(), n, "row {r} nnz");
    }
}

#[test]
fn trec6_values_match_sklearn() {
    let dir = datasets_dir();
    let train = load(&dir, "trec6", "train");
    let test = load(&dir, "trec6", "test");
    let (v, x) = Vectorizer::fit_transform(&bench_config(), &train).expect("fit");
    assert_eq!((x.n_rows, x.n_cols, x.nnz()), (5_452, 7_283, 60_686));
    // Every stored value of four training rows, from scikit-learn 1.9.1.
    assert_values(
        &v,
        &x,
        &[
            // "How did serfdom develop in and then leave Russia ?"
            (0, "how", 0.1374141151818421),
            (0, "did", 0.17032360148171752),
            (0, "develop", 0.3979447271162249),
            (0, "in", 0.12038800127307527),
            (0, "and", 0.166513859127251),
            (0, "then", 0.3416134833773499),
            (0, "leave", 0.3583015207901311),
            (0, "russia", 0.3655138926033999),
            (0, "how did", 0.2934398517644812),
            (0, "in and", 0.3979447271162249),
            (0, "and then", 0.3583015207901311),
            // "What films featured the character Popeye Doyle ?"
            (1, "what", 0.07846445934921026),
            (1, "films", 0.40614539940266653),
            (1, "featured", 0.3928168473493448),
            (1, "the", 0.08763361205659155),
            (1, "character", 0.32232563926215746),
            (1, "popeye", 0.4239903267750444),
            (1, "featured the", 0.45108214940977714),
            (1, "the character", 0.4239903267750444),
            // "What was the claim to fame of King Camp Gillette ?"
            (777, "what", 0.0623188635200846),
            (777, "the", 0.06960128387836444),
            (777, "of", 0.09823836715804427),
            (777, "was", 0.13223592515804852),
            (777, "was the", 0.16400293390460832),
            (777, "to", 0.136951891960148),
            (777, "what was", 0.18419292787275957),
            (777, "king", 0.2572583157389879),
            (777, "fame", 0.29986927388871687),
            (777, "claim", 0.29986927388871687),
            (777, "camp", 0.32906622810402686),
            (777, "the claim", 0.32906622810402686),
            (777, "claim to", 0.3169483972399457),
            (777, "to fame", 0.3225730467604347),
            (777, "fame of", 0.3225730467604347),
            (777, "of king", 0.33674603160820743),
            // "What currency is used in Australia ?"
            (5451, "in", 0.13641441153463213),
            (5451, "what", 0.07843630917049108),
            (5451, "is", 0.11603929861665627),
            (5451, "used", 0.2938949039034961),
            (5451, "used in", 0.37318049840626494),
            (5451, "australia", 0.3870900904942536),
            (5451, "is used", 0.42383821455031345),
            (5451, "currency", 0.450920317629781),
            (5451, "currency is", 0.450920317629781),
        ],
    );
    let idf = v.idf().expect("idf");
    for (term, want) in [
        ("000", 7.658011045870748),
        ("26", 8.505308906257952),
        ("zones", 8.505308906257952),
    ] {
        let col = v.column(term).expect("term") as usize;
        assert!((idf[col] - want).abs() < 1e-12, "idf {term}");
    }

    // The fitted vectorizer on the test split (sklearn's transform).
    let y = v.transform(&test);
    assert_eq!((y.n_rows, y.nnz()), (500, 3_875));
    assert_values(
        &v,
        &y,
        &[
            // "How far is it from Denver to Aspen ?"
            (0, "far", 0.37704078730146123),
            (0, "far is", 0.4282225217688734),
            (0, "from", 0.24258123444114366),
            (0, "how", 0.157317772561604),
            (0, "how far", 0.38598899807112),
            (0, "is", 0.11723964326963056),
            (0, "is it", 0.37704078730146123),
            (0, "it", 0.26883901574014524),
            (0, "it from", 0.4282225217688734),
            (0, "to", 0.17415464187095564),
            // "What is e-coli ?"
            (499, "is", 0.5767309649454974),
            (499, "what", 0.3898390356882718),
            (499, "what is", 0.7179184635644036),
        ],
    );
}

#[test]
fn real_data_output_does_not_depend_on_thread_count() {
    let dir = datasets_dir();
    let docs = load(&dir, "sms_spam", "train");
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(|| {
                let (v, x) = Vectorizer::fit_transform(&bench_config(), &docs).expect("fit");
                (v.feature_names().to_vec(), x)
            })
    };
    assert!(run(1) == run(2));
}
