//! Office 365 endpoint sets (interim: empty until the ranges work lands).

use std::net::IpAddr;

use crate::proto::Transport;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    pub id: u32,
    pub service_area: String,
    pub category: String,
    pub express_route: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Ranges {
    pub source: String,
    pub instance: String,
    pub as_of: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RangesError(pub String);

impl Ranges {
    pub fn bundled() -> Ranges {
        Ranges {
            source: "bundled".into(),
            instance: "worldwide".into(),
            as_of: Some("2025-12-01".into()),
        }
    }
    pub fn load(path: &std::path::Path) -> Result<Ranges, RangesError> {
        Err(RangesError(format!(
            "{}: ranges files are not supported yet",
            path.display()
        )))
    }
    pub fn lookup(&self, _ip: IpAddr, _t: Transport, _port: u16) -> Option<Match> {
        None
    }
}
