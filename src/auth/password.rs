//! argon2id password hashing (AUTH-1). Hashing costs tens of milliseconds of
//! CPU on purpose, so it runs on the blocking pool, never on a runtime worker.
use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

use crate::error::{AppError, AppResult};

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Length rules, checked before any hashing. `field` names the input field.
pub fn check_policy(field: &str, password: &str) -> AppResult<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AppError::validation(
            field,
            format!("password must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(AppError::validation(
            field,
            format!("password must be at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

/// argon2id (v19, default OWASP parameters) with a random salt, as a PHC string.
pub async fn hash(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal(anyhow::anyhow!("argon2 hash: {e}")))
    })
    .await
    .map_err(AppError::internal)?
}

/// True when `password` matches the stored PHC string.
pub async fn verify(password: String, phc: String) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&phc)
            .map_err(|e| AppError::internal(anyhow::anyhow!("stored hash: {e}")))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(AppError::internal)?
}

/// A hash that verifies nothing, checked against when the account does not
/// exist so that login takes as long for unknown emails as for known ones.
pub fn decoy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2pGxXw5Tq2wJQ8mZKpRk3b1bCkY1b9nT7o0N3bq4q2U"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_argon2id_and_verifies() {
        let phc = hash("correct horse battery".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$"));
        assert!(
            verify("correct horse battery".into(), phc.clone())
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse battery".into(), phc).await.unwrap());
    }

    #[tokio::test]
    async fn decoy_parses_and_never_matches() {
        assert!(
            !verify("anything at all".into(), decoy_hash().into())
                .await
                .unwrap()
        );
    }

    #[test]
    fn policy() {
        assert!(check_policy("password", "123456789").is_err());
        assert!(check_policy("password", "1234567890").is_ok());
        assert!(check_policy("password", "가나다라마바사아자차").is_ok());
        assert!(check_policy("password", &"x".repeat(129)).is_err());
    }
}
