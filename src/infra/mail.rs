//! Outgoing mail behind a small trait (AUTH-5). Messages are rendered and
//! recorded by `domain::mail` and handed to a [`Mailer`] by the `MAIL_SEND`
//! job, never on a request path.
//!
//! - [`OutboxMailer`] (the default) writes each message as an RFC 5322
//!   `.eml` file under `$VITRINE_DATA_DIR/outbox`, so whoever runs
//!   `make run` can read what was "sent" (admins also list it with
//!   `adminOutbox`).
//! - [`BrevoMailer`] sends through Brevo's transactional email API
//!   (`POST {base}/smtp/email`, `api-key` header, JSON body with `sender`,
//!   `to`, `subject`, `htmlContent`, `textContent`; `201 {"messageId"}`).
use std::{path::PathBuf, time::Duration};

use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::json;

/// One rendered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// Our id of the message (`mail_messages.id`), for idempotent delivery.
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Why a delivery failed: `permanent` failures are not retried (the
/// provider refused the message itself).
#[derive(Debug)]
pub struct MailError {
    pub permanent: bool,
    pub message: String,
}

impl std::fmt::Display for MailError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MailError {}

pub trait Mailer: Send + Sync {
    /// `outbox` or `brevo`.
    fn name(&self) -> &'static str;
    /// Delivers `message`; the provider's message id.
    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Result<String, MailError>>;
}

/// The sender every message carries.
#[derive(Clone, Debug)]
pub struct Sender {
    pub name: String,
    pub email: String,
}

/// `.eml` files in a directory.
pub struct OutboxMailer {
    dir: PathBuf,
    sender: Sender,
}

impl OutboxMailer {
    pub fn new(dir: PathBuf, sender: Sender) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&dir).map_err(|e| {
            anyhow::anyhow!("VITRINE_DATA_DIR: cannot create {}: {e}", dir.display())
        })?;
        Ok(Self { dir, sender })
    }

    /// The file a message is written to.
    pub fn path_of(&self, id: i64) -> PathBuf {
        self.dir.join(format!("{id:010}.eml"))
    }
}

impl Mailer for OutboxMailer {
    fn name(&self) -> &'static str {
        "outbox"
    }

    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Result<String, MailError>> {
        Box::pin(async move {
            let eml = to_eml(&self.sender, message);
            let path = self.path_of(message.id);
            let tmp = path.with_extension("eml.tmp");
            let written = async {
                tokio::fs::write(&tmp, eml).await?;
                tokio::fs::rename(&tmp, &path).await
            }
            .await;
            written.map_err(|e| MailError {
                permanent: false,
                message: format!("outbox {}: {e}", path.display()),
            })?;
            Ok(format!("outbox-{}", message.id))
        })
    }
}

/// An RFC 5322 message with a text and an HTML alternative (UTF-8, base64
/// bodies, RFC 2047 subject).
pub fn to_eml(sender: &Sender, message: &Outgoing) -> String {
    use base64::{Engine, engine::general_purpose::STANDARD};
    let boundary = format!("vitrine-{:x}", message.id.wrapping_mul(0x9E37_79B9));
    let wrap = |raw: &str| {
        let encoded = STANDARD.encode(raw.as_bytes());
        encoded
            .as_bytes()
            .chunks(76)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("\r\n")
    };
    let subject = format!(
        "=?UTF-8?B?{}?=",
        STANDARD.encode(message.subject.as_bytes())
    );
    let from_name = format!("=?UTF-8?B?{}?=", STANDARD.encode(sender.name.as_bytes()));
    [
        format!("From: {from_name} <{}>", sender.email),
        format!("To: <{}>", message.to),
        format!("Subject: {subject}"),
        format!("Date: {}", chrono::Utc::now().to_rfc2822()),
        format!("Message-ID: <{}.{}@vitrine.local>", message.id, boundary),
        "MIME-Version: 1.0".to_owned(),
        format!("Content-Type: multipart/alternative; boundary=\"{boundary}\""),
        String::new(),
        format!("--{boundary}"),
        "Content-Type: text/plain; charset=utf-8".to_owned(),
        "Content-Transfer-Encoding: base64".to_owned(),
        String::new(),
        wrap(&message.text),
        format!("--{boundary}"),
        "Content-Type: text/html; charset=utf-8".to_owned(),
        "Content-Transfer-Encoding: base64".to_owned(),
        String::new(),
        wrap(&message.html),
        format!("--{boundary}--"),
        String::new(),
    ]
    .join("\r\n")
}

/// Brevo's transactional email API.
pub struct BrevoMailer {
    http: reqwest::Client,
    base_url: String,
    api_key: String,
    sender: Sender,
}

impl BrevoMailer {
    pub fn new(
        base_url: &str,
        api_key: &str,
        sender: Sender,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder().timeout(timeout).build()?,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
            sender,
        })
    }
}

#[derive(Deserialize)]
struct BrevoSent {
    #[serde(rename = "messageId")]
    message_id: String,
}

impl Mailer for BrevoMailer {
    fn name(&self) -> &'static str {
        "brevo"
    }

    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Result<String, MailError>> {
        Box::pin(async move {
            let body = json!({
                "sender": { "name": self.sender.name, "email": self.sender.email },
                "to": [{ "email": message.to }],
                "subject": message.subject,
                "htmlContent": message.html,
                "textContent": message.text,
                // Brevo groups and de-duplicates by these.
                "headers": { "X-Vitrine-Message-Id": message.id.to_string() },
                "tags": ["vitrine"],
            });
            let transient = |message: String| MailError {
                permanent: false,
                message,
            };
            let response = self
                .http
                .post(format!("{}/smtp/email", self.base_url))
                .header("api-key", &self.api_key)
                .header("accept", "application/json")
                .json(&body)
                .send()
                .await
                .map_err(|e| transient(format!("Brevo: {e}")))?;
            let status = response.status();
            let text = response
                .text()
                .await
                .map_err(|e| transient(format!("Brevo: {e}")))?;
            if !status.is_success() {
                // 4xx other than 429: the message or the key is refused;
                // trying again will not help.
                let permanent = status.is_client_error() && status.as_u16() != 429;
                return Err(MailError {
                    permanent,
                    message: format!("Brevo answered {status}: {}", truncate(&text, 300)),
                });
            }
            let sent: BrevoSent = serde_json::from_str(&text).map_err(|e| {
                transient(format!(
                    "Brevo: unexpected answer ({e}): {}",
                    truncate(&text, 300)
                ))
            })?;
            Ok(sent.message_id)
        })
    }
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eml_is_a_multipart_message_with_encoded_headers() {
        let sender = Sender {
            name: "비트린".into(),
            email: "no-reply@vitrine.local".into(),
        };
        let eml = to_eml(
            &sender,
            &Outgoing {
                id: 7,
                to: "ana@example.com".into(),
                subject: "인증 코드 123456".into(),
                text: "코드: 123456".into(),
                html: "<p>코드: <b>123456</b></p>".into(),
            },
        );
        assert!(eml.contains("To: <ana@example.com>\r\n"));
        assert!(eml.contains("Subject: =?UTF-8?B?"));
        assert!(eml.contains("Content-Type: multipart/alternative; boundary="));
        assert!(eml.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(eml.contains("Content-Type: text/html; charset=utf-8"));
        // The bodies decode back.
        use base64::{Engine, engine::general_purpose::STANDARD};
        let text_part = eml
            .split("Content-Transfer-Encoding: base64\r\n\r\n")
            .nth(1)
            .unwrap();
        let encoded: String = text_part
            .split("\r\n--")
            .next()
            .unwrap()
            .replace("\r\n", "");
        assert_eq!(
            String::from_utf8(STANDARD.decode(encoded).unwrap()).unwrap(),
            "코드: 123456"
        );
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate("가나다", 2), "가나");
        assert_eq!(truncate("ab", 5), "ab");
    }
}
