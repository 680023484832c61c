//! Live capture (`callpath watch`, feature `live`): libpcap (the `pcap` crate) on each
//! interface, in immediate mode with a 64 MiB kernel buffer and nanosecond timestamps, one
//! thread per interface handing packets over in batches (one arena per batch, no allocation
//! per packet). Stopping gives each interface's kernel counters (pcap_stats), which the report
//! shows as warnings when packets were dropped. A link that fails mid-capture is an event; the
//! other interfaces go on.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pcap::{Active, Capture, Precision};

/// The kernel buffer per interface: 64 MiB holds about 0.5 s of a saturated 1 Gb/s link.
pub const BUFFER_BYTES: i32 = 64 << 20;
/// Largest packet kept (libpcap's own default snaplen).
pub const SNAPLEN: i32 = 262_144;
/// A batch is handed over at this many packets, or this long after its first packet.
const BATCH_FRAMES: usize = 512;
const BATCH_AGE: Duration = Duration::from_millis(20);
/// The kernel's delivery timeout (immediate mode delivers at once; this bounds the rest).
const READ_TIMEOUT_MS: i32 = 50;
/// How long a thread sleeps when its interface has nothing to read. Reads are non-blocking:
/// libpcap's Linux TPACKET_V3 reader does not return on its timeout when nothing comes, so a
/// blocking read would never look at the stop flag on a quiet link.
const IDLE_SLEEP: Duration = Duration::from_millis(2);

/// One `-i IFACE[=LABEL]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveSpec {
    pub device: String,
    pub label: Option<String>,
}

impl LiveSpec {
    /// `IFACE` or `IFACE=LABEL`.
    pub fn parse(arg: &str) -> LiveSpec {
        match arg.split_once('=') {
            Some((device, label)) if !device.is_empty() && !label.is_empty() => LiveSpec {
                device: device.to_owned(),
                label: Some(label.to_owned()),
            },
            _ => LiveSpec {
                device: arg.to_owned(),
                label: None,
            },
        }
    }

    /// The capture point's name: its label, else the interface.
    pub fn name(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.device)
    }
}

/// Why an interface cannot be captured on.
#[derive(Debug)]
pub enum LiveError {
    NoSuchInterface { device: String, message: String },
    Permission { device: String, message: String },
    BadFilter { filter: String, message: String },
    Other { device: String, message: String },
}

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiveError::NoSuchInterface { device, message } => {
                write!(
                    f,
                    "no such interface {device} ({message}); `ip link` lists them"
                )
            }
            LiveError::Permission { device, message } => write!(
                f,
                "no permission to capture on {device} ({message}): run as root, or give the \
                 binary the capabilities: setcap cap_net_raw,cap_net_admin=eip $(command -v \
                 callpath)"
            ),
            LiveError::BadFilter { filter, message } => {
                write!(f, "bad --filter \"{filter}\": {message}")
            }
            LiveError::Other { device, message } => {
                write!(f, "cannot capture on {device}: {message}")
            }
        }
    }
}

impl std::error::Error for LiveError {}

fn classify(device: &str, e: pcap::Error) -> LiveError {
    let message = e.to_string();
    let lower = message.to_ascii_lowercase();
    let device = device.to_owned();
    if lower.contains("no such device") || lower.contains("doesn't exist") {
        LiveError::NoSuchInterface { device, message }
    } else if lower.contains("permitted") || lower.contains("permission") {
        LiveError::Permission { device, message }
    } else {
        LiveError::Other { device, message }
    }
}

/// One packet of a batch: its bytes are `bytes[start..end]`.
#[derive(Clone, Copy, Debug)]
pub struct LiveFrame {
    pub interface: u32,
    pub ts_ns: i64,
    pub orig_len: u32,
    pub start: usize,
    pub end: usize,
}

/// Packets of one interface, their bytes back to back.
#[derive(Debug, Default)]
pub struct Batch {
    pub frames: Vec<LiveFrame>,
    pub bytes: Vec<u8>,
}

impl Batch {
    /// Each packet with its bytes.
    pub fn iter(&self) -> impl Iterator<Item = (&LiveFrame, &[u8])> {
        self.frames
            .iter()
            .map(|f| (f, self.bytes.get(f.start..f.end).unwrap_or_default()))
    }
}

/// What an interface's thread reports.
#[derive(Debug)]
pub enum LiveEvent {
    Packets(Batch),
    /// The interface failed (a link gone): no more packets from it.
    Down {
        interface: u32,
        message: String,
    },
}

/// An interface's kernel counters at the end (pcap_stats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveStats {
    pub received: u64,
    pub dropped: u64,
    pub if_dropped: u64,
}

/// The open interfaces and their threads.
pub struct LiveCapture {
    rx: Receiver<LiveEvent>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<Option<LiveStats>>>,
    /// Per interface: the link type libpcap gives.
    pub linktypes: Vec<u32>,
}

/// Opens every interface (all or none: an error closes those already open) and starts
/// capturing.
pub fn open(specs: &[LiveSpec], filter: Option<&str>) -> Result<LiveCapture, LiveError> {
    let mut caps = Vec::with_capacity(specs.len());
    for spec in specs {
        let device = spec.device.as_str();
        let cap = Capture::from_device(device)
            .map_err(|e| classify(device, e))?
            .immediate_mode(true)
            .buffer_size(BUFFER_BYTES)
            .precision(Precision::Nano)
            .snaplen(SNAPLEN)
            .promisc(true)
            .timeout(READ_TIMEOUT_MS)
            .open()
            .map_err(|e| classify(device, e))?;
        let mut cap = cap.setnonblock().map_err(|e| classify(device, e))?;
        if let Some(f) = filter {
            cap.filter(f, true).map_err(|e| LiveError::BadFilter {
                filter: f.to_owned(),
                message: e.to_string(),
            })?;
        }
        caps.push(cap);
    }
    let linktypes = caps
        .iter()
        .map(|c| u32::try_from(c.get_datalink().0).unwrap_or(0))
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    // Enough batches in flight for a burst while the main thread audits.
    let (tx, rx) = mpsc::sync_channel(1024);
    let threads = caps
        .into_iter()
        .enumerate()
        .map(|(i, cap)| {
            let (tx, stop) = (tx.clone(), Arc::clone(&stop));
            std::thread::Builder::new()
                .name(format!("capture-{i}"))
                .spawn(move || capture_loop(i as u32, cap, &tx, &stop))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| LiveError::Other {
            device: "(thread)".into(),
            message: e.to_string(),
        })?;
    Ok(LiveCapture {
        rx,
        stop,
        threads,
        linktypes,
    })
}

fn capture_loop(
    interface: u32,
    mut cap: Capture<Active>,
    tx: &SyncSender<LiveEvent>,
    stop: &AtomicBool,
) -> Option<LiveStats> {
    let mut batch = Batch::default();
    let mut first_at: Option<Instant> = None;
    let send = |batch: &mut Batch, first_at: &mut Option<Instant>| {
        *first_at = None;
        if !batch.frames.is_empty() {
            // A full channel blocks this thread; the kernel buffer holds the packets meanwhile.
            let _ = tx.send(LiveEvent::Packets(std::mem::take(batch)));
        }
    };
    while !stop.load(Ordering::Relaxed) {
        match cap.next_packet() {
            Ok(p) => {
                let ts = p.header.ts;
                // With nanosecond precision libpcap puts nanoseconds in `tv_usec`. `time_t` and
                // `suseconds_t` are i64 on 64-bit Linux, narrower elsewhere.
                #[allow(clippy::useless_conversion)]
                let ts_ns = i64::from(ts.tv_sec)
                    .saturating_mul(1_000_000_000)
                    .saturating_add(i64::from(ts.tv_usec));
                let start = batch.bytes.len();
                batch.bytes.extend_from_slice(p.data);
                batch.frames.push(LiveFrame {
                    interface,
                    ts_ns,
                    orig_len: p.header.len,
                    start,
                    end: batch.bytes.len(),
                });
                let first = *first_at.get_or_insert_with(Instant::now);
                if batch.frames.len() >= BATCH_FRAMES || first.elapsed() >= BATCH_AGE {
                    send(&mut batch, &mut first_at);
                }
            }
            Err(pcap::Error::TimeoutExpired) => {
                send(&mut batch, &mut first_at);
                std::thread::sleep(IDLE_SLEEP);
            }
            Err(e) => {
                send(&mut batch, &mut first_at);
                let _ = tx.send(LiveEvent::Down {
                    interface,
                    message: e.to_string(),
                });
                return None;
            }
        }
    }
    send(&mut batch, &mut first_at);
    cap.stats().ok().map(|s| LiveStats {
        received: u64::from(s.received),
        dropped: u64::from(s.dropped),
        if_dropped: u64::from(s.if_dropped),
    })
}

impl LiveCapture {
    /// The next event, waiting at most `wait`; None when nothing came.
    pub fn next(&self, wait: Duration) -> Option<LiveEvent> {
        self.rx.recv_timeout(wait).ok()
    }

    /// Stops the threads and returns what is still queued and each interface's counters
    /// (None for one that failed).
    pub fn stop(self) -> (Vec<LiveEvent>, Vec<Option<LiveStats>>) {
        self.stop.store(true, Ordering::Relaxed);
        let mut left = Vec::new();
        let mut stats = Vec::with_capacity(self.threads.len());
        for t in self.threads {
            // Drain while joining so no thread waits on a full channel.
            while !t.is_finished() {
                if let Ok(e) = self.rx.recv_timeout(Duration::from_millis(5)) {
                    left.push(e);
                }
            }
            stats.push(t.join().ok().flatten());
        }
        left.extend(self.rx.try_iter());
        (left, stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_and_label() {
        assert_eq!(
            LiveSpec::parse("eth1=er0"),
            LiveSpec {
                device: "eth1".into(),
                label: Some("er0".into())
            }
        );
        assert_eq!(LiveSpec::parse("eth1").name(), "eth1");
        assert_eq!(LiveSpec::parse("eth1=er0").name(), "er0");
    }

    #[test]
    fn a_missing_interface_is_named() {
        let e = open(&[LiveSpec::parse("callpath-no-such-if0")], None)
            .err()
            .expect("no such interface");
        let text = e.to_string();
        assert!(text.contains("callpath-no-such-if0"), "{text}");
    }
}
