//! Failed sign-ins slow the guesser, not the owner. Three counts, each over
//! `WINDOW`, whatever the identity adapter; at its limit a count answers 429 with
//! `Retry-After` until the window has passed, the right password included:
//!
//! - one account from one network (an IPv4 address or an IPv6 /64):
//!   `MAX_FAILURES_PER_ACCOUNT_AND_NETWORK`. A guesser's failures from their
//!   network never lock the owner out from theirs.
//! - one network, whatever the accounts: `MAX_FAILURES_PER_NETWORK`.
//! - one account from every network together: `MAX_FAILURES_PER_ACCOUNT`, against
//!   a guesser spread over many networks. A network the account signed in from
//!   within `KNOWN_FOR` is exempt, so the owner at home or on their usual network
//!   still signs in while a distributed guess is refused everywhere else.
//!
//! A success clears its account's count from that network and marks the network
//! known. The counts live in this process: one `folio serve`, or one warm Lambda
//! instance (a guesser reaching many instances gets more tries, each instance
//! still limited). In production Cognito's own throttling (and its advanced
//! security features, if enabled on the pool) stand behind it.

use crate::usecases::error::UseCaseError;
use crate::usecases::tracking_limit::network_of;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES_PER_ACCOUNT_AND_NETWORK: u32 = 5;
pub const MAX_FAILURES_PER_NETWORK: u32 = 20;
pub const MAX_FAILURES_PER_ACCOUNT: u32 = 100;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long a network an account signed in from stays exempt from the account's
/// count over every network.
pub const KNOWN_FOR: Duration = Duration::from_secs(30 * 24 * 3600);
/// Entries kept at most in each map; older ones are dropped first.
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
    /// `account|network` → when it last signed in from there.
    known: Mutex<HashMap<String, Instant>>,
}

/// The counts a sign-in of `email` from `address` is under, with their limits;
/// the account-wide one only for a network the account is not known on.
fn keys(email: &str, network: &str, known: bool) -> Vec<(String, u32)> {
    let account = email.to_ascii_lowercase();
    let mut keys = vec![
        (
            format!("pair:{account}|{network}"),
            MAX_FAILURES_PER_ACCOUNT_AND_NETWORK,
        ),
        (format!("network:{network}"), MAX_FAILURES_PER_NETWORK),
    ];
    if !known {
        keys.push((format!("account:{account}"), MAX_FAILURES_PER_ACCOUNT));
    }
    keys
}

impl LoginThrottle {
    fn is_known(&self, email: &str, network: &str) -> bool {
        let key = format!("{}|{network}", email.to_ascii_lowercase());
        self.known
            .lock()
            .is_ok_and(|known| known.get(&key).is_some_and(|at| at.elapsed() < KNOWN_FOR))
    }

    /// Refuses with 429 while a count this sign-in is under is at its limit.
    pub fn check(&self, email: &str, address: &str) -> Result<(), UseCaseError> {
        let network = network_of(address);
        let known = self.is_known(email, &network);
        let Ok(failures) = self.failures.lock() else {
            return Ok(());
        };
        for (key, limit) in keys(email, &network, known) {
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
        let network = network_of(address);
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        if failures.len() >= MAX_ENTRIES {
            failures.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        // Every failure counts against the account, from a known network too: the
        // exemption is in what `check` reads, not in what is counted.
        for (key, _) in keys(email, &network, false) {
            let entry = failures.entry(key).or_insert((0, Instant::now()));
            if entry.1.elapsed() >= WINDOW {
                *entry = (0, Instant::now());
            }
            entry.0 = entry.0.saturating_add(1);
        }
    }

    pub fn succeeded(&self, email: &str, address: &str) {
        let network = network_of(address);
        let account = email.to_ascii_lowercase();
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&format!("pair:{account}|{network}"));
        }
        if let Ok(mut known) = self.known.lock() {
            if known.len() >= MAX_ENTRIES {
                known.retain(|_, at| at.elapsed() < KNOWN_FOR);
                if known.len() >= MAX_ENTRIES {
                    known.clear();
                }
            }
            known.insert(format!("{account}|{network}"), Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(throttle: &LoginThrottle, email: &str, address: &str, times: u32) {
        for _ in 0..times {
            throttle.failed(email, address);
        }
    }

    #[test]
    fn a_guesser_locks_only_their_own_network_out_of_the_account() {
        let throttle = LoginThrottle::default();
        fail(
            &throttle,
            "owner@x.test",
            "1.2.3.4",
            MAX_FAILURES_PER_ACCOUNT_AND_NETWORK,
        );
        let refused = throttle.check("Owner@x.test", "1.2.3.4").unwrap_err();
        assert!(
            matches!(refused, UseCaseError::Throttled { retry_after_secs, .. } if retry_after_secs > 0)
        );
        assert!(
            throttle.check("owner@x.test", "5.6.7.8").is_ok(),
            "the owner signs in from another network"
        );
        throttle.succeeded("owner@x.test", "1.2.3.4");
        assert!(throttle.check("owner@x.test", "1.2.3.4").is_ok());
    }

    #[test]
    fn an_ipv6_guesser_is_one_network_across_its_64() {
        let throttle = LoginThrottle::default();
        for i in 0..MAX_FAILURES_PER_ACCOUNT_AND_NETWORK {
            throttle.failed("owner@x.test", &format!("2001:db8:1:2::{i:x}"));
        }
        assert!(
            throttle
                .check("owner@x.test", "2001:db8:1:2::ffff")
                .is_err()
        );
        assert!(throttle.check("owner@x.test", "2001:db8:1:3::1").is_ok());
    }

    #[test]
    fn one_network_trying_many_accounts_is_limited_too() {
        let throttle = LoginThrottle::default();
        for i in 0..MAX_FAILURES_PER_NETWORK {
            throttle.failed(&format!("user{i}@x.test"), "9.9.9.9");
        }
        assert!(throttle.check("new@x.test", "9.9.9.9").is_err());
        assert!(throttle.check("new@x.test", "8.8.8.8").is_ok());
    }

    #[test]
    fn a_guess_spread_over_many_networks_is_refused_except_where_the_owner_signed_in() {
        let throttle = LoginThrottle::default();
        throttle.succeeded("owner@x.test", "7.7.7.7");
        for i in 0..MAX_FAILURES_PER_ACCOUNT {
            throttle.failed("owner@x.test", &format!("10.0.{}.{}", i / 256, i % 256));
        }
        assert!(
            throttle.check("owner@x.test", "10.9.9.9").is_err(),
            "a new network"
        );
        assert!(
            throttle.check("owner@x.test", "7.7.7.7").is_ok(),
            "the owner's known network"
        );
    }
}
