//! What one network may add to the counters. Behind one address may sit a whole
//! office (a NAT), so the limits are generous for people and tight for a script
//! rotating User-Agents: per network (an IPv4 address, or an IPv6 /64, which one
//! client can rotate through) at most `VISITS_PER_MINUTE` / `VISITS_PER_DAY` new
//! visitors and `VIEWS_PER_MINUTE` / `VIEWS_PER_DAY` new views. Past that, a request
//! that would count is answered 429 with `Retry-After`; a visitor already counted
//! today is answered as usual and never refused.
//!
//! The limits are per process (one `folio serve`, one warm Lambda instance) and the
//! network is kept only as a hash, in memory.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::usecases::error::UseCaseError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::digest;

pub const VISITS_PER_MINUTE: u32 = 60;
pub const VISITS_PER_DAY: u32 = 500;
pub const VIEWS_PER_MINUTE: u32 = 120;
pub const VIEWS_PER_DAY: u32 = 3_000;
const MINUTE: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(86_400);
const MAX_ENTRIES: usize = 20_000;

/// The network a client address counts as: IPv4 as is, IPv6 by its /64.
pub fn network_of(address: &str) -> String {
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map_or_else(String::new, |v4| v4.to_string()),
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => address.to_string(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Visit,
    View,
}

impl Kind {
    fn limits(self) -> [(Duration, u32); 2] {
        match self {
            Kind::Visit => [(MINUTE, VISITS_PER_MINUTE), (DAY, VISITS_PER_DAY)],
            Kind::View => [(MINUTE, VIEWS_PER_MINUTE), (DAY, VIEWS_PER_DAY)],
        }
    }
}

/// (counts in the current minute and day windows, when each began)
type Windows = [(u32, Instant); 2];

#[derive(Default)]
pub struct TrackingLimiter {
    counted: Mutex<HashMap<(String, Kind), Windows>>,
}

fn key(network: &str) -> String {
    URL_SAFE_NO_PAD.encode(&digest::digest(&digest::SHA256, network.as_bytes()).as_ref()[..16])
}

impl TrackingLimiter {
    /// `Err(429)` when the network has added all it may for now.
    pub fn check(&self, network: &str, kind: Kind) -> Result<(), UseCaseError> {
        let Ok(counted) = self.counted.lock() else {
            return Ok(());
        };
        let Some(windows) = counted.get(&(key(network), kind)) else {
            return Ok(());
        };
        for ((count, since), (length, limit)) in windows.iter().zip(kind.limits()) {
            if *count >= limit && since.elapsed() < length {
                let wait = length.saturating_sub(since.elapsed()).as_secs().max(1);
                return Err(UseCaseError::Throttled {
                    message: "This network has been counted often enough for now".into(),
                    retry_after_secs: wait,
                });
            }
        }
        Ok(())
    }

    /// Records one counted visit or view from the network.
    pub fn counted(&self, network: &str, kind: Kind) {
        let Ok(mut counted) = self.counted.lock() else {
            return;
        };
        if counted.len() >= MAX_ENTRIES {
            counted.retain(|_, w| w[1].1.elapsed() < DAY);
        }
        let now = Instant::now();
        let windows = counted
            .entry((key(network), kind))
            .or_insert([(0, now), (0, now)]);
        for (window, (length, _)) in windows.iter_mut().zip(kind.limits()) {
            if window.1.elapsed() >= length {
                *window = (0, now);
            }
            window.0 += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_by_their_64_and_ipv4_by_address() {
        assert_eq!(
            network_of("2001:db8:1:2:aaaa::1"),
            network_of("2001:db8:1:2:ffff::9")
        );
        assert_ne!(network_of("2001:db8:1:2::1"), network_of("2001:db8:1:3::1"));
        assert_eq!(network_of("203.0.113.7"), "203.0.113.7");
        assert_eq!(network_of("::ffff:203.0.113.7"), "203.0.113.7");
    }

    #[test]
    fn a_network_is_refused_past_its_minute_limit_only_for_that_kind() {
        let limiter = TrackingLimiter::default();
        for _ in 0..VISITS_PER_MINUTE {
            assert!(limiter.check("203.0.113.7", Kind::Visit).is_ok());
            limiter.counted("203.0.113.7", Kind::Visit);
        }
        assert!(matches!(
            limiter.check("203.0.113.7", Kind::Visit),
            Err(UseCaseError::Throttled { .. })
        ));
        assert!(limiter.check("203.0.113.7", Kind::View).is_ok());
        assert!(limiter.check("203.0.113.8", Kind::Visit).is_ok());
    }
}
