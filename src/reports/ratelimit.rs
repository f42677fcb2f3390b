//! A per-client rate limit that stores no IP address: each client is known only by a salted
//! SHA-256 of its address; the salt is random and is replaced every six windows (an hour for
//! the default 10 minutes). The counts made under the previous salt are still consulted for one
//! more window (so a change of salt is no fresh budget), then dropped — so nothing kept can be
//! tied back to an address for longer than seven windows.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// Reports (and "me too"s) one client may send per 10 minutes, by default.
pub const REPORTS_PER_WINDOW: usize = 5;

/// At most `limit` events per `window` per client.
pub struct RateLimit {
    limit: usize,
    window: Duration,
    state: Mutex<State>,
}

/// Times of events by salted client key.
type Seen = HashMap<[u8; 16], VecDeque<Instant>>;

struct State {
    salt: [u8; 16],
    salted_at: Instant,
    seen: HashMap<[u8; 16], VecDeque<Instant>>,
    /// The salt and counts before the last change of salt.
    previous: Option<([u8; 16], Seen)>,
}

/// The first 16 bytes of SHA-256 over `salt` and `parts`: how a client is kept (never as
/// itself).
pub fn salted_key(salt: &[u8; 16], parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(salt);
    for p in parts {
        h.update(p);
    }
    let digest = h.finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

fn fresh_salt() -> [u8; 16] {
    let mut salt = [0u8; 16];
    // Without randomness the limit still works; only the hashes get predictable.
    let _ = getrandom::fill(&mut salt);
    salt
}

impl RateLimit {
    /// A limit of `limit` events per `window`.
    pub fn new(limit: usize, window: Duration) -> RateLimit {
        RateLimit {
            limit,
            window,
            state: Mutex::new(State {
                salt: fresh_salt(),
                salted_at: Instant::now(),
                seen: HashMap::new(),
                previous: None,
            }),
        }
    }

    /// Counts an event of `client` (e.g. its IP address as text); `Err(seconds)` to wait when
    /// it is over the limit (the event is then not counted).
    pub fn check(&self, client: &str) -> Result<(), u64> {
        self.check_all(&[client], Instant::now())
    }

    /// Counts an event of a client known by several keys (e.g. the addresses two forwarding
    /// headers name, when it is not known which one the proxy wrote): it must be within the
    /// limit under every key, and counts under each.
    pub fn check_keys(&self, keys: &[&str]) -> Result<(), u64> {
        self.check_all(keys, Instant::now())
    }

    #[cfg(test)]
    fn check_at(&self, client: &str, now: Instant) -> Result<(), u64> {
        self.check_all(&[client], now)
    }

    fn check_all(&self, keys: &[&str], now: Instant) -> Result<(), u64> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if now.duration_since(st.salted_at) >= self.window * 6 {
            let old = (st.salt, std::mem::take(&mut st.seen));
            st.previous = Some(old);
            st.salt = fresh_salt();
            st.salted_at = now;
        }
        if st
            .previous
            .as_ref()
            .is_some_and(|_| now.duration_since(st.salted_at) >= self.window)
        {
            st.previous = None;
        }
        let window = self.window;
        let recent = |t: &&Instant| now.duration_since(**t) < window;
        // Within the limit under every key (counting what the previous salt saw), or the
        // longest wait of those over it.
        let mut wait = None::<u64>;
        for k in keys {
            let mut times: Vec<Instant> = Vec::new();
            let key = salted_key(&st.salt, &[k.as_bytes()]);
            if let Some(t) = st.seen.get(&key) {
                times.extend(t.iter().filter(recent));
            }
            if let Some((salt, seen)) = &st.previous {
                if let Some(t) = seen.get(&salted_key(salt, &[k.as_bytes()])) {
                    times.extend(t.iter().filter(recent));
                }
            }
            if times.len() >= self.limit {
                let oldest = times.iter().min().copied().unwrap_or(now);
                let w = window
                    .saturating_sub(now.duration_since(oldest))
                    .as_secs()
                    .max(1);
                wait = Some(wait.map_or(w, |x| x.max(w)));
            }
        }
        if let Some(w) = wait {
            return Err(w);
        }
        for k in keys {
            let key = salted_key(&st.salt, &[k.as_bytes()]);
            let times = st.seen.entry(key).or_default();
            while times
                .front()
                .is_some_and(|t| now.duration_since(*t) >= window)
            {
                times.pop_front();
            }
            times.push_back(now);
        }
        // Keep the map small: drop clients with nothing in the window now and then.
        if st.seen.len() > 100_000 {
            st.seen
                .retain(|_, t| t.back().is_some_and(|b| now.duration_since(*b) < window));
        }
        Ok(())
    }
}

/// Remembers which (client, thing) pairs happened, to count each once ("me too" per report
/// per client), keeping only salted hashes; the salt and everything seen are dropped every
/// `window`, so nothing outlives it.
pub struct OncePerClient {
    window: Duration,
    state: Mutex<OnceState>,
}

struct OnceState {
    salt: [u8; 16],
    salted_at: Instant,
    seen: std::collections::HashSet<[u8; 16]>,
}

impl OncePerClient {
    /// Pairs are remembered for up to `window`.
    pub fn new(window: Duration) -> OncePerClient {
        OncePerClient {
            window,
            state: Mutex::new(OnceState {
                salt: fresh_salt(),
                salted_at: Instant::now(),
                seen: std::collections::HashSet::new(),
            }),
        }
    }

    /// `true` the first time `client` does `what` (within the window), `false` after.
    pub fn first(&self, client: &str, what: &str) -> bool {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if now.duration_since(st.salted_at) >= self.window || st.seen.len() > 1_000_000 {
            st.salt = fresh_salt();
            st.salted_at = now;
            st.seen.clear();
        }
        let key = salted_key(&st.salt, &[client.as_bytes(), &[0], what.as_bytes()]);
        st.seen.insert(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_per_window_then_wait() {
        let rl = RateLimit::new(5, Duration::from_secs(600));
        let t0 = Instant::now();
        for i in 0..5 {
            assert!(rl.check_at("10.0.0.1", t0 + Duration::from_secs(i)).is_ok());
        }
        let wait = rl
            .check_at("10.0.0.1", t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, 590);
        // Another client is not affected; the first may go on when the window has passed.
        assert!(rl
            .check_at("10.0.0.2", t0 + Duration::from_secs(10))
            .is_ok());
        assert!(rl
            .check_at("10.0.0.1", t0 + Duration::from_secs(600))
            .is_ok());
    }

    #[test]
    fn a_new_salt_is_no_fresh_budget_and_every_key_counts() {
        let rl = RateLimit::new(2, Duration::from_secs(600));
        let t0 = Instant::now();
        // Two just before the salt changes (at six windows), then nothing more right after.
        let before = t0 + Duration::from_secs(3599);
        assert!(rl.check_at("10.0.0.1", before).is_ok());
        assert!(rl.check_at("10.0.0.1", before).is_ok());
        assert!(rl
            .check_at("10.0.0.1", t0 + Duration::from_secs(3601))
            .is_err());
        assert!(rl
            .check_at("10.0.0.1", t0 + Duration::from_secs(3599 + 600))
            .is_ok());
        // A client known by two keys is limited by the one it cannot change.
        let rl = RateLimit::new(2, Duration::from_secs(600));
        for spoof in ["a", "b"] {
            assert!(rl.check_keys(&["real", spoof]).is_ok());
        }
        assert!(rl.check_keys(&["real", "c"]).is_err());
    }

    #[test]
    fn once_per_client_and_thing() {
        let once = OncePerClient::new(Duration::from_secs(86_400));
        assert!(once.first("10.0.0.1", "7"));
        assert!(!once.first("10.0.0.1", "7"));
        assert!(once.first("10.0.0.1", "8"));
        assert!(once.first("10.0.0.2", "7"));
    }

    #[test]
    fn no_address_is_kept() {
        let rl = RateLimit::new(5, Duration::from_secs(600));
        rl.check("192.168.17.42").unwrap();
        let st = rl.state.lock().unwrap();
        for key in st.seen.keys() {
            assert!(!key.windows(4).any(|w| w == [192, 168, 17, 42]));
        }
        assert_eq!(st.seen.len(), 1);
    }
}
