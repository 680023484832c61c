//! Snapshots `callpath ranges update` stored, and the choice of snapshot in every run (SPEC
//! "Office 365 ranges over time"): `--ranges FILE`; else the newest cached snapshot of the
//! instance; else the bundled one. The cache is `$XDG_CACHE_HOME/callpath/ranges/`, else
//! `~/.cache/callpath/ranges/`, one file per instance and version (`worldwide-2025120100.json`),
//! each written to a temporary file and renamed, so a reader never sees half a file.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{Instance, Ranges, RangesError};

/// The cache directory, from the environment; None without `XDG_CACHE_HOME` or `HOME`.
pub fn cache_dir() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        Some(x) => PathBuf::from(x),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".cache"),
    };
    Some(base.join("callpath").join("ranges"))
}

/// The file name prefix of an instance's snapshots.
pub fn file_stem(instance: Instance) -> String {
    instance.as_str().to_ascii_lowercase()
}

/// A stored snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cached {
    pub path: PathBuf,
    pub version: String,
}

/// The newest snapshot of `instance` in `dir` (by version), if any.
pub fn newest(dir: &Path, instance: Instance) -> Option<Cached> {
    let prefix = format!("{}-", file_stem(instance));
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let version = name
                .strip_prefix(&prefix)?
                .strip_suffix(".json")?
                .to_owned();
            (version.len() == 10 && version.bytes().all(|b| b.is_ascii_digit())).then(|| Cached {
                path: e.path(),
                version,
            })
        })
        .max_by(|a, b| a.version.cmp(&b.version))
}

/// Stores `text` (already validated) as `instance`'s snapshot of `version`: written to a
/// temporary file in the same directory, synced, then renamed over the final name.
pub fn store(dir: &Path, instance: Instance, version: &str, text: &str) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{}-{version}.json", file_stem(instance)));
    let tmp = dir.join(format!(
        ".{}-{version}.json.{}.tmp",
        file_stem(instance),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|()| path)
}

/// The snapshot a run uses: `--ranges FILE`, else the newest cached worldwide snapshot (one
/// that no longer reads is skipped with a warning), else the bundled one. The second value is
/// a warning to print, if any.
pub fn choose(file: Option<&Path>) -> Result<(Ranges, Option<String>), RangesError> {
    if let Some(f) = file {
        return Ok((Ranges::load(f)?, None));
    }
    if let Some(c) = cache_dir().and_then(|d| newest(&d, Instance::Worldwide)) {
        match Ranges::load_cached(&c.path, &c.version) {
            Ok(r) => return Ok((r, None)),
            Err(e) => {
                let warning = format!(
                    "the cached Office 365 ranges do not read ({e}); using the bundled snapshot; \
                     `callpath ranges update` fetches them again"
                );
                return Ok((Ranges::bundled()?, Some(warning)));
            }
        }
    }
    Ok((Ranges::bundled()?, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_version_wins_and_stores_are_whole() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(newest(dir.path(), Instance::Worldwide), None);
        for v in ["2025110100", "2025120100", "2024010100"] {
            store(dir.path(), Instance::Worldwide, v, "[]").unwrap();
        }
        store(dir.path(), Instance::China, "2026010100", "[]").unwrap();
        std::fs::write(dir.path().join("worldwide-latest.json"), "x").unwrap();
        let n = newest(dir.path(), Instance::Worldwide).unwrap();
        assert_eq!(n.version, "2025120100");
        assert!(n.path.ends_with("worldwide-2025120100.json"));
        // No temporary file is left behind.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }
}
