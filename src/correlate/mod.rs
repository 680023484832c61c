//! Several capture points as one (SPEC "Several capture points as one"): the same packet seen at
//! two places (two capture files, two interfaces, both sides of a source NAT) found by its
//! print, and what that gives: each file's clock offset, the flows that are one connection
//! before and after an address translation (twins), and the one-way transit between points.
//!
//! Works on the per-file flow tables before they are merged, from each flow side's first and
//! last packet print (`flow::Side::first_print`, `last_print`): no packet is stored, and the
//! work is a sort of four prints per flow.

use std::collections::{HashMap, HashSet, VecDeque};

use rayon::prelude::*;

use crate::flow::{FlowKey, FlowState, FlowTable, PointId};

/// Flow sides sharing one print beyond this many: a print too common to say which packet it
/// is (an application sending the same datagram on many flows), not used.
const MAX_SHARING: usize = 4;

/// What the capture points told of each other.
#[derive(Clone, Debug, Default)]
pub struct Correlation {
    /// Flows that are one connection seen on both sides of an address translation.
    pub twins: Vec<Twins>,
    /// Capture points that saw the same packets, with the transit between them.
    pub links: Vec<PointLink>,
}

/// Two flows that are one connection on both sides of a NAT: the same packets, one endpoint
/// the same (the server, for a source NAT), the other translated. Which is inside is the
/// audit's decision (it knows the site's addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Twins {
    pub a: FlowKey,
    pub b: FlowKey,
    /// Packets seen as both (first and last of each direction, at most 4).
    pub shared_packets: u32,
}

/// Two capture points that saw the same packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PointLink {
    pub a: PointId,
    pub b: PointId,
    /// Flows (or NAT twins) seen at both.
    pub flows: u32,
    /// Packets matched between them.
    pub packets: u32,
    /// One-way transit between the points (the median over flows of half the round trip the
    /// two directions make between them: no clock offset enters it). None when no flow
    /// showed both directions at both points in one clock.
    pub transit_ns: Option<i64>,
}

/// The longest a packet may take between two capture points sharing a clock (one file): two
/// sightings of one print further apart are two packets (a DNS query id and name repeated).
const MAX_TRANSIT_NS: i64 = 1_000_000_000;

/// One flow side's first or last packet: 16 bytes, so the sort of four per flow stays cheap.
#[derive(Clone, Copy, Debug)]
struct Sample {
    print: u64,
    slot: u32,
    /// file << 2 | side << 1 | last.
    tag: u32,
}

impl Sample {
    fn file(&self) -> u32 {
        self.tag >> 2
    }

    fn side(&self) -> u8 {
        ((self.tag >> 1) & 1) as u8
    }

    /// The packet's time, from its flow side.
    fn ts_ns(&self, tables: &[FlowTable]) -> Option<i64> {
        let (_, state) = tables.get(self.file() as usize)?.at(self.slot)?;
        let side = state.sides.get(usize::from(self.side()))?;
        Some(if self.tag & 1 == 1 {
            side.last_ns
        } else {
            side.first_ns
        })
    }
}

/// One packet seen in two flows (or in one flow of two files).
#[derive(Clone, Copy, Debug)]
struct Match {
    /// (file, slot) of each flow, `a` < `b`.
    a: (u32, u32),
    b: (u32, u32),
    /// The side of `a`'s key that sent the packet.
    a_side: u8,
    /// Time at `b` minus time at `a`, each in its file's clock.
    dt_ns: i64,
    /// The flows' keys differ: a translation.
    translated: bool,
}

/// Finds the packets seen at two places, estimates each file's clock offset and moves each
/// table's times onto the first file's clock, and finds NAT twins and point links. Returns the
/// offsets (each file's clock minus the first file's; None where no shared packet links the
/// file) and what was found.
pub fn correlate(tables: &mut [FlowTable]) -> (Vec<Option<i64>>, Correlation) {
    let matches = matches(tables);
    let offsets = clock_offsets(tables.len(), &matches);
    for (table, offset) in tables.iter_mut().zip(&offsets) {
        if let Some(o) = offset {
            table.shift_time(-o);
        }
    }
    // On one clock now: a match further apart than a transit is two packets.
    let aligned: Vec<Match> = matches
        .into_iter()
        .filter(|m| {
            let at = |f: u32| offsets.get(f as usize).copied().flatten();
            match (at(m.a.0), at(m.b.0)) {
                (Some(oa), Some(ob)) => {
                    let dt = m.dt_ns.saturating_sub(ob.saturating_sub(oa));
                    dt.saturating_abs() <= MAX_TRANSIT_NS
                }
                _ => false,
            }
        })
        .collect();
    let twins = twins(tables, &aligned);
    let links = links(tables, &aligned);
    (offsets, Correlation { twins, links })
}

/// The samples of one table's flows.
fn samples_of(file: u32, table: &FlowTable) -> Vec<Sample> {
    const CHUNK: usize = 8192;
    table
        .as_slice()
        .par_chunks(CHUNK)
        .enumerate()
        .flat_map_iter(|(chunk, flows)| {
            flows.iter().enumerate().flat_map(move |(i, (_, state))| {
                let slot = (chunk * CHUNK + i) as u32;
                let [s0, s1] = &state.sides;
                let sample = move |print: u64, side: u32, last: u32| {
                    (print != 0).then_some(Sample {
                        print,
                        slot,
                        tag: file << 2 | side << 1 | last,
                    })
                };
                // A side of one packet has it as first and last: once.
                let last_too = |s: &crate::flow::Side| s.last_ns != s.first_ns;
                [
                    sample(s0.first_print, 0, 0),
                    last_too(s0).then(|| sample(s0.last_print, 0, 1)).flatten(),
                    sample(s1.first_print, 1, 0),
                    last_too(s1).then(|| sample(s1.last_print, 1, 1)).flatten(),
                ]
                .into_iter()
                .flatten()
            })
        })
        .collect()
}

fn matches(tables: &[FlowTable]) -> Vec<Match> {
    let mut samples: Vec<Sample> = Vec::new();
    for (file, table) in tables.iter().enumerate() {
        samples.append(&mut samples_of(file as u32, table));
    }
    samples.par_sort_unstable_by_key(|s| s.print);
    let mut out = Vec::new();
    for group in samples.chunk_by(|x, y| x.print == y.print) {
        if group.len() < 2 || group.len() > MAX_SHARING {
            continue;
        }
        for (i, x) in group.iter().enumerate() {
            for y in group.iter().skip(i + 1) {
                if let Some(m) = matched(tables, x, y) {
                    out.push(m);
                }
            }
        }
    }
    out
}

/// The match of two samples with one print, if they are one packet: another flow, or the same
/// flow in another file, with the same sender and receiver but for one translated end, and
/// (in one file) close enough in time.
fn matched(tables: &[FlowTable], x: &Sample, y: &Sample) -> Option<Match> {
    let (x, y) = if (x.file(), x.slot) <= (y.file(), y.slot) {
        (x, y)
    } else {
        (y, x)
    };
    if (x.file(), x.slot) == (y.file(), y.slot) {
        return None;
    }
    let key = |s: &Sample| tables.get(s.file() as usize)?.at(s.slot).map(|(k, _)| *k);
    let (kx, ky) = (key(x)?, key(y)?);
    if kx.protocol != ky.protocol {
        return None;
    }
    let (sx, sy) = (x.side(), y.side());
    let same_sender = kx.sender(sx) == ky.sender(sy);
    let same_receiver = kx.sender(1 - sx) == ky.sender(1 - sy);
    let translated = same_sender != same_receiver;
    if !(translated || same_sender && same_receiver) {
        return None;
    }
    let dt_ns = y.ts_ns(tables)?.saturating_sub(x.ts_ns(tables)?);
    if x.file() == y.file() && dt_ns.saturating_abs() > MAX_TRANSIT_NS {
        return None;
    }
    Some(Match {
        a: (x.file(), x.slot),
        b: (y.file(), y.slot),
        a_side: sx,
        dt_ns,
        translated,
    })
}

/// Median of `v` (sorted in place); None when empty.
fn median(v: &mut [i64]) -> Option<i64> {
    v.sort_unstable();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => v.get(n / 2).copied(),
        _ => Some(((i128::from(*v.get(n / 2 - 1)?) + i128::from(*v.get(n / 2)?)) / 2) as i64),
    }
}

/// The two flows' matches, by the sending side of the first flow's key: the mean time
/// difference in each direction.
fn directions(ms: &[Match]) -> [Option<i64>; 2] {
    let mut out = [None, None];
    for (side, slot) in out.iter_mut().enumerate() {
        let dts: Vec<i128> = ms
            .iter()
            .filter(|m| usize::from(m.a_side) == side)
            .map(|m| i128::from(m.dt_ns))
            .collect();
        if !dts.is_empty() {
            *slot = Some((dts.iter().sum::<i128>() / dts.len() as i128) as i64);
        }
    }
    out
}

/// The matches grouped by the pair of flows they link.
fn by_flow_pair(matches: &[Match]) -> Vec<Vec<Match>> {
    let mut sorted = matches.to_vec();
    sorted.sort_unstable_by_key(|m| (m.a, m.b));
    sorted
        .chunk_by(|x, y| (x.a, x.b) == (y.a, y.b))
        .map(<[Match]>::to_vec)
        .collect()
}

/// Each file's clock minus the first file's. Per pair of files, the offset is the median over
/// the flows seen in both of the mean of the two directions' time differences (one-way transit
/// cancels out when the path is as long both ways); flows seen one way only are used when no
/// flow shows both. Offsets reach further files through any chain of linked files.
fn clock_offsets(files: usize, matches: &[Match]) -> Vec<Option<i64>> {
    // (file a, file b) -> estimates of clock b minus clock a: both ways, one way.
    let mut pairs: HashMap<(u32, u32), (Vec<i64>, Vec<i64>)> = HashMap::new();
    for ms in by_flow_pair(matches) {
        let Some(first) = ms.first() else { continue };
        if first.a.0 == first.b.0 {
            continue;
        }
        let entry = pairs.entry((first.a.0, first.b.0)).or_default();
        match directions(&ms) {
            [Some(d0), Some(d1)] => entry.0.push(((i128::from(d0) + i128::from(d1)) / 2) as i64),
            [Some(d), None] | [None, Some(d)] => entry.1.push(d),
            [None, None] => {}
        }
    }
    let mut edges: HashMap<u32, Vec<(u32, i64)>> = HashMap::new();
    for ((fa, fb), (mut both, mut one)) in pairs {
        let estimate = if both.is_empty() {
            median(&mut one)
        } else {
            median(&mut both)
        };
        if let Some(off) = estimate {
            edges.entry(fa).or_default().push((fb, off));
            edges
                .entry(fb)
                .or_default()
                .push((fa, off.saturating_neg()));
        }
    }
    let mut offsets: Vec<Option<i64>> = vec![None; files];
    if let Some(o) = offsets.first_mut() {
        *o = Some(0);
    }
    let mut queue = VecDeque::from([0u32]);
    while let Some(f) = queue.pop_front() {
        let Some(base) = offsets.get(f as usize).copied().flatten() else {
            continue;
        };
        for &(g, off) in edges.get(&f).map_or(&[][..], Vec::as_slice) {
            if let Some(slot @ None) = offsets.get_mut(g as usize) {
                *slot = Some(base.saturating_add(off));
                queue.push_back(g);
            }
        }
    }
    offsets
}

/// NAT twins: flow pairs linked by translated matches, each flow in one pair at most (the pair
/// with the most shared packets; a flow that ties between two is left alone).
fn twins(tables: &[FlowTable], matches: &[Match]) -> Vec<Twins> {
    let key = |(file, slot): (u32, u32)| {
        tables
            .get(file as usize)
            .and_then(|t| t.at(slot))
            .map(|(k, _)| *k)
    };
    let mut candidates: Vec<Twins> = by_flow_pair(matches)
        .iter()
        .filter_map(|ms| {
            let first = ms.first()?;
            if !first.translated {
                return None;
            }
            Some(Twins {
                a: key(first.a)?,
                b: key(first.b)?,
                shared_packets: ms.len() as u32,
            })
        })
        .collect();
    // The same two keys seen in several files are one pair.
    candidates
        .sort_unstable_by(|x, y| (y.shared_packets, x.a, x.b).cmp(&(x.shared_packets, y.a, y.b)));
    let mut taken: HashSet<FlowKey> = HashSet::new();
    let mut out: Vec<Twins> = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        if taken.contains(&c.a) || taken.contains(&c.b) {
            if let Some(o) = out.iter_mut().find(|o| o.a == c.a && o.b == c.b) {
                o.shared_packets += c.shared_packets;
            }
            continue;
        }
        let rival = candidates.iter().skip(i + 1).any(|r| {
            r.shared_packets == c.shared_packets
                && (r.a, r.b) != (c.a, c.b)
                && [r.a, r.b].iter().any(|k| *k == c.a || *k == c.b)
        });
        taken.insert(c.a);
        taken.insert(c.b);
        if !rival {
            out.push(*c);
        }
    }
    out.sort_unstable_by_key(|t| (t.a, t.b));
    out
}

/// The capture point every packet of a flow was seen at, if there is one.
fn only_point(state: &FlowState) -> Option<PointId> {
    let mut points = state
        .sides
        .iter()
        .flat_map(|s| s.sightings.iter())
        .map(|s| s.point);
    let first = points.next()?;
    points.all(|p| p == first).then_some(first)
}

/// Pairs of capture points that saw the same packets, with the transit between them.
fn links(tables: &[FlowTable], matches: &[Match]) -> Vec<PointLink> {
    let point = |(file, slot): (u32, u32)| {
        let (_, state) = tables.get(file as usize)?.at(slot)?;
        only_point(state)
    };
    // (point a, point b) -> flows, packets, transit samples.
    let mut acc: HashMap<(PointId, PointId), (u32, u32, Vec<i64>)> = HashMap::new();
    for ms in by_flow_pair(matches) {
        let Some(first) = ms.first() else { continue };
        let (Some(pa), Some(pb)) = (point(first.a), point(first.b)) else {
            continue;
        };
        if pa == pb {
            continue;
        }
        let entry = acc.entry((pa.min(pb), pa.max(pb))).or_default();
        entry.0 += 1;
        entry.1 += ms.len() as u32;
        match directions(&ms) {
            // d0 = offset + transit one way, d1 = offset - transit the other way.
            [Some(d0), Some(d1)] => entry
                .2
                .push(((i128::from(d0) - i128::from(d1)).abs() / 2) as i64),
            // One clock: the difference is the transit.
            [Some(d), None] | [None, Some(d)] if pa.file == pb.file => {
                entry.2.push(d.saturating_abs())
            }
            _ => {}
        }
    }
    let mut out: Vec<PointLink> = acc
        .into_iter()
        .map(|((a, b), (flows, packets, mut transit))| PointLink {
            a,
            b,
            flows,
            packets,
            transit_ns: median(&mut transit),
        })
        .collect();
    out.sort_unstable_by_key(|l| (l.a, l.b));
    out
}

#[cfg(test)]
mod tests;
