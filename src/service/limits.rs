//! The limits on residents' writes — reports (and "me too"s) per client per 10 minutes, and one
//! "me too" per client and report a day — kept in this process's memory on SQLite (one server)
//! and in the database on PostgreSQL, where N replicas must allow a client what one would.
//! Either way a client is known only by salted digests of its addresses (see
//! [`crate::reports::ratelimit`]). In the database the salts come from a secret the replicas
//! share (`--rate-limit-secret`) and the database never sees, so a copy of it cannot be tried
//! against all addresses.

use std::sync::Mutex;
use std::time::Duration;

use crate::reports::ratelimit::{salted_key, OncePerClient, RateLimit};
use crate::store::postgres::PgStore;

/// How long a "me too" is remembered per client and report, in seconds.
const ME_TOO_S: i64 = 86_400;

/// The window of the report limit, in seconds.
const WINDOW_S: i64 = 600;

/// Seconds a client is asked to wait when the shared limit cannot be asked.
const UNREACHABLE_WAIT_S: u64 = 30;

/// The salt of `period` for `purpose`: derived from the replicas' shared `secret`, so that every
/// replica salts alike while the database, which keeps the digests, never holds a salt.
fn salt_of(secret: &[u8; 32], purpose: &str, period: i64) -> [u8; 16] {
    let hex = crate::reports::keyed_digest(
        secret,
        b"limit-salt:",
        format!("{purpose}:{period}").as_bytes(),
    );
    let mut salt = [0u8; 16];
    for (s, pair) in salt.iter_mut().zip(hex.as_bytes().chunks(2)) {
        *s = u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("0"), 16).unwrap_or(0);
    }
    salt
}

/// A secret for this process alone, when the operator gave none: the limits then still hold
/// per replica, and nothing the database keeps can be tried against addresses.
pub(super) fn process_secret() -> [u8; 32] {
    let mut s = [0u8; 32];
    let _ = getrandom::fill(&mut s);
    s
}

/// The limits, where they are kept.
// One per process: the size of its largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
pub(super) enum Limits {
    /// In this process's memory (one server on SQLite).
    Memory {
        reports: RateLimit,
        me_too: OncePerClient,
    },
    /// In the database, shared by every replica.
    Shared {
        /// A few connections, so that a check waiting on one client's lock (another replica
        /// holds it) holds up no other client, nor the pruning.
        stores: Vec<Mutex<PgStore>>,
        per_window: usize,
        /// The secret the salts are derived from: the same on every replica (given by the
        /// operator), never in the database.
        secret: [u8; 32],
    },
}

impl Limits {
    /// In memory: `per_window` reports per 10 minutes (`usize::MAX` = none).
    pub(super) fn memory(per_window: usize) -> Limits {
        Limits::Memory {
            reports: RateLimit::new(per_window, Duration::from_secs(WINDOW_S as u64)),
            me_too: OncePerClient::new(Duration::from_secs(ME_TOO_S as u64)),
        }
    }

    /// The same limits with another number of reports per window.
    pub(super) fn with_per_window(self, per_window: usize) -> Limits {
        match self {
            Limits::Memory { .. } => Limits::memory(per_window),
            Limits::Shared { stores, secret, .. } => Limits::Shared {
                stores,
                per_window,
                secret,
            },
        }
    }

    /// Counts a report (or "me too") of the client known by `keys`; `Err(seconds)` to wait
    /// when it is over the limit. A database that cannot be asked lets it through (the write
    /// that follows needs the database anyway, and fails with a clear error if it is gone).
    pub(super) fn check_report(&self, keys: &[&str]) -> Result<(), u64> {
        match self {
            Limits::Memory { reports, .. } => reports.check_keys(keys),
            Limits::Shared {
                stores,
                per_window,
                secret,
            } => {
                if *per_window == usize::MAX {
                    return Ok(());
                }
                let now = chrono::Utc::now().timestamp();
                let store = free(stores);
                // A new salt every six windows, the previous one consulted for one more.
                let period = now.div_euclid(WINDOW_S * 6);
                let digests = |salt: [u8; 16]| -> Vec<Vec<u8>> {
                    keys.iter()
                        .map(|k| salted_key(&salt, &[k.as_bytes()]).to_vec())
                        .collect()
                };
                let counted = store.count_event(
                    &digests(salt_of(secret, "reports", period)),
                    &digests(salt_of(secret, "reports", period - 1)),
                    *per_window,
                    WINDOW_S,
                    now,
                );
                // A database that cannot be asked refuses for now rather than letting every
                // report through (its connection is made again at the next call).
                counted.unwrap_or_else(|e| {
                    tracing::warn!("the shared rate limit could not be asked: {e}");
                    Err(UNREACHABLE_WAIT_S)
                })
            }
        }
    }

    /// Whether this is the first "me too" on `report` under every one of `keys` (within a
    /// day); each is remembered.
    pub(super) fn first_me_too(&self, keys: &[String], report: i64) -> bool {
        let what = report.to_string();
        match self {
            Limits::Memory { me_too, .. } => {
                // Every key is remembered, so no short-circuit.
                let firsts: Vec<bool> = keys.iter().map(|k| me_too.first(k, &what)).collect();
                firsts.into_iter().all(|f| f)
            }
            Limits::Shared { stores, secret, .. } => {
                let now = chrono::Utc::now().timestamp();
                let store = free(stores);
                let period = now.div_euclid(ME_TOO_S);
                let salt = salt_of(secret, "me_too", period);
                let firsts = keys
                    .iter()
                    .map(|k| {
                        let key = salted_key(&salt, &[k.as_bytes(), &[0], what.as_bytes()]);
                        store.first_event(&key, (period + 1) * ME_TOO_S)
                    })
                    .collect::<crate::store::Result<Vec<bool>>>();
                match firsts {
                    Ok(f) => f.into_iter().all(|f| f),
                    Err(e) => {
                        // Not counted rather than counted twice.
                        tracing::warn!("the shared \"me too\" record could not be asked: {e}");
                        false
                    }
                }
            }
        }
    }

    /// Deletes what the shared limits no longer need (nothing to do in memory), on a
    /// connection no check is using (else at a later call: the follower that calls this must
    /// never wait on a client's lock).
    pub(super) fn prune(&self) {
        if let Limits::Shared { stores, .. } = self {
            let Some(store) = stores.iter().find_map(|s| s.try_lock().ok()) else {
                return;
            };
            if let Err(e) = store.prune_limits(chrono::Utc::now().timestamp(), WINDOW_S) {
                tracing::warn!("pruning the shared rate limits: {e}");
            }
        }
    }
}

/// A connection of `stores` no one is using, or else the next one in turn (then it waits).
fn free(stores: &[Mutex<PgStore>]) -> std::sync::MutexGuard<'_, PgStore> {
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    use std::sync::TryLockError;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    for s in stores {
        match s.try_lock() {
            Ok(g) => return g,
            Err(TryLockError::Poisoned(p)) => return p.into_inner(),
            Err(TryLockError::WouldBlock) => {}
        }
    }
    stores[NEXT.fetch_add(1, Relaxed) % stores.len()]
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}
