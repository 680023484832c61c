//! A site with ExpressRoute and Internet paths, as traffic: every case the path audit must get
//! right, written four ways (pcapng interfaces, VLAN trunk, next-hop MACs, SLL2 ifindexes) and
//! as one file per tap.
#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr};

use super::builder::*;
use super::payloads;

/// 2026-11-02T09:00:00Z in nanoseconds.
pub const T0: i64 = 1_793_610_000_000_000_000;
pub const MS: i64 = 1_000_000;

/// Where a packet was carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    Er,
    Inet,
    Lan,
}

/// The site profile matching every encoding below.
pub const PROFILE: &str = r#"# contoso-hq: a site with ExpressRoute (Microsoft peering) and an Internet uplink.
[site]
name = "contoso-hq"
internal = ["10.0.0.0/8", "192.0.2.0/26", "2001:db8::/32"]
expressroute = true

[[path]]
name = "expressroute"
interfaces = ["er0"]
ifindexes = [3]
vlans = [100]
macs = ["02:00:00:00:0e:01"]
nat = ["192.0.2.16/28"]

[[path]]
name = "internet"
interfaces = ["inet0"]
ifindexes = [4]
vlans = [200]
macs = ["02:00:00:00:1e:01"]
nat = ["192.0.2.32/28"]

[[path]]
name = "local"
interfaces = ["lan0"]
ifindexes = [2]
vlans = [10]

[[server]]
role = "sbc"
address = "10.30.0.10"

[[server]]
role = "conferencing"
address = "10.30.0.30"
"#;

pub const ER_ROUTER_MAC: [u8; 6] = [2, 0, 0, 0, 0x0e, 1];
pub const INET_FW_MAC: [u8; 6] = [2, 0, 0, 0, 0x1e, 1];

impl Link {
    pub fn name(self) -> &'static str {
        match self {
            Link::Er => "er0",
            Link::Inet => "inet0",
            Link::Lan => "lan0",
        }
    }
    pub fn vlan(self) -> u16 {
        match self {
            Link::Er => 100,
            Link::Inet => 200,
            Link::Lan => 10,
        }
    }
    pub fn ifindex(self) -> u32 {
        match self {
            Link::Er => 3,
            Link::Inet => 4,
            Link::Lan => 2,
        }
    }
}

/// One packet of the scenario.
#[derive(Clone, Debug)]
pub struct SitePacket {
    pub ts: i64,
    pub ip: Vec<u8>,
    /// Sent by the flow's client.
    pub forward: bool,
    pub link: Link,
    pub src: IpAddr,
    pub dst: IpAddr,
}

fn sa(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

fn host_mac(ip: IpAddr) -> [u8; 6] {
    let b = match ip {
        IpAddr::V4(v) => v.octets()[3],
        IpAddr::V6(v) => v.octets()[15],
    };
    [2, 0, 0, 0, 0x10, b]
}

/// Adds a scenario's packets, each direction on its link (`per_packet` picks the link of the
/// i-th packet of a direction when given).
fn add(
    out: &mut Vec<SitePacket>,
    pkts: Vec<(i64, Vec<u8>, Dir)>,
    client: SocketAddr,
    server: SocketAddr,
    fwd: Option<Link>,
    rev: Option<Link>,
) {
    add_with(out, pkts, client, server, |dir, _| match dir {
        Dir::Forward => fwd,
        Dir::Reverse => rev,
    })
}

fn add_with(
    out: &mut Vec<SitePacket>,
    pkts: Vec<(i64, Vec<u8>, Dir)>,
    client: SocketAddr,
    server: SocketAddr,
    link_of: impl Fn(Dir, usize) -> Option<Link>,
) {
    let (mut nf, mut nr) = (0, 0);
    for (ts, ip, dir) in pkts {
        let n = if dir == Dir::Forward {
            &mut nf
        } else {
            &mut nr
        };
        let link = link_of(dir, *n);
        *n += 1;
        let Some(link) = link else { continue };
        let (src, dst) = match dir {
            Dir::Forward => (client.ip(), server.ip()),
            Dir::Reverse => (server.ip(), client.ip()),
        };
        out.push(SitePacket {
            ts,
            ip,
            forward: dir == Dir::Forward,
            link,
            src,
            dst,
        });
    }
}

/// The DSCP Teams marks a client's media with, by its default source port ranges (audio EF 46,
/// video AF41 34, sharing AF21 18; 0 elsewhere), both ways: what a clean site carries.
fn teams_mark(client_port: u16) -> u8 {
    match client_port {
        50000..=50019 => 46,
        50020..=50039 => 34,
        50040..=50059 => 18,
        _ => 46,
    }
}

/// STUN checks, then RTP both ways (50 packets/s per direction, marked as Teams marks them) and
/// one RTCP report each way. Each flow's ICE USERNAME is its own (`0010:efgh` for SSRC 0x1000): the same `A:B` on two
/// flows would link them into one call (SPEC "Calls").
fn media(
    client: SocketAddr,
    server: SocketAddr,
    start: i64,
    ssrc: u32,
    seconds: usize,
) -> Vec<(i64, Vec<u8>, Dir)> {
    let txid = [ssrc as u8; 12];
    let username = format!("{:04x}:efgh", ssrc >> 8);
    let mut pkts = vec![
        (
            start,
            ip_udp(
                client.ip(),
                client.port(),
                server.ip(),
                server.port(),
                &payloads::stun_binding_request(txid, Some(&username)),
            ),
            Dir::Forward,
        ),
        (
            start + 5 * MS,
            ip_udp(
                server.ip(),
                server.port(),
                client.ip(),
                client.port(),
                &payloads::stun_binding_success(txid, client),
            ),
            Dir::Reverse,
        ),
    ];
    let count = seconds * 50;
    for i in 0..count {
        let t = start + 20 * MS + i as i64 * 20 * MS;
        let seq = i as u16;
        pkts.push((
            t,
            ip_udp(
                client.ip(),
                client.port(),
                server.ip(),
                server.port(),
                &payloads::rtp(111, seq, i as u32 * 960, ssrc, false, 120),
            ),
            Dir::Forward,
        ));
        let forward = pkts.len() - 1;
        set_dscp(&mut pkts[forward].1, teams_mark(client.port()));
        pkts.push((
            t + 3 * MS,
            ip_udp(
                server.ip(),
                server.port(),
                client.ip(),
                client.port(),
                &payloads::rtp(111, 1000 + seq, i as u32 * 960, ssrc + 1, false, 120),
            ),
            Dir::Reverse,
        ));
        let reverse = pkts.len() - 1;
        set_dscp(&mut pkts[reverse].1, teams_mark(client.port()));
    }
    let t = start + 20 * MS + count as i64 * 20 * MS;
    pkts.push((
        t,
        ip_udp(
            client.ip(),
            client.port(),
            server.ip(),
            server.port(),
            &payloads::rtcp_sr(ssrc),
        ),
        Dir::Forward,
    ));
    pkts.push((
        t + MS,
        ip_udp(
            server.ip(),
            server.port(),
            client.ip(),
            client.port(),
            &payloads::rtcp_sr(ssrc + 1),
        ),
        Dir::Reverse,
    ));
    pkts
}

/// The whole site, as packets in time order.
pub fn packets() -> Vec<SitePacket> {
    let mut out = Vec::new();
    let s = T0;
    // 1. Teams media to the Office 365 relay over ExpressRoute, both ways (as expected).
    let (c, r) = (sa("10.10.1.20:50010"), sa("52.112.10.5:3478"));
    add(
        &mut out,
        media(c, r, s, 0x1000, 2),
        c,
        r,
        Some(Link::Er),
        Some(Link::Er),
    );
    // 2. Teams signaling (TLS, SNI teams.microsoft.com) over ExpressRoute.
    let (c, r) = (sa("10.10.1.20:51000"), sa("52.113.194.132:443"));
    let tls = tcp_session(
        c,
        r,
        s + 100 * MS,
        &[
            (
                Dir::Forward,
                payloads::tls_client_hello("teams.microsoft.com", &["h2", "http/1.1"], 0),
            ),
            (Dir::Reverse, payloads::tls_server_hello()),
        ],
    );
    add(&mut out, tls, c, r, Some(Link::Er), Some(Link::Er));
    // 3. The web, to a non-Office 365 host over the Internet (as expected).
    let (c, r) = (sa("10.10.1.21:52000"), sa("93.184.216.34:443"));
    let tls = tcp_session(
        c,
        r,
        s + 200 * MS,
        &[
            (
                Dir::Forward,
                payloads::tls_client_hello("www.example.com", &["h2"], 0),
            ),
            (Dir::Reverse, payloads::tls_server_hello()),
        ],
    );
    add(&mut out, tls, c, r, Some(Link::Inet), Some(Link::Inet));
    // 4. Teams media that bypasses ExpressRoute: both ways over the Internet.
    let (c, r) = (sa("10.10.1.22:50012"), sa("52.112.20.7:3479"));
    add(
        &mut out,
        media(c, r, s + 300 * MS, 0x2000, 1),
        c,
        r,
        Some(Link::Inet),
        Some(Link::Inet),
    );
    // 5. Asymmetric: out over ExpressRoute, replies over the Internet.
    let (c, r) = (sa("10.10.1.23:50014"), sa("52.112.30.9:3480"));
    add(
        &mut out,
        media(c, r, s + 400 * MS, 0x3000, 1),
        c,
        r,
        Some(Link::Er),
        Some(Link::Inet),
    );
    // 6. Asymmetric the other way: out over the Internet, replies over ExpressRoute.
    let (c, r) = (sa("10.10.1.27:50018"), sa("52.112.50.2:3478"));
    add(
        &mut out,
        media(c, r, s + 500 * MS, 0x4000, 1),
        c,
        r,
        Some(Link::Inet),
        Some(Link::Er),
    );
    // 7. One-sided: STUN checks every 500 ms for 3 s over ExpressRoute, never answered.
    let (c, r) = (sa("10.10.1.24:50016"), sa("52.122.1.1:3478"));
    let checks = udp_stream(c, r, s + 600 * MS, 500 * MS, 7, |i| {
        (
            Dir::Forward,
            payloads::stun_binding_request([i as u8; 12], Some("ab:cd")),
        )
    });
    add(&mut out, checks, c, r, Some(Link::Er), None);
    // 8. Media over TCP 443 (the fallback when UDP 3478-3481 is blocked), over ExpressRoute.
    let (c, r) = (sa("10.10.1.25:51500"), sa("52.112.40.1:443"));
    let mut exchanges = Vec::new();
    for i in 0..10u16 {
        exchanges.push((
            Dir::Forward,
            payloads::rtp_over_tcp(&payloads::rtp(
                111,
                i,
                u32::from(i) * 960,
                0x5000,
                false,
                100,
            )),
        ));
        exchanges.push((
            Dir::Reverse,
            payloads::rtp_over_tcp(&payloads::rtp(
                111,
                500 + i,
                u32::from(i) * 960,
                0x5001,
                false,
                100,
            )),
        ));
    }
    add(
        &mut out,
        tcp_session(c, r, s + 700 * MS, &exchanges),
        c,
        r,
        Some(Link::Er),
        Some(Link::Er),
    );
    // 9. Peer-to-peer media between two clients on the LAN.
    let (c, r) = (sa("10.10.1.20:50020"), sa("10.10.2.30:50030"));
    add(
        &mut out,
        media(c, r, s + 800 * MS, 0x6000, 1),
        c,
        r,
        Some(Link::Lan),
        Some(Link::Lan),
    );
    // 10. SIP to the on-prem SBC, with SDP: a PSTN call whose media is flow 16.
    let (c, r) = (sa("10.10.1.20:5060"), sa("10.30.0.10:5060"));
    let sdp = payloads::sdp(c.ip(), &[("audio", 50040)], c.ip());
    let sip = vec![
        (
            s + 900 * MS,
            ip_udp(
                c.ip(),
                5060,
                r.ip(),
                5060,
                &payloads::sip_invite(
                    "call-1@contoso",
                    "sip:alice@contoso.com",
                    "sip:+15550100@contoso.com",
                    "10.10.1.20",
                    Some(&sdp),
                ),
            ),
            Dir::Forward,
        ),
        (
            s + 950 * MS,
            ip_udp(
                r.ip(),
                5060,
                c.ip(),
                5060,
                &payloads::sip_200_ok(
                    "call-1@contoso",
                    "sip:alice@contoso.com",
                    "sip:+15550100@contoso.com",
                    "10.10.1.20",
                    &payloads::sdp(r.ip(), &[("audio", 40000)], r.ip()),
                ),
            ),
            Dir::Reverse,
        ),
    ];
    add(&mut out, sip, c, r, Some(Link::Lan), Some(Link::Lan));
    // 11. A non-Office 365 host reached over ExpressRoute: a route leak.
    let (c, r) = (sa("10.10.1.26:53000"), sa("151.101.1.1:443"));
    let tls = tcp_session(
        c,
        r,
        s + 1000 * MS,
        &[
            (
                Dir::Forward,
                payloads::tls_client_hello("cdn.example.net", &[], 0),
            ),
            (Dir::Reverse, payloads::tls_server_hello()),
        ],
    );
    add(&mut out, tls, c, r, Some(Link::Er), Some(Link::Er));
    // 12. IPv6 Teams media over ExpressRoute, both ways.
    let (c, r) = (sa("[2001:db8:10::20]:50022"), sa("[2603:1063::1]:3478"));
    add(
        &mut out,
        media(c, r, s + 1100 * MS, 0x7000, 1),
        c,
        r,
        Some(Link::Er),
        Some(Link::Er),
    );
    // 13. Per-packet load balancing: the client's packets alternate between both paths.
    let (c, r) = (sa("10.10.1.28:50024"), sa("52.112.60.3:3481"));
    add_with(
        &mut out,
        media(c, r, s + 1200 * MS, 0x8000, 1),
        c,
        r,
        |dir, i| {
            Some(match dir {
                Dir::Forward if i % 2 == 1 => Link::Inet,
                _ => Link::Er,
            })
        },
    );
    // 14. An unanswered TCP connection (SYN and two retries) to Office 365 over the Internet.
    let (c, r) = (sa("10.10.1.29:54000"), sa("52.113.7.7:443"));
    add(
        &mut out,
        tcp_syn_retries(c, r, s + 1300 * MS, 3),
        c,
        r,
        Some(Link::Inet),
        None,
    );
    // 15. DNS to the site's resolver.
    let (c, r) = (sa("10.10.1.20:40000"), sa("10.10.0.53:53"));
    let dns = vec![(
        s + 1400 * MS,
        ip_udp(
            c.ip(),
            c.port(),
            r.ip(),
            r.port(),
            &payloads::dns_query(9, "teams.microsoft.com"),
        ),
        Dir::Forward,
    )];
    add(&mut out, dns, c, r, Some(Link::Lan), None);
    calls(&mut out);
    out.sort_by_key(|p| p.ts);
    out
}

/// Issue 15: the calls of every use case the profile allows (a hybrid site: an SBC and a
/// conferencing server; no Cloud Connector). Flows 1, 4-6, 12, 13 are already office365-media
/// calls and flow 9 a p2p-local one.
fn calls(out: &mut Vec<SitePacket>) {
    let s = T0;
    // 16. The PSTN call's media, to the SBC at the ports flow 10's SDP offer and answer
    //     announced: onprem-pstn.
    let (c, r) = (sa("10.10.1.20:50040"), sa("10.30.0.10:40000"));
    add(
        out,
        media(c, r, s + 1500 * MS, 0x9000, 1),
        c,
        r,
        Some(Link::Lan),
        Some(Link::Lan),
    );
    // 17. Peer-to-peer on the LAN with ICE both ways (RFC 8445 §7.2.2: USERNAME
    //     `remote:local`), then RTP: p2p-local.
    let (c, r) = (sa("10.10.3.40:50050"), sa("10.10.3.41:50052"));
    let mut pkts = vec![
        (
            s + 1600 * MS,
            ip_udp(
                r.ip(),
                r.port(),
                c.ip(),
                c.port(),
                &payloads::stun_binding_request([0xa1; 12], Some("p2pA:p2pB")),
            ),
            Dir::Reverse,
        ),
        (
            s + 1603 * MS,
            ip_udp(
                c.ip(),
                c.port(),
                r.ip(),
                r.port(),
                &payloads::stun_binding_success([0xa1; 12], r),
            ),
            Dir::Forward,
        ),
    ];
    pkts.extend(media(c, r, s + 1605 * MS, 0xa000, 1));
    add(out, pkts, c, r, Some(Link::Lan), Some(Link::Lan));
    // 18, 19. Two clients on the site relayed through an Office 365 TURN relay over
    //     ExpressRoute (RFC 8656: Allocate, ChannelBind to the other's relayed address, RTP in
    //     ChannelData): one p2p-relayed call, media-hairpin.
    let relay = sa("52.113.10.10:3478");
    let (a, b) = (sa("10.10.1.30:50060"), sa("10.10.1.31:50062"));
    let (ra, rb) = (sa("52.113.10.10:40000"), sa("52.113.10.10:40002"));
    let (ma, mb) = (sa("192.0.2.17:61000"), sa("192.0.2.17:61002"));
    let turn_a = super::calls::turn_session(a, relay, s + 1700 * MS, (ra, ma), rb, 0xb000, 50);
    add(out, turn_a, a, relay, Some(Link::Er), Some(Link::Er));
    let turn_b = super::calls::turn_session(b, relay, s + 1707 * MS, (rb, mb), ra, 0xb100, 50);
    add(out, turn_b, b, relay, Some(Link::Er), Some(Link::Er));
    // 20. A conference on a third party's servers (not Office 365), over the Internet:
    //     third-party.
    let (c, r) = (sa("10.10.1.32:50070"), sa("198.51.100.20:20000"));
    add(
        out,
        media(c, r, s + 1800 * MS, 0xc000, 1),
        c,
        r,
        Some(Link::Inet),
        Some(Link::Inet),
    );
    // 21. A conference on the site's own conferencing server: onprem-conference.
    let (c, r) = (sa("10.10.1.33:50080"), sa("10.30.0.30:49152"));
    add(
        out,
        media(c, r, s + 1900 * MS, 0xd000, 1),
        c,
        r,
        Some(Link::Lan),
        Some(Link::Lan),
    );
    // 22. A guest on the LAN segment with a public address (no internal party) in an online
    //     meeting: external.
    let (c, r) = (sa("203.0.113.50:50090"), sa("52.112.70.1:3478"));
    add(
        out,
        media(c, r, s + 2000 * MS, 0xe000, 1),
        c,
        r,
        Some(Link::Lan),
        Some(Link::Lan),
    );
}

fn ether(p: &SitePacket, vlans: &[Vlan]) -> Vec<u8> {
    let next_hop = match p.link {
        Link::Er => ER_ROUTER_MAC,
        Link::Inet => INET_FW_MAC,
        Link::Lan => host_mac(p.dst),
    };
    // Outbound: host -> next hop; inbound: next hop -> host (an inside capture).
    let inbound = p.link != Link::Lan && !is_inside(p.src);
    if inbound {
        ethernet_ip(next_hop, host_mac(p.dst), vlans, &p.ip)
    } else if p.link == Link::Lan {
        ethernet_ip(host_mac(p.src), host_mac(p.dst), vlans, &p.ip)
    } else {
        ethernet_ip(host_mac(p.src), next_hop, vlans, &p.ip)
    }
}

fn is_inside(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.octets()[0] == 10,
        IpAddr::V6(v) => v.segments()[0] == 0x2001,
    }
}

/// pcapng with one named interface per path.
pub fn as_pcapng_interfaces() -> Vec<u8> {
    let mut ng = Pcapng::new();
    let er = ng.interface(Iface::ethernet("er0"));
    let inet = ng.interface(Iface::ethernet("inet0"));
    let lan = ng.interface(Iface::ethernet("lan0"));
    for p in packets() {
        let iface = match p.link {
            Link::Er => er,
            Link::Inet => inet,
            Link::Lan => lan,
        };
        ng.packet(iface, p.ts, &ether(&p, &[]));
    }
    ng.to_bytes()
}

/// One trunk port, each path on its VLAN.
pub fn as_vlan_trunk() -> Vec<u8> {
    let mut pcap = Pcap::new(LINKTYPE_ETHERNET);
    for p in packets() {
        pcap.packet(p.ts, &ether(&p, &[Vlan::dot1q(p.link.vlan())]));
    }
    pcap.to_bytes()
}

/// One capture inside the edge: the path shows only in the next-hop router's MAC.
pub fn as_next_hop_macs() -> Vec<u8> {
    let mut pcap = Pcap::new(LINKTYPE_ETHERNET).nanosecond(true);
    for p in packets() {
        pcap.packet(p.ts, &ether(&p, &[]));
    }
    pcap.to_bytes()
}

/// `tcpdump -i any` on the edge router: each path is an interface index.
pub fn as_sll2() -> Vec<u8> {
    let mut pcap = Pcap::new(LINKTYPE_LINUX_SLL2);
    for p in packets() {
        let outgoing = is_inside(p.src);
        let kind = if outgoing { 4 } else { 0 };
        pcap.packet(
            p.ts,
            &sll2(
                p.link.ifindex(),
                kind,
                ethertype_of(&p.ip),
                host_mac(p.src),
                &p.ip,
            ),
        );
    }
    pcap.to_bytes()
}

/// One file per tap, for `er0=... inet0=... lan0=...`.
pub fn as_tap_files() -> [(Link, Vec<u8>); 3] {
    let all = packets();
    [Link::Er, Link::Inet, Link::Lan].map(|link| {
        let mut pcap = Pcap::new(LINKTYPE_ETHERNET);
        for p in all.iter().filter(|p| p.link == link) {
            pcap.packet(p.ts, &ether(p, &[]));
        }
        (link, pcap.to_bytes())
    })
}
