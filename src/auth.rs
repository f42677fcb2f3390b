//! Roles and API tokens. A token is `hs_<id>_<secret>`: the id finds the stored row, the secret
//! (32 random bytes, hex) is checked against a salted SHA-256 hash in constant time. Only the
//! hash and the salt are stored; the token itself is shown once, when it is made.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Why a caller may not do what it asks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// No token where one is needed.
    #[error("{0}")]
    Unauthorized(String),
    /// A token of a role that may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A parameter asks for more than this caller may see (names it).
    #[error("{field}: {detail}")]
    TooFine {
        /// The parameter.
        field: &'static str,
        /// What is wrong and what the caller may ask.
        detail: String,
    },
}

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

/// The salted hash of a given secret (one derived rather than drawn, see
/// [`crate::reports::idempotency`]), with a new random salt.
pub fn token_for_secret(secret: String) -> Result<NewToken, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no randomness: {e}"))?;
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
    // The id exactly as `token_text` writes it: digits, no sign, no leading zero.
    let canonical = id.bytes().all(|b| b.is_ascii_digit()) && (id == "0" || !id.starts_with('0'));
    if !canonical {
        return None;
    }
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
        for id in ["07", "+7", "-7", " 7", ""] {
            assert_eq!(
                parse_token(&format!("hs_{id}_{}", a.secret)),
                None,
                "{id:?}"
            );
        }
        assert_eq!(parse_token("Bearer x"), None);
        assert!(!a.hash.contains(&a.secret));
    }
}

/// Who is calling (the HTTP edge puts one in each request's extensions): the role, and for a
/// token its id and name (for the audit log; never the token itself).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The role; `Public` without a token.
    pub role: Role,
    /// The token's id and the name it was given to, when one was presented.
    pub token: Option<(i64, String)>,
}

impl Caller {
    /// The caller without a token.
    pub const PUBLIC: Caller = Caller {
        role: Role::Public,
        token: None,
    };

    /// Whether this caller sees exact data for `need`.
    pub fn sees_exact(&self, need: Need) -> bool {
        match need {
            Need::Points | Need::Aggregates => matches!(self.role, Role::Police | Role::Admin),
            Need::Programme => self.role != Role::Public,
        }
    }

    /// The finest H3 resolution this caller may ask of an analysis grid: 12 for those who see
    /// exact points (police, admin); the public cell's resolution (10, edge ≈ 66 m) for
    /// everyone else — a count in a finer cell would place an incident more precisely than
    /// the public layer does.
    pub fn finest_resolution(&self) -> u8 {
        if self.sees_exact(Need::Points) {
            12
        } else {
            crate::privacy::ANCHOR_RESOLUTION as u8
        }
    }

    /// Whether the time filters of this caller's aggregates are widened to whole hours (for
    /// everyone who does not see exact points: a count over a one-second window would date an
    /// incident to the second, where the public layer says the hour).
    pub fn hourly(&self) -> bool {
        !self.sees_exact(Need::Points)
    }

    /// Checks a requested analysis `resolution` against [`Caller::finest_resolution`].
    pub fn check_resolution(&self, resolution: u8) -> Result<(), AccessError> {
        let finest = self.finest_resolution();
        if resolution > finest {
            return Err(AccessError::TooFine {
                field: "resolution",
                detail: format!(
                    "{resolution} is finer than a {} caller may ask for (at most {finest}, the ~66 m cells of the public map); resolutions 11 and 12 need a police or admin token",
                    self.role.code()
                ),
            });
        }
        Ok(())
    }

    /// Whether this caller sees unpublished initiatives (the secretariat: planner, admin).
    pub fn sees_unpublished(&self) -> bool {
        matches!(self.role, Role::Planner | Role::Admin)
    }

    /// How the audit log names this caller: `token 12 (Jens, police)` or `public`.
    pub fn actor(&self) -> String {
        match &self.token {
            Some((id, name)) => format!("token {id} ({name}, {})", self.role.code()),
            None => "public".into(),
        }
    }
}

/// What an answer is made of, for choosing between the exact and the public view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Single incidents: items, tiles, exports. Exact for police and admin.
    Points,
    /// Aggregates over areas and periods the caller chooses (analyses, summaries, initiative
    /// evaluations): exact for police and admin; for planners made from the generalised points
    /// without small-count suppression — a planner choosing areas could otherwise bisect down
    /// to an incident's exact point.
    Aggregates,
    /// The programme's fixed figures (effect goals, the status report): district 8, whole years
    /// or half-years, which no caller can narrow. Exact for planners, police and admin.
    Programme,
}

/// Roles that may export incidents (`…/incidents/items?f=geojson|csv|shapefile`: every
/// matching incident, exact, as a file). The items handler checks this on its parsed format,
/// the same value it then acts on, so no spelling of `f` gets past it.
pub const INCIDENT_EXPORTERS: &[Role] = &[Role::Police, Role::Admin];

/// `Ok` when `caller` has one of `roles`; else the 401 (no token) or 403 (a token of another
/// role) the middleware gives, for checks that need the parsed request.
pub fn require(caller: &Caller, roles: &[Role]) -> Result<(), AccessError> {
    if roles.contains(&caller.role) {
        Ok(())
    } else if caller.role == Role::Public {
        Err(AccessError::Unauthorized(
            "this needs a token (Authorization: Bearer …)".into(),
        ))
    } else {
        Err(forbidden(caller.role, roles))
    }
}

fn forbidden(role: Role, roles: &[Role]) -> AccessError {
    let names: Vec<&str> = roles.iter().map(|r| r.code()).collect();
    AccessError::Forbidden(format!(
        "a {} token may not do this; it needs one of: {}",
        role.code(),
        names.join(", ")
    ))
}

/// Checks a presented token against the stored hashes.
pub fn check(tokens: &[crate::store::StoredToken], presented: &str) -> Option<Caller> {
    let (id, secret) = parse_token(presented)?;
    let t = tokens
        .iter()
        .find(|t| t.id == id && t.revoked_at.is_none())?;
    if !verify(&t.salt, &t.hash, secret) {
        return None;
    }
    Some(Caller {
        role: Role::parse_token_role(&t.role).ok()?,
        token: Some((t.id, t.name.clone())),
    })
}
