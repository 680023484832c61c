//! TLS's per-flow state: records counted, the ClientHello's evidence (SNI, ALPN, versions) and
//! the reassembly of a ClientHello spread over segments, given up after a silence.

use super::{flag, AppState, Payload};
use crate::proto::caps::{cut, push_capped, push_str_capped, MAX_ALPN, MAX_TLS_VERSIONS};
use crate::proto::evidence::App;
use crate::proto::tls;

/// Kept inline, for every flow.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct TlsState {
    /// Record headers seen.
    records: u16,
}

/// TLS's part of `Heavy`.
#[derive(Clone, Debug, Default)]
pub(super) struct TlsHeavy {
    pub(super) sni: Option<String>,
    pub(super) alpn: Vec<String>,
    pub(super) versions: Vec<u16>,
    /// Per side, a ClientHello being reassembled; boxed on its own (few flows have one
    /// pending), and the box goes when none is.
    pub(super) reasm: Option<Box<[Option<tls::Reassembly>; 2]>>,
}

impl TlsState {
    pub(super) fn merge(&mut self, other: &TlsState) {
        self.records = self.records.saturating_add(other.records);
    }
}

impl TlsHeavy {
    /// The other copy's evidence; its pending reassemblies are not taken over.
    pub(super) fn merge(&mut self, other: &TlsHeavy, caps: &mut u32) {
        if self.sni.is_none() {
            self.sni.clone_from(&other.sni);
        }
        for a in &other.alpn {
            push_str_capped(&mut self.alpn, a, MAX_ALPN, caps);
        }
        for v in &other.versions {
            push_capped(&mut self.versions, *v, MAX_TLS_VERSIONS, caps);
        }
    }

    pub(super) fn shrink(&mut self) {
        if let Some(s) = &mut self.sni {
            s.shrink_to_fit();
        }
        self.alpn.shrink_to_fit();
        self.versions.shrink_to_fit();
    }

    pub(super) fn is_empty(&self) -> bool {
        self.sni.is_none()
            && self.alpn.is_empty()
            && self.versions.is_empty()
            && self.reasm.is_none()
    }
}

/// The flag saying side `side`'s stream start has been seen.
fn start_flag(side: usize) -> u16 {
    if side == 0 {
        flag::START0
    } else {
        flag::START1
    }
}

impl AppState {
    /// A hello seen, or two TLS records.
    #[inline]
    pub(super) fn is_tls(&self) -> bool {
        self.has(flag::CLIENT_HELLO | flag::SERVER_HELLO) || self.tls.records >= 2
    }

    /// The ClientHello was read and the flow is TLS: nothing more to learn.
    #[inline]
    pub(super) fn tls_done(&self) -> bool {
        self.has(flag::CLIENT_HELLO) && self.app() == App::Tls
    }

    /// A TCP segment: a record of a TLS stream, the ClientHello (whole, or a part kept for
    /// reassembly), or an early out-of-order segment of a stream whose start is to come.
    pub(super) fn tls(&mut self, side: usize, p: &Payload<'_>) -> bool {
        let d = p.data;
        let Some(seq) = p.tcp_seq else {
            return false;
        };
        let start_flag = start_flag(side);
        let syn_flag = if side == 0 { flag::SYN0 } else { flag::SYN1 };
        // A reassembly in progress for this side?
        if let Some(r) = self
            .heavy
            .as_mut()
            .and_then(|h| h.tls.reasm.as_mut()?.get_mut(side))
            .and_then(Option::as_mut)
        {
            r.insert(seq, d);
            let caps = std::mem::take(&mut r.caps_hit);
            self.counters.caps_hit = self.counters.caps_hit.saturating_add(caps);
            self.try_reassembled(side);
            return true;
        }
        let off = self
            .has(syn_flag)
            .then(|| seq.wrapping_sub(self.tcp_next.get(side).copied().unwrap_or(0)) as usize);
        if tls::probe(d) {
            self.flags |= start_flag;
            self.tls.records = self.tls.records.saturating_add(1);
            match d.get(5) {
                Some(1) if !self.has(flag::CLIENT_HELLO) => match tls::first_handshake(d) {
                    Ok(hs) => {
                        let ok = self.client_hello(&hs);
                        if !ok {
                            self.error();
                        }
                    }
                    Err(tls::Need::More) => {
                        let fixed = off == Some(0);
                        let mut r = tls::Reassembly::new(seq, fixed);
                        r.insert(seq, d);
                        r.last_ns = p.ts_ns;
                        self.put_back(side, r);
                    }
                    Err(tls::Need::Invalid) => self.error(),
                },
                Some(2) => {
                    self.flags |= flag::SERVER_HELLO;
                    self.message();
                }
                _ => {}
            }
            return true;
        }
        if !self.has(start_flag)
            && self.app() == App::Other
            && off.is_some_and(|o| (1..tls::REASM_CAP).contains(&o))
        {
            // Early out-of-order segment of a stream whose start is still to come: keep it
            // (capped) in case the start is a ClientHello.
            let base = self.tcp_next.get(side).copied().unwrap_or(0);
            let mut r = tls::Reassembly::new(base, true);
            r.insert(seq, d);
            r.last_ns = p.ts_ns;
            self.put_back(side, r);
            return true;
        }
        self.flags |= start_flag;
        if tls::parse_record_header(d).is_some() {
            self.tls.records = self.tls.records.saturating_add(1);
            return self.tls.records >= 2 || self.has(flag::CLIENT_HELLO | flag::SERVER_HELLO);
        }
        false
    }

    /// Reads the side's reassembled ClientHello if its bytes are all there now.
    fn try_reassembled(&mut self, side: usize) {
        let r = self
            .heavy
            .as_mut()
            .and_then(|h| h.tls.reasm.as_mut()?.get_mut(side))
            .and_then(Option::take);
        self.sync_reasm_flag();
        let Some(r) = r else {
            return;
        };
        let prefix = r.prefix();
        if prefix.is_empty() {
            self.put_back(side, r);
            return;
        }
        match tls::first_handshake(prefix) {
            Ok(hs) => {
                if hs.first() == Some(&1) {
                    self.tls.records = self.tls.records.saturating_add(1);
                    if !self.client_hello(&hs) {
                        self.error();
                    }
                }
                self.flags |= start_flag(side);
            }
            Err(tls::Need::More) if r.len() < tls::REASM_CAP => self.put_back(side, r),
            Err(tls::Need::More) => {
                self.counters.caps_hit = self.counters.caps_hit.saturating_add(1);
            }
            Err(tls::Need::Invalid) => {
                self.flags |= start_flag(side);
            }
        }
    }

    fn put_back(&mut self, side: usize, r: tls::Reassembly) {
        if let Some(slot) = self.heavy().tls.reasm.get_or_insert_default().get_mut(side) {
            *slot = Some(r);
            self.flags |= flag::REASM;
        }
    }

    /// The ClientHello's SNI, ALPN names and offered versions; false if it does not parse.
    fn client_hello(&mut self, hs: &[u8]) -> bool {
        let Some(ch) = tls::parse_client_hello(hs) else {
            return false;
        };
        self.flags |= flag::CLIENT_HELLO;
        self.message();
        let mut caps = self.counters.caps_hit;
        let hv = &mut self.heavy().tls;
        if hv.sni.is_none() {
            hv.sni = ch.server_name.map(cut);
        }
        for a in ch.alpn() {
            push_str_capped(
                &mut hv.alpn,
                &String::from_utf8_lossy(a),
                MAX_ALPN,
                &mut caps,
            );
        }
        for v in ch.versions() {
            push_capped(&mut hv.versions, v, MAX_TLS_VERSIONS, &mut caps);
        }
        self.counters.caps_hit = caps;
        true
    }

    pub(super) fn pending_reasm(&self) -> impl Iterator<Item = &tls::Reassembly> {
        self.heavy
            .as_deref()
            .filter(|_| self.has(flag::REASM))
            .into_iter()
            .flat_map(|h| h.tls.reasm.iter().flat_map(|r| r.iter().flatten()))
    }

    /// What pending reassemblies would add to `caps_hit` if given up now: one each, plus
    /// their own cap hits not yet counted.
    pub(super) fn pending_loss(&self) -> u32 {
        self.pending_reasm()
            .fold(0u32, |n, r| n.saturating_add(1).saturating_add(r.caps_hit))
    }

    /// Per packet while a reassembly is pending: keep the flow's latest time in it, and give
    /// it up when the flow was silent longer than `tls::REASM_MAX_GAP_NS`. The rule depends
    /// only on the flow's own packets, so the result is the same whether or not the table
    /// sealed the flow in the gap (sweeps run at times that depend on the shard).
    pub(super) fn reasm_clock(&mut self, ts_ns: i64) {
        self.give_up_reassembly(|r| ts_ns.saturating_sub(r.last_ns) > tls::REASM_MAX_GAP_NS);
        if let Some(h) = self.heavy.as_deref_mut() {
            for r in h.tls.reasm.iter_mut().flat_map(|r| r.iter_mut().flatten()) {
                r.last_ns = r.last_ns.max(ts_ns);
            }
        }
    }

    /// Drops the pending reassemblies `stale` picks, counting each in `caps_hit`.
    pub(super) fn give_up_reassembly(&mut self, stale: impl Fn(&tls::Reassembly) -> bool) {
        let mut lost = 0u32;
        if let Some(h) = self.heavy.as_deref_mut() {
            for slot in h.tls.reasm.iter_mut().flat_map(|r| r.iter_mut()) {
                if let Some(r) = slot.take_if(|r| stale(r)) {
                    lost = lost.saturating_add(1).saturating_add(r.caps_hit);
                }
            }
        }
        self.counters.caps_hit = self.counters.caps_hit.saturating_add(lost);
        self.sync_reasm_flag();
    }

    /// `flag::REASM` set exactly when a reassembly is pending; the box freed when none is.
    fn sync_reasm_flag(&mut self) {
        let mut any = false;
        if let Some(h) = self.heavy.as_deref_mut() {
            any = h
                .tls
                .reasm
                .as_ref()
                .is_some_and(|r| r.iter().any(Option::is_some));
            if !any {
                h.tls.reasm = None;
            }
        }
        if any {
            self.flags |= flag::REASM;
        } else {
            self.flags &= !flag::REASM;
        }
    }
}
