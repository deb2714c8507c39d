//! The question analyser and ranker over the bundled interview: any question gives an answer or
//! a "not close enough" (a blank one an error), never a panic, and confidences stay within 0 to 1.
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use qabot::store::{Seed, Store};

thread_local! {
    static STORE: RefCell<Store> = RefCell::new({
        let dir = tempfile::tempdir().expect("temp dir").keep();
        Store::open(&dir.join("fuzz.db"), Seed::Bundled).expect("bundled database")
    });
}

fuzz_target!(|data: &[u8]| {
    let Ok(question) = std::str::from_utf8(data) else { return };
    STORE.with(|store| {
        let result = qabot::answer::ask(&mut store.borrow_mut(), question, 0.5);
        // A blank question is refused by design (`the question is empty`); anything else is answered.
        if question.trim().is_empty() {
            assert!(result.is_err(), "a blank question is refused");
            return;
        }
        let answer = result.expect("ask never fails on a question that is not blank");
        assert!((0.0..=1.0).contains(&answer.confidence), "{}", answer.confidence);
        for s in &answer.suggestions {
            assert!((0.0..=1.0).contains(&s.confidence));
        }
    });
});
