//! The finding codes of SPEC's table, their severities, and a set of codes as a bitset.

use serde::Serialize;

/// How serious a finding is; `--fail-on` compares against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// Whether a finding of this severity makes the run fail at `--fail-on` (`None`: never).
    pub fn fails_at(self, fail_on: Option<Severity>) -> bool {
        fail_on.is_some_and(|threshold| self >= threshold)
    }
}

/// A finding code of SPEC's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    AsymmetricRoute,
    ExpressrouteBypassed,
    UnexpectedExpressroute,
    OneSidedFlow,
    MediaOverTcp,
    PathSplit,
    UnknownPath,
    MediaHairpin,
    MediaLoss,
    MediaJitter,
    DscpNotPreserved,
    DscpUnmarked,
    MediaReorder,
    MediaRtt,
    NatPoolShared,
}

impl Code {
    /// Every code, in the report's order.
    pub const ALL: [Code; 15] = [
        Code::AsymmetricRoute,
        Code::ExpressrouteBypassed,
        Code::UnexpectedExpressroute,
        Code::OneSidedFlow,
        Code::MediaOverTcp,
        Code::PathSplit,
        Code::UnknownPath,
        Code::MediaHairpin,
        Code::MediaLoss,
        Code::MediaJitter,
        Code::DscpNotPreserved,
        Code::DscpUnmarked,
        Code::MediaReorder,
        Code::MediaRtt,
        Code::NatPoolShared,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::AsymmetricRoute => "asymmetric-route",
            Code::ExpressrouteBypassed => "expressroute-bypassed",
            Code::UnexpectedExpressroute => "unexpected-expressroute",
            Code::OneSidedFlow => "one-sided-flow",
            Code::MediaOverTcp => "media-over-tcp",
            Code::PathSplit => "path-split",
            Code::UnknownPath => "unknown-path",
            Code::MediaHairpin => "media-hairpin",
            Code::MediaLoss => "media-loss",
            Code::MediaJitter => "media-jitter",
            Code::DscpNotPreserved => "dscp-not-preserved",
            Code::DscpUnmarked => "dscp-unmarked",
            Code::MediaReorder => "media-reorder",
            Code::MediaRtt => "media-rtt",
            Code::NatPoolShared => "nat-pool-shared",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Code::AsymmetricRoute
            | Code::ExpressrouteBypassed
            | Code::UnexpectedExpressroute
            | Code::NatPoolShared => Severity::Error,
            Code::OneSidedFlow
            | Code::MediaOverTcp
            | Code::PathSplit
            | Code::MediaHairpin
            | Code::MediaLoss
            | Code::MediaJitter
            | Code::DscpNotPreserved
            | Code::MediaReorder
            | Code::MediaRtt => Severity::Warning,
            Code::UnknownPath | Code::DscpUnmarked => Severity::Info,
        }
    }
}

/// A set of finding codes, one bit per `Code::ALL` entry: room for 64 codes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Codes(u64);

// One bit per code, and every code at the position of its bit in `Code::ALL` (so `iter` lists
// codes in the report's order): checked when the crate is compiled, where an index out of
// bounds is a compile error.
#[allow(clippy::indexing_slicing)]
const _: () = {
    assert!(Code::ALL.len() <= u64::BITS as usize);
    let mut i = 0;
    while i < Code::ALL.len() {
        assert!(Code::ALL[i] as usize == i);
        i += 1;
    }
};

impl Codes {
    pub fn contains(self, code: Code) -> bool {
        self.0 & Codes::bit(code) != 0
    }

    pub fn insert(&mut self, code: Code) {
        self.0 |= Codes::bit(code);
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn bit(code: Code) -> u64 {
        1 << (code as u32)
    }

    /// The codes in `Code::ALL` order (the report's).
    pub fn iter(self) -> impl Iterator<Item = Code> {
        Code::ALL.into_iter().filter(move |c| self.contains(*c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_iterate_in_report_order() {
        let mut codes = Codes::default();
        assert!(codes.is_empty());
        codes.insert(Code::UnknownPath);
        codes.insert(Code::AsymmetricRoute);
        codes.insert(Code::UnknownPath);
        assert!(codes.contains(Code::AsymmetricRoute));
        assert!(!codes.contains(Code::PathSplit));
        assert_eq!(
            codes.iter().collect::<Vec<_>>(),
            [Code::AsymmetricRoute, Code::UnknownPath]
        );
    }

    #[test]
    fn fail_on_threshold() {
        assert!(Severity::Error.fails_at(Some(Severity::Warning)));
        assert!(Severity::Warning.fails_at(Some(Severity::Warning)));
        assert!(!Severity::Info.fails_at(Some(Severity::Warning)));
        assert!(!Severity::Error.fails_at(None));
    }
}
