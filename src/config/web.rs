//! The web client and Web Push (issue 23): where the built app is served
//! from, and the VAPID identity push messages are signed with.
use std::{path::Path, path::PathBuf, time::Duration};

use super::{ConfigError, Secret, invalid, vars};

/// Where the VAPID private key comes from.
#[derive(Clone, Debug)]
pub enum VapidKeySource {
    /// `VITRINE_VAPID_PRIVATE_KEY`: 32 bytes, base64url.
    Key(Secret),
    /// A key generated on first use and kept in this file (one instance, or
    /// instances sharing the data directory).
    GeneratedFile(PathBuf),
}

#[derive(Clone, Debug)]
pub struct WebConfig {
    /// The built web client (`web/dist`), served at `/`.
    pub dir: PathBuf,
    pub vapid_key: VapidKeySource,
    /// The VAPID `sub` claim (RFC 8292 §2.1).
    pub vapid_subject: String,
    /// Timeout of one request to a push service.
    pub push_timeout: Duration,
}

pub(super) fn parse(env: &vars::Env<'_>, data_dir: &Path) -> Result<WebConfig, ConfigError> {
    let vapid_key = match env.raw(&vars::VAPID_PRIVATE_KEY) {
        Some(key) => VapidKeySource::Key(Secret::new(key)),
        None => VapidKeySource::GeneratedFile(data_dir.join("vapid-private-key")),
    };
    let vapid_subject = env.text(&vars::VAPID_SUBJECT);
    if !(vapid_subject.starts_with("mailto:") || vapid_subject.starts_with("https://")) {
        return Err(invalid(
            vars::VAPID_SUBJECT.name,
            format!("must be a mailto: or https: URI (RFC 8292 §2.1), got `{vapid_subject}`"),
        ));
    }
    Ok(WebConfig {
        dir: PathBuf::from(env.text(&vars::WEB_DIR)),
        vapid_key,
        vapid_subject,
        push_timeout: env.duration(&vars::WEB_PUSH_TIMEOUT)?,
    })
}
