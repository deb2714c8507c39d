//! The JSON and JSONL readers: any bytes give interviews or an error with a line, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qabot::transcript::{parse_bytes, Format};

fuzz_target!(|data: &[u8]| {
    let _ = parse_bytes(data, Format::Json, "fuzz");
    let _ = parse_bytes(data, Format::JsonLines, "fuzz");
});
