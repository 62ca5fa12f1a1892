//! The API document is the contract: for every field and query parameter it
//! bounds, the server accepts the value at the bound and refuses the one past it,
//! naming the field. Read from the served document, so a limit changed in one
//! place only (the document, or the validation) fails here.

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::support::*;

/// The smallest valid value of a property, from its schema.
fn minimal(schema: &Value) -> Value {
    if let Some(values) = schema["enum"].as_array() {
        return values[0].clone();
    }
    let branches = schema["anyOf"].as_array().cloned().unwrap_or_default();
    if branches.iter().any(|b| b["maxLength"] == 0) {
        return json!("");
    }
    match (schema["type"].as_str(), schema["format"].as_str()) {
        (Some("boolean"), _) => json!(false),
        (Some("array"), _) => json!([minimal(&schema["items"])]),
        (Some("string"), Some("date")) => json!("2024-01-31"),
        (Some("string"), _) if schema["nullable"] == true => Value::Null,
        _ => json!("x"),
    }
}

fn valid_body(create: &Value) -> Map<String, Value> {
    create["properties"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, schema)| (name.clone(), minimal(schema)))
        .collect()
}

#[tokio::test]
async fn every_field_limit_in_the_document_is_the_servers() {
    let s = TestServer::spawn().await;
    let spec = s.spec().await;
    let mut checked = 0;
    for (path, kind) in [
        ("/v1/blog/posts", "BlogPost"),
        ("/v1/projects", "Project"),
        ("/v1/certifications", "Certification"),
    ] {
        let create = &spec["components"]["schemas"][format!("{kind}Create")];
        let base = valid_body(create);
        let r = s
            .owner(Method::POST, path, Some(Value::Object(base.clone())))
            .await;
        assert_eq!(
            r.status, 201,
            "{kind}: the minimal body is valid: {}",
            r.body
        );
        let id = r.body["id"].as_str().unwrap().to_string();
        let update = &spec["components"]["schemas"][format!("{kind}Update")];
        assert_eq!(update["minProperties"], 1, "{kind}");
        s.owner(Method::PUT, &format!("{path}/{id}"), Some(json!({})))
            .await
            .error(400);

        for (name, schema) in create["properties"].as_object().unwrap() {
            let mut cases: Vec<(Value, bool)> = Vec::new();
            if let Some(max) = schema["maxLength"].as_u64() {
                // Multi-byte characters where the item size allows: limits count
                // characters, not bytes.
                let unit = if max <= 2000 { "é" } else { "x" };
                let at = unit.repeat(max as usize);
                cases.push((json!(at), true));
                cases.push((json!(format!("{at}x")), false));
                cases.push((json!(" \u{3000}\t"), false));
            }
            if let Some(max) = schema["maxItems"].as_u64() {
                let item_max = schema["items"]["maxLength"].as_u64().unwrap() as usize;
                let items: Vec<String> = (0..max).map(|i| format!("t{i}")).collect();
                cases.push((json!(items), true));
                let mut over = items.clone();
                over.push("one-more".into());
                cases.push((json!(over), false));
                cases.push((json!(["y".repeat(item_max)]), true));
                cases.push((json!(["y".repeat(item_max + 1)]), false));
                cases.push((json!(["  "]), false));
            }
            let formats: Vec<&str> = schema["anyOf"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|b| b["format"].as_str())
                .collect();
            if formats.contains(&"date") {
                cases.push((json!("2019-05-01"), true));
                cases.push((json!(""), true));
                cases.push((json!("2019-5-1"), false));
                cases.push((json!("2019-02-30"), false));
            }
            if formats.contains(&"uri") {
                cases.push((json!("https://example.com/a"), true));
                cases.push((json!(""), true));
                cases.push((json!("ftp://example.com"), false));
                cases.push((json!("https://example.com/a b"), false));
                cases.push((json!(" https://example.com"), false));
            }
            for (value, ok) in cases {
                let r = s
                    .owner(
                        Method::PUT,
                        &format!("{path}/{id}"),
                        Some(json!({ name.as_str(): value })),
                    )
                    .await;
                if ok {
                    assert_eq!(r.status, 200, "{kind}.{name} = {value}: {}", r.body);
                } else {
                    r.error(400);
                    assert_eq!(r.body["details"]["field"], name.as_str(), "{kind}.{name}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 40, "only {checked} cases");
}

#[tokio::test]
async fn every_query_parameter_bound_in_the_document_is_the_servers() {
    let s = TestServer::spawn().await;
    let spec = s.spec().await;
    let mut checked = 0;
    // A path parameter with query parameters beside it: a live share link's token.
    let share = s.owner(Method::POST, "/v1/visitors/shares", None).await;
    let share_token = share.body["token"]
        .as_str()
        .expect("a share link")
        .to_string();
    for (documented, ops) in spec["paths"].as_object().unwrap() {
        let path = documented.replace("{shareToken}", &share_token);
        let Some(op) = ops.get("get") else { continue };
        let params: Vec<&serde_json::Value> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .collect();
        for param in &params {
            let name = param["name"].as_str().unwrap();
            // The operation's other required parameters, with a valid value (a
            // search needs its words whatever its limit).
            let others: String = params
                .iter()
                .filter(|p| p["required"] == true && p["name"] != name)
                .map(|p| format!("&{}=rust", p["name"].as_str().unwrap()))
                .collect();
            let schema = &param["schema"];
            let mut cases = Vec::new();
            if let Some(max) = schema["maximum"].as_u64() {
                cases.push((max.to_string(), true));
                cases.push(((max + 1).to_string(), false));
            }
            if let Some(min) = schema["minimum"].as_u64() {
                cases.push((min.to_string(), true));
                if min > 0 {
                    cases.push(((min - 1).to_string(), false));
                }
            }
            if let Some(values) = schema["enum"].as_array() {
                for v in values {
                    cases.push((v.as_str().unwrap().to_string(), true));
                }
                cases.push(("not-a-value".into(), false));
            }
            for (value, ok) in cases {
                let r = s
                    .owner(
                        Method::GET,
                        &format!("/v1{path}?{name}={value}{others}"),
                        None,
                    )
                    .await;
                if ok {
                    assert_eq!(r.status, 200, "{path}?{name}={value}: {}", r.body);
                } else {
                    r.error(400);
                    assert_eq!(r.body["details"]["field"], name, "{path}?{name}={value}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 30, "only {checked} cases");
}

/// A body read with GET can be sent back with PUT: its read-only fields are
/// accepted while they are the stored values and refused by name once they are
/// not; a field the API does not know is still a 400.
#[tokio::test]
async fn a_get_body_goes_back_with_put_and_stale_read_only_fields_are_refused_by_name() {
    let s = TestServer::spawn().await;
    for (path, documented, body) in [
        (
            "/v1/blog/posts",
            "/blog/posts/{postId}",
            blog_body("Round trip"),
        ),
        (
            "/v1/projects",
            "/projects/{projectId}",
            project_body("Round trip"),
        ),
        (
            "/v1/certifications",
            "/certifications/{certificationId}",
            cert_body("Round trip"),
        ),
    ] {
        let created = s.create(path, body).await;
        let id = created["id"].as_str().unwrap().to_string();
        let item = format!("{path}/{id}");
        let read = s.owner(Method::GET, &item, None).await;
        assert_eq!(read.status, 200);
        let back = s.owner(Method::PUT, &item, Some(read.body.clone())).await;
        assert_eq!(back.status, 200, "{path}: {}", back.body);
        s.conforms(&back, "put", documented).await;
        // The copy read before that PUT is stale now: its updatedAt is not the stored one.
        let mut stale = read.body.clone();
        stale["updatedAt"] = json!("2001-01-01T00:00:00Z");
        let r = s.owner(Method::PUT, &item, Some(stale)).await;
        r.error(400);
        assert_eq!(r.body["details"]["field"], "updatedAt", "{path}");
        for (name, value) in [
            ("id", json!("someone-else")),
            ("status", json!("published")),
        ] {
            let mut changed = back.body.clone();
            changed[name] = value;
            let r = s.owner(Method::PUT, &item, Some(changed)).await;
            r.error(400);
            assert_eq!(r.body["details"]["field"], name, "{path}");
        }
        let mut unknown = back.body.clone();
        unknown["notAField"] = json!(1);
        let r = s.owner(Method::PUT, &item, Some(unknown)).await;
        assert_eq!(r.error(400)["details"]["field"], "notAField");
        // Read-only fields alone, all current: nothing to change, and nothing changes.
        let only = json!({ "id": id, "status": "draft" });
        let r = s.owner(Method::PUT, &item, Some(only)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["updatedAt"], back.body["updatedAt"]);
        // On create they have no stored value to match: refused by name.
        let mut with_id = back.body.clone();
        with_id
            .as_object_mut()
            .unwrap()
            .retain(|k, _| k != "slug" && k != "readTime");
        let r = s.owner(Method::POST, path, Some(with_id)).await;
        assert_eq!(r.error(400)["details"]["field"], "id", "{path}");
    }
    // A blog post's derived fields too.
    let post = s.create("/v1/blog/posts", blog_body("Derived")).await;
    let item = format!("/v1/blog/posts/{}", post["id"].as_str().unwrap());
    for (name, value) in [
        ("slug", json!("other-slug")),
        ("readTime", json!("99 min read")),
    ] {
        let r = s
            .owner(Method::PUT, &item, Some(json!({ name: value })))
            .await;
        assert_eq!(r.error(400)["details"]["field"], name);
    }
}

/// Old posts keep their real dates: the owner sets `publishedAt`, publishing keeps
/// it (and fills in today only when none is set), lists order by it.
#[tokio::test]
async fn the_owner_dates_a_post_and_publishing_keeps_the_date() {
    let s = TestServer::spawn().await;
    let mut old = blog_body("Written in 2019");
    old["publishedAt"] = json!("2019-05-01");
    let old = s.create("/v1/blog/posts", old).await;
    assert_eq!(old["publishedAt"], "2019-05-01");
    let new = s.create("/v1/blog/posts", blog_body("Written today")).await;
    assert_eq!(new["publishedAt"], "");
    for post in [&old, &new] {
        s.publish("/v1/blog/posts", post["id"].as_str().unwrap())
            .await;
    }
    let list = s.get("/v1/blog/posts", None).await;
    let posts = list.body["posts"].as_array().unwrap();
    assert_eq!(posts[0]["title"], "Written today");
    assert_eq!(
        posts[0]["publishedAt"],
        folio_shared::domain::today_utc().to_string()
    );
    assert_eq!(posts[1]["title"], "Written in 2019");
    assert_eq!(posts[1]["publishedAt"], "2019-05-01");
    // Redated after publication; unpublishing keeps the date.
    let id = old["id"].as_str().unwrap();
    let r = s
        .owner(
            Method::PUT,
            &format!("/v1/blog/posts/{id}"),
            Some(json!({ "publishedAt": "2018-12-24" })),
        )
        .await;
    assert_eq!(
        (r.status, &r.body["publishedAt"]),
        (200, &json!("2018-12-24"))
    );
    let unpublished = s.unpublish("/v1/blog/posts", id).await;
    assert_eq!(unpublished["publishedAt"], "2018-12-24");
}
