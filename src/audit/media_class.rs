//! The media class of a stream (audio, video, screen sharing) and the DSCP mark Microsoft
//! expects it to carry: from the client's media source port (Teams' default port ranges) or
//! from the SDP media line that announced it (FACTS.md, "Client media source ports and QoS";
//! Teams "Implement QoS in Teams").

/// What a media stream carries, as Teams' QoS policies tell it apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MediaClass {
    /// Audio: client source ports 50000-50019, DSCP EF (46).
    Audio,
    /// Video (and video-based screen sharing, VBSS): ports 50020-50039, AF41 (34).
    Video,
    /// Application and screen sharing: ports 50040-50059, AF21 (18).
    Sharing,
}

/// DSCP values of the per-hop behaviours Teams marks with (RFC 3246 EF, RFC 2597 AF41/AF21).
pub mod dscp {
    /// Expedited Forwarding (RFC 3246 §2.1): audio.
    pub const EF: u8 = 46;
    /// Assured Forwarding class 4, low drop precedence (RFC 2597 §6): video.
    pub const AF41: u8 = 34;
    /// Assured Forwarding class 2, low drop precedence (RFC 2597 §6): sharing.
    pub const AF21: u8 = 18;
    /// Class selector 0, default forwarding: what anything else must be re-marked to before
    /// it reaches Microsoft.
    pub const CS0: u8 = 0;
}

/// Teams' default client media source port ranges (Teams admin center, Meetings settings,
/// "Network": the ports QoS policies match on).
const AUDIO_PORTS: std::ops::RangeInclusive<u16> = 50000..=50019;
const VIDEO_PORTS: std::ops::RangeInclusive<u16> = 50020..=50039;
const SHARING_PORTS: std::ops::RangeInclusive<u16> = 50040..=50059;

impl MediaClass {
    /// The DSCP value this class is marked with end to end on ExpressRoute: EF 46, AF41 34,
    /// AF21 18.
    pub const fn expected_dscp(self) -> u8 {
        match self {
            MediaClass::Audio => dscp::EF,
            MediaClass::Video => dscp::AF41,
            MediaClass::Sharing => dscp::AF21,
        }
    }

    /// `audio`, `video` or `sharing`.
    pub const fn as_str(self) -> &'static str {
        match self {
            MediaClass::Audio => "audio",
            MediaClass::Video => "video",
            MediaClass::Sharing => "sharing",
        }
    }
}

/// The class of media sent from a Teams client's source port, by Teams' default ranges:
/// 50000-50019 audio, 50020-50039 video, 50040-50059 sharing; None for any other port (a
/// tenant may configure other ranges, and a relay's or server's port says nothing).
pub fn class_of_port(client_port: u16) -> Option<MediaClass> {
    if AUDIO_PORTS.contains(&client_port) {
        Some(MediaClass::Audio)
    } else if VIDEO_PORTS.contains(&client_port) {
        Some(MediaClass::Video)
    } else if SHARING_PORTS.contains(&client_port) {
        Some(MediaClass::Sharing)
    } else {
        None
    }
}

/// The class of an SDP media line's media type (`m=<media> ...`, RFC 8866 §5.14), compared
/// without regard to ASCII case: `audio`, `video`, and `application` or Skype for Business'
/// `applicationsharing` for sharing; None for anything else (`text`, `message`, `image`).
pub fn class_of_sdp_media(media: &str) -> Option<MediaClass> {
    let is = |name: &str| media.eq_ignore_ascii_case(name);
    if is("audio") {
        Some(MediaClass::Audio)
    } else if is("video") {
        Some(MediaClass::Video)
    } else if is("application") || is("applicationsharing") {
        Some(MediaClass::Sharing)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_dscp_per_class() {
        assert_eq!(MediaClass::Audio.expected_dscp(), 46);
        assert_eq!(MediaClass::Video.expected_dscp(), 34);
        assert_eq!(MediaClass::Sharing.expected_dscp(), 18);
        assert_eq!(dscp::CS0, 0);
        let names: Vec<_> = [MediaClass::Audio, MediaClass::Video, MediaClass::Sharing]
            .iter()
            .map(|c| c.as_str())
            .collect();
        assert_eq!(names, ["audio", "video", "sharing"]);
    }

    #[test]
    fn ports_at_the_bounds_of_each_range() {
        let cases = [
            (49999, None),
            (50000, Some(MediaClass::Audio)),
            (50019, Some(MediaClass::Audio)),
            (50020, Some(MediaClass::Video)),
            (50039, Some(MediaClass::Video)),
            (50040, Some(MediaClass::Sharing)),
            (50059, Some(MediaClass::Sharing)),
            (50060, None),
            (0, None),
            (443, None),
            (3478, None),
            (u16::MAX, None),
        ];
        for (port, class) in cases {
            assert_eq!(class_of_port(port), class, "{port}");
        }
    }

    #[test]
    fn every_teams_port_has_one_class() {
        let count = |c| {
            (0..=u16::MAX)
                .filter(|&p| class_of_port(p) == Some(c))
                .count()
        };
        assert_eq!(count(MediaClass::Audio), 20);
        assert_eq!(count(MediaClass::Video), 20);
        assert_eq!(count(MediaClass::Sharing), 20);
    }

    #[test]
    fn sdp_media_types() {
        assert_eq!(class_of_sdp_media("audio"), Some(MediaClass::Audio));
        assert_eq!(class_of_sdp_media("AUDIO"), Some(MediaClass::Audio));
        assert_eq!(class_of_sdp_media("video"), Some(MediaClass::Video));
        assert_eq!(class_of_sdp_media("application"), Some(MediaClass::Sharing));
        assert_eq!(
            class_of_sdp_media("applicationsharing"),
            Some(MediaClass::Sharing)
        );
        assert_eq!(
            class_of_sdp_media("applicationSharing"),
            Some(MediaClass::Sharing)
        );
        for other in ["", "text", "message", "image", "data", "audio ", "vid"] {
            assert_eq!(class_of_sdp_media(other), None, "{other:?}");
        }
    }
}
