//! `callpath check`'s outcomes as documents: the text summary (each expectation passed or
//! failed and why, with the flows that broke it) and JUnit XML (one testsuite per
//! expectations file, one testcase per expectation, a failure's message saying what was
//! expected and what was found), as GitLab, GitHub and Jenkins read it.

use std::io::{self, Write};

use crate::check::Outcome;

/// The text summary.
pub fn write_check_text<W: Write>(
    mut out: W,
    suite: &str,
    captures: &[&str],
    outcomes: &[Outcome],
) -> io::Result<()> {
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    writeln!(
        out,
        "callpath check: {suite} against {}: {} expectations, {} passed, {failed} failed",
        captures.join(", "),
        outcomes.len(),
        outcomes.len() - failed
    )?;
    for o in outcomes {
        let mark = if o.passed { "PASS" } else { "FAIL" };
        writeln!(out, "  {mark} {}", o.name)?;
        writeln!(out, "       expected {}", o.expected)?;
        writeln!(out, "       found    {}", o.found)?;
        for item in &o.listed {
            writeln!(out, "         {item}")?;
        }
        if o.more > 0 {
            writeln!(out, "         ... and {} more", o.more)?;
        }
    }
    Ok(())
}

/// `s` escaped for XML (and HTML) text and attribute values; characters XML 1.0 cannot hold
/// (controls but tab, CR and LF) become `?`.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// The failure's message: what was expected, what was found.
fn failure_message(o: &Outcome) -> String {
    format!("expected {}; found {}", o.expected, o.found)
}

/// JUnit XML: `<testsuites>` holding one `<testsuite>` named after the expectations file, a
/// `<testcase>` per outcome (`classname` the suite, `name` the expectation), each failed one
/// with a `<failure message=... type="expectation">` listing the flows.
pub fn write_junit<W: Write>(
    mut out: W,
    suite: &str,
    captures: &[&str],
    outcomes: &[Outcome],
    seconds: f64,
) -> io::Result<()> {
    let failures = outcomes.iter().filter(|o| !o.passed).count();
    let tests = outcomes.len();
    let suite_x = xml_escape(suite);
    writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
    writeln!(
        out,
        "<testsuites name=\"callpath check\" tests=\"{tests}\" failures=\"{failures}\" \
         errors=\"0\" time=\"{seconds:.3}\">"
    )?;
    writeln!(
        out,
        "  <testsuite name=\"{suite_x}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" \
         skipped=\"0\" time=\"{seconds:.3}\">"
    )?;
    writeln!(out, "    <properties>")?;
    for c in captures {
        writeln!(
            out,
            "      <property name=\"capture\" value=\"{}\"/>",
            xml_escape(c)
        )?;
    }
    writeln!(out, "    </properties>")?;
    for o in outcomes {
        let name = xml_escape(&o.name);
        if o.passed {
            writeln!(
                out,
                "    <testcase classname=\"{suite_x}\" name=\"{name}\" time=\"0\">\n      \
                 <system-out>{}</system-out>\n    </testcase>",
                xml_escape(&format!("expected {}; found {}", o.expected, o.found))
            )?;
            continue;
        }
        let mut body = String::new();
        for item in &o.listed {
            body.push_str(item);
            body.push('\n');
        }
        if o.more > 0 {
            body.push_str(&format!("... and {} more\n", o.more));
        }
        writeln!(
            out,
            "    <testcase classname=\"{suite_x}\" name=\"{name}\" time=\"0\">\n      \
             <failure message=\"{}\" type=\"expectation\">{}</failure>\n    </testcase>",
            xml_escape(&failure_message(o)),
            xml_escape(&body)
        )?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_controls() {
        assert_eq!(
            xml_escape("a<b>&\"c\"'\u{1}\n"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;?\n"
        );
    }
}
