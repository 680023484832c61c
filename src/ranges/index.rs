//! The longest-prefix index of one address family: prefixes cut into sorted, disjoint address
//! intervals, each answering with the bucket of the longest prefix covering it. Built once when
//! the ranges load; `find` runs for every flow and allocates nothing.

use rustc_hash::FxHashMap;

/// The prefixes of one length in one family (used while building the intervals).
struct Level<K> {
    mask: K,
    map: FxHashMap<K, u32>,
}

/// One address family's prefixes flattened into sorted, disjoint address intervals, each
/// answering with the bucket of the longest prefix covering it (a nested prefix splits the one
/// around it). A lookup is a binary search over `starts` (a few hundred entries at most, in
/// cache), behind a bitmap of the top 8 (IPv4) / 16 (IPv6) bits any prefix covers, which rejects
/// most other addresses with one load.
#[derive(Debug, Clone)]
pub(super) struct Family<K> {
    starts: Vec<K>,
    ends: Vec<K>,
    buckets: Vec<u32>,
    top: Vec<u64>,
}

impl<K: Key> Default for Family<K> {
    fn default() -> Self {
        Family {
            starts: Vec::new(),
            ends: Vec::new(),
            buckets: Vec::new(),
            top: vec![0; (1usize << K::TOP_BITS) / 64],
        }
    }
}

/// An address of one family as an unsigned integer: u32 for IPv4, u128 for IPv6.
pub(super) trait Key:
    Copy + Ord + std::hash::Hash + std::ops::BitAnd<Output = Self>
{
    /// Width of the top-bits filter.
    const TOP_BITS: u8;
    /// The netmask of a prefix length.
    fn mask(len: u8) -> Self;
    /// The top `TOP_BITS` bits.
    fn top(self) -> usize;
    /// The last address of the prefix starting at `self` (host bits all ones).
    fn last(self, len: u8) -> Self;
    /// The last address of the family.
    const ALL_ONES: Self;
    /// The next address, None after the last one.
    fn succ(self) -> Option<Self>;
    /// The previous address (wrapping; only called on addresses above 0).
    fn pred(self) -> Self;
}

impl Key for u32 {
    const TOP_BITS: u8 = 8;
    fn mask(len: u8) -> u32 {
        u32::MAX
            .checked_shl(32 - u32::from(len.min(32)))
            .unwrap_or(0)
    }
    #[inline]
    fn top(self) -> usize {
        (self >> 24) as usize
    }
    fn last(self, len: u8) -> u32 {
        self | !u32::mask(len)
    }
    const ALL_ONES: u32 = u32::MAX;
    fn succ(self) -> Option<u32> {
        self.checked_add(1)
    }
    fn pred(self) -> u32 {
        self.wrapping_sub(1)
    }
}

impl Key for u128 {
    const TOP_BITS: u8 = 16;
    fn mask(len: u8) -> u128 {
        u128::MAX
            .checked_shl(128 - u32::from(len.min(128)))
            .unwrap_or(0)
    }
    #[inline]
    fn top(self) -> usize {
        (self >> 112) as usize
    }
    fn last(self, len: u8) -> u128 {
        self | !u128::mask(len)
    }
    const ALL_ONES: u128 = u128::MAX;
    fn succ(self) -> Option<u128> {
        self.checked_add(1)
    }
    fn pred(self) -> u128 {
        self.wrapping_sub(1)
    }
}

impl<K: Key> Family<K> {
    /// The bucket of the longest prefix containing `addr`, if any.
    #[inline]
    pub(super) fn find(&self, addr: K) -> Option<u32> {
        let t = addr.top();
        let word = self.top.get(t / 64).copied().unwrap_or(0);
        if word & (1 << (t % 64)) == 0 {
            return None;
        }
        let i = self.starts.partition_point(|&s| s <= addr).checked_sub(1)?;
        if addr <= *self.ends.get(i)? {
            self.buckets.get(i).copied()
        } else {
            None
        }
    }

    /// Builds the intervals from (prefix length, masked key, bucket index) triples: between two
    /// cuts the answer does not change, so each cut that some prefix covers starts an interval
    /// that runs to the next cut.
    pub(super) fn build(entries: &[(u8, K, u32)]) -> Family<K> {
        let levels = Levels::new(entries);
        let cuts = cuts(entries);
        let mut family = Family::default();
        for (n, &start) in cuts.iter().enumerate() {
            let Some(bucket) = levels.longest_match(start) else {
                continue;
            };
            let end = match cuts.get(n + 1) {
                // The next cut is above `start`, so `next - 1` does not wrap.
                Some(&next) => next.pred(),
                // No cut after a covered start: its prefix runs to the last address.
                None => K::ALL_ONES,
            };
            family.push_interval(start, end, bucket);
        }
        family.mark_top_bits(entries);
        family
    }

    /// Appends `start..=end` answering `bucket`, merged into the previous interval when it
    /// continues it with the same answer.
    fn push_interval(&mut self, start: K, end: K, bucket: u32) {
        let continues = self.ends.last().and_then(|e: &K| e.succ()) == Some(start)
            && self.buckets.last() == Some(&bucket);
        if continues {
            if let Some(e) = self.ends.last_mut() {
                *e = end;
            }
        } else {
            self.starts.push(start);
            self.ends.push(end);
            self.buckets.push(bucket);
        }
    }

    /// Sets the filter bit of every top-bits value a prefix covers: a prefix shorter than the
    /// filter covers 2^(TOP_BITS - len) of them.
    fn mark_top_bits(&mut self, entries: &[(u8, K, u32)]) {
        for &(len, key, _) in entries {
            let first = key.top();
            let span = 1usize << K::TOP_BITS.saturating_sub(len);
            for t in first..first.saturating_add(span) {
                if let Some(w) = self.top.get_mut(t / 64) {
                    *w |= 1 << (t % 64);
                }
            }
        }
    }
}

/// Every prefix's first address and the address after its last one, sorted: the only places
/// where the longest-prefix answer can change.
fn cuts<K: Key>(entries: &[(u8, K, u32)]) -> Vec<K> {
    let mut cuts: Vec<K> = Vec::with_capacity(entries.len() * 2);
    for &(len, key, _) in entries {
        cuts.push(key);
        if let Some(after) = key.last(len).succ() {
            cuts.push(after);
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// Longest-prefix match by hash probes, one map per prefix length, longest first: the plain
/// reference the intervals are cut from (asked once per cut, at load time only).
struct Levels<K>(Vec<Level<K>>);

impl<K: Key> Levels<K> {
    fn new(entries: &[(u8, K, u32)]) -> Levels<K> {
        let mut lens: Vec<u8> = entries.iter().map(|e| e.0).collect();
        lens.sort_unstable_by(|a, b| b.cmp(a));
        lens.dedup();
        let levels = lens
            .into_iter()
            .map(|len| Level {
                mask: K::mask(len),
                map: entries
                    .iter()
                    .filter(|e| e.0 == len)
                    .map(|e| (e.1, e.2))
                    .collect(),
            })
            .collect();
        Levels(levels)
    }

    /// The bucket of the longest prefix containing `addr`.
    fn longest_match(&self, addr: K) -> Option<u32> {
        self.0
            .iter()
            .find_map(|level| level.map.get(&(addr & level.mask)).copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> u32 {
        u32::from(s.parse::<std::net::Ipv4Addr>().unwrap())
    }

    #[test]
    fn masks() {
        assert_eq!(u32::mask(0), 0);
        assert_eq!(u32::mask(32), u32::MAX);
        assert_eq!(u32::mask(14), 0xfffc_0000);
        assert_eq!(u128::mask(0), 0);
        assert_eq!(u128::mask(128), u128::MAX);
        assert_eq!(u128::mask(38) >> 90, (1 << 38) - 1);
    }

    #[test]
    fn a_nested_prefix_splits_the_one_around_it() {
        let f = Family::build(&[(8, v4("10.0.0.0"), 0), (16, v4("10.1.0.0"), 1)]);
        assert_eq!(f.starts, [v4("10.0.0.0"), v4("10.1.0.0"), v4("10.2.0.0")]);
        assert_eq!(
            f.ends,
            [v4("10.0.255.255"), v4("10.1.255.255"), v4("10.255.255.255")]
        );
        assert_eq!(f.buckets, [0, 1, 0]);
        assert_eq!(f.find(v4("10.1.2.3")), Some(1));
        assert_eq!(f.find(v4("10.255.255.255")), Some(0));
        assert_eq!(f.find(v4("9.255.255.255")), None);
        assert_eq!(f.find(v4("11.0.0.0")), None);
    }

    #[test]
    fn neighbours_with_the_same_answer_merge() {
        let f = Family::build(&[(9, v4("10.0.0.0"), 4), (9, v4("10.128.0.0"), 4)]);
        assert_eq!((f.starts.len(), f.ends[0]), (1, v4("10.255.255.255")));
        // Different answers stay apart.
        let f = Family::build(&[(9, v4("10.0.0.0"), 4), (9, v4("10.128.0.0"), 5)]);
        assert_eq!(f.buckets, [4, 5]);
    }

    #[test]
    fn the_last_prefix_runs_to_the_last_address() {
        let f = Family::build(&[(8, v4("255.0.0.0"), 0)]);
        assert_eq!(f.ends, [u32::MAX]);
        assert_eq!(f.find(u32::MAX), Some(0));
        let f = Family::<u128>::build(&[(0, 0, 7)]);
        assert_eq!((f.find(0), f.find(u128::MAX)), (Some(7), Some(7)));
    }

    #[test]
    fn the_top_bits_filter_covers_short_prefixes() {
        // A /6 covers 4 values of the 8-bit filter, and nothing else is set.
        let f = Family::build(&[(6, v4("64.0.0.0"), 0)]);
        let set: Vec<usize> = (0..256)
            .filter(|t| f.top[t / 64] & (1 << (t % 64)) != 0)
            .collect();
        assert_eq!(set, [64, 65, 66, 67]);
        assert_eq!(Family::<u32>::build(&[]).find(0), None);
    }
}
