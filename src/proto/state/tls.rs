//! TLS's per-flow state: records counted, the ClientHello's evidence (SNI, ALPN, versions),
//! the reassembly of a ClientHello spread over segments, given up after a silence, and the
//! runs of records that show TLS in a capture started mid-session (no handshake).

use super::{flag, AppState, Payload};
use crate::proto::caps::{cut, push_capped, push_str_capped, MAX_ALPN, MAX_TLS_VERSIONS};
use crate::proto::evidence::App;
use crate::proto::tls;

/// Consecutive records (each header exactly where the previous record ends) a side must show
/// before a stream seen mid-session, without its handshake, counts as TLS on that side; the
/// side is checked no further once it has.
pub(super) const MID_MIN_RUN: u8 = 3;

/// Kept inline, for every flow.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct TlsState {
    /// Record headers seen at the start of a segment.
    records: u8,
    /// Per side (side 0 the low nibble), the records of the current mid-session run (0: no run;
    /// `AppState::tcp_next` holds where the next header is due).
    runs: u8,
    /// Where [MS-TURN]'s pseudo-TLS exchange stands.
    pseudo: PseudoTls,
}

/// [MS-TURN]'s pseudo-TLS exchange: a TLS-looking handshake before plain TURN on TCP 443.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum PseudoTls {
    #[default]
    No,
    /// The ClientHello looked like one (TLS 1.0, no extensions): the server's answer decides.
    Offered,
    /// The server answered ServerHello + ServerHelloDone in one record: TURN follows.
    Confirmed,
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
        if other.pseudo == PseudoTls::Confirmed {
            self.pseudo = PseudoTls::Confirmed;
        }
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
    /// A hello seen, or two TLS records, or runs of records in both directions.
    #[inline]
    pub(super) fn is_tls(&self) -> bool {
        self.has(flag::CLIENT_HELLO | flag::SERVER_HELLO)
            || self.tls.records >= 2
            || self.flags & (flag::MID0 | flag::MID1) == flag::MID0 | flag::MID1
    }

    /// A segment of a side whose SYN was not seen (the capture started mid-session): follows
    /// the side's run of TLS records (RFC 8446 §5.1) without keeping payload. A run starts at
    /// a segment that opens with a record header; each record's length says where the next
    /// header is due, and it is checked where a segment holds it (several records of one
    /// segment are walked); a header out of place, or a gap before it, ends the run.
    /// `MID_MIN_RUN` records set the side's flag and end the checking. True when the segment
    /// fits the run (a header checked, or bytes of a record in progress).
    fn tls_mid(&mut self, side: usize, seq: u32, d: &[u8]) -> bool {
        let (mid_flag, shift) = if side == 0 {
            (flag::MID0, 0)
        } else {
            (flag::MID1, 4)
        };
        if self.has(mid_flag) {
            return true;
        }
        let Some(next) = self.tcp_next.get_mut(side) else {
            return false;
        };
        let mut run = (self.tls.runs >> shift) & 0x0F;
        let mut pos = 0usize;
        if run > 0 {
            // Where the header is due, from this segment's start; "before it" (a gap, bytes
            // lost to the capture) starts over here.
            let due = next.wrapping_sub(seq);
            if due < 0x8000_0000 {
                match usize::try_from(due) {
                    Ok(due) if due < d.len() => pos = due,
                    // All of this segment belongs to the record in progress (or a header is
                    // due right after it).
                    _ => return true,
                }
            } else {
                run = 0;
            }
        }
        let mut fits = false;
        let mut ends = None;
        while let Some(h) = d.get(pos..).and_then(tls::parse_mid_record_header) {
            fits = true;
            run = run.saturating_add(1);
            if run >= MID_MIN_RUN {
                break;
            }
            pos = pos.saturating_add(tls::RECORD_HEADER_LEN + h.length);
            if pos >= d.len() {
                ends = Some(pos);
                break;
            }
        }
        if run >= MID_MIN_RUN {
            self.flags |= mid_flag;
            run = 0;
        } else if let Some(end) = ends {
            // RFC 8446 §5.1: the next header right after this record, in a later segment.
            *next = seq.wrapping_add(u32::try_from(end).unwrap_or(u32::MAX));
        } else {
            // Not a header where one was due, or one cut by the segment's end: no run.
            run = 0;
            fits = false;
        }
        self.tls.runs = (self.tls.runs & !(0x0F << shift)) | (run << shift);
        fits
    }

    /// The ClientHello was read and the flow is TLS: nothing more to learn (unless it may be
    /// [MS-TURN]'s pseudo-TLS, which plain TURN follows).
    #[inline]
    pub(super) fn tls_done(&self) -> bool {
        self.has(flag::CLIENT_HELLO) && self.app() == App::Tls && self.tls.pseudo == PseudoTls::No
    }

    /// The flow began with [MS-TURN]'s pseudo-TLS exchange, answered by the server.
    pub(super) fn is_pseudo_tls(&self) -> bool {
        self.tls.pseudo == PseudoTls::Confirmed
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
        // Mid-session TLS (no SYN: the handshake is not in the capture).
        let mid = !self.has(syn_flag) && self.tls_mid(side, seq, d);
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
                    if self.tls.pseudo == PseudoTls::Offered {
                        self.tls.pseudo = if tls::is_pseudo_tls_server_hello(d) {
                            PseudoTls::Confirmed
                        } else {
                            PseudoTls::No
                        };
                    }
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
            return self.tls.records >= 2
                || self.has(flag::CLIENT_HELLO | flag::SERVER_HELLO)
                || mid;
        }
        mid
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
        if tls::is_pseudo_tls_client_hello(&ch) && !self.has(flag::SERVER_HELLO) {
            self.tls.pseudo = PseudoTls::Offered;
        }
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
