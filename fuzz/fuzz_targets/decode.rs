//! The decoder (BOMs, UTF-16 without BOM, GB18030, Big5, UTF-8): never a panic, and what it
//! accepts is text without NUL.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qabot::transcript::decode::decode;

fuzz_target!(|data: &[u8]| {
    if let Ok((text, _)) = decode(data) {
        assert!(!text.contains('\0'));
    }
});
