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
            if schema["anyOf"].is_array() {
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
    for (path, ops) in spec["paths"].as_object().unwrap() {
        let Some(op) = ops.get("get") else { continue };
        for param in op["parameters"].as_array().into_iter().flatten() {
            if param["in"] != "query" {
                continue;
            }
            let name = param["name"].as_str().unwrap();
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
                    .owner(Method::GET, &format!("/v1{path}?{name}={value}"), None)
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
