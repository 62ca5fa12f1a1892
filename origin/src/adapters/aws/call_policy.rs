//! How long a call to AWS may take and how often it is tried: one policy, read by
//! the SDK clients (`aws::sdk_loader`) and by folio's own DynamoDB calls
//! (`dynamo::http`), so both give up and retry alike.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The pause before the second attempt; each later pause may double.
    pub initial_backoff: Duration,
    pub connect_timeout: Duration,
    /// One attempt, from sending to the last byte of the answer.
    pub attempt_timeout: Duration,
    /// Every attempt and pause together.
    pub operation_timeout: Duration,
}

/// Longest pause between attempts, as the SDKs' standard retry mode caps it
/// ("Retry behavior", AWS SDKs and Tools Reference Guide).
const MAX_BACKOFF: Duration = Duration::from_secs(20);

impl CallPolicy {
    /// The standard retry mode (3 attempts, jittered exponential backoff) with
    /// short timeouts, so an unreachable service turns into a 503 within seconds
    /// rather than a Lambda timeout.
    pub const AWS: CallPolicy = CallPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(50),
        connect_timeout: Duration::from_secs(1),
        attempt_timeout: Duration::from_secs(3),
        operation_timeout: Duration::from_secs(8),
    };

    /// The pause after failed attempt `attempt` (1-based): "full jitter", a random
    /// share of `initial_backoff × 2^(attempt−1)`, at most `MAX_BACKOFF`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .initial_backoff
            .saturating_mul(1 << attempt.saturating_sub(1).min(16))
            .min(MAX_BACKOFF);
        let share = crate::support::random::bytes::<4>()
            .map(u32::from_le_bytes)
            .map_or(1.0, |r| f64::from(r) / f64::from(u32::MAX));
        ceiling.mul_f64(share)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_stay_under_a_ceiling_that_doubles_up_to_the_cap() {
        let policy = CallPolicy::AWS;
        for attempt in 1..=40 {
            let ceiling =
                (Duration::from_millis(50) * 2u32.pow(attempt.min(16) - 1)).min(MAX_BACKOFF);
            assert!(policy.backoff(attempt) <= ceiling, "attempt {attempt}");
        }
    }
}
