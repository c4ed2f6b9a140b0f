//! Mail and account security (AUTH-5, AUTH-6): which mailer, the sender,
//! whether sign-up needs a verified address, and the monitor's thresholds.
use std::time::Duration;

use super::{ConfigError, Secret, invalid, vars};
use crate::domain::security::monitor::MonitorSettings;

/// Which mailer delivers.
#[derive(Clone, Debug, PartialEq)]
pub enum MailBackend {
    /// `.eml` files under `$VITRINE_DATA_DIR/outbox`.
    Outbox,
    /// Brevo's transactional email API.
    Brevo { base_url: String, api_key: Secret },
}

#[derive(Clone, Debug, PartialEq)]
pub struct MailConfig {
    pub backend: MailBackend,
    pub sender_name: String,
    pub sender_email: String,
    pub timeout: Duration,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SecurityConfig {
    pub mail: MailConfig,
    pub require_email_verification: bool,
    pub monitor: MonitorSettings,
}

/// `Name <address>` or a bare address.
fn sender(raw: &str) -> Option<(String, String)> {
    let raw = raw.trim();
    let (name, email) = match raw.rsplit_once('<') {
        Some((name, rest)) => (
            name.trim().trim_matches('"'),
            rest.strip_suffix('>')?.trim(),
        ),
        None => ("vitrine", raw),
    };
    let (local, domain) = email.split_once('@')?;
    (!local.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace))
        .then(|| (name.to_owned(), email.to_owned()))
}

pub(super) fn parse(env: &vars::Env<'_>) -> Result<SecurityConfig, ConfigError> {
    let backend = match env.text(&vars::MAIL).as_str() {
        "outbox" => MailBackend::Outbox,
        "brevo" => MailBackend::Brevo {
            base_url: env
                .http_url(&vars::BREVO_BASE_URL)?
                .unwrap_or_else(|| env.text(&vars::BREVO_BASE_URL)),
            api_key: env
                .raw(&vars::BREVO_API_KEY)
                .map(Secret::new)
                .ok_or_else(|| {
                    invalid(vars::BREVO_API_KEY.name, "required with VITRINE_MAIL=brevo")
                })?,
        },
        other => {
            return Err(invalid(
                vars::MAIL.name,
                format!("expected `outbox` or `brevo`, got `{other}`"),
            ));
        }
    };
    let (sender_name, sender_email) = sender(&env.text(&vars::MAIL_FROM))
        .ok_or_else(|| invalid(vars::MAIL_FROM.name, "expected `Name <address@domain>`"))?;
    let monitor = MonitorSettings {
        login_threshold: env.number(&vars::SECURITY_LOGIN_THRESHOLD, 2..=1000)?,
        token_threshold: env.number(&vars::SECURITY_TOKEN_THRESHOLD, 2..=100_000)?,
        ..MonitorSettings::default()
    };
    Ok(SecurityConfig {
        mail: MailConfig {
            backend,
            sender_name,
            sender_email,
            timeout: Duration::from_secs(15),
        },
        require_email_verification: env.flag(&vars::REQUIRE_EMAIL_VERIFICATION)?,
        monitor,
    })
}

#[cfg(test)]
mod tests {
    use super::sender;

    #[test]
    fn senders() {
        assert_eq!(
            sender("Vitrine <no-reply@vitrine.example>"),
            Some(("Vitrine".into(), "no-reply@vitrine.example".into()))
        );
        assert_eq!(
            sender("ops@vitrine.example"),
            Some(("vitrine".into(), "ops@vitrine.example".into()))
        );
        assert_eq!(sender("nobody"), None);
        assert_eq!(sender("x <a b@c.d>"), None);
    }
}
