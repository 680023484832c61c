//! Capture points: how each is named (LABEL, pcapng interface name, file), which path rule
//! names it, and the capture files as the audit describes them to the report.

use super::AuditInput;
use crate::decode::DecodeCounters;
use crate::flow::PointId;
use crate::site::PathName;

/// One capture file: where it came from, what it held, and the path each capture point of it
/// (interface) was assigned by the site profile.
#[derive(Clone, Debug)]
pub struct CaptureFile<'a> {
    pub path: &'a str,
    pub label: Option<&'a str>,
    /// `pcap` or `pcapng`; None when the file could not be read at all.
    pub format: Option<&'static str>,
    /// `gzip` or `zstd` when the file was compressed.
    pub compression: Option<&'static str>,
    pub packets: u64,
    /// This file's clock minus the first file's (`correlate`); None when no shared packet
    /// links it.
    pub clock_offset_ns: Option<i64>,
    pub interfaces: Vec<CapturePoint<'a>>,
    pub decode: &'a DecodeCounters,
    pub warnings: &'a [String],
    /// Warnings including those not kept word for word.
    pub warnings_total: u64,
    pub errors: &'a [String],
}

/// One interface of a capture file.
#[derive(Clone, Copy, Debug)]
pub struct CapturePoint<'a> {
    pub name: Option<&'a str>,
    pub linktype: u32,
    /// The path a `[[path]]` rule assigns this capture point (SPEC rule 2).
    pub path: Option<PathName>,
    pub packets: u64,
}

/// How a capture point is shown: its name, the file it is in, its interface name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PointName<'a> {
    /// The file's LABEL, else the pcapng interface name, else the file.
    pub shown: &'a str,
    pub file: &'a str,
    pub interface: Option<&'a str>,
}

impl<'a> AuditInput<'a> {
    /// The names a path rule may use for a capture point: the file's LABEL, then the pcapng
    /// interface name.
    fn rule_names(&self, point: PointId) -> (Option<&'a str>, Option<&'a str>) {
        let captures = self.captures;
        let Some(c) = captures.get(point.file as usize) else {
            return (None, None);
        };
        let iface = c
            .interfaces
            .get(point.interface as usize)
            .and_then(|i| i.name.as_deref());
        (c.spec.label.as_deref(), iface)
    }

    /// How a capture point is shown.
    pub fn point_name(&self, point: PointId) -> PointName<'a> {
        let captures = self.captures;
        let Some(c) = captures.get(point.file as usize) else {
            return PointName {
                shown: "",
                file: "",
                interface: None,
            };
        };
        let file = c.spec.path.as_str();
        let interface = c
            .interfaces
            .get(point.interface as usize)
            .and_then(|i| i.name.as_deref());
        PointName {
            shown: c.spec.label.as_deref().or(interface).unwrap_or(file),
            file,
            interface,
        }
    }

    /// SPEC rule 2: the capture point (LABEL or interface name) is listed under a path.
    pub fn path_for_point(&self, point: PointId) -> Option<PathName> {
        let (label, iface) = self.rule_names(point);
        label
            .and_then(|l| self.site.path_for_capture_point(l))
            .or_else(|| iface.and_then(|i| self.site.path_for_capture_point(i)))
    }

    /// Every capture file with its capture points, in command-line order.
    pub(super) fn capture_files(&self) -> Vec<CaptureFile<'a>> {
        let captures = self.captures;
        captures
            .iter()
            .enumerate()
            .map(|(fi, c)| CaptureFile {
                path: &c.spec.path,
                label: c.spec.label.as_deref(),
                format: c.format.map(|f| f.as_str()),
                compression: c.compression,
                packets: c.packets,
                clock_offset_ns: c.clock_offset_ns,
                interfaces: c
                    .interfaces
                    .iter()
                    .enumerate()
                    .map(|(ii, iface)| CapturePoint {
                        name: iface.name.as_deref(),
                        linktype: iface.linktype,
                        path: self.path_for_point(PointId {
                            file: fi as u32,
                            interface: ii as u32,
                        }),
                        packets: c.interface_packets.get(ii).copied().unwrap_or(0),
                    })
                    .collect(),
                decode: &c.counters,
                warnings: &c.warnings,
                warnings_total: c.warnings_total,
                errors: &c.errors,
            })
            .collect()
    }
}
