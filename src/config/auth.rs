//! Settings of access tokens (`VITRINE_JWT_*`, token lifetimes) and the
//! [`Secret`] wrapper that keeps credentials out of logs.
use std::{fmt, path::Path, path::PathBuf, time::Duration};

use super::{ConfigError, Environment, invalid, vars};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwtAlgorithm {
    Hs256,
    EdDsa,
    Rs256,
}

/// A value that must never reach a log line: `Debug` prints `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where the JWT signing material comes from.
#[derive(Clone, Debug)]
pub enum JwtKeySource {
    /// HS256 with an explicit secret.
    Secret(Secret),
    /// HS256, development only: a random secret kept in this file (created on first use).
    GeneratedSecretFile(PathBuf),
    /// EdDSA / RS256 PEM files.
    KeyFiles { private: PathBuf, public: PathBuf },
}

#[derive(Clone, Debug)]
pub struct JwtConfig {
    pub algorithm: JwtAlgorithm,
    pub keys: JwtKeySource,
    pub issuer: String,
    pub audience: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

pub(super) fn parse(
    env: &vars::Env<'_>,
    environment: Environment,
    data_dir: &Path,
) -> Result<JwtConfig, ConfigError> {
    let algorithm = match env.text(&vars::JWT_ALGORITHM).as_str() {
        "HS256" => JwtAlgorithm::Hs256,
        "EdDSA" => JwtAlgorithm::EdDsa,
        "RS256" => JwtAlgorithm::Rs256,
        other => {
            return Err(invalid(
                vars::JWT_ALGORITHM.name,
                format!("expected HS256, EdDSA or RS256, got `{other}`"),
            ));
        }
    };
    let keys = match algorithm {
        JwtAlgorithm::Hs256 => match env.raw(&vars::JWT_SECRET) {
            Some(secret) if secret.len() >= 32 => JwtKeySource::Secret(Secret(secret)),
            Some(_) => {
                return Err(invalid(vars::JWT_SECRET.name, "must be at least 32 bytes"));
            }
            None if environment == Environment::Production => {
                return Err(invalid(
                    vars::JWT_SECRET.name,
                    "required in production with HS256",
                ));
            }
            None => JwtKeySource::GeneratedSecretFile(data_dir.join("jwt-secret")),
        },
        JwtAlgorithm::EdDsa | JwtAlgorithm::Rs256 => {
            let file = |var: &'static vars::Var| {
                env.raw(var)
                    .map(PathBuf::from)
                    .ok_or_else(|| invalid(var.name, "required with EdDSA/RS256"))
            };
            JwtKeySource::KeyFiles {
                private: file(&vars::JWT_PRIVATE_KEY_FILE)?,
                public: file(&vars::JWT_PUBLIC_KEY_FILE)?,
            }
        }
    };
    let access_ttl = env.duration(&vars::ACCESS_TOKEN_TTL)?;
    let refresh_ttl = env.duration(&vars::REFRESH_TOKEN_TTL)?;
    if refresh_ttl <= access_ttl {
        return Err(invalid(
            vars::REFRESH_TOKEN_TTL.name,
            "must be longer than VITRINE_ACCESS_TOKEN_TTL",
        ));
    }
    Ok(JwtConfig {
        algorithm,
        keys,
        issuer: env.text(&vars::JWT_ISSUER),
        audience: env.text(&vars::JWT_AUDIENCE),
        access_ttl,
        refresh_ttl,
    })
}
