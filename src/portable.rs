//! `folio export` and `folio import`: the portable format (`folio_origin::usecases::portable`)
//! to and from a file, on the embedded store of a data directory or on the AWS
//! table (`--aws`: TABLE_NAME and AWS_REGION, AWS_ENDPOINT_URL for moto). Images
//! travel too: from and to `<data dir>/media` (served by `folio serve` at
//! `http://<FOLIO_ADDR>/media/…`), or the bucket of `MEDIA_BUCKET` (served at
//! `MEDIA_URL`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use folio_origin::adapters::aws::dynamo::{DynamoEndpoint, DynamoStore};
use folio_origin::adapters::aws::s3::S3Objects;
use folio_origin::adapters::local::embedded::{EmbeddedSnapshot, EmbeddedStore};
use folio_origin::adapters::local::media::MediaDir;
use folio_origin::ports::Store;
use folio_origin::ports::media::MediaObjects;
use folio_origin::usecases::portable;
use folio_origin::wiring::aws::MediaSettings;
use folio_origin::wiring::local::{LOCAL_REGION, STORE_FILE};
use folio_shared::settings::{FOLIO_ADDR, MEDIA_BUCKET, MEDIA_URL};

use crate::error::CommandError;
use crate::import_images::read_image;
use crate::markdown_import::{Defaults, ImagePlace, LocalImage};
use crate::progress::Progress;
use folio_origin::ports::media::MEDIA_PREFIX;
use folio_origin::usecases::portable::Record;
use folio_shared::domain::HttpUrl;

/// Which store a command works on.
pub enum Target {
    DataDir(PathBuf),
    Aws,
}

/// Where the images of `target` live, if it has a place for them: the data
/// directory's `media/` (at the address `folio serve` listens on), or the bucket.
pub async fn media_of(target: &Target) -> Result<Option<Arc<dyn MediaObjects>>, CommandError> {
    match target {
        Target::DataDir(dir) => {
            let env = crate::env();
            let addr = crate::parse_addr(env.get(&FOLIO_ADDR).unwrap_or(FOLIO_ADDR.default))?;
            Ok(Some(Arc::new(MediaDir {
                dir: dir.join("media"),
                public_base: format!("http://{addr}"),
            })))
        }
        Target::Aws => {
            let Some(settings) =
                MediaSettings::from_env(crate::env()).map_err(|e| e.to_string())?
            else {
                return Ok(None);
            };
            let (region, _) = crate::aws_cli::table_settings()?;
            let sdk = crate::aws_cli::sdk_for(&region).await?;
            let credentials = sdk
                .credentials_provider()
                .ok_or("no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")?;
            let s3 = settings
                .s3(&region, credentials)
                .map_err(|e| e.to_string())?;
            Ok(Some(Arc::new(
                S3Objects::new(s3).map_err(|e| e.to_string())?,
            )))
        }
    }
}

/// The target's media storage for a command that moves images; without one the
/// command goes on without them and says so once (the content is what matters
/// most, and running it again with the settings brings the images).
fn media_or_warn(
    media: Option<Arc<dyn MediaObjects>>,
    what: &str,
) -> Option<Arc<dyn MediaObjects>> {
    if media.is_none() {
        eprintln!(
            "warning: {what}, but this target has no media storage: set {} and {} (the stack's MediaBucket and ApiUrl) to bring them; they are left out and links to them left as they were",
            MEDIA_BUCKET.name, MEDIA_URL.name
        );
    }
    media
}

/// What a command does with the store it opens.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    Export,
    Import,
    DryRun,
}

/// The store of the target. For an import, a data directory without a store gets a
/// new (private) one; a dry run compares with an empty scratch store instead and
/// leaves the directory alone; an export needs a store.
async fn open(target: &Target, usage: Use) -> Result<(Arc<dyn Store>, String), CommandError> {
    match target {
        Target::DataDir(dir) => {
            let mut file = dir.join(STORE_FILE);
            if usage == Use::DryRun && !file.exists() {
                // A dry run into a data directory that has no store yet: compare
                // with an empty store of its own, and leave the directory alone.
                let scratch =
                    std::env::temp_dir().join(format!("folio-dry-run-{}", std::process::id()));
                folio_origin::support::private_files::ensure_dir(&scratch)?;
                file = scratch.join(STORE_FILE);
                let _ = std::fs::remove_file(&file);
            } else if usage == Use::Import {
                folio_origin::support::private_files::ensure_dir(dir)?;
                folio_origin::support::private_files::ensure_file(&file)?;
            } else if !file.exists() {
                return Err(CommandError::Refused(format!(
                    "no folio store in {}: give the data directory of a folio serve (--data-dir)",
                    dir.display()
                )));
            }
            // An export reads a snapshot beside a running `folio serve`; an
            // import writes, so it needs the store to itself.
            let store: Arc<dyn Store> = if usage == Use::Export {
                Arc::new(EmbeddedSnapshot::open(&file).map_err(|e| e.to_string())?)
            } else {
                Arc::new(
                    tokio::task::spawn_blocking(move || EmbeddedStore::open(&file))
                        .await
                        .map_err(|e| e.to_string())?
                        .map_err(|e| e.to_string())?,
                )
            };
            Ok((store, LOCAL_REGION.to_string()))
        }
        Target::Aws => {
            let (region, table) = crate::aws_cli::table_settings()?;
            let sdk = crate::aws_cli::sdk_for(&region).await?;
            let store =
                DynamoStore::connect(&sdk, &DynamoEndpoint::from_env(crate::env()), &table)?;
            Ok((Arc::new(store), region))
        }
    }
}

pub async fn export(target: Target, out: &Path) -> Result<(), CommandError> {
    let (store, _) = open(&target, Use::Export).await?;
    let mut records = portable::export(store.as_ref())
        .await
        .map_err(|e| CommandError::Refused(format!("cannot read the store: {e}")))?;
    let items = records.len() - 1;
    let linked = portable::linked_media(&records).map_err(|e| e.to_string())?;
    let mut images = 0;
    if !linked.is_empty()
        && let Some(media) = media_or_warn(media_of(&target).await?, "the items link to images")
    {
        let (found, missing) = portable::export_media(linked, media.as_ref())
            .await
            .map_err(|e| CommandError::Refused(format!("cannot read the images: {e}")))?;
        for name in &missing {
            eprintln!("warning: media/{name} is linked to but not in the media storage: left out");
        }
        images = found.len();
        records.extend(found);
    }
    let text = portable::to_lines(&records).map_err(|e| e.to_string())?;
    refuse_link(out)?;
    // It holds drafts: private (0600) from its first byte, written beside the target
    // and renamed, so an interrupted export leaves no half file.
    folio_origin::support::private_files::write_new(out, text.as_bytes())?;
    eprintln!(
        "Exported {items} records and {images} images to {}",
        out.display()
    );
    Ok(())
}

/// The largest export file `folio import` reads (larger: import it in parts).
pub const MAX_IMPORT_BYTES: u64 = 512 * 1024 * 1024;

/// Prints what happened to one file or line, and the summary.
fn report(summary: &portable::Summary, dry_run: bool) {
    for skipped in &summary.skipped {
        eprintln!("skipped {skipped}");
    }
    let verb = if dry_run { "Would import" } else { "Imported" };
    println!("{verb}: {summary}");
}

/// A directory of Markdown files (Hugo, Jekyll, Astro) as blog posts.
async fn import_markdown(
    target: Target,
    dir: &Path,
    dry_run: bool,
    defaults: &Defaults,
) -> Result<(), CommandError> {
    eprintln!(
        "Posts without a category are filed under {:?}, posts without tags tagged {:?} (choose with --default-category, --default-tag).",
        defaults.category, defaults.tag
    );
    let converted = crate::markdown_import::convert_dir(dir, defaults)?;
    let (store, region) = open(&target, if dry_run { Use::DryRun } else { Use::Import }).await?;
    let with_images = converted.iter().any(|c| !c.images.is_empty());
    let media = if with_images {
        media_or_warn(media_of(&target).await?, "the posts use images")
    } else {
        None
    };
    let post_path = crate::env()
        .get(&folio_shared::settings::SITE_POST_PATH)
        .unwrap_or(folio_shared::settings::SITE_POST_PATH.default)
        .to_string();
    let mut redirects = Vec::new();
    let mut summary = portable::Summary::default();
    let mut progress = Progress::new("files", converted.len());
    for (done, file) in converted.into_iter().enumerate() {
        let name = file.file.display().to_string();
        for note in &file.notes {
            progress.note(&format!("{name}: {note}"));
        }
        let mut record = file.record;
        if let (Ok(Record::Blog { item }), Some(media)) = (&mut record, &media) {
            let mut stored = |image: &LocalImage, note: String| {
                progress.note(&format!("{name}: {} {note}", describe(image)));
            };
            bring_images(
                item,
                &file.images,
                media.as_ref(),
                dry_run,
                &mut summary,
                &mut stored,
            )
            .await?;
        }
        if let (Ok(Record::Blog { item }), Some(asked)) = (&record, &file.slug_changed_from)
            && post_path.contains("{slug}")
        {
            redirects.push((
                post_path.replace("{slug}", asked),
                post_path.replace("{slug}", &item.slug),
            ));
        }
        match record {
            Err(why) => summary.skipped.push(format!("{name}: {why}")),
            Ok(record) => {
                match portable::import_record(store.as_ref(), record, &region, dry_run)
                    .await
                    .map_err(|e| CommandError::Refused(format!("{name}: {e}")))?
                {
                    Ok(outcome) => summary.count(outcome),
                    Err(e) => summary
                        .skipped
                        .push(format!("{name}: '{}' {}", e.field, e.issue)),
                }
            }
        }
        progress.update(done + 1);
    }
    drop(progress);
    report(&summary, dry_run);
    if !redirects.is_empty() {
        // Kept in folio's redirects (`GET /v1/redirects`), and printed in the
        // `_redirects` format Netlify and Cloudflare Pages read.
        let mut recorded = 0;
        for (from, to) in &redirects {
            if dry_run {
                continue;
            }
            match folio_origin::usecases::redirects::put(store.as_ref(), from, to).await {
                Ok(_) => recorded += 1,
                Err(e) => eprintln!("warning: the redirect {from} → {to} is not kept: {e}"),
            }
        }
        println!(
            "Slugs folio had to change: {recorded} redirects kept (GET /v1/redirects); for your frontend (old new status):"
        );
        for (from, to) in redirects {
            println!("{from} {to} 301");
        }
    }
    Ok(())
}

/// Where an image sits, for the notes.
fn describe(image: &LocalImage) -> String {
    match &image.place {
        ImagePlace::Cover => format!("cover {:?}", image.reference),
        ImagePlace::Body { line, .. } => format!("line {line}: image {:?}", image.reference),
    }
}

/// Stores the post's local images in `media` and links the post to them there;
/// each that cannot be brought is named through `note` and its link left as it was.
async fn bring_images(
    item: &mut folio_shared::domain::BlogPost,
    images: &[LocalImage],
    media: &dyn MediaObjects,
    dry_run: bool,
    summary: &mut portable::Summary,
    note: &mut impl FnMut(&LocalImage, String),
) -> Result<(), CommandError> {
    let base = media.public_base().trim_end_matches('/').to_string();
    let mut rewrites = Vec::new();
    for image in images {
        let Some(path) = &image.file else {
            note(
                image,
                "is not in the site: its link is left as it was".into(),
            );
            continue;
        };
        let path = path.clone();
        let file = match tokio::task::spawn_blocking(move || read_image(&path))
            .await
            .map_err(|e| e.to_string())?
        {
            Ok(file) => file,
            Err(e) => {
                note(image, format!("cannot be stored: {e}"));
                continue;
            }
        };
        let stored = if dry_run {
            true
        } else {
            let stored = media
                .put(&file.name, file.content_type, &file.bytes)
                .await
                .map_err(|e| CommandError::Refused(format!("cannot store an image: {e}")))?;
            make_smaller_copies(media, &file.name).await;
            stored
        };
        if stored {
            summary.images_stored += 1;
        } else {
            summary.images_present += 1;
        }
        let url = format!("{base}/{MEDIA_PREFIX}{}", file.name);
        match &image.place {
            ImagePlace::Cover => match HttpUrl::parse("coverImage", &url) {
                Ok(url) => item.cover_image = Some(url),
                Err(e) => note(image, format!("cannot be the cover: {}", e.issue)),
            },
            ImagePlace::Body { range, .. } => rewrites.push((range.clone(), url)),
        }
    }
    // From the last to the first, so the earlier ranges still hold.
    rewrites.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    for (range, url) in rewrites {
        if item.content.get(range.clone()).is_some() {
            item.content.replace_range(range, &url);
        }
    }
    Ok(())
}

pub async fn import(
    target: Target,
    file: &Path,
    dry_run: bool,
    defaults: &Defaults,
) -> Result<(), CommandError> {
    if file.is_dir() {
        return import_markdown(target, file, dry_run, defaults).await;
    }
    let text = crate::untrusted_files::read_text_bounded(file, MAX_IMPORT_BYTES)
        .map_err(|e| CommandError::Refused(format!("cannot import {}: {e}", file.display())))?;
    let (store, region) = open(&target, if dry_run { Use::DryRun } else { Use::Import }).await?;
    let media = media_of(&target).await?;
    let mut progress = None;
    let summary = portable::import(
        store.as_ref(),
        media.as_deref(),
        &text,
        &region,
        dry_run,
        |done, total| {
            progress
                .get_or_insert_with(|| Progress::new("lines", total))
                .update(done);
        },
    )
    .await
    .map_err(|e| CommandError::Refused(format!("{}: {e}", file.display())))?;
    drop(progress);
    report(&summary, dry_run);
    Ok(())
}

/// A file the command writes is never a symbolic link: it would write wherever the
/// link points.
fn refuse_link(out: &Path) -> Result<(), CommandError> {
    match std::fs::symlink_metadata(out) {
        Ok(meta) if meta.file_type().is_symlink() => Err(CommandError::Refused(format!(
            "{} is a symbolic link: give the path of a file",
            out.display()
        ))),
        _ => Ok(()),
    }
}

/// `folio backup`: one consistent snapshot of a data directory's store, taken while
/// `folio serve` runs (or not), into a new file.
pub fn backup(data_dir: &Path, out: &Path) -> Result<(), CommandError> {
    let file = data_dir.join(STORE_FILE);
    refuse_link(out)?;
    if out.exists() {
        return Err(CommandError::Refused(format!(
            "{} exists: give a new file to back up into",
            out.display()
        )));
    }
    let snapshot = EmbeddedSnapshot::open(&file).map_err(|e| e.to_string())?;
    // Secrets live in the store (password hashes, salts): the copy is private from
    // its creation, and written into the very file created so.
    let target = folio_origin::support::private_files::create_new(out)?;
    let rows = snapshot.backup(target).map_err(|e| {
        let _ = std::fs::remove_file(out);
        e.to_string()
    })?;
    println!(
        "Backed up {rows} rows of {} to {}",
        data_dir.display(),
        out.display()
    );
    Ok(())
}

/// `folio restore`: puts a backup in place of a data directory's store. The
/// server must be stopped; the backup is checked before anything is replaced.
pub fn restore(data_dir: &Path, backup: &Path) -> Result<(), CommandError> {
    EmbeddedSnapshot::open(backup).map_err(|e| {
        CommandError::Refused(format!("{} is not a folio backup: {e}", backup.display()))
    })?;
    let file = data_dir.join(STORE_FILE);
    if file.exists() {
        // Opening it for writing proves no server uses it.
        EmbeddedStore::open(&file)
            .map_err(|e| CommandError::Refused(format!("cannot restore: {e}")))?;
    }
    folio_origin::support::private_files::ensure_dir(data_dir)?;
    let staged = data_dir.join(format!("{STORE_FILE}.restoring"));
    std::fs::copy(backup, &staged)
        .and_then(|_| std::fs::File::open(&staged)?.sync_all())
        .map_err(|e| CommandError::Refused(format!("cannot copy {}: {e}", backup.display())))?;
    folio_origin::support::private_files::ensure_file(&staged)?;
    std::fs::rename(&staged, &file)
        .map_err(|e| CommandError::Refused(format!("cannot put the backup in place: {e}")))?;
    println!("Restored {} into {}", backup.display(), data_dir.display());
    Ok(())
}

/// `folio migrate`: gives the items an older folio wrote their list index rows and
/// their place in the tallies, and every item a catalogue entry that matches it
/// (removing those of deleted items), then marks the store indexed. Safe beside a
/// running service, and safe to run again.
pub async fn migrate(target: Target) -> Result<(), CommandError> {
    let (store, region) = open(&target, Use::Import).await?;
    let mut progress = Progress::open_ended();
    let done = folio_origin::repo::content::migrate_all(
        store.as_ref(),
        &region,
        folio_origin::repo::content::Walk::Everything,
        |kind, m| {
            progress.update_text(format!(
                "{kind}: {} items checked, {} indexed, {} catalogue entries written, {} removed",
                m.indexed + m.already,
                m.indexed,
                m.entries,
                m.orphans
            ));
        },
    )
    .await
    .map_err(|e| CommandError::Refused(format!("cannot migrate the store: {e}")))?;
    drop(progress);
    println!(
        "Indexed {} items for lists ({} had their index rows already), wrote {} catalogue entries (missing or out of date) and removed {} left by deleted items; lists, the sitemap and the view statistics now read only what they return.",
        done.indexed, done.already, done.entries, done.orphans
    );
    Ok(())
}

/// The smaller copies of an image the import stored (or found stored), made
/// here as the media function makes an upload's; an image that gets none is
/// still linked as it is.
pub async fn make_smaller_copies(media: &dyn MediaObjects, name: &str) {
    use folio_origin::usecases::images::{ImagesError, make_smaller};
    match make_smaller(media, name).await {
        Ok(_)
        | Err(ImagesError::Image {
            source: folio_origin::support::images::ImageError::Unsupported(_),
            ..
        }) => {}
        Err(e) => eprintln!("warning: {name}: no smaller copies: {e}"),
    }
}
