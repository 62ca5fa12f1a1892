//! CloudWatch metrics as embedded-metric-format (EMF) log lines: one JSON object
//! per event on the function's log stream, which CloudWatch turns into metrics in
//! the `folio` namespace without any API call. Off unless a binary turns it on
//! (the Lambdas do; `folio serve` does not).

use std::io::Write;
use std::sync::OnceLock;

pub const NAMESPACE: &str = "folio";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    Stdout,
    /// For the edge binary, whose stdout carries events in pipe mode.
    Stderr,
}

static SINK: OnceLock<Sink> = OnceLock::new();

/// Turns emission on for this process (once; later calls are ignored).
pub fn enable(sink: Sink) {
    let _ = SINK.set(sink);
}

/// The EMF line for a count of 1 of `metric` with these dimensions.
pub fn render(metric: &str, dimensions: &[(&str, &str)], timestamp_ms: i64) -> String {
    let mut line = serde_json::Map::new();
    let names: Vec<&str> = dimensions.iter().map(|(name, _)| *name).collect();
    line.insert(
        "_aws".into(),
        serde_json::json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [names],
                "Metrics": [{ "Name": metric, "Unit": "Count" }],
            }],
        }),
    );
    for (name, value) in dimensions {
        line.insert((*name).into(), (*value).into());
    }
    line.insert(metric.into(), 1.into());
    serde_json::Value::Object(line).to_string()
}

/// Counts one `metric` event, if emission is on. Never fails the caller.
pub fn count(metric: &str, dimensions: &[(&str, &str)]) {
    let Some(sink) = SINK.get() else { return };
    let mut line = render(metric, dimensions, chrono::Utc::now().timestamp_millis());
    line.push('\n');
    let _ = match sink {
        Sink::Stdout => std::io::stdout().lock().write_all(line.as_bytes()),
        Sink::Stderr => std::io::stderr().lock().write_all(line.as_bytes()),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_follow_the_embedded_metric_format() {
        let line = render(
            "JwtRejected",
            &[("Function", "edge"), ("Reason", "expired")],
            1_700_000_000_000,
        );
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        let directive = &value["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "folio");
        assert_eq!(
            directive["Dimensions"][0],
            serde_json::json!(["Function", "Reason"])
        );
        assert_eq!(directive["Metrics"][0]["Name"], "JwtRejected");
        assert_eq!(value["_aws"]["Timestamp"], 1_700_000_000_000i64);
        assert_eq!(value["Reason"], "expired");
        assert_eq!(value["JwtRejected"], 1);
    }
}
