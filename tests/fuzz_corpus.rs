//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the fuzz targets'
//! harness on stable Rust, so every `cargo test` re-checks each input the fuzzers found
//! interesting, and a crash the fuzzer once found stays fixed. The fuzzing itself, with
//! libFuzzer on nightly, is in fuzz/README.md.
use std::path::Path;

#[path = "../fuzz/harness.rs"]
mod harness;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut inputs = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(
            outcome.is_ok(),
            "{} panics the {target} target",
            path.display()
        );
        inputs += 1;
    }
    assert!(inputs >= 10, "{target}: only {inputs} corpus inputs");
}

/// Every committed submission-decoder input decodes or is refused without a panic.
#[test]
fn submission_decoder_corpus() {
    replay("submission_decoder", harness::submission_decoder);
}

/// Every committed tokenizer input tokenizes within its promises.
#[test]
fn tokenizer_corpus() {
    replay("tokenizer", harness::tokenizer);
}
