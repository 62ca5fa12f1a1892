//! Failed sign-ins are limited per account and per client address, whatever the
//! identity adapter: after `MAX_FAILURES_PER_ACCOUNT` wrong passwords for one email
//! (or `MAX_FAILURES_PER_ADDRESS` from one address) within `WINDOW`, sign-in answers
//! 429 with `Retry-After` until the window has passed, the right password included.
//! A success clears the account's count.
//!
//! The counts live in this process: one `folio serve`, or one warm Lambda instance.
//! In production Cognito's own throttling (and its advanced security features,
//! if enabled on the pool) stand behind it.

use crate::usecases::error::UseCaseError;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES_PER_ACCOUNT: u32 = 5;
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Entries kept at most; older windows are dropped first.
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

fn keys(email: &str, address: &str) -> [(String, u32); 2] {
    [
        (
            format!("account:{}", email.to_ascii_lowercase()),
            MAX_FAILURES_PER_ACCOUNT,
        ),
        (format!("address:{address}"), MAX_FAILURES_PER_ADDRESS),
    ]
}

impl LoginThrottle {
    /// Refuses with 429 while either count is at its limit.
    pub fn check(&self, email: &str, address: &str) -> Result<(), UseCaseError> {
        let Ok(failures) = self.failures.lock() else {
            return Ok(());
        };
        for (key, limit) in keys(email, address) {
            if let Some((count, since)) = failures.get(&key)
                && *count >= limit
                && since.elapsed() < WINDOW
            {
                let wait = WINDOW.saturating_sub(since.elapsed()).as_secs().max(1);
                return Err(UseCaseError::Throttled {
                    message: "Too many failed sign-ins; try again later".into(),
                    retry_after_secs: wait,
                });
            }
        }
        Ok(())
    }

    pub fn failed(&self, email: &str, address: &str) {
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        if failures.len() >= MAX_ENTRIES {
            failures.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        for (key, _) in keys(email, address) {
            let entry = failures.entry(key).or_insert((0, Instant::now()));
            if entry.1.elapsed() >= WINDOW {
                *entry = (0, Instant::now());
            }
            entry.0 += 1;
        }
    }

    pub fn succeeded(&self, email: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&format!("account:{}", email.to_ascii_lowercase()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_locked_after_its_failures_and_a_success_clears_it() {
        let throttle = LoginThrottle::default();
        for _ in 0..MAX_FAILURES_PER_ACCOUNT {
            assert!(throttle.check("a@x.test", "1.2.3.4").is_ok());
            throttle.failed("a@x.test", "1.2.3.4");
        }
        let refused = throttle.check("A@x.test", "5.6.7.8").unwrap_err();
        assert!(
            matches!(refused, UseCaseError::Throttled { retry_after_secs, .. } if retry_after_secs > 0)
        );
        assert!(
            throttle.check("b@x.test", "5.6.7.8").is_ok(),
            "other accounts unaffected"
        );
        throttle.succeeded("a@x.test");
        assert!(throttle.check("a@x.test", "5.6.7.8").is_ok());
    }

    #[test]
    fn one_address_trying_many_accounts_is_limited_too() {
        let throttle = LoginThrottle::default();
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            throttle.failed(&format!("user{i}@x.test"), "9.9.9.9");
        }
        assert!(throttle.check("new@x.test", "9.9.9.9").is_err());
        assert!(throttle.check("new@x.test", "8.8.8.8").is_ok());
    }
}
