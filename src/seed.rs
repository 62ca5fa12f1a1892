//! Sample content, so a new user sees a populated portfolio at once.

use folio_origin::App;
use folio_origin::repo::content as repo;
use folio_shared::domain::{
    BlogPost, Certification, Content, Fields, Meta, Project, Status, today_utc,
};
use serde_json::json;

use crate::error::CommandError;

async fn add<T: Content>(
    app: &App,
    body: serde_json::Value,
    publish: bool,
) -> Result<(), CommandError> {
    let bytes = serde_json::to_vec(&body).map_err(|e| CommandError::Refused(e.to_string()))?;
    let fields = Fields::parse(&bytes, &T::writable())
        .map_err(|e| CommandError::Refused(format!("sample content: {e}")))?;
    let item = T::create(&fields, Meta::new_draft())
        .map_err(|e| CommandError::Refused(format!("sample content: {e}")))?;
    let created = repo::create(app.store.as_ref(), item, app.tracker.region()).await?;
    if publish {
        let stored = repo::get::<T>(app.store.as_ref(), created.id())
            .await?
            .ok_or(CommandError::Refused(
                "a sample item vanished as it was published".into(),
            ))?;
        let mut next = stored.item.clone();
        next.set_status(Status::Published, today_utc());
        repo::replace(
            app.store.as_ref(),
            &stored,
            next,
            app.tracker.region(),
            &folio_origin::repo::history::Author::new("seed"),
        )
        .await?;
    }
    Ok(())
}

/// What `seed_if_empty` did, in words a person reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seeded {
    Loaded(usize),
    /// The store has content already: nothing was added, nothing doubled.
    Skipped {
        posts: usize,
    },
}

impl std::fmt::Display for Seeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Seeded::Loaded(n) => write!(f, "Loaded {n} sample items."),
            Seeded::Skipped { posts } => write!(
                f,
                "The store already has content ({posts} blog posts): no samples added."
            ),
        }
    }
}

/// The samples, only into a store without blog posts: `folio seed` and
/// `folio serve --seed` both run this, so neither ever doubles them.
pub async fn seed_if_empty(app: &App) -> Result<Seeded, CommandError> {
    let posts = repo::ids(app.store.as_ref(), folio_shared::domain::ContentKind::Blog)
        .await?
        .len();
    if posts > 0 {
        return Ok(Seeded::Skipped { posts });
    }
    Ok(Seeded::Loaded(seed(app).await?))
}

/// Adds three posts (one a draft), two projects and two certifications.
pub async fn seed(app: &App) -> Result<usize, CommandError> {
    add::<BlogPost>(app, json!({
        "title": "Hello from folio", "excerpt": "What this site runs on.",
        "content": "folio serves this portfolio from the edge: posts, projects and certifications, counted without cookies.",
        "category": "Meta", "tags": ["folio", "rust"] }), true).await?;
    add::<BlogPost>(app, json!({
        "title": "Caching at the edge", "excerpt": "Public reads never wake the origin.",
        "content": "CloudFront keeps public answers; a publish invalidates exactly the paths it changed.",
        "category": "Cloud", "tags": ["aws", "cloudfront"] }), true).await?;
    add::<BlogPost>(app, json!({
        "title": "Work in progress", "excerpt": "A draft only the owner sees.",
        "content": "Drafts never appear in public lists, counts or analytics.", "category": "Meta", "tags": ["draft"] }), false).await?;
    add::<Project>(
        app,
        json!({
        "name": "folio", "description": "Edge-first backend for portfolio sites",
        "longDescription": "Rust on Lambda@Edge and Lambda, DynamoDB global tables, Cognito.",
        "tech": ["Rust", "AWS Lambda", "DynamoDB"], "company": "Personal", "featured": true,
        "githubUrl": "https://github.com/example/folio" }),
        true,
    )
    .await?;
    add::<Project>(app, json!({
        "name": "Static site", "description": "The frontend that calls folio", "longDescription": "A static site on S3.",
        "tech": ["TypeScript"], "company": "Personal", "featured": false }), true).await?;
    add::<Certification>(app, json!({
        "name": "AWS Certified Solutions Architect – Associate", "issuer": "Amazon Web Services", "icon": "🏆",
        "type": "certification", "featured": true, "description": "Designing distributed systems on AWS.",
        "credentialUrl": "https://aws.amazon.com/verification", "dateEarned": "2024-06-15" }), true).await?;
    add::<Certification>(app, json!({
        "name": "Rust in Action", "issuer": "Self-study", "icon": "🦀", "type": "course", "featured": false,
        "description": "Systems programming in Rust.", "dateEarned": "2025-01-10" }), true).await?;
    Ok(7)
}
