//! Web Push (RFC 8030) to browsers' push services: payloads encrypted to the
//! browser's keys (RFC 8291, `aes128gcm`, by the `web-push-native` crate)
//! and requests signed with the server's VAPID key (RFC 8292). Sent with
//! reqwest; the caller decides what an answer means for the subscription.
use std::{path::Path, time::Duration};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use web_push_native::{
    Auth, WebPushBuilder,
    jwt_simple::{
        algorithms::{ECDSAP256KeyPairLike, ECDSAP256PublicKeyLike, ES256KeyPair},
        claims::Claims,
    },
    p256,
};

use crate::config::web::{VapidKeySource, WebConfig};

/// How long a push service keeps an undelivered message (the `TTL` header,
/// RFC 8030 §5.2): a notification a day old is still worth showing.
pub const MESSAGE_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// Lifetime of a VAPID token (RFC 8292 §2: at most 24 hours).
const VAPID_VALIDITY_HOURS: u64 = 12;
/// The largest plaintext one `aes128gcm` record carries for push services
/// (4096 bytes of body, RFC 8291 §4, less header, padding and tag).
pub const MAX_PAYLOAD: usize = 3993;

/// The browser side of a subscription.
pub struct Target<'a> {
    pub endpoint: &'a str,
    pub p256dh: &'a str,
    pub auth: &'a str,
}

/// What the push service answered.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 201 (or any 2xx): the push service took the message.
    Accepted,
    /// 404 or 410: the subscription expired or was unsubscribed; drop it.
    Gone(u16),
    /// Another 4xx: the request itself is wrong (a bad key, too large); a
    /// retry would get the same answer.
    Rejected(u16, String),
    /// 429, 5xx, a timeout or a network error: try again later.
    Unavailable(String),
}

pub struct WebPush {
    key: ES256KeyPair,
    /// The uncompressed public key, base64url: `applicationServerKey` of
    /// the browser's `pushManager.subscribe` and `k` of every request.
    public_key: String,
    subject: String,
    http: reqwest::Client,
}

impl WebPush {
    pub fn load(config: &WebConfig) -> anyhow::Result<Self> {
        let key = match &config.vapid_key {
            VapidKeySource::Key(secret) => key_from_base64(secret.expose())
                .map_err(|e| anyhow::anyhow!("VITRINE_VAPID_PRIVATE_KEY: {e}"))?,
            VapidKeySource::GeneratedFile(path) => read_or_create(path)?,
        };
        let public_key =
            URL_SAFE_NO_PAD.encode(key.public_key().public_key().to_bytes_uncompressed());
        let http = reqwest::Client::builder()
            .timeout(config.push_timeout)
            .build()?;
        Ok(Self {
            key,
            public_key,
            subject: config.vapid_subject.clone(),
            http,
        })
    }

    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// Encrypts `payload` to `target`'s keys and POSTs it to its endpoint.
    /// An `Err` is a subscription whose keys or endpoint cannot be used.
    pub async fn send(&self, target: &Target<'_>, payload: &[u8]) -> anyhow::Result<Outcome> {
        if payload.len() > MAX_PAYLOAD {
            anyhow::bail!(
                "payload of {} bytes is over the {MAX_PAYLOAD} a push message carries",
                payload.len()
            );
        }
        let endpoint = url::Url::parse(target.endpoint)?;
        let ua_public = p256::PublicKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(target.p256dh)?)
            .map_err(|_| anyhow::anyhow!("p256dh is not a P-256 public key"))?;
        let auth: [u8; 16] = URL_SAFE_NO_PAD
            .decode(target.auth)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("auth must be 16 bytes"))?;
        let request = WebPushBuilder::new(target.endpoint.parse()?, ua_public, Auth::from(auth))
            .with_valid_duration(MESSAGE_TTL)
            .build(payload.to_vec())
            .map_err(|e| anyhow::anyhow!("encrypting the push payload: {e}"))?;
        let authorization = self.vapid(&endpoint)?;
        let (parts, body) = request.into_parts();
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in &parts.headers {
            if let (Ok(name), Ok(value)) = (
                reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes()),
                reqwest::header::HeaderValue::from_bytes(value.as_bytes()),
            ) {
                headers.insert(name, value);
            }
        }
        let sent = self
            .http
            .post(endpoint)
            .headers(headers)
            .header(reqwest::header::AUTHORIZATION, authorization)
            .header("Urgency", "normal")
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) => return Ok(Outcome::Unavailable(e.to_string())),
        };
        let status = response.status().as_u16();
        Ok(match status {
            200..=299 => Outcome::Accepted,
            404 | 410 => Outcome::Gone(status),
            429 | 500..=599 => Outcome::Unavailable(format!("push service answered {status}")),
            _ => {
                let body = response.text().await.unwrap_or_default();
                Outcome::Rejected(status, body.chars().take(200).collect())
            }
        })
    }

    /// The `Authorization: vapid t=<JWT>, k=<public key>` of RFC 8292 §3:
    /// ES256, `aud` the push resource's origin (with its port), `sub` the
    /// contact. (The crate's own VAPID helper leaves the port out of `aud`,
    /// which a push service on a non-default port rejects.)
    fn vapid(&self, endpoint: &url::Url) -> anyhow::Result<String> {
        let claims = Claims::create(web_push_native::jwt_simple::prelude::Duration::from_hours(
            VAPID_VALIDITY_HOURS,
        ))
        .with_audience(endpoint.origin().ascii_serialization())
        .with_subject(&self.subject);
        let token = self
            .key
            .sign(claims)
            .map_err(|e| anyhow::anyhow!("signing the VAPID token: {e}"))?;
        Ok(format!("vapid t={token}, k={}", self.public_key))
    }
}

fn key_from_base64(raw: &str) -> anyhow::Result<ES256KeyPair> {
    let bytes = URL_SAFE_NO_PAD.decode(raw.trim().trim_end_matches('='))?;
    if bytes.len() != 32 {
        anyhow::bail!(
            "expected a 32-byte P-256 private key, got {} bytes",
            bytes.len()
        );
    }
    ES256KeyPair::from_bytes(&bytes).map_err(|e| anyhow::anyhow!("not a P-256 private key: {e}"))
}

/// The key in `path`, or a new one written there (0600) on first use.
fn read_or_create(path: &Path) -> anyhow::Result<ES256KeyPair> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        return key_from_base64(&existing).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let key = ES256KeyPair::generate();
    std::fs::write(path, URL_SAFE_NO_PAD.encode(key.to_bytes()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    tracing::warn!(path = %path.display(), "generated a VAPID key for Web Push; set VITRINE_VAPID_PRIVATE_KEY when several instances send pushes");
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_is_kept_and_read_back() {
        let dir = std::env::temp_dir().join(format!("vapid-{}", uuid::Uuid::new_v4()));
        let path = dir.join("key");
        let first = read_or_create(&path).unwrap();
        let again = read_or_create(&path).unwrap();
        assert_eq!(first.to_bytes(), again.to_bytes());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn keys_must_be_32_bytes() {
        assert!(key_from_base64("AAAA").is_err());
        let key = ES256KeyPair::generate();
        let encoded = URL_SAFE_NO_PAD.encode(key.to_bytes());
        assert_eq!(
            key_from_base64(&encoded).unwrap().to_bytes(),
            key.to_bytes()
        );
    }
}
