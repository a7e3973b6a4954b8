//! Rate limits on signing in: failed attempts counted per email and per
//! client address, locking both for a while after too many.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts failed sign-ins per email and per client address. More than
/// `MAX_FAILURES` in `WINDOW` locks that key until the oldest failure leaves
/// the window.
#[derive(Debug, Default)]
pub struct SignInLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl SignInLimiter {
    pub const MAX_FAILURES: usize = 10;
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);

    pub(super) fn keys(email: &str, ip: Option<&str>) -> Vec<String> {
        let mut keys = vec![format!("email:{email}")];
        if let Some(ip) = ip {
            keys.push(format!("ip:{ip}"));
        }
        keys
    }

    /// How long the caller must wait, if any of its keys is locked.
    pub(super) fn locked_for(&self, keys: &[String], now: Instant) -> Option<Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        keys.iter()
            .filter_map(|key| {
                let times = failures.get_mut(key)?;
                while times
                    .front()
                    .is_some_and(|first| now.duration_since(*first) >= Self::WINDOW)
                {
                    times.pop_front();
                }
                let oldest = *times.front()?;
                (times.len() >= Self::MAX_FAILURES)
                    .then(|| Self::WINDOW.saturating_sub(now.duration_since(oldest)))
            })
            .max()
    }

    pub(super) fn record_failure(&self, keys: &[String], now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        // Forget keys whose failures have all left the window, so the map
        // stays as small as the recent failures.
        if failures.len() > 10_000 {
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|last| now.duration_since(*last) < Self::WINDOW)
            });
        }
        for key in keys {
            failures.entry(key.clone()).or_default().push_back(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_locks_a_key_after_ten_failures_for_the_window() {
        let limiter = SignInLimiter::default();
        let keys = SignInLimiter::keys("a@b.c", Some("127.0.0.1"));
        let start = Instant::now();
        for _ in 0..SignInLimiter::MAX_FAILURES {
            assert_eq!(limiter.locked_for(&keys, start), None);
            limiter.record_failure(&keys, start);
        }
        assert!(limiter.locked_for(&keys, start).is_some());
        // Another email from the same address is locked too.
        let same_ip = SignInLimiter::keys("x@y.z", Some("127.0.0.1"));
        assert!(limiter.locked_for(&same_ip, start).is_some());
        // The window passes.
        let later = start + SignInLimiter::WINDOW;
        assert_eq!(limiter.locked_for(&keys, later), None);
    }
}
