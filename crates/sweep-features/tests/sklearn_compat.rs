//! Known cases with expected values computed by scikit-learn 1.9.1 (Python 3.11).

use sweep_features::{
    Analyzer, CsrMatrix, DocFreq, FeaturesError, Norm, Vectorizer, VectorizerConfig, VectorizerKind,
};

const DOCS: [&str; 4] = [
    "The cat sat on the mat.",
    "The dog sat on the log!",
    "Cats and dogs: the cat, the dog.",
    "A bird sat on the cat's mat",
];

const CHAR_DOCS: [&str; 4] = ["ab ab", "abc", "b  a", "c\ta"];

fn config(json: &str) -> VectorizerConfig {
    serde_json::from_str(json).expect("test config parses")
}

/// Asserts that `m` equals the rows of (column, value) pairs (stored zeros ignored).
#[track_caller]
fn assert_rows(m: &CsrMatrix, expected: &[&[(u32, f64)]]) {
    assert_eq!(m.n_rows, expected.len(), "row count");
    for (i, want) in expected.iter().enumerate() {
        let (cols, vals) = m.row(i);
        assert!(
            cols.windows(2).all(|w| w[0] < w[1]),
            "row {i}: columns sorted, unique"
        );
        let got: Vec<(u32, f32)> = cols
            .iter()
            .zip(vals)
            .filter(|(_, v)| **v != 0.0)
            .map(|(c, v)| (*c, *v))
            .collect();
        assert_eq!(got.len(), want.len(), "row {i}: {got:?} vs {want:?}");
        for ((gc, gv), (wc, wv)) in got.iter().zip(want.iter()) {
            assert_eq!(gc, wc, "row {i}: columns {got:?} vs {want:?}");
            assert!(
                (f64::from(*gv) - wv).abs() < 1e-6,
                "row {i} col {gc}: {gv} vs {wv}"
            );
        }
    }
}

#[test]
fn word_bigrams_min_df_sublinear_tfidf() {
    // TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    let cfg = config(r#"{"ngram_min":1,"ngram_max":2,"min_df":2,"sublinear_tf":true}"#);
    let (v, x) = Vectorizer::fit_transform(&cfg, &DOCS).expect("fit");
    assert_eq!(
        v.feature_names(),
        [
            "cat", "dog", "mat", "on", "on the", "sat", "sat on", "the", "the cat", "the dog"
        ]
    );
    assert_eq!(v.column("the cat"), Some(8));
    assert_eq!(v.column("bird"), None);
    let idf = v.idf().expect("idf");
    let want_idf = [
        1.2231435513142097,
        1.5108256237659907,
        1.5108256237659907,
        1.2231435513142097,
        1.2231435513142097,
        1.2231435513142097,
        1.2231435513142097,
        1.0,
        1.2231435513142097,
        1.5108256237659907,
    ];
    for (a, b) in idf.iter().zip(want_idf) {
        assert!((a - b).abs() < 1e-12);
    }
    assert_rows(
        &x,
        &[
            &[
                (0, 0.3254397220305791),
                (2, 0.40198280120660457),
                (3, 0.3254397220305791),
                (4, 0.3254397220305791),
                (5, 0.3254397220305791),
                (6, 0.3254397220305791),
                (7, 0.45049278738071696),
                (8, 0.3254397220305791),
            ],
            &[
                (1, 0.412475988571448),
                (3, 0.33393486154644686),
                (4, 0.33393486154644686),
                (5, 0.33393486154644686),
                (6, 0.33393486154644686),
                (7, 0.46225225870712056),
                (9, 0.412475988571448),
            ],
            &[
                (0, 0.37884209793106316),
                (1, 0.4679453595618738),
                (7, 0.5244154942403959),
                (8, 0.37884209793106316),
                (9, 0.4679453595618738),
            ],
            &[
                (0, 0.34934021231856877),
                (2, 0.43150466158747897),
                (3, 0.34934021231856877),
                (4, 0.34934021231856877),
                (5, 0.34934021231856877),
                (6, 0.34934021231856877),
                (7, 0.2856085141790751),
                (8, 0.34934021231856877),
            ],
        ],
    );
    // fit + transform equals fit_transform; unseen terms are ignored.
    let v2 = Vectorizer::fit(&cfg, &DOCS).expect("fit");
    assert_eq!(v2.transform(&DOCS), x);
    let y = v.transform(&["the cat sat on the dog", "nothing known here"]);
    assert_rows(
        &y,
        &[
            &[
                (0, 0.3019563004387275),
                (1, 0.37297610363905576),
                (3, 0.3019563004387275),
                (4, 0.3019563004387275),
                (5, 0.3019563004387275),
                (6, 0.3019563004387275),
                (7, 0.4179856552330448),
                (8, 0.3019563004387275),
                (9, 0.37297610363905576),
            ],
            &[],
        ],
    );
}

#[test]
fn char_ngrams_with_df_bounds() {
    // CountVectorizer(analyzer="char", ngram_range=(2, 3), min_df=2, max_df=3)
    let cfg = config(
        r#"{"kind":"count","analyzer":"char","ngram_min":2,"ngram_max":3,"min_df":2,"max_df":3}"#,
    );
    let (v, x) = Vectorizer::fit_transform(&cfg, &CHAR_DOCS).expect("fit");
    assert_eq!(v.feature_names(), [" a", "ab", "b ", "b a"]);
    assert_rows(
        &x,
        &[
            &[(0, 1.0), (1, 2.0), (2, 1.0), (3, 1.0)],
            &[(1, 1.0)],
            &[(0, 1.0), (2, 1.0), (3, 1.0)],
            &[],
        ],
    );
}

#[test]
fn char_wb_ngrams_tfidf() {
    // TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3))
    let cfg = config(r#"{"analyzer":"char_wb","ngram_min":2,"ngram_max":3}"#);
    let (v, x) = Vectorizer::fit_transform(&cfg, &CHAR_DOCS).expect("fit");
    assert_eq!(
        v.feature_names(),
        [
            " a", " a ", " ab", " b", " b ", " c", " c ", "a ", "ab", "ab ", "abc", "b ", "bc",
            "bc ", "c "
        ]
    );
    assert_rows(
        &x,
        &[
            &[
                (0, 0.29462843463227384),
                (2, 0.4451321885325025),
                (8, 0.4451321885325025),
                (9, 0.5645937386324167),
                (11, 0.4451321885325025),
            ],
            &[
                (0, 0.23023944874847488),
                (2, 0.3478516587709524),
                (8, 0.3478516587709524),
                (10, 0.4412057217485169),
                (12, 0.4412057217485169),
                (13, 0.4412057217485169),
                (14, 0.3478516587709524),
            ],
            &[
                (0, 0.25656107858013294),
                (1, 0.3876190515799047),
                (3, 0.4916456170427456),
                (4, 0.4916456170427456),
                (7, 0.3876190515799047),
                (11, 0.3876190515799047),
            ],
            &[
                (0, 0.256561078580133),
                (1, 0.3876190515799048),
                (5, 0.4916456170427457),
                (6, 0.4916456170427457),
                (7, 0.3876190515799048),
                (14, 0.3876190515799048),
            ],
        ],
    );
}

#[test]
fn max_df_and_max_features() {
    // CountVectorizer(max_df=0.75, max_features=3): "the" (4 documents) is dropped,
    // then the 3 most frequent (3 each; the next has 2, so no tie at the cut-off).
    let cfg = VectorizerConfig {
        max_df: DocFreq::Fraction(0.75),
        max_features: Some(3),
        ..VectorizerConfig::count()
    };
    let (v, x) = Vectorizer::fit_transform(&cfg, &DOCS).expect("fit");
    assert_eq!(v.feature_names(), ["cat", "on", "sat"]);
    assert_rows(
        &x,
        &[
            &[(0, 1.0), (1, 1.0), (2, 1.0)],
            &[(1, 1.0), (2, 1.0)],
            &[(0, 1.0)],
            &[(0, 1.0), (1, 1.0), (2, 1.0)],
        ],
    );

    // CountVectorizer(max_df=2, min_df=0.5): an integer max_df is a document count.
    let cfg = config(r#"{"kind":"count","max_df":2,"min_df":0.5}"#);
    let (v, x) = Vectorizer::fit_transform(&cfg, &DOCS).expect("fit");
    assert_eq!(v.feature_names(), ["dog", "mat"]);
    assert_rows(&x, &[&[(1, 1.0)], &[(0, 1.0)], &[(0, 1.0)], &[(1, 1.0)]]);
}

#[test]
fn max_features_ties_break_by_term() {
    // Every term occurs once: the first terms in sorted order are kept.
    let cfg = VectorizerConfig {
        max_features: Some(2),
        ..VectorizerConfig::count()
    };
    let v = Vectorizer::fit(&cfg, &["delta beta", "alpha gamma"]).expect("fit");
    assert_eq!(v.feature_names(), ["alpha", "beta"]);
}

#[test]
fn hashing_matches_sklearn() {
    // HashingVectorizer(n_features=16, ngram_range=(1, 2))
    let cfg = VectorizerConfig {
        n_features: 16,
        ..VectorizerConfig::hashing().with_ngram_range(1, 2)
    };
    let v = Vectorizer::fit(&cfg, &[] as &[&str]).expect("hashing needs no data");
    assert_eq!(v.n_features(), 16);
    assert!(v.feature_names().is_empty());
    let x = v.transform(&DOCS);
    assert_eq!(x.n_cols, 16);
    assert_rows(
        &x,
        &[
            &[
                (1, 0.2581988897471611),
                (2, 0.2581988897471611),
                (4, 0.2581988897471611),
                (6, 0.2581988897471611),
                (8, -0.2581988897471611),
                (11, -0.2581988897471611),
                (14, -0.7745966692414834),
            ],
            &[
                (1, 0.5547001962252291),
                (4, 0.2773500981126146),
                (5, -0.2773500981126146),
                (7, -0.5547001962252291),
                (8, -0.2773500981126146),
                (14, -0.2773500981126146),
                (15, 0.2773500981126146),
            ],
            &[
                (5, -0.2773500981126146),
                (7, 0.2773500981126146),
                (8, 0.2773500981126146),
                (10, -0.5547001962252291),
                (13, -0.2773500981126146),
                (14, -0.5547001962252291),
                (15, 0.2773500981126146),
            ],
            &[
                (2, 0.4472135954999579),
                (5, 0.4472135954999579),
                (8, -0.4472135954999579),
                (11, -0.4472135954999579),
                (14, -0.4472135954999579),
            ],
        ],
    );
    // HashingVectorizer() defaults: 2^20 columns, alternate_sign, l2.
    let (v, x) = Vectorizer::fit_transform(
        &VectorizerConfig::hashing(),
        &["naïve café", "hello world hello"],
    )
    .expect("fit");
    assert_eq!(v.n_features(), 1 << 20);
    assert_rows(
        &x,
        &[
            &[(558549, 0.7071067811865475), (790280, 0.7071067811865475)],
            &[(639749, -0.4472135954999579), (784967, 0.8944271909999159)],
        ],
    );
}

#[test]
fn hashing_keeps_cancelled_collisions_as_stored_zeros() {
    // As scipy's sum_duplicates: +1 and -1 in one column leave a stored 0.
    let cfg = VectorizerConfig {
        n_features: 1,
        norm: Some(Norm::None),
        ..VectorizerConfig::hashing()
    };
    // murmurhash3_32("ab") < 0 and murmurhash3_32("hello") > 0.
    let x = Vectorizer::fit(&cfg, &[] as &[&str])
        .expect("fit")
        .transform(&["ab hello"]);
    assert_eq!(x.row(0), (&[0u32][..], &[0.0f32][..]));
}

fn analyze(json: &str, doc: &str) -> Vec<String> {
    let mut got = Analyzer::new(&config(json)).expect("analyzer").analyze(doc);
    got.sort();
    got
}

const UNI_DOC: &str = "Naïve\u{301} ΟΔΟΣ  tab\there\n\nnew  İx ²³ नमस्ते a_b";

#[test]
fn analyzers_follow_python_unicode() {
    // sorted(CountVectorizer(**kw).build_analyzer()(UNI_DOC))
    assert_eq!(
        analyze(r#"{"ngram_min":1,"ngram_max":3}"#, UNI_DOC),
        [
            "a_b",
            "here",
            "here new",
            "here new ²³",
            "naïve",
            "naïve οδος",
            "naïve οδος tab",
            "new",
            "new ²³",
            "new ²³ नमस",
            "tab",
            "tab here",
            "tab here new",
            "²³",
            "²³ नमस",
            "²³ नमस a_b",
            "οδος",
            "οδος tab",
            "οδος tab here",
            "नमस",
            "नमस a_b"
        ]
    );
    assert_eq!(
        analyze(r#"{"token_pattern":"(?u)\\b\\w+\\b"}"#, UNI_DOC),
        [
            "a_b",
            "here",
            "i",
            "naïve",
            "new",
            "tab",
            "x",
            "²³",
            "οδος",
            "त",
            "नमस"
        ]
    );
    assert_eq!(
        analyze(
            r#"{"analyzer":"char_wb","ngram_min":1,"ngram_max":1}"#,
            UNI_DOC
        )
        .concat(),
        "                  _aaabbeeeehinnrtvwx²³ï\u{301}\u{307}δοοςतनमसे्"
    );
    let wb = analyze(
        r#"{"analyzer":"char_wb","ngram_min":2,"ngram_max":4}"#,
        UNI_DOC,
    );
    assert_eq!(wb.len(), 102);
    for g in [" i̇x", "ος ", "नमस्", "्ते ", "\u{301} ", "e\u{301}"] {
        assert!(wb.iter().any(|x| x == g), "{g:?}");
    }
    let ch = analyze(
        r#"{"analyzer":"char","ngram_min":1,"ngram_max":3}"#,
        UNI_DOC,
    );
    assert_eq!(ch.len(), 123);
    for g in ["\t", "\th", "ab\t", "e n", "w i", "i̇x", "ς t"] {
        assert!(ch.iter().any(|x| x == g), "{g:?}");
    }
    // Only runs of 2+ whitespace become one space: no "\n" survives, the tab does.
    assert!(!ch.iter().any(|x| x.contains('\n')));
}

#[test]
fn custom_token_patterns_follow_python_findall() {
    let doc = "Hi, it's a Test-case: café x2!";
    // One capturing group: the group is the token, '' when it did not take part.
    assert_eq!(
        analyze(r#"{"token_pattern":"[a-z]+(\\d)?"}"#, doc),
        ["", "", "", "", "", "", "", "2"]
    );
    assert_eq!(
        analyze(r#"{"lowercase":false,"token_pattern":"\\S+"}"#, UNI_DOC),
        [
            "Naïve\u{301}",
            "a_b",
            "here",
            "new",
            "tab",
            "²³",
            "İx",
            "ΟΔΟΣ",
            "नमस्ते"
        ]
    );
    // Python's \b: a combining mark ends a word.
    assert_eq!(
        analyze(r#"{"token_pattern":"\\b\\w[\\w']+\\b"}"#, "नमस्ते it's"),
        ["it's", "नमस"]
    );
    // Empty matches, as Python 3.7+ re.findall(r"\w*", "ab cd") == ['ab', '', 'cd', ''].
    let a = Analyzer::new(&config(r#"{"token_pattern":"\\w*"}"#)).expect("analyzer");
    assert_eq!(a.analyze("ab cd"), ["ab", "", "cd", ""]);
}

#[test]
fn errors_are_typed() {
    let empty = Vectorizer::fit(&VectorizerConfig::tfidf(), &["a", "!"]);
    assert!(matches!(empty, Err(FeaturesError::EmptyVocabulary)));
    let none: &[&str] = &[];
    assert!(matches!(
        Vectorizer::fit(&VectorizerConfig::count(), none),
        Err(FeaturesError::EmptyVocabulary)
    ));
    let cfg = config(r#"{"min_df":3,"max_df":2}"#);
    assert!(matches!(
        Vectorizer::fit(&cfg, &DOCS),
        Err(FeaturesError::MaxDfBelowMinDf { .. })
    ));
    // 4 documents: max_df resolves to 3.8 < min_df 5.
    let cfg = config(r#"{"min_df":5}"#);
    assert!(matches!(
        Vectorizer::fit(&cfg, &DOCS),
        Err(FeaturesError::MaxDfBelowMinDf { .. })
    ));
    // No term is in 3.6 to 3.8 documents.
    let cfg = config(r#"{"min_df":0.9,"max_df":0.95}"#);
    assert!(matches!(
        Vectorizer::fit(&cfg, &DOCS),
        Err(FeaturesError::NoTermsRemain)
    ));
    let cfg = config(r#"{"token_pattern":"(unclosed"}"#);
    assert!(matches!(
        Vectorizer::fit(&cfg, &DOCS),
        Err(FeaturesError::TokenPattern { .. })
    ));
    let cfg = config(r#"{"token_pattern":"(a)(b)"}"#);
    assert!(matches!(
        Vectorizer::fit(&cfg, &DOCS),
        Err(FeaturesError::InvalidConfig {
            field: "token_pattern",
            ..
        })
    ));
    let cfg = config(r#"{"ngram_min":2,"ngram_max":1}"#);
    assert!(matches!(
        Vectorizer::fit(&cfg, &DOCS),
        Err(FeaturesError::InvalidConfig {
            field: "ngram_max",
            ..
        })
    ));
}

#[test]
fn saved_vectorizer_reloads_and_is_checked() {
    let cfg = config(r#"{"ngram_min":1,"ngram_max":2,"min_df":2,"sublinear_tf":true}"#);
    let (v, x) = Vectorizer::fit_transform(&cfg, &DOCS).expect("fit");
    let json = serde_json::to_string(&v).expect("serialize");
    let back: Vectorizer = serde_json::from_str(&json).expect("reload");
    assert_eq!(back.feature_names(), v.feature_names());
    assert_eq!(back.config(), v.config());
    assert_eq!(back.transform(&DOCS), x);

    let hashing = Vectorizer::fit(&VectorizerConfig::hashing(), &DOCS).expect("fit");
    let back: Vectorizer =
        serde_json::from_str(&serde_json::to_string(&hashing).expect("serialize")).expect("reload");
    assert_eq!(back.config().kind, VectorizerKind::Hashing);
    assert_eq!(back.transform(&DOCS), hashing.transform(&DOCS));

    let mut value: serde_json::Value = serde_json::from_str(&json).expect("json");
    value["extra"] = serde_json::json!(1);
    assert!(serde_json::from_value::<Vectorizer>(value).is_err());
    let bad = [
        // unsorted vocabulary
        r#"{"config":{"kind":"count"},"vocabulary":["b","a"]}"#,
        // idf length
        r#"{"config":{},"vocabulary":["a","b"],"idf":[1.0]}"#,
        // missing idf for tfidf
        r#"{"config":{},"vocabulary":["a"]}"#,
        // vocabulary for hashing
        r#"{"config":{"kind":"hashing"},"vocabulary":["a"]}"#,
        // unknown config key
        r#"{"config":{"kinds":"count"},"vocabulary":["a"]}"#,
    ];
    for b in bad {
        assert!(serde_json::from_str::<Vectorizer>(b).is_err(), "{b}");
    }
    let ok: Vectorizer =
        serde_json::from_str(r#"{"config":{"kind":"count"},"vocabulary":["aa","bb"]}"#)
            .expect("ok");
    let m = ok.transform(&["bb aa bb cc"]);
    assert_eq!(m.row(0), (&[0u32, 1][..], &[1.0f32, 2.0][..]));
}

#[test]
fn vectorizer_is_shareable_and_debug_is_short() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Vectorizer>();
    let v = Vectorizer::fit(&VectorizerConfig::tfidf(), &DOCS).expect("fit");
    let s = format!("{v:?}");
    assert!(s.contains("n_features: 11") && s.len() < 1000, "{s}");
}

#[test]
fn output_does_not_depend_on_thread_count() {
    // Enough text for many chunks.
    let words = [
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
        "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi",
    ];
    let mut seed: u64 = 42;
    let docs: Vec<String> = (0..6_000)
        .map(|_| {
            let mut d = String::new();
            for _ in 0..12 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                d.push_str(words[(seed >> 33) as usize % words.len()]);
                d.push(' ');
            }
            d
        })
        .collect();
    let configs = [
        config(r#"{"ngram_min":1,"ngram_max":3,"min_df":2,"sublinear_tf":true}"#),
        config(
            r#"{"kind":"count","analyzer":"char_wb","ngram_min":2,"ngram_max":4,"max_features":500}"#,
        ),
        config(r#"{"kind":"hashing","ngram_min":1,"ngram_max":2,"n_features":4096}"#),
    ];
    for cfg in &configs {
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool")
                .install(|| {
                    let (v, x) = Vectorizer::fit_transform(cfg, &docs).expect("fit");
                    let y = v.transform(&docs[..1000]);
                    (
                        v.feature_names().to_vec(),
                        v.idf().map(<[f64]>::to_vec),
                        x,
                        y,
                    )
                })
        };
        let one = run(1);
        let two = run(2);
        assert!(one == two, "{cfg:?}");
        assert_eq!(one.2.select_rows(&(0..1000).collect::<Vec<_>>()), one.3);
    }
}
