//! A per-client rate limit that stores no IP address: each client is known only by a salted
//! SHA-256 of its address; the salt is random and is replaced, with every count dropped, every
//! six windows (an hour for the default 10 minutes) — so nothing kept can be tied back to an
//! address for longer than that.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// At most `limit` events per `window` per client.
pub struct RateLimit {
    limit: usize,
    window: Duration,
    state: Mutex<State>,
}

struct State {
    salt: [u8; 16],
    salted_at: Instant,
    seen: HashMap<[u8; 16], VecDeque<Instant>>,
}

/// The first 16 bytes of SHA-256 over `salt` and `parts`: how a client is kept (never as
/// itself).
fn salted_key(salt: &[u8; 16], parts: &[&[u8]]) -> [u8; 16] {
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
            }),
        }
    }

    /// Counts an event of `client` (e.g. its IP address as text); `Err(seconds)` to wait when
    /// it is over the limit (the event is then not counted).
    pub fn check(&self, client: &str) -> Result<(), u64> {
        self.check_at(client, Instant::now())
    }

    fn check_at(&self, client: &str, now: Instant) -> Result<(), u64> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if now.duration_since(st.salted_at) >= self.window * 6 {
            st.salt = fresh_salt();
            st.salted_at = now;
            st.seen.clear();
        }
        let key = salted_key(&st.salt, &[client.as_bytes()]);
        let window = self.window;
        let times = st.seen.entry(key).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            times.pop_front();
        }
        if times.len() >= self.limit {
            let oldest = *times.front().expect("over the limit means not empty");
            let wait = window.saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs().max(1));
        }
        times.push_back(now);
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
