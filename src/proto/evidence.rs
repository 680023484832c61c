//! What a flow is (`App`) and the evidence the report shows for it: owned (`AppSummary`) or
//! borrowed from the flow's state (`Evidence`), with the SIP summary, the STUN addresses and
//! the per-flow counters.

use std::net::{IpAddr, SocketAddr};

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

/// What a flow is, for the report's `app` field.
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
    /// Every app, in the report's order of names.
    pub const ALL: [App; 8] = [
        App::Rtp,
        App::Rtcp,
        App::Stun,
        App::Dtls,
        App::Tls,
        App::Sip,
        App::Dns,
        App::Other,
    ];

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StunAddressKind {
    /// (XOR-)MAPPED-ADDRESS: the server-reflexive address.
    Mapped,
    /// XOR-PEER-ADDRESS / MS-TURN DESTINATION-ADDRESS / REMOTE-ADDRESS.
    Peer,
    /// XOR-RELAYED-ADDRESS / MS-TURN Allocate response MAPPED-ADDRESS.
    Relayed,
}

impl StunAddressKind {
    /// The report's name (serde's).
    pub fn as_str(self) -> &'static str {
        match self {
            StunAddressKind::Mapped => "mapped",
            StunAddressKind::Peer => "peer",
            StunAddressKind::Relayed => "relayed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StunAddress {
    pub kind: StunAddressKind,
    pub ip: IpAddr,
    pub port: u16,
}

/// ICE roles and nomination seen in the flow's connectivity checks (RFC 8445 §7.1: Binding
/// requests carrying ICE-CONTROLLING, ICE-CONTROLLED, USE-CANDIDATE).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IceRoles {
    pub controlling: bool,
    pub controlled: bool,
    pub use_candidate: bool,
}

impl IceRoles {
    /// Nothing seen (the report leaves `ice` out).
    pub fn is_empty(&self) -> bool {
        *self == IceRoles::default()
    }
}

/// A TURN channel bound by a ChannelBind request (RFC 8656 §11): its number and the peer it
/// relays to. The report writes `{"channel": n, "ip": "...", "port": n}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TurnChannel {
    pub channel: u16,
    pub peer: SocketAddr,
}

impl Serialize for TurnChannel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("TurnChannel", 3)?;
        st.serialize_field("channel", &self.channel)?;
        st.serialize_field("ip", &self.peer.ip())?;
        st.serialize_field("port", &self.peer.port())?;
        st.end()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SdpMedia {
    pub media: String,
    pub ip: Option<String>,
    pub port: u16,
    pub proto: String,
    /// The Call-ID of the SIP message whose body carried this `m=` line (RFC 3261 §20.8), so
    /// media ties to its dialog when one flow (a trunk) carries several calls.
    pub call_id: Option<String>,
    /// `(payload type, clock rate)` of its `a=rtpmap` lines: what a stream's jitter is
    /// measured in. Not in the report (the streams show the rate they used).
    #[serde(skip)]
    pub clock_rates: Vec<(u8, u32)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SipSummary {
    pub call_ids: Vec<String>,
    pub methods: Vec<String>,
    pub status_codes: Vec<u16>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub sdp_media: Vec<SdpMedia>,
    pub messages: u32,
}

/// What let a TCP flow's shape be judged at all (`MediaShape::gate`): media is looked for by
/// shape only where a media relay may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShapeGate {
    /// The server's address is in a Teams/Skype media relay endpoint set (one listing UDP 3478).
    MediaAddress,
    /// The TLS SNI names a Teams transport relay.
    RelaySni,
}

impl ShapeGate {
    /// The report's name (serde's).
    pub fn as_str(self) -> &'static str {
        match self {
            ShapeGate::MediaAddress => "media_address",
            ShapeGate::RelaySni => "relay_sni",
        }
    }
}

/// A value per direction of a flow (`forward`: client to server).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct PerDirection<T> {
    pub forward: T,
    pub reverse: T,
}

/// Why an encrypted TCP flow was judged media (TURN over TLS, ICE-TCP): its shape. Values are
/// rounded as the report shows them (rates to 0.1, shares to 0.001, seconds to 0.001).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MediaShape {
    pub gate: ShapeGate,
    /// First to last packet of the flow.
    pub duration_s: f64,
    /// Payload-carrying segments per second.
    pub segments_per_s: PerDirection<f64>,
    /// Mean payload length, bytes.
    pub mean_size: PerDirection<u64>,
    /// Share of payload segments of media size.
    pub media_sized: PerDirection<f64>,
    /// Gaps of over a second between a direction's packets.
    pub silences: PerDirection<u32>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AppCounters {
    /// Protocol messages parsed (STUN, RTCP, DTLS datagrams, TLS hellos, SIP, DNS).
    pub messages: u32,
    /// Payloads a probe accepted but the parser then rejected.
    pub parse_errors: u32,
    /// Times a cap was hit (lists, reassembly, scan limits), plus ClientHello reassemblies
    /// given up unfinished (flow idle for `tls::REASM_MAX_GAP_NS`, or still pending at the end).
    pub caps_hit: u32,
}

impl AppCounters {
    pub fn is_zero(&self) -> bool {
        *self == AppCounters::default()
    }

    pub(super) fn add(&mut self, o: &AppCounters) {
        self.messages = self.messages.saturating_add(o.messages);
        self.parse_errors = self.parse_errors.saturating_add(o.parse_errors);
        self.caps_hit = self.caps_hit.saturating_add(o.caps_hit);
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AppSummary {
    // `app` and `sni` are the flow's own fields in the report; the rest is the evidence, and
    // the report leaves out what was not seen (a million flows make every byte count).
    #[serde(skip)]
    pub app: App,
    #[serde(skip)]
    pub sni: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alpn: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tls_versions: Vec<u16>,
    #[serde(skip_serializing_if = "is_false")]
    pub dtls: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub stun: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stun_addresses: Vec<StunAddress>,
    /// USERNAMEs of the flow's ICE checks (`remote-ufrag:local-ufrag`, RFC 8445 §7.2.2).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ice_usernames: Vec<String>,
    #[serde(skip_serializing_if = "IceRoles::is_empty")]
    pub ice: IceRoles,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub turn_channels: Vec<TurnChannel>,
    #[serde(skip_serializing_if = "is_false")]
    pub ms_turn: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub ms_turn_pseudo_tls: bool,
    /// Client side's SSRCs first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rtp_ssrcs: Vec<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rtp_payload_types: Vec<u8>,
    #[serde(skip_serializing_if = "is_false")]
    pub rtcp: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sip: Option<SipSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_shape: Option<MediaShape>,
    #[serde(skip_serializing_if = "AppCounters::is_zero")]
    pub counters: AppCounters,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A flow's evidence as the report shows it, borrowed from its `AppState`: `AppSummary`'s
/// fields without a copy of any string or list (the JSON report writes one per flow, from a
/// million flows). `to_summary` makes the owned `AppSummary`.
#[derive(Clone, Copy, Debug)]
pub struct Evidence<'s> {
    pub app: App,
    pub sni: Option<&'s str>,
    pub alpn: &'s [String],
    pub tls_versions: &'s [u16],
    pub dtls: bool,
    pub stun: bool,
    pub stun_addresses: &'s [StunAddress],
    /// Distinct ICE USERNAMEs of Binding requests, in the order seen (`MAX_ICE_USERNAMES`).
    pub ice_usernames: &'s [String],
    pub ice: IceRoles,
    /// Distinct ChannelBind channels, in the order seen (`MAX_TURN_CHANNELS`).
    pub turn_channels: &'s [TurnChannel],
    pub ms_turn: bool,
    pub ms_turn_pseudo_tls: bool,
    /// (side, SSRC) pairs; `rtp_ssrcs` lists them in the report's order.
    pub ssrcs: &'s [(u8, u32)],
    /// 0 or 1: the side whose SSRCs are listed first.
    pub client_side: u8,
    pub rtp_payload_types: &'s [u8],
    pub rtcp: bool,
    pub sip: Option<&'s SipSummary>,
    /// Set by the audit (`audit::shape`), which knows the addresses; None from `AppState`.
    pub media_shape: Option<MediaShape>,
    pub counters: AppCounters,
}

impl<'s> Evidence<'s> {
    /// `AppSummary::rtp_ssrcs`: the client side's SSRCs first, each side's in the order seen.
    pub fn rtp_ssrcs(&self) -> impl Iterator<Item = u32> + 's {
        let ssrcs = self.ssrcs;
        let client = self.client_side & 1;
        let of_client = ssrcs.iter().filter(move |(side, _)| *side == client);
        let of_server = ssrcs.iter().filter(move |(side, _)| *side != client);
        of_client.chain(of_server).map(|(_, ssrc)| *ssrc)
    }

    pub fn to_summary(&self) -> AppSummary {
        AppSummary {
            app: self.app,
            sni: self.sni.map(str::to_owned),
            alpn: self.alpn.to_vec(),
            tls_versions: self.tls_versions.to_vec(),
            dtls: self.dtls,
            stun: self.stun,
            stun_addresses: self.stun_addresses.to_vec(),
            ice_usernames: self.ice_usernames.to_vec(),
            ice: self.ice,
            turn_channels: self.turn_channels.to_vec(),
            ms_turn: self.ms_turn,
            ms_turn_pseudo_tls: self.ms_turn_pseudo_tls,
            rtp_ssrcs: self.rtp_ssrcs().collect(),
            rtp_payload_types: self.rtp_payload_types.to_vec(),
            rtcp: self.rtcp,
            sip: self.sip.cloned(),
            media_shape: self.media_shape,
            counters: self.counters,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_names() {
        assert_eq!(App::default(), App::Other);
        assert_eq!(App::Rtp.as_str(), "rtp");
        assert_eq!(serde_json::to_string(&App::Dns).unwrap(), "\"dns\"");
        for k in [
            StunAddressKind::Mapped,
            StunAddressKind::Peer,
            StunAddressKind::Relayed,
        ] {
            let serde = serde_json::to_string(&k).unwrap();
            assert_eq!(serde, format!("\"{}\"", k.as_str()));
        }
    }

    #[test]
    fn turn_channels_and_ice_roles_as_json() {
        let ch = TurnChannel {
            channel: 0x4000,
            peer: "[2001:db8::1]:3478".parse().unwrap(),
        };
        assert_eq!(
            serde_json::to_string(&ch).unwrap(),
            r#"{"channel":16384,"ip":"2001:db8::1","port":3478}"#
        );
        let roles = IceRoles {
            controlling: true,
            ..IceRoles::default()
        };
        assert!(!roles.is_empty() && IceRoles::default().is_empty());
        assert_eq!(
            serde_json::to_string(&roles).unwrap(),
            r#"{"controlling":true,"controlled":false,"use_candidate":false}"#
        );
        let s = AppSummary {
            ice_usernames: vec!["a:b".into()],
            ..AppSummary::default()
        };
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"ice_usernames":["a:b"]}"#
        );
    }
}
