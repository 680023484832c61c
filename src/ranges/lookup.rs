//! `callpath ranges lookup ADDR[:PORT[/udp|/tcp]]`: the question users ask most, "is
//! 52.113.10.5:3479/udp Teams media, and does it go over ExpressRoute?". IPv6 bare or in
//! brackets with a port (`[2603:1063::1]:3479/udp`). Without a port, every set whose prefixes
//! hold the address; with one, those that also serve it (on the transport given, else either).

use std::net::IpAddr;

use serde_json::{json, Value};

use super::{Ranges, Transport};

/// A parsed query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query {
    pub address: IpAddr,
    pub port: Option<u16>,
    pub transport: Option<Transport>,
}

impl Query {
    pub fn parse(s: &str) -> Result<Query, String> {
        let s = s.trim();
        let (rest, transport) = match s.rsplit_once('/') {
            Some((r, t)) if t.eq_ignore_ascii_case("udp") => (r, Some(Transport::Udp)),
            Some((r, t)) if t.eq_ignore_ascii_case("tcp") => (r, Some(Transport::Tcp)),
            Some((_, t)) => return Err(format!("{t:?} is not udp or tcp")),
            None => (s, None),
        };
        let port = |p: &str| {
            p.parse::<u16>()
                .map_err(|_| format!("{p:?} is not a port (0-65535)"))
        };
        let (address, port) = if let Some(inner) = rest.strip_prefix('[') {
            let (ip, after) = inner
                .split_once(']')
                .ok_or_else(|| "an opening [ without its ]".to_string())?;
            let p = match after {
                "" => None,
                a => Some(port(a.strip_prefix(':').ok_or("expected :PORT after ]")?)?),
            };
            (ip.parse::<IpAddr>().map_err(|e| e.to_string())?, p)
        } else if let Ok(ip) = rest.parse::<IpAddr>() {
            (ip, None)
        } else {
            match rest.rsplit_once(':') {
                Some((ip, p)) if !ip.contains(':') => (
                    ip.parse::<IpAddr>()
                        .map_err(|_| format!("{ip:?} is not an IP address"))?,
                    Some(port(p)?),
                ),
                _ => {
                    return Err(format!(
                    "{rest:?} is not an IP address (bracket IPv6 with a port: [2603:1063::1]:3479)"
                ))
                }
            }
        };
        if transport.is_some() && port.is_none() {
            return Err("a transport needs a port (ADDR:PORT/udp)".into());
        }
        Ok(Query {
            address,
            port,
            transport,
        })
    }
}

/// One set that answers the query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub id: u32,
    pub service_area: String,
    pub category: &'static str,
    pub express_route: bool,
}

/// The answer, with the snapshot it came from.
#[derive(Clone, Debug)]
pub struct Answer {
    pub query: Query,
    pub ranges: Value,
    pub matches: Vec<Hit>,
}

/// The sets answering `q` in `r`.
pub fn lookup(r: &Ranges, q: &Query) -> Answer {
    let matches = r
        .sets_holding(q.address)
        .into_iter()
        .filter(|s| match (q.port, q.transport) {
            (None, _) => true,
            (Some(p), Some(t)) => s.serves(t, p),
            (Some(p), None) => s.serves(Transport::Udp, p) || s.serves(Transport::Tcp, p),
        })
        .map(|s| Hit {
            id: s.id,
            service_area: s.service_area.clone(),
            category: s.category.as_str(),
            express_route: s.express_route,
        })
        .collect();
    Answer {
        query: *q,
        ranges: json!({
            "source": r.source(),
            "instance": r.instance().as_str(),
            "as_of": r.as_of(),
            "file": r.file(),
            "version": r.version(),
        }),
        matches,
    }
}

impl Answer {
    /// SPEC's JSON: address, port, transport, ranges, matches.
    pub fn json(&self) -> Value {
        json!({
            "address": self.query.address.to_string(),
            "port": self.query.port,
            "transport": self.query.transport.map(Transport::as_str),
            "ranges": self.ranges,
            "matches": self.matches.iter().map(|m| json!({
                "id": m.id,
                "service_area": m.service_area,
                "category": m.category,
                "express_route": m.express_route,
            })).collect::<Vec<_>>(),
        })
    }

    /// One line per set, or one saying there is none.
    pub fn text(&self) -> String {
        let q = &self.query;
        let mut what = match q.address {
            IpAddr::V6(a) if q.port.is_some() => format!("[{a}]"),
            a => a.to_string(),
        };
        if let Some(p) = q.port {
            what.push_str(&format!(":{p}"));
        }
        if let Some(t) = q.transport {
            what.push_str(&format!("/{}", t.as_str()));
        }
        let field = |k: &str| self.ranges.get(k).and_then(Value::as_str);
        let snapshot = format!(
            "{} snapshot, source {}{}",
            field("instance").unwrap_or("?"),
            field("source").unwrap_or("?"),
            field("as_of")
                .map(|d| format!(" as of {d}"))
                .unwrap_or_default()
        );
        if self.matches.is_empty() {
            return format!("{what}: in no Office 365 endpoint set ({snapshot})\n");
        }
        self.matches
            .iter()
            .map(|m| {
                format!(
                    "{what}: Office 365 endpoint set {} ({}, {}), ExpressRoute: {} ({snapshot})\n",
                    m.id,
                    m.service_area,
                    m.category,
                    if m.express_route { "yes" } else { "no" }
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse() {
        let q = Query::parse("52.113.10.5:3479/udp").unwrap();
        assert_eq!(q.port, Some(3479));
        assert_eq!(q.transport, Some(Transport::Udp));
        assert_eq!(Query::parse("52.113.10.5").unwrap().port, None);
        let q = Query::parse("[2603:1063::1]:3479/UDP").unwrap();
        assert_eq!(q.address, "2603:1063::1".parse::<IpAddr>().unwrap());
        assert_eq!(Query::parse("2603:1063::1").unwrap().port, None);
        assert!(Query::parse("52.113.10.5:99999").is_err());
        assert!(Query::parse("52.113.10.5/udp").is_err());
        assert!(Query::parse("52.113.10.5:3479/sctp").is_err());
        assert!(Query::parse("teams.microsoft.com:443").is_err());
        assert!(Query::parse("[2603:1063::1:3479").is_err());
    }

    #[test]
    fn sets_11_and_12_by_port() {
        let r = Ranges::bundled().unwrap();
        let ids = |q: &str| -> Vec<u32> {
            lookup(&r, &Query::parse(q).unwrap())
                .matches
                .iter()
                .map(|m| m.id)
                .collect()
        };
        assert_eq!(ids("52.112.10.5:3479/udp"), [11]);
        assert_eq!(ids("52.112.10.5:443/tcp"), [12]);
        assert_eq!(ids("52.112.10.5"), [11, 12]);
        assert!(ids("93.184.216.34:443/tcp").is_empty());
    }
}
