//! The fuzz targets without libFuzzer: every file of `fuzz/corpus/<target>/`
//! (the committed seeds, the minimised corpus and every input that once
//! crashed a target) goes through the same check the target runs
//! (`fuzz/src/lib.rs`, included here by path). So a normal `cargo test`
//! keeps the checks compiling against the parsers they call and fails when
//! a parser breaks on an input the fuzzer once found; the fuzzing itself
//! is `bash scripts/fuzz.sh`.

#[path = "../../fuzz/src/lib.rs"]
mod fuzz_checks;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn checked_names() -> BTreeSet<String> {
    fuzz_checks::TARGETS
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect()
}

/// The `[[bin]]` names of `fuzz/Cargo.toml`: what `cargo fuzz list` runs.
fn cargo_fuzz_targets() -> BTreeSet<String> {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz/Cargo.toml");
    let mut names = BTreeSet::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if let (true, Some(value)) = (in_bin, line.strip_prefix("name = ")) {
            names.insert(value.trim_matches('"').to_owned());
        }
    }
    names
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_fuzz_target_has_a_replayed_check() {
    let bins = cargo_fuzz_targets();
    assert!(bins.len() >= 15, "fuzz/Cargo.toml lists {bins:?}");
    assert_eq!(
        bins,
        checked_names(),
        "[[bin]] names vs fuzz_checks::TARGETS"
    );
    let sources: BTreeSet<String> = files_in(&fuzz_dir().join("fuzz_targets"))
        .iter()
        .filter_map(|p| p.file_stem()?.to_str().map(str::to_owned))
        .collect();
    assert_eq!(sources, bins, "fuzz_targets/*.rs vs [[bin]] names");
    for name in &bins {
        let source = fuzz_dir().join(format!("fuzz_targets/{name}.rs"));
        let text = std::fs::read_to_string(&source).expect("target source");
        assert!(
            text.contains(&format!("wms_fuzz::{name}(data)")),
            "{} must call wms_fuzz::{name}, the check replayed here",
            source.display()
        );
    }
}

#[test]
fn every_corpus_input_passes_its_target_check() {
    let known = checked_names();
    let stray = files_in(&fuzz_dir().join("corpus"));
    assert!(
        stray.is_empty(),
        "files outside a target's corpus: {stray:?}"
    );
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (name, check) in fuzz_checks::TARGETS {
        let files = files_in(&fuzz_dir().join("corpus").join(name));
        assert!(!files.is_empty(), "fuzz/corpus/{name} has no seed");
        for file in files {
            let data = std::fs::read(&file).expect("corpus file");
            if std::panic::catch_unwind(|| check(&data)).is_err() {
                failures.push(file.display().to_string());
            }
            replayed += 1;
        }
    }
    let dirs = std::fs::read_dir(fuzz_dir().join("corpus")).expect("fuzz/corpus");
    for dir in dirs.filter_map(Result::ok) {
        let name = dir.file_name().to_string_lossy().into_owned();
        assert!(known.contains(&name), "fuzz/corpus/{name} has no target");
    }
    assert!(
        failures.is_empty(),
        "{} of {replayed} inputs failed: {failures:#?}",
        failures.len()
    );
}
