//! Phase timings on stderr when `CALLPATH_TIMINGS` is set: benchmark support, not a feature.

use std::time::Instant;

use super::CaptureSummary;

/// The time since the last lap, printed per phase when enabled.
pub struct Timings(Option<Instant>);

impl Timings {
    /// Enabled when the environment variable `CALLPATH_TIMINGS` is set.
    pub fn from_env() -> Timings {
        Timings(std::env::var_os("CALLPATH_TIMINGS").map(|_| Instant::now()))
    }

    /// Prints the time since the previous lap as `phase`.
    pub fn lap(&mut self, phase: &str) {
        if let Some(t) = self.0.as_mut() {
            eprintln!(
                "callpath: timing: {phase} {:.3} s",
                t.elapsed().as_secs_f64()
            );
            *t = Instant::now();
        }
    }

    /// Where each file split across threads waited while it was read.
    pub fn stalls(&self, captures: &[CaptureSummary]) {
        if self.0.is_none() {
            return;
        }
        for s in captures.iter().filter_map(|c| c.stalls.as_ref()) {
            let idle: Vec<String> = s
                .workers_idle
                .iter()
                .map(|d| format!("{:.3}", d.as_secs_f64()))
                .collect();
            eprintln!(
                "callpath: timing: reader blocked {:.3} s, workers idle {} s",
                s.reader_blocked.as_secs_f64(),
                idle.join(" ")
            );
        }
    }
}
