//! The HTML report (SPEC "Other outputs").

use std::io::{self, Write};

use super::Report;

pub fn write_html<W: Write>(_report: &Report<'_>, mut out: W) -> io::Result<()> {
    out.write_all(b"<!doctype html>\n")
}
