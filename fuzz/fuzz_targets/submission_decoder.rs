//! Fuzzes the submission decoder: JSON and form bodies into fields, and fields into the
//! domain types (see ../harness.rs).
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::submission_decoder(data));
