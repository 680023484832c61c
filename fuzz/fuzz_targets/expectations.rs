//! Expectations files of `callpath check` (`check::parse`) and baselines
//! (`check::Baseline::parse`) on arbitrary UTF-8.
//!
//! Properties, besides "no panic, no abort":
//! - an error names the file (`fuzz.toml:` / `fuzz.json:`); an expectations error lists at
//!   least one problem, each at a line of the text, sorted by line;
//! - an accepted expectations file has at least one expectation, and every `[[flows]]` and
//!   `[[calls]]` entry's `min` is at most its `max`.
#![no_main]

use callpath::check::{self, Baseline};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match check::parse(text, "fuzz.toml") {
        Ok(e) => {
            assert!(
                e.allow.is_some()
                    || !e.counts.is_empty()
                    || !e.flows.is_empty()
                    || !e.calls.is_empty()
                    || !e.quality.is_empty(),
                "accepted without an expectation"
            );
            for f in &e.flows {
                assert!(f.max.is_none_or(|m| f.min <= m));
            }
            for c in &e.calls {
                assert!(c.max.is_none_or(|m| c.min <= m));
            }
        }
        Err(err) => {
            let msg = err.to_string();
            assert!(msg.starts_with("fuzz.toml:"), "{msg}");
            assert!(!err.problems.is_empty());
            let lines = text.lines().count().max(1) + 1;
            for p in &err.problems {
                assert!(p.line >= 1 && p.line <= lines, "line {} of {lines}: {msg}", p.line);
            }
            assert!(err.problems.windows(2).all(|w| w[0].line <= w[1].line));
        }
    }
    if let Err(e) = Baseline::parse(text, "fuzz.json") {
        assert!(e.to_string().starts_with("fuzz.json: "));
    }
});
