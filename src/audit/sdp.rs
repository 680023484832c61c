//! Media the signaling announced: the address and port of every SDP `m=` line (with its `c=`
//! address) seen in any SIP flow of the run, so a UDP leg too short or too gappy for the RTP run
//! heuristic is still called media (RFC 4566 §5.7, §5.14; RTCP on the next port, RFC 3550 §11).

use std::collections::HashMap;
use std::net::IpAddr;

use super::media_class::{class_of_sdp_media, MediaClass};
use crate::flow::{Endpoint, FlowTable};
use crate::proto::App;

/// The endpoints SDP announced for media, from offers and answers alike, with what the media
/// line announced of each.
#[derive(Debug, Default)]
pub struct Announced(HashMap<Endpoint, AnnouncedMedia>);

/// What SDP said of one media endpoint.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct AnnouncedMedia {
    /// The class of its `m=` line (`audio`, ...).
    pub class: Option<MediaClass>,
    /// `(payload type, clock rate)` of the `a=rtpmap` lines of every section announcing it.
    pub clock_rates: Vec<(u8, u32)>,
}

impl Announced {
    /// Every media endpoint announced in the run's SIP flows (port 0, a refused stream, left
    /// out).
    pub fn of(table: &FlowTable) -> Announced {
        let mut set = HashMap::new();
        for (_, state) in table.iter() {
            let Some(sip) = state.app.sip_summary() else {
                continue;
            };
            for m in &sip.sdp_media {
                let ip =
                    m.ip.as_deref()
                        .and_then(|ip| ip.trim().parse::<IpAddr>().ok());
                if let (Some(ip), true) = (ip, m.port != 0) {
                    let entry: &mut AnnouncedMedia =
                        set.entry(Endpoint { ip, port: m.port }).or_default();
                    entry.class = entry.class.or(class_of_sdp_media(&m.media));
                    for &rate in &m.clock_rates {
                        if !entry.clock_rates.contains(&rate) {
                            entry.clock_rates.push(rate);
                        }
                    }
                }
            }
        }
        Announced(set)
    }

    /// What a UDP flow between `a` and `b` that no probe recognised is, when SDP announced one of
    /// its ends: RTP on an announced port, RTCP on the port after one.
    pub fn app_of(&self, a: Endpoint, b: Endpoint) -> Option<App> {
        if self.0.is_empty() {
            return None;
        }
        let rtcp_of = |e: Endpoint| {
            e.port
                .checked_sub(1)
                .is_some_and(|port| self.0.contains_key(&Endpoint { ip: e.ip, port }))
        };
        if self.0.contains_key(&a) || self.0.contains_key(&b) {
            Some(App::Rtp)
        } else if rtcp_of(a) || rtcp_of(b) {
            Some(App::Rtcp)
        } else {
            None
        }
    }
}

impl Announced {
    /// What SDP announced of `a` or `b` (RTP's port, or RTCP's next one), in that order.
    fn about(&self, a: Endpoint, b: Endpoint) -> impl Iterator<Item = &AnnouncedMedia> {
        let rtcp = |e: Endpoint| Endpoint {
            ip: e.ip,
            port: e.port.wrapping_sub(1),
        };
        [a, b, rtcp(a), rtcp(b)]
            .into_iter()
            .filter_map(|e| self.0.get(&e))
    }

    /// The class of the media line that announced `a` or `b`.
    pub fn class_of(&self, a: Endpoint, b: Endpoint) -> Option<MediaClass> {
        self.about(a, b).find_map(|m| m.class)
    }

    /// The clock rate SDP gave payload type `pt` for media to or from `a` or `b`.
    pub fn clock_rate_of(&self, a: Endpoint, b: Endpoint, pt: u8) -> Option<u32> {
        self.about(a, b)
            .find_map(|m| m.clock_rates.iter().find(|r| r.0 == pt).map(|r| r.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(ip: &str, port: u16) -> Endpoint {
        Endpoint {
            ip: ip.parse().unwrap(),
            port,
        }
    }

    #[test]
    fn announced_ports_are_rtp_and_the_next_ones_rtcp() {
        let audio = AnnouncedMedia {
            class: Some(MediaClass::Audio),
            clock_rates: vec![(111, 48_000)],
        };
        let announced = Announced([(ep("10.0.2.20", 6000), audio)].into_iter().collect());
        let other = ep("10.0.2.15", 24196);
        assert_eq!(
            announced.app_of(other, ep("10.0.2.20", 6000)),
            Some(App::Rtp)
        );
        assert_eq!(
            announced.app_of(ep("10.0.2.20", 6001), other),
            Some(App::Rtcp)
        );
        assert_eq!(announced.app_of(ep("10.0.2.20", 6002), other), None);
        assert_eq!(announced.app_of(ep("10.0.2.21", 6000), other), None);
        assert_eq!(Announced::default().app_of(other, other), None);
        // The media line's class, for RTP's port and RTCP's next one.
        assert_eq!(
            announced.class_of(other, ep("10.0.2.20", 6001)),
            Some(MediaClass::Audio)
        );
        assert_eq!(announced.class_of(other, ep("10.0.2.20", 6002)), None);
        assert_eq!(
            announced.clock_rate_of(ep("10.0.2.20", 6000), other, 111),
            Some(48_000)
        );
        assert_eq!(
            announced.clock_rate_of(ep("10.0.2.20", 6000), other, 0),
            None
        );
    }
}
