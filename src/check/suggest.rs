//! `callpath check --suggest`: an expectations file the audited captures satisfy, for a user to
//! tighten: the codes found (allowed, and counted), the flows by app, transport, Office 365
//! set and server port with the paths they all took, the calls by use case with their worst
//! verdict, and the media quality per path, each bound the worst the captures show.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::worst_verdict;
use crate::audit::{loss_percent, Audited, Call, Code, ObservedPath, UseCase};
use crate::proto::App;

/// `[[flows]]` groups written, the largest first.
const MAX_FLOW_GROUPS: usize = 30;

/// `v` rounded up to `step` (0.01 for percentages, 0.1 for ms), never below `v`.
fn ceil_to(v: f64, step: f64) -> f64 {
    let mut b = (v / step - 1e-9).ceil() * step;
    // Rounded to the step's decimals, as TOML will show it.
    b = (b / step).round() * step;
    while b < v {
        b += step;
    }
    // `-0` reads as a bound too, but says nothing a person wants to read.
    b.max(0.0) + 0.0
}

/// The expectations text. `captures` are named in its opening comment.
pub fn suggest(audited: &Audited<'_>, captures: &[&str]) -> String {
    let flows: Vec<_> = (0..audited.len()).filter_map(|i| audited.flow(i)).collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Expectations these captures satisfy (callpath check --suggest): tighten them: lower\n\
         # the counts, remove codes from `allow`, add `no_findings = true` or a `path`.\n\
         # Captures: {}\n",
        captures.join(", ")
    );
    // Codes found, in the report's order.
    let mut counts: Vec<(Code, u64)> = Code::ALL.iter().map(|&c| (c, 0)).collect();
    for f in &flows {
        for code in f.verdict.codes() {
            if let Some((_, n)) = counts.iter_mut().find(|(c, _)| *c == code) {
                *n += 1;
            }
        }
    }
    let found: Vec<(Code, u64)> = counts.into_iter().filter(|(_, n)| *n > 0).collect();
    let names: Vec<String> = found
        .iter()
        .map(|(c, _)| format!("\"{}\"", c.as_str()))
        .collect();
    let _ = writeln!(out, "[findings]\nallow = [{}]\n", names.join(", "));
    out.push_str("[count]\n");
    for c in Code::ALL {
        let n = found.iter().find(|(x, _)| *x == c).map_or(0, |(_, n)| *n);
        // Every error code, so a new one fails even if it is allowed later.
        if n > 0 || c.severity() == crate::audit::Severity::Error {
            let _ = writeln!(out, "{} = {n}", c.as_str());
        }
    }
    out.push('\n');

    // Flows by (app, transport, set, server port): the paths all of them took.
    type GroupKey = (App, &'static str, Option<u32>, u16);
    type Paths = Option<(Option<ObservedPath>, Option<ObservedPath>)>;
    // Per group: flows, their paths (the first flow's), whether all took those.
    let mut groups: BTreeMap<GroupKey, (u64, Paths, bool)> = BTreeMap::new();
    for f in &flows {
        let v = f.verdict;
        let key = (
            v.app,
            f.transport().as_str(),
            v.ends.o365.map(|m| m.id),
            f.server().port,
        );
        let paths = (v.path.forward, v.path.reverse);
        let entry = groups.entry(key).or_insert((0, Some(paths), true));
        entry.0 += 1;
        if entry.1 != Some(paths) {
            entry.2 = false;
        }
    }
    let mut groups: Vec<(GroupKey, u64, Paths)> = groups
        .into_iter()
        // Only what a site keeps an eye on: Office 365 and the call protocols.
        .filter(|((app, _, set, _), _)| {
            set.is_some() || matches!(app, App::Rtp | App::Rtcp | App::Sip | App::Stun)
        })
        .map(|(k, (n, paths, same))| (k, n, if same { paths } else { None }))
        .collect();
    groups.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for ((app, transport, set, port), n, paths) in groups.into_iter().take(MAX_FLOW_GROUPS) {
        let set_text = set.map(|s| format!(" set {s}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "[[flows]]\nname = \"{} {transport}{set_text} port {port}\"\napp = \"{}\"\n\
             transport = \"{transport}\"",
            app.as_str(),
            app.as_str()
        );
        if let Some(s) = set {
            let _ = writeln!(out, "set = {s}");
        }
        let _ = writeln!(out, "port = {port}");
        match paths {
            Some((Some(f), Some(r))) if f == r => {
                let _ = writeln!(out, "path = \"{}\"", f.as_str());
            }
            Some((f, r)) => {
                if let Some(f) = f {
                    let _ = writeln!(out, "forward = \"{}\"", f.as_str());
                }
                if let Some(r) = r {
                    let _ = writeln!(out, "reverse = \"{}\"", r.as_str());
                }
            }
            None => out.push_str("# (their paths differ)\n"),
        }
        let _ = writeln!(out, "min = {n}\n");
    }

    // Calls by use case.
    for u in UseCase::ALL {
        let calls: Vec<&Call> = audited.calls().iter().filter(|c| c.use_case == u).collect();
        if calls.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "[[calls]]\nuse_case = \"{}\"\nverdict = \"{}\"\nmin = {}\n",
            u.as_str(),
            worst_verdict(calls.iter().copied()).as_str(),
            calls.len()
        );
    }

    // Media quality per path: the worst stream's loss and jitter.
    let mut per_path: BTreeMap<&'static str, (f64, Option<f64>)> = BTreeMap::new();
    for f in &flows {
        if f.state.app.media().0.is_empty() {
            continue;
        }
        let Some(media) = f.media() else { continue };
        for s in &media.streams {
            let Some(path) = s.path else { continue };
            let entry = per_path.entry(path.as_str()).or_insert((0.0, None));
            entry.0 = entry
                .0
                .max(loss_percent(s.summary.lost, s.summary.expected));
            if let Some(j) = s.summary.max_jitter_ms {
                entry.1 = Some(entry.1.map_or(j, |m: f64| m.max(j)));
            }
        }
    }
    for (path, (loss, jitter)) in per_path {
        let _ = writeln!(
            out,
            "[[quality]]\npath = \"{path}\"\nmax_loss_percent = {}",
            ceil_to(loss, 0.01)
        );
        if let Some(j) = jitter {
            let _ = writeln!(out, "max_jitter_ms = {}", ceil_to(j, 0.1));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_round_up_never_below() {
        for v in [0.0, 0.07, 0.29, 1.0 / 3.0, 12.345, 99.999] {
            let b = ceil_to(v, 0.01);
            assert!(b >= v && b - v < 0.0101, "{v} -> {b}");
            // What TOML prints reads back as the same number.
            let back: f64 = format!("{b}").parse().unwrap();
            assert!(back >= v);
        }
        assert_eq!(format!("{}", ceil_to(0.0, 0.1)), "0");
        assert!(ceil_to(1.23, 0.1) >= 1.23);
    }
}
