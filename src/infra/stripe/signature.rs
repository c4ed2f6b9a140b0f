//! Stripe webhook signatures. Stripe signs each delivery with the
//! endpoint's secret and sends `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=…]`
//! (`v0=` and other schemes are ignored): `v1` is the lower-case hex
//! HMAC-SHA256, keyed by the whole secret (`whsec_…`), of `"{t}."` followed
//! by the raw request body. Several `v1` appear while Stripe rolls a secret;
//! several secrets are tried here so that we can roll ours.
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Stripe's default tolerance between the signed timestamp and our clock.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Why a webhook delivery's signature was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing Stripe-Signature header")]
    Missing,
    #[error(
        "malformed Stripe-Signature header: expected t=<timestamp> and at least one v1=<signature>"
    )]
    Malformed,
    #[error("no signature matches the payload and a webhook secret")]
    NoMatch,
    #[error("webhook timestamp is outside the tolerance ({age_secs} s from now)")]
    Stale { age_secs: i64 },
}

/// HMAC-SHA256 of `"{timestamp}." + body` (`None` only if the key were
/// refused, which HMAC never does: it takes keys of any length).
fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

/// Checks `header` (the `Stripe-Signature` value; empty when the request
/// had none) against the raw `body` and each of `secrets`; the signed
/// timestamp when one `v1` signature matches one secret and the timestamp
/// is within `tolerance_secs` of `now_unix` (either way).
pub fn verify_signature<S: AsRef<str>>(
    header: &str,
    body: &[u8],
    secrets: &[S],
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<i64, SignatureError> {
    let header = header.trim();
    if header.is_empty() {
        return Err(SignatureError::Missing);
    }
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.split_once('=') else {
            return Err(SignatureError::Malformed);
        };
        match key.trim() {
            "t" if timestamp.is_none() => {
                timestamp = Some(
                    value
                        .trim()
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed)?,
                );
            }
            "t" => return Err(SignatureError::Malformed),
            // A value that is not hex cannot match; it is skipped.
            "v1" => signatures.extend(hex::decode(value.trim()).ok()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let matched = secrets
        .iter()
        .map(AsRef::as_ref)
        .filter(|s| !s.is_empty())
        .any(|secret| {
            signatures.iter().any(|sig| {
                mac(secret, timestamp, body).is_some_and(|m| m.verify_slice(sig).is_ok())
            })
        });
    if !matched {
        return Err(SignatureError::NoMatch);
    }
    let age_secs = now_unix.saturating_sub(timestamp);
    if age_secs.unsigned_abs() > tolerance_secs.unsigned_abs() {
        return Err(SignatureError::Stale { age_secs });
    }
    Ok(timestamp)
}

/// The `Stripe-Signature` value Stripe would send for `body` signed with
/// `secret` at `timestamp` (for tests and local tooling).
pub fn sign(body: &[u8], secret: &str, timestamp: i64) -> String {
    let digest = mac(secret, timestamp, body)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("t={timestamp},v1={digest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_1","type":"invoice.paid"}"#;
    const NOW: i64 = 1_700_000_000;

    fn verify(header: &str, secrets: &[&str]) -> Result<i64, SignatureError> {
        verify_signature(header, BODY, secrets, NOW, DEFAULT_TOLERANCE_SECS)
    }

    #[test]
    fn a_signed_body_is_accepted() {
        let header = sign(BODY, "whsec_a", NOW - 10);
        assert_eq!(verify(&header, &["whsec_a"]), Ok(NOW - 10));
        // With spaces and an extra v0 scheme, as Stripe's test headers have.
        let spaced = format!("{}, v0=deadbeef", header.replace(',', ", "));
        assert_eq!(verify(&spaced, &["whsec_a"]), Ok(NOW - 10));
    }

    #[test]
    fn matches_the_reference_hmac() {
        // HMAC-SHA256("whsec_test", "1700000000.{body}") computed independently.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_test").unwrap();
        mac.update(b"1700000000.");
        mac.update(BODY);
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(
            sign(BODY, "whsec_test", NOW),
            format!("t=1700000000,v1={expected}")
        );
    }

    #[test]
    fn tampered_bodies_and_wrong_secrets_are_refused() {
        let header = sign(BODY, "whsec_a", NOW);
        let tampered = br#"{"id":"evt_1","type":"invoice.paid" }"#;
        assert_eq!(
            verify_signature(&header, tampered, &["whsec_a"], NOW, 300),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(verify(&header, &["whsec_b"]), Err(SignatureError::NoMatch));
        assert_eq!(
            verify(&header, &[] as &[&str]),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(verify(&header, &[""]), Err(SignatureError::NoMatch));
        // The timestamp is signed too.
        let moved = header.replace("t=1700000000", "t=1700000001");
        assert_eq!(verify(&moved, &["whsec_a"]), Err(SignatureError::NoMatch));
    }

    #[test]
    fn stale_timestamps_are_refused_both_ways() {
        let old = sign(BODY, "whsec_a", NOW - 301);
        assert_eq!(
            verify(&old, &["whsec_a"]),
            Err(SignatureError::Stale { age_secs: 301 })
        );
        let future = sign(BODY, "whsec_a", NOW + 301);
        assert_eq!(
            verify(&future, &["whsec_a"]),
            Err(SignatureError::Stale { age_secs: -301 })
        );
        assert!(verify(&sign(BODY, "whsec_a", NOW - 300), &["whsec_a"]).is_ok());
        assert!(verify(&sign(BODY, "whsec_a", NOW + 300), &["whsec_a"]).is_ok());
    }

    #[test]
    fn any_v1_and_any_secret_may_match() {
        let good = sign(BODY, "whsec_new", NOW);
        let good_sig = good.split_once(",v1=").unwrap().1;
        let bad_sig = sign(BODY, "whsec_other", NOW)
            .split_once(",v1=")
            .unwrap()
            .1
            .to_owned();
        let header = format!("t={NOW},v1={bad_sig},v1=zz-not-hex,v1={good_sig}");
        assert_eq!(verify(&header, &["whsec_new"]), Ok(NOW));
        // Rotation: the old secret first, the new one second.
        assert_eq!(verify(&good, &["whsec_old", "whsec_new"]), Ok(NOW));
        let owned = vec!["whsec_old".to_owned()];
        assert_eq!(
            verify_signature(&good, BODY, &owned, NOW, 300),
            Err(SignatureError::NoMatch)
        );
        // A v0 signature alone never counts.
        let v0 = good.replace("v1=", "v0=");
        assert_eq!(verify(&v0, &["whsec_new"]), Err(SignatureError::Malformed));
    }

    #[test]
    fn malformed_headers() {
        let sig = sign(BODY, "whsec_a", NOW);
        let v1 = sig.split_once(',').unwrap().1;
        assert_eq!(verify("", &["whsec_a"]), Err(SignatureError::Missing));
        assert_eq!(verify("  ", &["whsec_a"]), Err(SignatureError::Missing));
        for header in [
            v1.to_owned(),
            format!("t=soon,{v1}"),
            format!("t={NOW}"),
            format!("t={NOW},t={NOW},{v1}"),
            format!("t={NOW},{v1},garbage"),
            "nonsense".to_owned(),
        ] {
            assert_eq!(
                verify(&header, &["whsec_a"]),
                Err(SignatureError::Malformed),
                "{header}"
            );
        }
        assert!(
            SignatureError::Stale { age_secs: 400 }
                .to_string()
                .contains("400")
        );
    }
}
