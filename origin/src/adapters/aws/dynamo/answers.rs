//! Query answers read once per distinct answer. The rows of a list repeat from one
//! call to the next until an item changes (every edge location asks for the same
//! page, the owner reloads the console), and reading the JSON of a list's 22 rows
//! was a fifth of the list's instructions (BENCHMARKS.md, issue 33). The parse is
//! a function of the answer's bytes alone, so an answer equal to one read before,
//! byte for byte, is read as it was: never stale.

use std::sync::Arc;

use bytes::Bytes;
use moka::sync::Cache;

use crate::support::caches::weighed_in_bytes;

use super::http::{CallError, parse};
use super::wire::QueryOutput;

/// What the answers kept may weigh, in bytes (each counted twice: as sent, and read).
const KEPT_BYTES: u64 = 1024 * 1024;
/// Larger answers are read each time.
const LARGEST_KEPT: usize = 64 * 1024;

/// An answer as it came, and as read.
pub struct Answer {
    bytes: Bytes,
    pub output: QueryOutput,
}

pub struct QueryAnswers(Cache<u128, Arc<Answer>>);

impl Default for QueryAnswers {
    fn default() -> Self {
        Self(weighed_in_bytes(KEPT_BYTES, |_, answer: &Arc<Answer>| answer.bytes.len() * 2).build())
    }
}

impl QueryAnswers {
    /// The answer `bytes` read: as it was read before if these very bytes were,
    /// else read now (and kept, if small enough).
    pub fn read(&self, bytes: Bytes) -> Result<Arc<Answer>, CallError> {
        if bytes.len() > LARGEST_KEPT {
            let output = parse(&bytes)?;
            return Ok(Arc::new(Answer { bytes, output }));
        }
        let key = xxhash_rust::xxh3::xxh3_128(&bytes);
        // The bytes are compared too: a hash is not a proof.
        if let Some(kept) = self.0.get(&key)
            && kept.bytes == bytes
        {
            return Ok(kept);
        }
        let output = parse(&bytes)?;
        let answer = Arc::new(Answer { bytes, output });
        self.0.insert(key, Arc::clone(&answer));
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(answer: &Answer) -> Vec<(String, u64)> {
        answer
            .output
            .items
            .iter()
            .map(|row| (row.0.sk.clone(), row.0.version))
            .collect()
    }

    #[test]
    fn an_answer_is_read_as_its_bytes_say_whether_seen_before_or_not() {
        let answers = QueryAnswers::default();
        let first = Bytes::from_static(
            br#"{"Items":[{"PK":{"S":"p"},"SK":{"S":"a"},"Version":{"N":"1"}}],"Count":1}"#,
        );
        let changed = Bytes::from_static(
            br#"{"Items":[{"PK":{"S":"p"},"SK":{"S":"a"},"Version":{"N":"2"}}],"Count":1}"#,
        );
        assert_eq!(
            rows(&answers.read(first.clone()).unwrap()),
            [("a".into(), 1)]
        );
        // The same bytes again: the same rows, read once.
        let again = answers.read(first.clone()).unwrap();
        assert!(Arc::ptr_eq(&again, &answers.read(first).unwrap()));
        assert_eq!(rows(&again), [("a".into(), 1)]);
        // Other bytes are read for themselves.
        assert_eq!(rows(&answers.read(changed).unwrap()), [("a".into(), 2)]);
        // A large answer is read, not kept; a malformed one is refused.
        let many: Vec<String> = (0..2000)
            .map(|n| {
                format!(r#"{{"PK":{{"S":"p"}},"SK":{{"S":"{n:05}"}},"Version":{{"N":"{n}"}}}}"#)
            })
            .collect();
        let large = Bytes::from(format!(r#"{{"Items":[{}]}}"#, many.join(",")));
        assert!(large.len() > LARGEST_KEPT);
        let read = answers.read(large.clone()).unwrap();
        assert_eq!(read.output.items.len(), 2000);
        assert!(!Arc::ptr_eq(&read, &answers.read(large).unwrap()));
        assert!(answers.read(Bytes::from_static(b"{\"Items\":[")).is_err());
    }

    /// Two answers whose hashes are made equal in the cache are still told apart
    /// by their bytes.
    #[test]
    fn a_kept_answer_under_the_same_key_but_other_bytes_is_not_used() {
        let answers = QueryAnswers::default();
        let kept = Bytes::from_static(
            br#"{"Items":[{"PK":{"S":"p"},"SK":{"S":"kept"},"Version":{"N":"1"}}]}"#,
        );
        let other = Bytes::from_static(
            br#"{"Items":[{"PK":{"S":"p"},"SK":{"S":"other"},"Version":{"N":"1"}}]}"#,
        );
        let key = xxhash_rust::xxh3::xxh3_128(&other);
        answers.0.insert(
            key,
            Arc::new(Answer {
                output: parse(&kept).unwrap(),
                bytes: kept,
            }),
        );
        assert_eq!(rows(&answers.read(other).unwrap()), [("other".into(), 1)]);
    }
}
