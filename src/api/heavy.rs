//! The bounded queue of heavy analyses (Gi*, emerging hot spots, kernel density, hex counts,
//! district summaries): at most `running` of them compute at once per process, at most
//! `waiting` more wait for a turn (up to [`MAX_WAIT`]); anyone beyond that gets `503` with
//! `Retry-After` at once. With each analysis's own work and answer-size limits, this bounds the
//! memory a burst of requests can take, whoever sends them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::web::Bytes;

use tokio::sync::Semaphore;

use super::error::{ApiError, ApiResult};
use super::Reply;

/// How long a heavy request waits for a turn before it is answered 503.
pub const MAX_WAIT: Duration = Duration::from_secs(20);

/// Seconds a client told 503 is asked to wait.
const RETRY_AFTER_S: u64 = 5;

/// The most bytes of analysis answers kept (a whole-city Gi* at resolution 11 is ~20 MB).
const ANSWER_CACHE_BYTES: u64 = 256 << 20;

/// What an analysis answer depends on: the route, the query string as sent, the caller's role
/// (it decides the view, the disclosure and the limits) and the data version. Only answers made
/// from the catalog alone may be kept under it (not ones that read reports or the store).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AnswerKey {
    route: &'static str,
    query: String,
    role: crate::auth::Role,
    version: String,
}

impl AnswerKey {
    /// A strong ETag for the answer under this key: the answer is a function of the key.
    fn etag(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let role = format!("{:?}", self.role);
        for part in [self.route, &self.query, &role, &self.version] {
            for &b in part.as_bytes().iter().chain(&[0xff]) {
                h ^= b as u64;
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        // Weak: the same answer goes out gzip-compressed or not.
        format!("W/\"a-{h:016x}\"")
    }

    /// The key of `route` asked with `query` by a caller of `role` over data `version`.
    pub fn new(route: &'static str, query: &str, role: crate::auth::Role, version: &str) -> Self {
        AnswerKey {
            route,
            query: query.to_owned(),
            role,
            version: version.to_owned(),
        }
    }
}

#[derive(Clone)]
struct Answer {
    content_type: &'static str,
    body: Bytes,
}

#[derive(Clone)]
struct AnswerWeight;

impl quick_cache::Weighter<AnswerKey, Answer> for AnswerWeight {
    fn weight(&self, key: &AnswerKey, a: &Answer) -> u64 {
        (a.body.len() + key.query.len() + 64) as u64
    }
}

/// The gate, and the answers it keeps.
pub struct HeavyGate {
    turns: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
    answers: quick_cache::sync::Cache<AnswerKey, Answer, AnswerWeight>,
}

impl HeavyGate {
    /// At most `running` at once (at least 1) and `waiting` in the queue.
    pub fn new(running: usize, waiting: usize) -> HeavyGate {
        HeavyGate {
            turns: Semaphore::new(running.max(1)),
            waiting: AtomicUsize::new(0),
            max_waiting: waiting,
            answers: quick_cache::sync::Cache::with_weighter(256, ANSWER_CACHE_BYTES, AnswerWeight),
        }
    }

    /// One turn per core (at least 2), and a queue of four per turn.
    pub fn for_this_machine() -> HeavyGate {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .max(2);
        HeavyGate::new(cores, cores * 4)
    }

    fn busy() -> ApiError {
        ApiError::Busy {
            detail: "the server is computing as many analyses as it takes at once; try again in a few seconds".into(),
            retry_after: RETRY_AFTER_S,
        }
    }

    /// Runs `f` on the blocking pool when a turn is free.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let permit = match self.turns.try_acquire() {
            Ok(p) => p,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Err(Self::busy());
                }
                let got = tokio::time::timeout(MAX_WAIT, self.turns.acquire()).await;
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                match got {
                    Ok(Ok(p)) => p,
                    _ => return Err(Self::busy()),
                }
            }
        };
        let out = super::off_thread(f).await;
        drop(permit);
        out
    }

    /// [`HeavyGate::run`] for a handler's reply.
    pub(crate) async fn reply(
        &self,
        f: impl FnOnce() -> ApiResult<Reply> + Send + 'static,
    ) -> ApiResult<actix_web::HttpResponse> {
        self.run(f).await.map(Reply::into_response)
    }

    /// [`HeavyGate::reply`], answered from the kept answers when the same `key` was answered
    /// before (without waiting for a turn); a new answer is kept (errors are not). Answers carry
    /// an ETag made from the key and `Vary: Authorization`; a request whose `If-None-Match`
    /// names that tag is answered `304` at once.
    pub(crate) async fn reply_cached(
        &self,
        key: AnswerKey,
        req: &actix_web::HttpRequest,
        f: impl FnOnce() -> ApiResult<Reply> + Send + 'static,
    ) -> ApiResult<actix_web::HttpResponse> {
        use actix_web::http::header;
        let etag = key.etag();
        let tagged = |mut r: actix_web::HttpResponse| {
            let h = r.headers_mut();
            if let Ok(v) = header::HeaderValue::from_str(&etag) {
                h.insert(header::ETAG, v);
            }
            h.insert(
                header::VARY,
                header::HeaderValue::from_static("Authorization"),
            );
            r
        };
        // Weak comparison (RFC 9110 §13.1.2): `W/` aside, the tags must be equal.
        let bare = etag.trim_start_matches("W/").to_owned();
        let asked = req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .any(|t| t.trim().trim_start_matches("W/") == bare)
            });
        if let Some(a) = self.answers.get(&key) {
            // Only an answer this server made (so a valid request of this role) is confirmed
            // unchanged without computing it.
            if asked {
                return Ok(tagged(actix_web::HttpResponse::NotModified().finish()));
            }
            return Ok(tagged(Reply::bytes(a.content_type, a.body).into_response()));
        }
        let reply = self.run(f).await?;
        let (content_type, body) = reply.into_parts();
        if (body.len() as u64) < ANSWER_CACHE_BYTES / 4 {
            self.answers.insert(
                key,
                Answer {
                    content_type,
                    body: body.clone(),
                },
            );
        }
        if asked {
            return Ok(tagged(actix_web::HttpResponse::NotModified().finish()));
        }
        Ok(tagged(Reply::bytes(content_type, body).into_response()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn beyond_the_queue_is_busy_at_once() {
        let gate = std::sync::Arc::new(HeavyGate::new(1, 1));
        let slow = || {
            std::thread::sleep(Duration::from_millis(300));
            Ok(1)
        };
        let (a, b, c) = {
            let (g1, g2, g3) = (gate.clone(), gate.clone(), gate.clone());
            let a = actix_web::rt::spawn(async move { g1.run(slow).await });
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
            let b = actix_web::rt::spawn(async move { g2.run(slow).await });
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
            let started = std::time::Instant::now();
            let c = g3.run(slow).await;
            assert!(started.elapsed() < Duration::from_millis(100));
            (a.await.unwrap(), b.await.unwrap(), c)
        };
        assert_eq!(a.unwrap(), 1);
        assert_eq!(b.unwrap(), 1, "the one in the queue runs after the first");
        assert!(matches!(c, Err(ApiError::Busy { retry_after: 5, .. })));
    }
}
