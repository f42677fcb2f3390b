//! Roles and API tokens. A token is `hs_<id>_<secret>`: the id finds the stored row, the secret
//! (32 random bytes, hex) is checked against a salted SHA-256 hash in constant time. Only the
//! hash and the salt are stored; the token itself is shown once, when it is made.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Who is asking. Without a token, `Public`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Anyone: generalised incidents, published reports, observations, districts.
    Public,
    /// The Hotspot secretariat: exact aggregates and analysis, moderation, initiatives, goals.
    Planner,
    /// The police liaison: exact incidents, exports and imports.
    Police,
    /// Everything, including tokens and the audit log.
    Admin,
}

impl Role {
    /// The code used on the command line and in the store.
    pub fn code(self) -> &'static str {
        match self {
            Role::Public => "public",
            Role::Planner => "planner",
            Role::Police => "police",
            Role::Admin => "admin",
        }
    }

    /// Parses a role that a token can have (`planner`, `police`, `admin`).
    pub fn parse_token_role(s: &str) -> Result<Role, String> {
        match s {
            "planner" => Ok(Role::Planner),
            "police" => Ok(Role::Police),
            "admin" => Ok(Role::Admin),
            _ => Err(format!(
                "unknown role '{s}'; expected planner, police or admin"
            )),
        }
    }
}

/// A freshly made token: what to give the user once, and what to store.
pub struct NewToken {
    /// The secret part, hex.
    pub secret: String,
    /// Random salt, hex.
    pub salt: String,
    /// SHA-256 of salt and secret, hex.
    pub hash: String,
}

/// Makes a new secret and its salted hash.
pub fn new_token() -> Result<NewToken, String> {
    let mut secret = [0u8; 32];
    let mut salt = [0u8; 16];
    getrandom::fill(&mut secret).map_err(|e| format!("no randomness: {e}"))?;
    getrandom::fill(&mut salt).map_err(|e| format!("no randomness: {e}"))?;
    let secret = hex(&secret);
    let salt = hex(&salt);
    let hash = hash(&salt, &secret);
    Ok(NewToken { secret, salt, hash })
}

/// The full token text for a stored id and a secret.
pub fn token_text(id: i64, secret: &str) -> String {
    format!("hs_{id}_{secret}")
}

/// Splits a presented token into its id and secret; `None` if it is not one of ours.
pub fn parse_token(token: &str) -> Option<(i64, &str)> {
    let rest = token.strip_prefix("hs_")?;
    let (id, secret) = rest.split_once('_')?;
    let id = id.parse().ok()?;
    (secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit())).then_some((id, secret))
}

/// Salted SHA-256, hex.
pub fn hash(salt: &str, secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(b":");
    h.update(secret.as_bytes());
    hex(&h.finalize())
}

/// Whether `secret` matches the stored `salt` and `hash`, compared in constant time.
pub fn verify(salt: &str, stored_hash: &str, secret: &str) -> bool {
    let computed = hash(salt, secret);
    computed.as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_differ() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a.secret, b.secret);
        assert!(verify(&a.salt, &a.hash, &a.secret));
        assert!(!verify(&a.salt, &a.hash, &b.secret));
        let text = token_text(7, &a.secret);
        assert_eq!(parse_token(&text), Some((7, a.secret.as_str())));
        assert_eq!(parse_token("hs_7_short"), None);
        assert_eq!(parse_token("Bearer x"), None);
        assert!(!a.hash.contains(&a.secret));
    }
}
