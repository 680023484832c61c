//! Media inside TLS recognised by its shape: TURN over TLS (TURNS on 443, what browsers and the
//! Teams web client use) and ICE-TCP carry RTP that no parser can read, but a call sends small
//! segments many times a second in both directions, for as long as it lasts, and a download or
//! signalling does not. Looked for only where a media relay may be (the gate), so ordinary
//! TLS is never called media.

use super::verdict::{oriented, Ends};
use super::AuditInput;
use crate::decode::Transport;
use crate::flow::{FlowKey, FlowState, SegmentShape, Side};
use crate::proto::{App, MediaShape, PerDirection, ShapeGate};

/// A call lasts longer than this; a burst of segments shorter than it proves nothing.
pub const MIN_DURATION_NS: i64 = 5_000_000_000;
/// Audio alone is 33-50 packets/s each way (20-30 ms frames); a signalling or REST session
/// sends a few records a second at most.
pub const MIN_SEGMENTS_PER_S: f64 = 25.0;
/// Share of a direction's payload segments that must be of media size (`flow::MEDIA_SIZE`):
/// a download fills its segments to the MSS.
pub const MIN_MEDIA_SIZED: f64 = 0.9;
/// One silence (`flow::SILENCE_NS`) is allowed per this much of the flow, plus one: media is
/// steady, web traffic comes in bursts with pauses.
pub const SILENCE_ALLOWANCE_NS: i64 = 30_000_000_000;
/// SNI suffixes of Teams' transport relays (`worldaz.tr.teams.microsoft.com` and regional
/// names), which a TURN-over-TLS client names in its ClientHello.
pub const RELAY_SNI_SUFFIXES: [&str; 2] = [".tr.teams.microsoft.com", ".relay.teams.microsoft.com"];

/// Whether `sni` names a Teams transport relay (ASCII case ignored).
pub fn is_relay_sni(sni: &str) -> bool {
    RELAY_SNI_SUFFIXES.iter().any(|suffix| {
        sni.len() > suffix.len()
            && sni
                .get(sni.len() - suffix.len()..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(suffix))
    })
}

/// The shape that makes a TCP flow media, or None: the flow is TCP, its clear-text
/// recognisers found no media (`app` is `tls` or `other`), it passes the gate (an end in a
/// media relay endpoint set, else a relay SNI), and each direction over the flow's duration
/// (at least `MIN_DURATION_NS`) sent `MIN_SEGMENTS_PER_S`, `MIN_MEDIA_SIZED` of them of media
/// size, with few silences.
pub fn media_shape(
    input: &AuditInput<'_>,
    key: &FlowKey,
    state: &FlowState,
    ends: &Ends<'_>,
    app: App,
) -> Option<MediaShape> {
    if Transport::of_protocol(key.protocol) != Transport::Tcp
        || !matches!(app, App::Tls | App::Other)
    {
        return None;
    }
    let duration_ns = state.last_ns().saturating_sub(state.first_ns());
    if duration_ns < MIN_DURATION_NS {
        return None;
    }
    let (fwd, rev) = oriented(state, ends.client_side);
    let duration_s = duration_ns as f64 / 1e9;
    let allowed_silences = 1 + duration_ns / SILENCE_ALLOWANCE_NS;
    let steady = |side: &Side| {
        let s = &side.shape;
        f64::from(s.segments) / duration_s >= MIN_SEGMENTS_PER_S
            && s.media_sized_share() >= MIN_MEDIA_SIZED
            && i64::from(side.silences) <= allowed_silences
    };
    if !steady(fwd) || !steady(rev) {
        return None;
    }
    let gate = gate(input, key, state, ends)?;
    let (silences, fwd, rev) = (
        PerDirection {
            forward: fwd.silences,
            reverse: rev.silences,
        },
        &fwd.shape,
        &rev.shape,
    );
    let rate = |s: &SegmentShape| round_to(f64::from(s.segments) / duration_s, 10.0);
    let share = |s: &SegmentShape| round_to(s.media_sized_share(), 1000.0);
    Some(MediaShape {
        gate,
        duration_s: round_to(duration_s, 1000.0),
        segments_per_s: PerDirection {
            forward: rate(fwd),
            reverse: rate(rev),
        },
        mean_size: PerDirection {
            forward: fwd.mean_size(),
            reverse: rev.mean_size(),
        },
        media_sized: PerDirection {
            forward: share(fwd),
            reverse: share(rev),
        },
        silences,
    })
}

/// Why the flow may be media at all: an end in a media relay set (checked first), else a relay
/// SNI.
fn gate(
    input: &AuditInput<'_>,
    key: &FlowKey,
    state: &FlowState,
    ends: &Ends<'_>,
) -> Option<ShapeGate> {
    let server = key.sender(1 - ends.client_side);
    let client = key.sender(ends.client_side);
    if input.ranges.is_media_relay(server.ip) || input.ranges.is_media_relay(client.ip) {
        return Some(ShapeGate::MediaAddress);
    }
    let evidence = state.app.evidence(ends.client_side);
    evidence
        .sni
        .is_some_and(is_relay_sni)
        .then_some(ShapeGate::RelaySni)
}

fn round_to(v: f64, per_unit: f64) -> f64 {
    (v * per_unit).round() / per_unit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_sni_suffixes() {
        assert!(is_relay_sni("worldaz.tr.teams.microsoft.com"));
        assert!(is_relay_sni("EUAZ.TR.Teams.Microsoft.com"));
        assert!(is_relay_sni("a.relay.teams.microsoft.com"));
        assert!(!is_relay_sni("tr.teams.microsoft.com"));
        assert!(!is_relay_sni("teams.microsoft.com"));
        assert!(!is_relay_sni("evil-tr.teams.microsoft.com.example"));
        assert!(!is_relay_sni(""));
    }
}
