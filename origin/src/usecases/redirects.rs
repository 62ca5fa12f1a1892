//! The owner's redirects: old addresses of their site and where they lead now
//! (an old blog path after a move, a slug an import had to change). folio keeps
//! the table and serves it (`GET /v1/redirects`, cached like other public reads);
//! the frontend applies it. Chains are collapsed when written (`a → b` then
//! `b → c` makes `a → c`) and loops refused, so every entry is one hop.

use chrono::{SecondsFormat, Utc};
use folio_shared::FieldError;
use folio_shared::domain::HttpUrl;
use serde::{Deserialize, Serialize};

use crate::ports::keys;
use crate::ports::store::{Condition, Item, Store, Write};
use crate::usecases::error::UseCaseError;

/// Where the table is read: every change purges its cached copy.
pub const PUBLIC_PATH: &str = "/v1/redirects";
/// The most redirects a site keeps (one Query reads them all).
pub const MAX_REDIRECTS: usize = 1000;
/// The longest address on either side.
pub const MAX_PATH_CHARS: usize = 512;
/// What a path may hold after its `/`: printable ASCII a URL carries unencoded,
/// less `"<>\^`{|}#`. `site_path` checks it, `path_pattern` documents it.
const PATH_CHARS: &str =
    "!$%&'()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]_abcdefghijklmnopqrstuvwxyz~";

/// `PATH_CHARS` as the API document's pattern: `/`, not `//`, then those.
pub fn path_pattern() -> String {
    let class = |chars: &mut dyn Iterator<Item = char>| {
        chars
            .map(|c| {
                if "\\-[]^".contains(c) {
                    format!("\\{c}")
                } else {
                    c.to_string()
                }
            })
            .collect::<String>()
    };
    let first = class(&mut PATH_CHARS.chars().filter(|c| *c != '/'));
    let rest = class(&mut PATH_CHARS.chars());
    format!("^/([{first}][{rest}]*)?$")
}
/// DynamoDB's transaction bound: a new redirect and the entries it collapses.
const MAX_COLLAPSED: usize = 99;

/// One entry as stored and served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Redirect {
    /// Names the entry to delete it (a digest of `from`).
    pub id: String,
    pub from: String,
    pub to: String,
    pub created_at: String,
}

/// An address on the owner's site: `/` then printable ASCII a URL carries
/// unencoded (no space, quote, angle bracket, backslash or fragment), at most
/// `MAX_PATH_CHARS`; not `//…`, which a browser reads as another host.
pub fn site_path(field: &str, value: &str) -> Result<String, FieldError> {
    let value = value.trim();
    let bad = |why: &str| FieldError::new(field, why.to_string());
    if !value.starts_with('/') || value.starts_with("//") {
        return Err(bad("must be a path on your site, starting with one /"));
    }
    if value.chars().count() > MAX_PATH_CHARS {
        return Err(bad(&format!("must be at most {MAX_PATH_CHARS} characters")));
    }
    // ASCII only (a URL carries anything else percent-encoded), which also keeps
    // the stored key within DynamoDB's 1,024 bytes for a sort key.
    if !value[1..].chars().all(|c| PATH_CHARS.contains(c)) {
        return Err(bad(
            "must be ASCII without spaces, quotes, <, >, \\, ^, `, {, |, } or # (percent-encode the rest)",
        ));
    }
    Ok(value.to_string())
}

/// Where a redirect may lead: a path on the site, or an absolute http(s) URL.
pub fn target(value: &str) -> Result<String, FieldError> {
    if value.trim().starts_with('/') {
        site_path("to", value)
    } else {
        HttpUrl::parse("to", value.trim()).map(|_| value.trim().to_string())
    }
}

fn id_of(from: &str) -> String {
    folio_shared::digest::sha256_hex_prefix(from.as_bytes(), 8)
}

fn row(redirect: &Redirect) -> Result<Item, UseCaseError> {
    let key = keys::redirect(&redirect.from);
    Ok(Item {
        pk: key.pk,
        sk: key.sk,
        entity_type: keys::entity::REDIRECT.into(),
        data: Some(
            serde_json::to_string(redirect).map_err(|e| UseCaseError::Corrupt(e.to_string()))?,
        ),
        ..Item::default()
    })
}

/// Every redirect, by `from`.
pub async fn list(store: &dyn Store) -> Result<Vec<Redirect>, UseCaseError> {
    let rows = store.query(&keys::redirects()).await?;
    rows.iter()
        .filter_map(|row| row.data.as_deref())
        .map(|data| serde_json::from_str(data).map_err(|e| UseCaseError::Corrupt(e.to_string())))
        .collect()
}

/// Adds (or replaces) `from → to`, collapsing chains through it both ways.
pub async fn put(store: &dyn Store, from: &str, to: &str) -> Result<Redirect, UseCaseError> {
    let from = site_path("from", from)?;
    let mut to = target(to)?;
    let existing = list(store).await?;
    // `to` itself moved on: lead straight to where it leads.
    if let Some(next) = existing.iter().find(|r| r.from == to) {
        to = next.to.clone();
    }
    if to == from {
        return Err(UseCaseError::Conflict(format!(
            "{from} would lead back to itself: a redirect loop"
        )));
    }
    let replacing = existing.iter().any(|r| r.from == from);
    if !replacing && existing.len() >= MAX_REDIRECTS {
        return Err(UseCaseError::Conflict(format!(
            "at most {MAX_REDIRECTS} redirects: delete some first"
        )));
    }
    let leading_here: Vec<&Redirect> = existing.iter().filter(|r| r.to == from).collect();
    if leading_here.len() > MAX_COLLAPSED {
        return Err(UseCaseError::Conflict(format!(
            "{} redirects lead to {from}: too many to move at once",
            leading_here.len()
        )));
    }
    let redirect = Redirect {
        id: id_of(&from),
        from: from.clone(),
        to: to.clone(),
        created_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
    };
    let mut writes = vec![Write::Put {
        item: row(&redirect)?,
        condition: Condition::None,
    }];
    // Whatever led to `from` now leads straight to `to` (none of them is `to`:
    // that would have made `to` lead back to `from`, refused above).
    for earlier in leading_here {
        writes.push(Write::Put {
            item: row(&Redirect {
                to: to.clone(),
                ..earlier.clone()
            })?,
            condition: Condition::None,
        });
    }
    store.transact(writes).await?;
    Ok(redirect)
}

/// Removes the redirect named `id`; `NotFound` when there is none.
pub async fn delete(store: &dyn Store, id: &str) -> Result<(), UseCaseError> {
    let Some(found) = list(store).await?.into_iter().find(|r| r.id == id) else {
        return Err(UseCaseError::NotFound);
    };
    store
        .transact(vec![Write::Delete {
            key: keys::redirect(&found.from),
            condition: Condition::None,
        }])
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `site_path` admits after the `/` exactly the printable ASCII the document's
    /// pattern lists, and the pattern is built from that list.
    #[test]
    fn a_path_holds_the_characters_the_document_names() {
        for c in (0u8..128).map(char::from) {
            let admitted = site_path("from", &format!("/a{c}b")).is_ok();
            let listed = c.is_ascii_graphic() && !"\"<>\\^`{|}#".contains(c);
            assert_eq!(admitted, listed, "{c:?}");
        }
        let pattern = path_pattern();
        for c in PATH_CHARS.chars() {
            assert!(pattern.contains(c), "{c:?} in {pattern}");
        }
        assert!(
            pattern.starts_with("^/([") && !pattern[4..pattern.find(']').unwrap()].contains('/')
        );
    }

    #[test]
    fn addresses_are_paths_of_the_site_or_absolute_urls() {
        assert_eq!(site_path("from", " /blog/3.0 ").unwrap(), "/blog/3.0");
        for bad in [
            "blog",
            "//evil.example/x",
            "/a b",
            "/a\"b",
            "/x#y",
            "/<script>",
            "/café",
        ] {
            assert!(site_path("from", bad).is_err(), "{bad}");
        }
        assert!(site_path("from", &format!("/{}", "a".repeat(MAX_PATH_CHARS))).is_err());
        assert_eq!(
            target("https://jane.dev/new").unwrap(),
            "https://jane.dev/new"
        );
        assert!(target("javascript:alert(1)").is_err());
    }
}
