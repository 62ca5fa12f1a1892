//! The Lambdas' log lines: one JSON object per event, with the fields of the
//! spans it happened in: in the origin, the request's (the invocation's id, method,
//! path and status) or the tick's; in the media function, the Lambda runtime's
//! (the invocation's id).
//!
//! The same lines `tracing_subscriber`'s JSON formatter writes, made for less:
//! it keeps a span's fields as a JSON text, parses that text back on every event
//! and again on every `record`, through maps and `serde_json` values. Here a span's
//! fields are kept as the JSON they are written as and copied into each line. That
//! formatter was a quarter of a 404's instructions under callgrind (BENCHMARKS.md,
//! "Instructions per invocation").

use std::fmt::Write as _;
use std::io::Write as _;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// The layer: every event as one line to `W` (standard output in the Lambdas).
pub struct JsonLines<W> {
    writer: W,
}

impl<W> JsonLines<W> {
    pub fn new(writer: W) -> Self {
        Self { writer }
    }
}

/// A span's fields as JSON members (`"a":1,"b":"x"`), kept with the span.
struct SpanFields(String);

impl<S, W> Layer<S> for JsonLines<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'a> MakeWriter<'a> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Members::new(String::new());
        attrs.record(&mut fields);
        span.extensions_mut().insert(SpanFields(fields.out));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(kept)) = extensions.get_mut::<SpanFields>() {
            let mut fields = Members::after(std::mem::take(kept));
            values.record(&mut fields);
            *kept = fields.out;
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut line = String::with_capacity(256);
        line.push_str("{\"level\":\"");
        line.push_str(meta.level().as_str());
        line.push_str("\",\"fields\":{");
        let mut fields = Members::new(line);
        event.record(&mut fields);
        let mut line = fields.out;
        line.push_str("},\"target\":");
        escaped(&mut line, meta.target());
        if let Some(scope) = ctx.event_scope(event) {
            // Every span from the outermost in, and the innermost alone.
            let mut spans = String::from("[");
            let mut innermost = 1;
            for span in scope.from_root() {
                if spans.len() > 1 {
                    spans.push(',');
                }
                innermost = spans.len();
                spans.push('{');
                if let Some(SpanFields(kept)) = span.extensions().get::<SpanFields>()
                    && !kept.is_empty()
                {
                    spans.push_str(kept);
                    spans.push(',');
                }
                spans.push_str("\"name\":");
                escaped(&mut spans, span.name());
                spans.push('}');
            }
            spans.push(']');
            line.push_str(",\"span\":");
            line.push_str(&spans[innermost..spans.len() - 1]);
            line.push_str(",\"spans\":");
            line.push_str(&spans);
        }
        line.push_str("}\n");
        // One write per line: lines of concurrent invocations never interleave.
        let _ = self.writer.make_writer().write_all(line.as_bytes());
    }
}

/// Writes fields as JSON members after what `out` holds (a comma between two).
struct Members {
    out: String,
    /// No member precedes the next one in its object.
    first: bool,
}

impl Members {
    /// Members of an object `out` opens (`{` last, or nothing yet).
    fn new(out: String) -> Self {
        Self { out, first: true }
    }

    /// Members after those `kept` holds.
    fn after(kept: String) -> Self {
        let first = kept.is_empty();
        Self { out: kept, first }
    }

    fn key(&mut self, field: &Field) {
        if !std::mem::take(&mut self.first) {
            self.out.push(',');
        }
        escaped(&mut self.out, field.name());
        self.out.push(':');
    }
}

impl Visit for Members {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.key(field);
        escaped(&mut self.out, value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        let _ = write!(self.out, "{value}");
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field);
        let _ = write!(self.out, "{value}");
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        self.out.push_str(if value { "true" } else { "false" });
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.key(field);
        if value.is_finite() {
            let _ = write!(self.out, "{value}");
        } else {
            // JSON has no NaN or infinity.
            escaped(&mut self.out, &value.to_string());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.key(field);
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        escaped(&mut self.out, &text);
    }
}

/// `text` as a JSON string: quotes, backslashes and control characters escaped,
/// the rest copied as it is (JSON allows any other character in a string).
fn escaped(out: &mut String, text: &str) {
    out.push('"');
    let mut from = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..0x20 | 0x7f => "",
            _ => continue,
        };
        out.push_str(&text[from..at]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{byte:04x}");
        } else {
            out.push_str(escape);
        }
        from = at + 1;
    }
    out.push_str(&text[from..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::layer::SubscriberExt;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    fn lines_of(run: impl FnOnce()) -> Vec<serde_json::Value> {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO))
            .with(JsonLines::new(captured.clone()));
        tracing::subscriber::with_default(subscriber, run);
        parsed(&captured)
    }

    /// The lines `tracing_subscriber`'s JSON formatter writes for `run`, as the
    /// Lambdas had it configured.
    fn formatters_lines_of(run: impl FnOnce()) -> Vec<serde_json::Value> {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO))
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .without_time()
                    .with_writer(captured.clone()),
            );
        tracing::subscriber::with_default(subscriber, run);
        parsed(&captured)
    }

    fn parsed(captured: &Captured) -> Vec<serde_json::Value> {
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
            .collect()
    }

    /// An event in a request's span carries the span's fields, those recorded
    /// after it began included, and every span it is in (the runtime's, with the
    /// invocation's id), in the shape the JSON formatter wrote them.
    #[test]
    fn an_event_in_a_span_is_a_json_line_with_the_spans_fields() {
        let lines = lines_of(|| {
            let outer = tracing::info_span!("Lambda runtime invoke", requestId = "req-1");
            let _outer = outer.enter();
            let span = tracing::info_span!(
                "request",
                request_id = %"req-1",
                method = "GET",
                status = tracing::field::Empty,
            );
            let _entered = span.enter();
            span.record("status", 404);
            tracing::info!(late = true, ratio = 0.5, "handled");
            tracing::debug!("left out by the filter");
        });
        assert_eq!(
            lines,
            vec![serde_json::json!({
                "level": "INFO",
                "fields": {"message": "handled", "late": true, "ratio": 0.5},
                "target": module_path!(),
                "span": {"request_id": "req-1", "method": "GET", "status": 404, "name": "request"},
                "spans": [
                    {"requestId": "req-1", "name": "Lambda runtime invoke"},
                    {"request_id": "req-1", "method": "GET", "status": 404, "name": "request"},
                ],
            })]
        );
    }

    /// What the JSON formatter wrote, these lines say, field for field: a
    /// request, an error inside it with a cause, a line outside any span.
    #[test]
    fn the_lines_say_what_the_json_formatter_wrote() {
        let run = || {
            let outer = tracing::info_span!(
                "Lambda runtime invoke",
                requestId = "req-7",
                xrayTraceId = "Root=1-x"
            );
            let _outer = outer.enter();
            let span = tracing::info_span!(
                "request",
                request_id = %"f-1",
                method = %"POST",
                path = %"/v1/blog/posts/\"x\"",
                status = tracing::field::Empty,
            );
            let _entered = span.enter();
            tracing::error!(cause = %"the store said \"no\"\n", "request failed");
            span.record("status", 500_u16);
            tracing::info!(count = 3_u64, ok = false, "handled");
            drop(_entered);
            drop(_outer);
            tracing::warn!(value = -1_i64, "outside");
        };
        assert_eq!(lines_of(run), formatters_lines_of(run));
    }

    /// Outside any span a line has no spans; a span without fields has its name.
    #[test]
    fn an_event_outside_a_span_has_none_and_a_bare_span_its_name() {
        let lines = lines_of(|| {
            tracing::warn!(count = -3_i64, "alone");
            let span = tracing::info_span!("bare");
            let _entered = span.enter();
            tracing::error!("inside");
        });
        assert_eq!(
            lines[0]["fields"],
            serde_json::json!({"message": "alone", "count": -3})
        );
        assert!(lines[0].get("span").is_none() && lines[0].get("spans").is_none());
        assert_eq!(lines[1]["span"], serde_json::json!({"name": "bare"}));
        assert_eq!(lines[1]["spans"], serde_json::json!([{"name": "bare"}]));
        assert_eq!(lines[1]["level"], "ERROR");
    }

    /// Whatever a field holds (quotes, backslashes, every control character,
    /// text beyond ASCII, a NaN), the line is JSON and reads back the same.
    #[test]
    fn a_field_holding_anything_reads_back_the_same() {
        let controls: String = (0u8..0x20).chain([0x7f]).map(char::from).collect();
        let hostile = format!("a\"b\\c{controls}é€😀\u{2028}</script>");
        let lines = lines_of(|| {
            let span = tracing::info_span!("request", path = %hostile);
            let _entered = span.enter();
            tracing::info!(cause = %hostile, nan = f64::NAN, "{hostile}");
        });
        assert_eq!(lines[0]["fields"]["message"], hostile.as_str());
        assert_eq!(lines[0]["fields"]["cause"], hostile.as_str());
        assert_eq!(lines[0]["fields"]["nan"], "NaN");
        assert_eq!(lines[0]["span"]["path"], hostile.as_str());
        assert_eq!(lines[0]["spans"][0]["path"], hostile.as_str());
    }
}
