//! Site profile (interim: the default internal prefixes only, until the TOML profile lands).

use std::net::IpAddr;

use ipnetwork::IpNetwork;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PathName {
    Expressroute,
    Internet,
    Local,
}

impl PathName {
    pub fn as_str(self) -> &'static str {
        match self {
            PathName::Expressroute => "expressroute",
            PathName::Internet => "internet",
            PathName::Local => "local",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Site {
    pub name: Option<String>,
    pub expressroute: bool,
    pub internal: Vec<IpNetwork>,
}

impl Default for Site {
    fn default() -> Self {
        let internal = [
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "100.64.0.0/10",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "::1/128",
            "fc00::/7",
            "fe80::/10",
        ]
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
        Site {
            name: None,
            expressroute: false,
            internal,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SiteError(pub String);

impl Site {
    pub fn load(path: &std::path::Path) -> Result<Site, SiteError> {
        Err(SiteError(format!(
            "{}: site profiles are not supported yet",
            path.display()
        )))
    }
    pub fn is_internal(&self, ip: IpAddr) -> bool {
        self.internal.iter().any(|n| n.contains(ip))
    }
    pub fn path_for_capture_point(&self, _name: &str) -> Option<PathName> {
        None
    }
    pub fn path_for_ifindex(&self, _i: u32) -> Option<PathName> {
        None
    }
    pub fn path_for_vlan(&self, _v: u16) -> Option<PathName> {
        None
    }
    pub fn path_for_mac(&self, _m: [u8; 6]) -> Option<PathName> {
        None
    }
    pub fn path_for_nat(&self, _ip: IpAddr) -> Option<PathName> {
        None
    }
}
