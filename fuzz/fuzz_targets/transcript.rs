//! The transcript parser (.txt/.md): any bytes give a parsed file or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qabot::transcript::{parse_bytes, Format};

fuzz_target!(|data: &[u8]| {
    let _ = parse_bytes(data, Format::Text, "fuzz");
});
