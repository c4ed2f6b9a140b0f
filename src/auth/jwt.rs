//! Access tokens (AUTH-2): JWTs with claims `sub/role/sid/iat/exp/iss/aud/typ`.
//! The algorithm is pinned by configuration: a token whose header names any
//! other algorithm (including `none`) is refused before its claims are read.
use std::path::Path;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

use crate::{
    config::{JwtAlgorithm, JwtConfig, JwtKeySource},
    entities::user::Role,
    error::AuthFailure,
};

pub const ACCESS_TOKEN_TYPE: &str = "access";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// User id.
    pub sub: String,
    /// Role at issue time; the database stays the authority on every request.
    pub role: String,
    /// Session id.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub typ: String,
}

impl AccessClaims {
    pub fn user_id(&self) -> Option<i64> {
        self.sub.parse().ok()
    }
    pub fn session_id(&self) -> Option<i64> {
        self.sid.parse().ok()
    }
}

/// Signing and verification keys, loaded once at start-up.
#[derive(Clone)]
pub struct JwtKeys {
    algorithm: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    access_ttl_secs: i64,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    /// Loads key material; errors name the configuration variable at fault.
    pub fn load(config: &JwtConfig) -> anyhow::Result<Self> {
        let algorithm = match config.algorithm {
            JwtAlgorithm::Hs256 => Algorithm::HS256,
            JwtAlgorithm::EdDsa => Algorithm::EdDSA,
            JwtAlgorithm::Rs256 => Algorithm::RS256,
        };
        let (encoding, decoding) = match (&config.keys, config.algorithm) {
            (JwtKeySource::Secret(secret), _) => (
                EncodingKey::from_secret(secret.expose().as_bytes()),
                DecodingKey::from_secret(secret.expose().as_bytes()),
            ),
            (JwtKeySource::GeneratedSecretFile(path), _) => {
                let secret = read_or_create_secret(
                    path,
                    "development JWT secret; set VITRINE_JWT_SECRET in production",
                )?;
                (
                    EncodingKey::from_secret(&secret),
                    DecodingKey::from_secret(&secret),
                )
            }
            (JwtKeySource::KeyFiles { private, public }, alg) => {
                let private_pem = std::fs::read(private).map_err(|e| {
                    anyhow::anyhow!(
                        "VITRINE_JWT_PRIVATE_KEY_FILE: cannot read {}: {e}",
                        private.display()
                    )
                })?;
                let public_pem = std::fs::read(public).map_err(|e| {
                    anyhow::anyhow!(
                        "VITRINE_JWT_PUBLIC_KEY_FILE: cannot read {}: {e}",
                        public.display()
                    )
                })?;
                let keys = if alg == JwtAlgorithm::EdDsa {
                    (
                        EncodingKey::from_ed_pem(&private_pem),
                        DecodingKey::from_ed_pem(&public_pem),
                    )
                } else {
                    (
                        EncodingKey::from_rsa_pem(&private_pem),
                        DecodingKey::from_rsa_pem(&public_pem),
                    )
                };
                (
                    keys.0.map_err(|e| {
                        anyhow::anyhow!("VITRINE_JWT_PRIVATE_KEY_FILE: not a valid key: {e}")
                    })?,
                    keys.1.map_err(|e| {
                        anyhow::anyhow!("VITRINE_JWT_PUBLIC_KEY_FILE: not a valid key: {e}")
                    })?,
                )
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.algorithms = vec![algorithm];
        validation.leeway = 5;
        validation.set_issuer(&[config.issuer.as_str()]);
        validation.set_audience(&[config.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        let keys = Self {
            algorithm,
            encoding,
            decoding,
            validation,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            access_ttl_secs: config.access_ttl.as_secs() as i64,
        };
        // Fail at start-up, not at the first login, when the pair does not match.
        let probe = keys.issue(0, Role::Buyer, 0)?;
        keys.verify(&probe).map_err(|_| {
            anyhow::anyhow!(
                "VITRINE_JWT_PUBLIC_KEY_FILE does not verify tokens signed with the private key"
            )
        })?;
        Ok(keys)
    }

    pub fn access_ttl_secs(&self) -> i64 {
        self.access_ttl_secs
    }

    /// Signs an access token for `user_id` in session `session_id`.
    pub fn issue(&self, user_id: i64, role: Role, session_id: i64) -> anyhow::Result<String> {
        let now = Utc::now().timestamp();
        let claims = AccessClaims {
            sub: user_id.to_string(),
            role: role_name(role).to_owned(),
            sid: session_id.to_string(),
            iat: now,
            exp: now + self.access_ttl_secs,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            typ: ACCESS_TOKEN_TYPE.into(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(self.algorithm),
            &claims,
            &self.encoding,
        )?)
    }

    /// Verifies signature, algorithm, expiry, issuer, audience and type.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, AuthFailure> {
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AuthFailure::TokenExpired,
                _ => AuthFailure::TokenInvalid,
            })?;
        let claims = data.claims;
        if claims.typ != ACCESS_TOKEN_TYPE
            || claims.user_id().is_none()
            || claims.session_id().is_none()
        {
            return Err(AuthFailure::TokenInvalid);
        }
        Ok(claims)
    }
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Buyer => "BUYER",
        Role::Seller => "SELLER",
        Role::Admin => "ADMIN",
    }
}

/// Development convenience: a random 48-byte secret kept in the data directory
/// so that tokens survive a restart. Never used in production (config refuses).
/// Reads a generated secret, or writes a new random one (mode 0600); `what`
/// names it in the warning.
pub(crate) fn read_or_create_secret(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    if let Ok(existing) = std::fs::read(path)
        && existing.len() >= 32
    {
        return Ok(existing);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let secret: [u8; 48] = rand::random();
    let encoded = hex::encode(secret).into_bytes();
    std::fs::write(path, &encoded)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    tracing::warn!(path = %path.display(), "generated a {what}");
    Ok(encoded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    use std::time::Duration;

    fn keys(secret: &str) -> JwtKeys {
        JwtKeys::load(&JwtConfig {
            algorithm: JwtAlgorithm::Hs256,
            keys: JwtKeySource::Secret(Secret::new(secret)),
            issuer: "vitrine".into(),
            audience: "vitrine-api".into(),
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(86_400),
        })
        .unwrap()
    }

    #[test]
    fn round_trip_and_claims() {
        let k = keys("0123456789abcdef0123456789abcdef");
        let token = k.issue(42, Role::Admin, 7).unwrap();
        let claims = k.verify(&token).unwrap();
        assert_eq!(claims.user_id(), Some(42));
        assert_eq!(claims.session_id(), Some(7));
        assert_eq!(claims.role, "ADMIN");
        assert_eq!(claims.typ, "access");
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn refuses_other_keys_alg_none_and_tampering() {
        let k = keys("0123456789abcdef0123456789abcdef");
        let other = keys("fedcba9876543210fedcba9876543210");
        let token = other.issue(1, Role::Buyer, 1).unwrap();
        assert_eq!(k.verify(&token), Err(AuthFailure::TokenInvalid));

        let good = k.issue(1, Role::Buyer, 1).unwrap();
        let payload = good.split('.').nth(1).unwrap();
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert_eq!(
            k.verify(&format!("{none_header}.{payload}.")),
            Err(AuthFailure::TokenInvalid)
        );

        let mut claims: AccessClaims =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        claims.role = "ADMIN".into();
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        let mut parts: Vec<&str> = good.split('.').collect();
        parts[1] = &forged_payload;
        assert_eq!(k.verify(&parts.join(".")), Err(AuthFailure::TokenInvalid));
        assert_eq!(k.verify("not.a.jwt"), Err(AuthFailure::TokenInvalid));
    }

    #[test]
    fn expired_is_reported_as_expired() {
        let k = keys("0123456789abcdef0123456789abcdef");
        let now = Utc::now().timestamp();
        let claims = AccessClaims {
            sub: "1".into(),
            role: "BUYER".into(),
            sid: "1".into(),
            iat: now - 3600,
            exp: now - 1800,
            iss: "vitrine".into(),
            aud: "vitrine-api".into(),
            typ: "access".into(),
        };
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
        assert_eq!(k.verify(&token), Err(AuthFailure::TokenExpired));
    }
}
