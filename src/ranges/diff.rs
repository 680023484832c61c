//! `callpath ranges diff OLD NEW`: what changed between two endpoints files, set by set: sets
//! added and removed, and for a set in both its prefixes added and removed, its TCP and UDP
//! ports, its ExpressRoute flag and category, so a user can see whether a change of Microsoft's
//! explains a new finding.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{EndpointSet, Ranges};

fn ports(s: &EndpointSet) -> String {
    format!("tcp {} udp {}", s.tcp_ports, s.udp_ports)
}

/// The differences as text, one line each; empty when nothing differs.
pub fn diff(old: &Ranges, new: &Ranges) -> Vec<String> {
    let mut out = Vec::new();
    let ids: BTreeSet<u32> = old.sets().iter().chain(new.sets()).map(|s| s.id).collect();
    for id in ids {
        match (old.set(id), new.set(id)) {
            (Some(o), None) => out.push(format!(
                "set {id} ({} {}) removed: {} prefixes, {}",
                o.service_area,
                o.category,
                o.ips.len(),
                ports(o)
            )),
            (None, Some(n)) => out.push(format!(
                "set {id} ({} {}) added: {} prefixes, {}, expressRoute {}",
                n.service_area,
                n.category,
                n.ips.len(),
                ports(n),
                n.express_route
            )),
            (Some(o), Some(n)) => {
                let name = format!("set {id} ({})", n.service_area);
                let (a, b): (BTreeSet<String>, BTreeSet<String>) = (
                    o.ips.iter().map(|p| p.to_string()).collect(),
                    n.ips.iter().map(|p| p.to_string()).collect(),
                );
                for p in b.difference(&a) {
                    out.push(format!("{name}: prefix added {p}"));
                }
                for p in a.difference(&b) {
                    out.push(format!("{name}: prefix removed {p}"));
                }
                if ports(o) != ports(n) {
                    out.push(format!("{name}: ports {} -> {}", ports(o), ports(n)));
                }
                if o.express_route != n.express_route {
                    out.push(format!(
                        "{name}: expressRoute {} -> {}",
                        o.express_route, n.express_route
                    ));
                }
                if o.category != n.category {
                    out.push(format!("{name}: category {} -> {}", o.category, n.category));
                }
            }
            (None, None) => {}
        }
    }
    out
}

/// The report `diff` prints: the two files, then the differences (or that there are none).
pub fn diff_text(old: &Ranges, new: &Ranges, old_name: &str, new_name: &str) -> String {
    let lines = diff(old, new);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{old_name} ({} sets, {} prefixes) -> {new_name} ({} sets, {} prefixes): {}",
        old.sets().len(),
        old.prefix_count(),
        new.sets().len(),
        new.prefix_count(),
        if lines.is_empty() {
            "no difference".to_string()
        } else {
            format!("{} differences", lines.len())
        }
    );
    for l in lines {
        let _ = writeln!(s, "  {l}");
    }
    s
}
