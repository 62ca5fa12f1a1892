//! Events that are not HTTP requests, for the functions other than the origin.
//!
//! The media function hears S3's "Object Created" through EventBridge: the
//! bucket sends its events to EventBridge (`EventBridgeConfiguration`) and a
//! rule matching the bucket and the `media/` prefix invokes the function
//! (template.yaml). The shape is the one in "EventBridge event message
//! structure" (Amazon S3 User Guide,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html>), whose
//! example is `fixtures/s3-object-created.json`. Only the fields read are typed;
//! the rest are ignored.

use serde::Deserialize;

use crate::ports::media::{MEDIA_PREFIX, parse_name};

/// An EventBridge event from S3.
#[derive(Debug, Deserialize)]
pub struct S3Event {
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub source: String,
    pub detail: S3Detail,
}

#[derive(Debug, Deserialize)]
pub struct S3Detail {
    pub bucket: S3Bucket,
    pub object: S3Object,
}

#[derive(Debug, Deserialize)]
pub struct S3Bucket {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct S3Object {
    pub key: String,
}

/// What the media function does with an event.
#[derive(Debug, PartialEq, Eq)]
pub enum MediaWork<'a> {
    /// An upload was stored: make its smaller copies (`usecases::images`).
    Upload(&'a str),
    /// Anything else (one of the copies the function wrote, another kind of
    /// event): nothing. The rule matches every object under `media/`, and the
    /// copies live there too; this is what keeps the function from invoking
    /// itself ("Lambda recursive loop detection", Lambda Developer Guide).
    Ignore(String),
}

impl S3Event {
    /// The work for this event, if it is an upload to `bucket`.
    pub fn work(&self, bucket: &str) -> MediaWork<'_> {
        if self.source != "aws.s3" || self.detail_type != "Object Created" {
            return MediaWork::Ignore(format!("{} from {}", self.detail_type, self.source));
        }
        if self.detail.bucket.name != bucket {
            return MediaWork::Ignore(format!("an object in {}", self.detail.bucket.name));
        }
        // Names we issue are `[A-Za-z0-9_.-]`: nothing in them is URL-encoded,
        // so a key with an escape in it is not ours.
        match self.detail.object.key.strip_prefix(MEDIA_PREFIX) {
            Some(name) if parse_name(name).is_some() => MediaWork::Upload(name),
            _ => MediaWork::Ignore(format!("the object {}", self.detail.object.key)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> S3Event {
        serde_json::from_str(include_str!("../fixtures/s3-object-created.json")).unwrap()
    }

    #[test]
    fn an_upload_to_the_bucket_is_work_for_the_media_function() {
        let event = fixture();
        assert_eq!(
            event.work("amzn-s3-demo-bucket1"),
            MediaWork::Upload("Q2hhbmdlZEJ5VGhlVGVzdA.1200x800.png")
        );
    }

    #[test]
    fn its_own_copies_other_buckets_and_other_events_are_ignored() {
        let mut event = fixture();
        assert!(matches!(event.work("another-bucket"), MediaWork::Ignore(_)));
        event.detail.object.key = "media/sized/Q2hhbmdlZEJ5VGhlVGVzdA-480.webp".into();
        assert!(matches!(
            event.work("amzn-s3-demo-bucket1"),
            MediaWork::Ignore(_)
        ));
        event.detail.object.key = "media/a%2F..%2Fb.png".into();
        assert!(matches!(
            event.work("amzn-s3-demo-bucket1"),
            MediaWork::Ignore(_)
        ));
        let mut deleted = fixture();
        deleted.detail_type = "Object Deleted".into();
        assert!(matches!(
            deleted.work("amzn-s3-demo-bucket1"),
            MediaWork::Ignore(_)
        ));
    }
}
