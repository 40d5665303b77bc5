//! Throttling failed authentication per address: after a few failures in a window, an address
//! is answered 429 with `Retry-After` until the window ends, before its credentials are even
//! looked at. Tokens cannot be guessed, but answering guesses as fast as they come costs the
//! database and tells the guesser nothing useful either.

use std::{collections::HashMap, net::IpAddr, sync::Mutex};

use jiff::{SignedDuration, Timestamp};

/// Failures allowed per address in one window, unless configured otherwise.
pub const FAILURES_PER_WINDOW: u32 = 10;
/// Length of a window.
pub const WINDOW: SignedDuration = SignedDuration::from_secs(60);
/// Addresses remembered before old windows are swept.
const SWEEP_AT: usize = 10_000;

/// Recent failures per address.
#[derive(Debug)]
pub struct FailedAuth {
    windows: Mutex<HashMap<IpAddr, Window>>,
    allowed: u32,
}

impl Default for FailedAuth {
    fn default() -> Self {
        Self::new(FAILURES_PER_WINDOW)
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Timestamp,
    failures: u32,
}

impl FailedAuth {
    /// Allowing `allowed` failures per address a minute.
    pub fn new(allowed: u32) -> Self {
        FailedAuth {
            windows: Mutex::default(),
            allowed: allowed.max(1),
        }
    }

    /// Seconds `ip` must still wait, if it has used up its failures in the current window.
    pub fn wait(&self, ip: IpAddr, now: Timestamp) -> Option<u64> {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let w = windows.get(&ip)?;
        let ends = w.started + WINDOW;
        (w.failures >= self.allowed && ends > now).then(|| seconds_until(now, ends))
    }

    /// Records a failure of `ip`; returns the seconds to wait if that used up its failures.
    pub fn fail(&self, ip: IpAddr, now: Timestamp) -> Option<u64> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, w| w.started + WINDOW > now);
        }
        let w = windows.entry(ip).or_insert(Window {
            started: now,
            failures: 0,
        });
        if w.started + WINDOW <= now {
            *w = Window {
                started: now,
                failures: 0,
            };
        }
        w.failures += 1;
        (w.failures >= self.allowed).then(|| seconds_until(now, w.started + WINDOW))
    }
}

fn seconds_until(now: Timestamp, then: Timestamp) -> u64 {
    let secs = then.duration_since(now).as_secs_f64().ceil();
    if secs < 1.0 { 1 } else { secs as u64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_waits_after_its_failures_until_the_window_ends() {
        let t = FailedAuth::default();
        let ip: IpAddr = "203.0.113.5".parse().unwrap();
        let other: IpAddr = "203.0.113.6".parse().unwrap();
        let start: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        for i in 1..FAILURES_PER_WINDOW {
            assert_eq!(t.fail(ip, start), None, "failure {i}");
        }
        assert_eq!(t.wait(ip, start), None);
        assert_eq!(t.fail(ip, start), Some(60));
        let later = start + SignedDuration::from_secs(45);
        assert_eq!(t.wait(ip, later), Some(15));
        assert_eq!(
            t.wait(other, later),
            None,
            "other addresses are not affected"
        );
        assert_eq!(t.wait(ip, start + WINDOW), None, "a new window");
        assert_eq!(t.fail(ip, start + WINDOW), None);
    }
}
