//! tshark's view of a capture, as SPEC counts flows: one direction-free TCP/UDP 5-tuple of the
//! outermost IP header per flow, with the frames each dissector named in it.
//!
//! tshark is run once per capture with `-T fields` (`frame.protocols` and the address and port
//! fields), without name resolution, with IPv4/IPv6 reassembly off and the RTP, RTCP, STUN,
//! DTLS, SIP and TLS heuristic dissectors on. A frame makes a flow only when the protocol right
//! after its first `ip`/`ipv6` (IPv6 extension headers skipped) is `tcp` or `udp`: a header
//! quoted in an ICMP error (`ip:icmp:ip:udp`), a packet inside IP-in-IP (`ip:ip:tcp`) or GRE
//! (`ip:gre:...`) makes none, and of a multi-valued field (a tunnel: Teredo's outer UDP and inner
//! IPv6) the first value, the outermost header's, is the one read. With reassembly off, a first
//! fragment is dissected by its transport header (`ipv6:ipv6.fraghdr:udp`) and a later one is
//! `data`: the same split SPEC makes (a first fragment feeds its flow by its ports, later ones
//! make none).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;

/// One end of a flow.
pub type End = (IpAddr, u16);

/// A direction-free flow key: `"tcp"`/`"udp"` and the two ends, the lower first.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub transport: &'static str,
    pub a: End,
    pub b: End,
}

impl Key {
    pub fn new(transport: &'static str, x: End, y: End) -> Key {
        let (a, b) = if x <= y { (x, y) } else { (y, x) };
        Key { transport, a, b }
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let end = |(ip, port): End| match ip {
            IpAddr::V4(v4) => format!("{v4}:{port}"),
            IpAddr::V6(v6) => format!("[{v6}]:{port}"),
        };
        write!(f, "{} {} <-> {}", self.transport, end(self.a), end(self.b))
    }
}

/// What tshark saw of one flow.
#[derive(Debug, Default)]
pub struct Flow {
    /// Frames of the flow.
    pub packets: u64,
    /// For each protocol named above the transport in `frame.protocols` (`rtp`, `sip`, `sdp`,
    /// `data`, ...), the frames that name it.
    pub protocols: BTreeMap<String, u64>,
}

impl Flow {
    /// Frames of the flow that name `protocol` above the transport.
    pub fn frames_naming(&self, protocol: &str) -> u64 {
        self.protocols.get(protocol).copied().unwrap_or(0)
    }
}

/// What tshark saw of one capture.
#[derive(Debug, Default)]
pub struct View {
    /// Every frame of the file.
    pub frames: u64,
    pub flows: BTreeMap<Key, Flow>,
}

/// Whether `tshark` is on PATH (and runs).
pub fn available() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The options every run uses: no name resolution, no IP reassembly, the heuristic dissectors
/// of the protocols callpath names (`rtp_udp` is off by default in tshark 4.0; the others are
/// on, and named so a different default cannot change the result).
pub const OPTIONS: &[&str] = &[
    "-n",
    "-o",
    "ip.defragment:FALSE",
    "-o",
    "ipv6.defragment:FALSE",
    "--enable-heuristic",
    "rtp_udp",
    "--enable-heuristic",
    "rtp_stun",
    "--enable-heuristic",
    "rtcp_udp",
    "--enable-heuristic",
    "rtcp_stun",
    "--enable-heuristic",
    "stun_udp",
    "--enable-heuristic",
    "stun_tcp",
    "--enable-heuristic",
    "classicstun_udp",
    "--enable-heuristic",
    "classicstun_tcp",
    "--enable-heuristic",
    "dtls_udp",
    "--enable-heuristic",
    "dtls_stun",
    "--enable-heuristic",
    "sip_udp",
    "--enable-heuristic",
    "sip_tcp",
    "--enable-heuristic",
    "tls_tcp",
];

const FIELDS: &[&str] = &[
    "frame.number",
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "tcp.srcport",
    "tcp.dstport",
    "udp.srcport",
    "udp.dstport",
    "frame.protocols",
];

/// Runs tshark on `capture` and reads its flows.
pub fn view(capture: &Path) -> View {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(capture).args(OPTIONS).args([
        "-T",
        "fields",
        "-E",
        "separator=/t",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ]);
    for field in FIELDS {
        cmd.args(["-e", field]);
    }
    let out = cmd.output().expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark on {} failed ({}):\n{}",
        capture.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    parse(&String::from_utf8_lossy(&out.stdout))
}

/// Reads `-T fields` output of [`FIELDS`], one frame a line.
pub fn parse(text: &str) -> View {
    let mut view = View::default();
    for line in text.lines() {
        view.frames += 1;
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), FIELDS.len(), "tshark line {line:?}");
        let [_, ip_src, ip_dst, ip6_src, ip6_dst, tcp_src, tcp_dst, udp_src, udp_dst, protocols] =
            cols[..]
        else {
            unreachable!()
        };
        let tokens: Vec<&str> = protocols.split(':').collect();
        let Some(ip_at) = tokens.iter().position(|&t| t == "ip" || t == "ipv6") else {
            continue;
        };
        // IPv6 extension headers (`ipv6.hopopts`, `ipv6.fraghdr`, ...) sit between IPv6 and its
        // transport.
        let mut next = ip_at + 1;
        while tokens.get(next).is_some_and(|t| t.starts_with("ipv6.")) {
            next += 1;
        }
        let (transport, sport, dport) = match tokens.get(next) {
            Some(&"tcp") => ("tcp", tcp_src, tcp_dst),
            Some(&"udp") => ("udp", udp_src, udp_dst),
            _ => continue,
        };
        let (src, dst) = if tokens[ip_at] == "ip" {
            (ip_src, ip_dst)
        } else {
            (ip6_src, ip6_dst)
        };
        let first = |s: &str| s.split(',').next().unwrap_or("").to_string();
        let end = |ip: &str, port: &str| -> End {
            let ip = first(ip);
            let port = first(port);
            (
                ip.parse()
                    .unwrap_or_else(|e| panic!("address {ip:?} ({e}) in {line:?}")),
                port.parse()
                    .unwrap_or_else(|e| panic!("port {port:?} ({e}) in {line:?}")),
            )
        };
        let key = Key::new(transport, end(src, sport), end(dst, dport));
        let flow = view.flows.entry(key).or_default();
        flow.packets += 1;
        let mut above: Vec<&str> = tokens[next + 1..].to_vec();
        above.sort_unstable();
        above.dedup();
        for t in above {
            *flow.protocols.entry(t.to_string()).or_default() += 1;
        }
    }
    view
}
