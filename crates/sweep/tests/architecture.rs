//! The dependency rules of ARCHITECTURE.md, checked against the manifests as they stand
//! (`cargo metadata`): a change that makes a crate depend on one it must not fails here.

use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;

/// Each workspace crate's workspace dependencies (normal and build, not dev).
fn workspace_deps() -> BTreeMap<String, Vec<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata JSON");
    let packages = meta["packages"].as_array().expect("packages");
    let names: Vec<String> = packages
        .iter()
        .filter_map(|p| p["name"].as_str().map(String::from))
        .collect();
    packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|d| d["kind"].as_str() != Some("dev"))
                .filter_map(|d| d["name"].as_str())
                .filter(|d| names.iter().any(|n| n == d))
                .map(String::from)
                .collect();
            (p["name"].as_str().unwrap_or_default().to_string(), deps)
        })
        .collect()
}

/// `(crate, crates it must never depend on, why)`; `*` means every workspace crate.
const FORBIDDEN: &[(&str, &[&str], &str)] = &[
    (
        "sweep-core",
        &["*"],
        "the vocabulary depends on no workspace crate",
    ),
    (
        "sweep-exec",
        &[
            "sweep-textclf",
            "sweep-neural",
            "sweep-data",
            "sweep-features",
            "sweep-metrics",
        ],
        "the sweep loop names no trainer: the binary registers them",
    ),
    (
        "sweep-search",
        &["sweep-store", "sweep-exec", "sweep-config"],
        "samplers are pure: same inputs and seed, same answer, no store or processes",
    ),
    (
        "sweep-analysis",
        &["sweep-store", "sweep-exec", "sweep-config"],
        "analysis computes over records it is given; it never loads from the store",
    ),
    (
        "sweep-ingest",
        &[
            "sweep-store",
            "sweep-exec",
            "sweep-search",
            "sweep-analysis",
        ],
        "readers of foreign logs turn files into runs; the binary stores them",
    ),
    (
        "sweep-report",
        &["sweep-store", "sweep-exec"],
        "reports render analysis tables; they never load from the store",
    ),
    (
        "sweep-textclf",
        &["sweep-store", "sweep-exec", "sweep-search", "sweep-config"],
        "a trainer is pure apart from reading its data",
    ),
    (
        "sweep-neural",
        &["sweep-store", "sweep-exec", "sweep-search", "sweep-config"],
        "a trainer is pure apart from reading its data",
    ),
    (
        "sweep-store",
        &["sweep-config", "sweep-search", "sweep-exec"],
        "the store knows the database, not specs or samplers",
    ),
    (
        "sweep-config",
        &["sweep-store", "sweep-exec", "sweep-search"],
        "specs are parsed without a store or a sampler",
    ),
];

#[test]
fn crates_depend_only_as_architecture_md_allows() {
    let deps = workspace_deps();
    assert!(
        deps.contains_key("sweep-core") && deps.contains_key("sweep-exec"),
        "cargo metadata lists the workspace: {:?}",
        deps.keys()
    );
    let mut broken = Vec::new();
    for (krate, its) in &deps {
        // Nothing depends on the binary.
        if its.iter().any(|d| d == "sweep") {
            broken.push(format!("{krate} depends on the binary `sweep`"));
        }
        for (rule_crate, forbidden, why) in FORBIDDEN {
            if krate != rule_crate {
                continue;
            }
            for d in its {
                if forbidden.contains(&"*") || forbidden.contains(&d.as_str()) {
                    broken.push(format!("{krate} depends on {d}: {why}"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn the_rules_name_real_crates() {
    // A rule for a crate that was renamed away would silently check nothing.
    let deps = workspace_deps();
    for (krate, _, _) in FORBIDDEN {
        assert!(
            deps.contains_key(*krate),
            "ARCHITECTURE rule for unknown crate {krate}"
        );
    }
}

/// The binary's modules form layers: `main` → `commands` → the shared modules (`cli`,
/// `error`, `load`, `output`, `resolve`). A command never imports another command, and a
/// shared module never imports a command, so there is no circle to untangle.
#[test]
fn the_binary_s_modules_import_downward_only() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let read = |p: &std::path::Path| {
        std::fs::read_to_string(p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
    };
    let mut broken = Vec::new();
    let commands: Vec<std::path::PathBuf> = std::fs::read_dir(src.join("commands"))
        .expect("src/commands exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n != "mod.rs"))
        .collect();
    assert!(commands.len() >= 10, "one file per command: {commands:?}");
    for path in &commands {
        let text = read(path);
        // `use super::` at the top level reaches the other commands (a test module's own
        // `use super::*`, indented, reaches its file only).
        let sideways = text.lines().any(|l| l.starts_with("use super::"));
        if text.contains("crate::commands") || sideways {
            broken.push(format!("{} imports another command", path.display()));
        }
    }
    for shared in [
        "cli.rs",
        "error.rs",
        "grouped.rs",
        "load.rs",
        "output.rs",
        "resolve.rs",
    ] {
        let text = read(&src.join(shared));
        if text.contains("crate::commands") {
            broken.push(format!("src/{shared} imports a command"));
        }
    }
    let cli = read(&src.join("cli.rs"));
    if cli.contains("use crate::") {
        broken.push("src/cli.rs (argument types only) imports from the binary".into());
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
