//! Mail (AUTH-5): what the platform sends, rendered in the recipient's
//! language (Korean or English, plain text and HTML with every value
//! escaped), recorded in `mail_messages` and delivered by the `MAIL_SEND`
//! job, queued in the transaction that causes the message. A request never
//! waits for a mail provider.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, sea_query::Expr,
};
use serde::{Deserialize, Serialize};

use crate::{
    entities::mail_message::{self, MailStatus},
    error::AppResult,
    infra::mail::{Mailer, Outgoing},
    jobs::{
        Backoff, Enqueue, HandlerResult, JobContext, JobKind, JobQueue, KindOptions, permanent,
    },
};

/// The languages mail is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Locale {
    Ko,
    En,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ko => "ko",
            Self::En => "en",
        }
    }

    /// Korean unless `raw` says English.
    pub fn parse(raw: &str) -> Self {
        if raw.trim().to_ascii_lowercase().starts_with("en") {
            Self::En
        } else {
            Self::Ko
        }
    }
}

/// What a message says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Template {
    /// A code for `purpose` (`VERIFY_EMAIL`, `PASSWORD_RESET`).
    EmailCode {
        code: String,
        purpose: String,
        minutes: i64,
    },
    /// The password was reset; every session was signed out.
    PasswordChanged,
    /// A high-severity security alert, for an admin.
    SecurityAlert { kind: String, message: String },
    /// A sign-in from a new network on a known device.
    NewSignInLocation { network: String },
    /// A subscription renewal was declined; the plan stays until `until`.
    PaymentFailed { plan: String, until: String },
    /// The grace period ended unpaid: the account is on FREE.
    PlanRestricted { plan: String },
}

impl Template {
    pub fn name(&self) -> &'static str {
        match self {
            Self::EmailCode { .. } => "EMAIL_CODE",
            Self::PasswordChanged => "PASSWORD_CHANGED",
            Self::SecurityAlert { .. } => "SECURITY_ALERT",
            Self::NewSignInLocation { .. } => "NEW_SIGN_IN_LOCATION",
            Self::PaymentFailed { .. } => "PAYMENT_FAILED",
            Self::PlanRestricted { .. } => "PLAN_RESTRICTED",
        }
    }
}

/// A rendered message: subject, plain text, HTML.
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Renders `template` in `locale`. Every value is escaped in the HTML part.
pub fn render(template: &Template, locale: Locale) -> Rendered {
    let (subject, paragraphs): (String, Vec<String>) = match (template, locale) {
        (
            Template::EmailCode {
                code,
                purpose,
                minutes,
            },
            Locale::Ko,
        ) => {
            let what = if purpose == "PASSWORD_RESET" {
                "비밀번호 재설정"
            } else {
                "이메일 인증"
            };
            (
                format!("[vitrine] {what} 코드 {code}"),
                vec![
                    format!("{what} 코드는 {code} 입니다."),
                    format!(
                        "{minutes}분 동안 유효합니다. 요청하지 않으셨다면 이 메일을 무시하세요."
                    ),
                ],
            )
        }
        (
            Template::EmailCode {
                code,
                purpose,
                minutes,
            },
            Locale::En,
        ) => {
            let what = if purpose == "PASSWORD_RESET" {
                "password reset"
            } else {
                "email verification"
            };
            (
                format!("[vitrine] Your {what} code is {code}"),
                vec![
                    format!("Your {what} code is {code}."),
                    format!(
                        "It is valid for {minutes} minutes. If you did not ask for it, ignore this message."
                    ),
                ],
            )
        }
        (Template::PasswordChanged, Locale::Ko) => (
            "[vitrine] 비밀번호가 변경되었습니다".to_owned(),
            vec![
                "계정의 비밀번호가 재설정되었고, 모든 기기에서 로그아웃되었습니다.".to_owned(),
                "본인이 아니라면 즉시 고객센터에 알려 주세요.".to_owned(),
            ],
        ),
        (Template::PasswordChanged, Locale::En) => (
            "[vitrine] Your password was changed".to_owned(),
            vec![
                "Your password was reset and every device was signed out.".to_owned(),
                "If this was not you, contact support right away.".to_owned(),
            ],
        ),
        (Template::SecurityAlert { kind, message }, Locale::Ko) => (
            format!("[vitrine 보안] {kind}"),
            vec![format!("보안 경보: {message}")],
        ),
        (Template::SecurityAlert { kind, message }, Locale::En) => (
            format!("[vitrine security] {kind}"),
            vec![format!("Security alert: {message}")],
        ),
        (Template::NewSignInLocation { network }, Locale::Ko) => (
            "[vitrine] 새로운 위치에서 로그인했습니다".to_owned(),
            vec![format!(
                "새 네트워크({network})에서 계정에 로그인했습니다. 본인이 아니라면 비밀번호를 바꿔 주세요."
            )],
        ),
        (Template::NewSignInLocation { network }, Locale::En) => (
            "[vitrine] New sign-in location".to_owned(),
            vec![format!(
                "Your account was used from a new network ({network}). If this was not you, change your password."
            )],
        ),
        (Template::PaymentFailed { plan, until }, Locale::Ko) => (
            "[vitrine] 구독 결제에 실패했습니다".to_owned(),
            vec![format!(
                "{plan} 플랜의 정기 결제가 승인되지 않았습니다. {until}까지 결제 수단을 바꾸지 않으면 FREE 플랜으로 바뀝니다."
            )],
        ),
        (Template::PaymentFailed { plan, until }, Locale::En) => (
            "[vitrine] Your subscription payment failed".to_owned(),
            vec![format!(
                "The renewal of your {plan} plan was declined. Update your payment method by {until}, or the account moves to the FREE plan."
            )],
        ),
        (Template::PlanRestricted { plan }, Locale::Ko) => (
            "[vitrine] FREE 플랜으로 바뀌었습니다".to_owned(),
            vec![format!(
                "{plan} 플랜의 결제가 유예 기간 안에 완료되지 않아 FREE 플랜으로 바뀌었습니다. 결제가 완료되면 플랜이 돌아옵니다."
            )],
        ),
        (Template::PlanRestricted { plan }, Locale::En) => (
            "[vitrine] Your account is on the FREE plan".to_owned(),
            vec![format!(
                "The payment for your {plan} plan did not go through within the grace period, so the account is on the FREE plan. Paying restores it."
            )],
        ),
    };
    let text = paragraphs.join("\n\n");
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>", escape_html(p)))
        .collect();
    let html = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head><body>{body}</body></html>",
        locale.as_str(),
        escape_html(&subject)
    );
    Rendered {
        subject,
        text,
        html,
    }
}

/// Records a message to `to` and queues its delivery, in the caller's
/// transaction (the caller wakes the queue after commit). Its id.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    jobs: &JobQueue,
    to: &str,
    locale: Locale,
    template: &Template,
) -> AppResult<i64> {
    let rendered = render(template, locale);
    let row = mail_message::ActiveModel {
        recipient: Set(to.to_owned()),
        locale: Set(locale.as_str().to_owned()),
        template: Set(template.name().to_owned()),
        subject: Set(rendered.subject),
        text_body: Set(rendered.text),
        html_body: Set(rendered.html),
        status: Set(MailStatus::Queued),
        provider: Set(None),
        provider_message_id: Set(None),
        error: Set(None),
        created_at: Set(Utc::now()),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    jobs.enqueue(conn, &SendMail { message_id: row.id }, Enqueue::default())
        .await?;
    Ok(row.id)
}

/// Delivers one recorded message.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SendMail {
    pub message_id: i64,
}

impl JobKind for SendMail {
    const KIND: &'static str = "MAIL_SEND";
    fn options() -> KindOptions {
        KindOptions {
            concurrency: 4,
            timeout: std::time::Duration::from_secs(60),
            max_attempts: 5,
            backoff: Backoff {
                base: std::time::Duration::from_secs(10),
                cap: std::time::Duration::from_secs(600),
                jitter: 0.2,
            },
        }
    }
}

/// The job: sends the message unless it went out already; a refusal of
/// the provider (4xx) fails at once, anything else is retried, and the
/// last failure marks the message FAILED.
pub async fn run(
    db: &DatabaseConnection,
    mailer: &dyn Mailer,
    ctx: &JobContext,
    job: &SendMail,
) -> HandlerResult {
    let Some(message) = mail_message::Entity::find_by_id(job.message_id)
        .one(db)
        .await?
    else {
        return Err(permanent(format!("message {} is gone", job.message_id)));
    };
    if message.status == MailStatus::Sent {
        return Ok(format!("message {} was already sent", message.id));
    }
    let outgoing = Outgoing {
        id: message.id,
        to: message.recipient.clone(),
        subject: message.subject.clone(),
        text: message.text_body.clone(),
        html: message.html_body.clone(),
    };
    match mailer.send(&outgoing).await {
        Ok(provider_id) => {
            mail_message::Entity::update_many()
                .col_expr(mail_message::Column::Status, Expr::value(MailStatus::Sent))
                .col_expr(mail_message::Column::Provider, Expr::value(mailer.name()))
                .col_expr(
                    mail_message::Column::ProviderMessageId,
                    Expr::value(provider_id.clone()),
                )
                .col_expr(mail_message::Column::Error, Expr::value(None::<String>))
                .col_expr(mail_message::Column::SentAt, Expr::value(Utc::now()))
                .filter(mail_message::Column::Id.eq(message.id))
                .exec(db)
                .await?;
            Ok(format!(
                "message {} sent by {} ({provider_id})",
                message.id,
                mailer.name()
            ))
        }
        Err(e) => {
            let last = e.permanent || ctx.is_last_attempt();
            let status = if last {
                MailStatus::Failed
            } else {
                MailStatus::Queued
            };
            mail_message::Entity::update_many()
                .col_expr(mail_message::Column::Status, Expr::value(status))
                .col_expr(mail_message::Column::Provider, Expr::value(mailer.name()))
                .col_expr(mail_message::Column::Error, Expr::value(e.message.clone()))
                .filter(mail_message::Column::Id.eq(message.id))
                .exec(db)
                .await?;
            if e.permanent {
                Err(permanent(e.message))
            } else {
                Err(anyhow::anyhow!(e.message))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_in_html_only() {
        let r = render(
            &Template::SecurityAlert {
                kind: "BRUTE_FORCE".into(),
                message: "<script>alert('x')</script> & more".into(),
            },
            Locale::En,
        );
        assert!(r.text.contains("<script>alert('x')</script> & more"));
        assert!(
            r.html
                .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more")
        );
        assert!(!r.html.contains("<script>"));
    }

    #[test]
    fn korean_and_english() {
        let code = Template::EmailCode {
            code: "123456".into(),
            purpose: "VERIFY_EMAIL".into(),
            minutes: 10,
        };
        let ko = render(&code, Locale::Ko);
        assert!(ko.subject.contains("이메일 인증") && ko.subject.contains("123456"));
        assert!(ko.html.starts_with("<!doctype html><html lang=\"ko\">"));
        let en = render(&code, Locale::En);
        assert!(en.text.contains("valid for 10 minutes"));
        assert_eq!(Locale::parse("en-US"), Locale::En);
        assert_eq!(Locale::parse("ko-KR"), Locale::Ko);
        assert_eq!(Locale::parse(""), Locale::Ko);
    }
}
