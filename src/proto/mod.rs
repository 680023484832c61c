//! Application protocol recognition (interim: every flow is `other` until the protocol
//! parsers land).

use serde::Serialize;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum App {
    Rtp,
    Rtcp,
    Stun,
    Dtls,
    Tls,
    Sip,
    Dns,
    #[default]
    Other,
}

impl App {
    pub fn as_str(self) -> &'static str {
        match self {
            App::Rtp => "rtp",
            App::Rtcp => "rtcp",
            App::Stun => "stun",
            App::Dtls => "dtls",
            App::Tls => "tls",
            App::Sip => "sip",
            App::Dns => "dns",
            App::Other => "other",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

/// One TCP/UDP payload of one packet, borrowed from the capture buffer.
pub struct Payload<'a> {
    pub transport: Transport,
    pub side: u8,
    pub src_port: u16,
    pub dst_port: u16,
    pub tcp_seq: Option<u32>,
    pub tcp_syn: bool,
    pub ts_ns: i64,
    pub data: &'a [u8],
}

#[derive(Clone, Debug, Default)]
pub struct AppState {}

impl AppState {
    pub fn observe(&mut self, _p: &Payload<'_>) {}
    pub fn merge(&mut self, _other: &AppState) {}
    pub fn summary(&self, _client_side: u8) -> AppSummary {
        AppSummary::default()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AppSummary {
    pub app: App,
    pub sni: Option<String>,
}
