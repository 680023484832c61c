//! Office 365 endpoints JSON (`ranges::Ranges::from_json_str`) on arbitrary UTF-8.
//!
//! Properties, besides "no panic, no abort":
//! - an error's message names the file (`fuzz.json`);
//! - the same text as a `ranges lookup` query: a parsed one's matches hold its address;
//! - an accepted set: `lookup` of any address (a few from the input, and each listed prefix's
//!   first and last address) is Some exactly when `contains` is true; a match names a listed
//!   set whose prefix contains the address, `port_matched` exactly when that set serves the
//!   transport and port; listed prefixes are contained; sets are sorted by id and `set(id)`
//!   finds each.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use callpath::ranges::{Ranges, Transport};
use ipnetwork::IpNetwork;
use libfuzzer_sys::fuzz_target;

fn mapped(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V6(a) if a.to_ipv4_mapped().is_some())
}

/// The same prefix once IPv4-mapped ones (`::ffff:a.b.c.d/len`, len >= 96) are read as IPv4.
fn same_prefix(a: &IpNetwork, b: &IpNetwork) -> bool {
    let canon = |n: &IpNetwork| match (n.network(), n.prefix().checked_sub(96)) {
        (IpAddr::V6(x), Some(len)) if x.to_ipv4_mapped().is_some() => {
            (x.to_ipv4_mapped().map(IpAddr::V4), len)
        }
        (ip, _) => (Some(ip), n.prefix()),
    };
    canon(a) == canon(b)
}

fn check(r: &Ranges, ip: IpAddr, port: u16) {
    for t in [Transport::Tcp, Transport::Udp] {
        let m = r.lookup(ip, t, port);
        assert_eq!(
            m.is_some(),
            r.contains(ip),
            "lookup and contains disagree on {ip}"
        );
        if let Some(m) = m {
            let set = r.set(m.id).expect("match names a listed set");
            assert!(
                set.ips.iter().any(|n| same_prefix(n, &m.prefix)),
                "match's prefix is not its set's"
            );
            // The address in either form: IPv4-mapped IPv6 (RFC 4291 §2.5.5.2) is IPv4.
            let v4 = match ip {
                IpAddr::V6(a) => a.to_ipv4_mapped(),
                IpAddr::V4(a) => Some(a),
            };
            let forms = [
                Some(ip),
                v4.map(IpAddr::V4),
                v4.map(|a| IpAddr::V6(a.to_ipv6_mapped())),
            ];
            assert!(
                forms.into_iter().flatten().any(|a| m.prefix.contains(a)),
                "{} does not contain {ip}",
                m.prefix
            );
            assert_eq!(m.port_matched, set.serves(t, port));
            assert_eq!(
                (m.category, m.express_route, m.required),
                (set.category, set.express_route, set.required)
            );
        }
    }
}

static BUNDLED: OnceLock<Ranges> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // `ranges lookup`'s query parser on the same text: a parsed query answers from the bundled
    // snapshot, its matches hold the address.
    if let Ok(q) = callpath::ranges::lookup::Query::parse(text) {
        let bundled = BUNDLED.get_or_init(|| Ranges::bundled().expect("bundled ranges"));
        let a = callpath::ranges::lookup::lookup(bundled, &q);
        for m in &a.matches {
            assert!(bundled.set(m.id).is_some_and(|s| s.ips.iter().any(|n| n.contains(
                match q.address {
                    IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(q.address, IpAddr::V4),
                    v4 => v4,
                }
            ))));
        }
        let _ = (a.json(), a.text());
    }
    let r = match Ranges::from_json_str(text, "fuzz.json") {
        Ok(r) => r,
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.starts_with("fuzz.json:"),
                "error does not name the file: {msg}"
            );
            return;
        }
    };
    assert!(
        r.sets().windows(2).all(|w| w[0].id < w[1].id),
        "sets not sorted by id"
    );
    for s in r.sets() {
        assert_eq!(r.set(s.id), Some(s));
        for n in &s.ips {
            assert!(r.contains(n.network()), "{n} not contained");
            check(&r, n.network(), 443);
            // The last address too, unless it is IPv4-mapped while the first is not (a short
            // IPv6 prefix reaching into ::ffff:0:0/96: those addresses are IPv4's).
            let last = n.broadcast();
            if mapped(last) == mapped(n.network()) {
                assert!(r.contains(last), "{n} not contained");
                check(&r, last, 3478);
            }
        }
    }
    assert!(r.prefix_count() <= r.sets().iter().map(|s| s.ips.len()).sum::<usize>());
    let mut b = [0u8; 16];
    for (i, x) in data.iter().rev().take(16).enumerate() {
        b[i] = *x;
    }
    let port = u16::from_be_bytes([b[0], b[1]]);
    check(&r, IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])), port);
    check(&r, IpAddr::V6(Ipv6Addr::from(b)), port);
    check(
        &r,
        IpAddr::V6(Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_ipv6_mapped()),
        port,
    );
    check(&r, IpAddr::V4(Ipv4Addr::new(52, 112, 0, 1)), 3478);
});
