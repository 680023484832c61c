//! `callpath ranges update`: Microsoft's endpoints web service ("Office 365 IP Address and URL
//! web service"): `GET {service}/version/{instance}?clientrequestid={GUID}` says the latest
//! version (YYYYMMDDNN); when it is newer than the newest cached snapshot,
//! `GET {service}/endpoints/{instance}?clientrequestid={GUID}` fetches the endpoints, which are
//! validated as `--ranges` files are before they are stored (`cache::store`). HTTPS with
//! rustls (ureq), a timeout for each whole request, proxies from `HTTPS_PROXY`/`HTTP_PROXY`
//! (`NO_PROXY` honoured).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{cache, Instance, Ranges};

/// The web service Microsoft documents.
pub const DEFAULT_SERVICE: &str = "https://endpoints.office.com";
/// The longest a request may take, whole.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest endpoints answer read (the worldwide one is about 100 KB).
const MAX_BODY: u64 = 16 << 20;

/// The web service's name of an instance.
pub fn service_name(instance: Instance) -> &'static str {
    match instance {
        Instance::Worldwide => "Worldwide",
        Instance::UsGovDod => "USGovDoD",
        Instance::UsGovGccHigh => "USGovGCCHigh",
        Instance::China => "China",
    }
}

/// An instance by the name a user types (any case).
pub fn parse_instance(name: &str) -> Option<Instance> {
    [
        Instance::Worldwide,
        Instance::UsGovDod,
        Instance::UsGovGccHigh,
        Instance::China,
    ]
    .into_iter()
    .find(|i| service_name(*i).eq_ignore_ascii_case(name))
}

/// What an update did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Updated {
    /// The cached snapshot is the latest.
    Current { version: String, path: PathBuf },
    /// A newer snapshot was fetched and stored.
    Stored {
        version: String,
        previous: Option<String>,
        path: PathBuf,
        sets: usize,
        prefixes: usize,
    },
}

/// Why an update failed; nothing cached was changed.
#[derive(Debug)]
pub struct UpdateError(pub String);

impl fmt::Display for UpdateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UpdateError {}

/// A random version 4 GUID (RFC 9562 §5.4) for `clientrequestid`, from the OS's random source.
pub fn client_request_id() -> String {
    let mut b = [0u8; 16];
    let filled = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b))
        .is_ok();
    if !filled {
        // No /dev/urandom: a hash of time and process (a request id, not a secret).
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        let x = h.finish().to_le_bytes();
        for (slot, v) in b.iter_mut().zip(x.iter().chain(x.iter())) {
            *slot = *v;
        }
    }
    if let Some(x) = b.get_mut(6) {
        *x = (*x & 0x0f) | 0x40;
    }
    if let Some(x) = b.get_mut(8) {
        *x = (*x & 0x3f) | 0x80;
    }
    let mut text = String::with_capacity(36);
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push_str(&format!("{x:02x}"));
    }
    text
}

fn get(agent: &ureq::Agent, url: &str, timeout: Duration) -> Result<String, UpdateError> {
    let mut resp = agent.get(url).call().map_err(|e| match e {
        ureq::Error::Timeout(_) => UpdateError(format!(
            "{url}: no answer within {} s (timed out)",
            timeout.as_secs_f64()
        )),
        e => UpdateError(format!("{url}: {e}")),
    })?;
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_string()
        .map_err(|e| UpdateError(format!("{url}: cannot read the answer: {e}")))?;
    if status != 200 {
        let first = body
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect::<String>();
        return Err(UpdateError(format!("{url}: HTTP {status} {first}")));
    }
    Ok(body)
}

/// Asks the service for `instance`'s latest version and, when newer than what `dir` holds,
/// fetches, validates and stores it.
pub fn update(
    service: &str,
    instance: Instance,
    dir: &Path,
    timeout: Duration,
) -> Result<Updated, UpdateError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .user_agent(concat!("callpath/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let service = service.trim_end_matches('/');
    let name = service_name(instance);
    let id = client_request_id();
    let version_url = format!("{service}/version/{name}?clientrequestid={id}");
    let text = get(&agent, &version_url, timeout)?;
    let answer: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| UpdateError(format!("{version_url}: not the version answer ({e})")))?;
    let latest = answer
        .get("latest")
        .and_then(|v| v.as_str())
        .filter(|v| v.len() == 10 && v.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            UpdateError(format!(
                "{version_url}: no \"latest\" version (YYYYMMDDNN) in the answer"
            ))
        })?
        .to_owned();
    let cached = cache::newest(dir, instance);
    if let Some(c) = &cached {
        if c.version >= latest {
            return Ok(Updated::Current {
                version: c.version.clone(),
                path: c.path.clone(),
            });
        }
    }
    let endpoints_url = format!("{service}/endpoints/{name}?clientrequestid={id}");
    let text = get(&agent, &endpoints_url, timeout)?;
    // Validated as a --ranges file is, before anything is replaced.
    let ranges = Ranges::from_json_str(&text, &endpoints_url)
        .map_err(|e| UpdateError(format!("the downloaded endpoints are not usable: {e}")))?;
    let path = cache::store(dir, instance, &latest, &text)
        .map_err(|e| UpdateError(format!("cannot store in {}: {e}", dir.display())))?;
    Ok(Updated::Stored {
        version: latest,
        previous: cached.map(|c| c.version),
        path,
        sets: ranges.sets().len(),
        prefixes: ranges.prefix_count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_version_4_guids() {
        let a = client_request_id();
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4');
        assert!(matches!(a.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
        assert_ne!(a, client_request_id());
        assert_eq!(parse_instance("usgovdod"), Some(Instance::UsGovDod));
        assert_eq!(parse_instance("mars"), None);
    }
}
