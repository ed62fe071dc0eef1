//! Bearer tokens and roles: the website submits, admissions reads and follows up, ops reads health and
//! metrics. Tokens are compared in constant time and never logged.

use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use tonic::metadata::MetadataMap;

use super::error::ApiError;
use crate::config::AuthSettings;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The website backend: submits verifications.
    Website,
    /// Admissions dashboards: get, list and follow up.
    Admissions,
    /// Ops tooling: health and metrics.
    Ops,
}

impl Role {
    /// Stable text for telemetry.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Website => "website",
            Role::Admissions => "admissions",
            Role::Ops => "ops",
        }
    }
}

/// Checks bearer tokens against the configured ones.
#[derive(Clone)]
pub struct Authenticator {
    /// SHA-256 of each token with its role; `None` when authentication is off (loopback-only mode).
    tokens: Option<Vec<([u8; 32], Role)>>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").field("enabled", &self.tokens.is_some()).finish()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Authenticator {
    /// Builds the checker from the configuration.
    pub fn new(settings: &AuthSettings) -> Self {
        if settings.is_disabled() {
            return Authenticator { tokens: None };
        }
        let mut tokens = Vec::new();
        for (list, role) in [
            (&settings.website_tokens, Role::Website),
            (&settings.admissions_tokens, Role::Admissions),
            (&settings.ops_tokens, Role::Ops),
        ] {
            tokens.extend(list.iter().map(|t| (digest(t.expose_secret()), role)));
        }
        Authenticator { tokens: Some(tokens) }
    }

    /// True when tokens are checked.
    pub fn is_enabled(&self) -> bool {
        self.tokens.is_some()
    }

    /// Admits the call when its token has one of `allowed` roles (or authentication is off).
    pub fn authorize(&self, metadata: &MetadataMap, rpc: &'static str, allowed: &[Role]) -> Result<(), ApiError> {
        let Some(tokens) = &self.tokens else {
            return Ok(());
        };
        let presented = metadata
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            // The scheme is case-insensitive (RFC 9110 section 11.1).
            .and_then(|value| value.split_once(' ').filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer")))
            .map(|(_, token)| token)
            .ok_or(ApiError::Unauthenticated)?;
        // Comparing fixed-size digests keeps the comparison time independent of the tokens' contents.
        let presented = digest(presented.trim());
        let mut role = None;
        for (known, known_role) in tokens {
            let differs = known.iter().zip(presented.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if differs == 0 {
                role = Some(*known_role);
            }
        }
        match role {
            None => Err(ApiError::Unauthenticated),
            Some(role) if allowed.contains(&role) => Ok(()),
            Some(_) => Err(ApiError::PermissionDenied(rpc)),
        }
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;

    fn metadata(token: &str) -> MetadataMap {
        let mut map = MetadataMap::new();
        map.insert("authorization", format!("Bearer {token}").parse().expect("ascii"));
        map
    }

    fn authenticator() -> Authenticator {
        Authenticator::new(&AuthSettings {
            website_tokens: vec![SecretString::from("website-token-000000")],
            admissions_tokens: vec![SecretString::from("admissions-token-0000")],
            ops_tokens: vec![],
        })
    }

    #[test]
    fn a_token_of_an_allowed_role_is_admitted() {
        let result = authenticator().authorize(&metadata("website-token-000000"), "Submit", &[Role::Website]);
        assert!(result.is_ok());
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        let mut map = MetadataMap::new();
        map.insert("authorization", "BEARER website-token-000000".parse().expect("ascii"));
        assert!(authenticator().authorize(&map, "Submit", &[Role::Website]).is_ok());
    }

    #[test]
    fn a_token_of_another_role_is_denied() {
        let result = authenticator().authorize(&metadata("admissions-token-0000"), "Submit", &[Role::Website]);
        assert!(matches!(result, Err(ApiError::PermissionDenied("Submit"))));
    }

    #[test]
    fn a_missing_or_unknown_token_is_unauthenticated() {
        let auth = authenticator();
        assert!(matches!(
            auth.authorize(&MetadataMap::new(), "Get", &[Role::Admissions]),
            Err(ApiError::Unauthenticated)
        ));
        assert!(matches!(
            auth.authorize(&metadata("nope"), "Get", &[Role::Admissions]),
            Err(ApiError::Unauthenticated)
        ));
    }

    #[test]
    fn without_configured_tokens_every_call_is_admitted() {
        let auth = Authenticator::new(&AuthSettings::default());
        assert!(auth.authorize(&MetadataMap::new(), "Get", &[Role::Admissions]).is_ok());
    }
}
