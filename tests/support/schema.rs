//! A small validator for the OpenAPI 3.0 schema subset folio's document uses:
//! `$ref`, `type`, `required`, `properties`, `additionalProperties`, `items`,
//! `enum`, `nullable`, `anyOf`, `minimum`/`maximum`, `minLength`/`maxLength`,
//! `minItems`/`maxItems`, `minProperties`, and the `date` / `date-time` formats.

use serde_json::Value;

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let mut node = doc;
            for part in r.trim_start_matches("#/").split('/') {
                node = &node[part];
            }
            assert!(!node.is_null(), "dangling $ref {r}");
            resolve(doc, node)
        }
        None => schema,
    }
}

/// Whether `value` conforms to `schema` (resolved against `doc`).
pub fn validate(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    if value.is_null() {
        return if schema["nullable"] == true {
            Ok(())
        } else {
            Err(format!("{at}: null where not nullable"))
        };
    }
    if let Some(branches) = schema.get("anyOf").and_then(Value::as_array) {
        // Each branch narrows the schema around it (same type).
        let fits = branches.iter().any(|branch| {
            let mut merged = branch.clone();
            if let (Some(m), Some(t)) = (merged.as_object_mut(), schema.get("type")) {
                m.insert("type".into(), t.clone());
            }
            validate(doc, &merged, value, at).is_ok()
        });
        if !fits {
            return Err(format!("{at}: {value} matches no branch of anyOf"));
        }
    }
    let bound = |name: &str| schema.get(name).and_then(Value::as_u64);
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} not in {allowed:?}"));
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let obj = value
                .as_object()
                .ok_or(format!("{at}: expected object, got {value}"))?;
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap_or_default();
                if !obj.contains_key(name) {
                    return Err(format!("{at}: missing required '{name}'"));
                }
            }
            if let Some(min) = bound("minProperties")
                && (obj.len() as u64) < min
            {
                return Err(format!("{at}: fewer than {min} properties"));
            }
            let props = schema.get("properties").and_then(Value::as_object);
            for (k, v) in obj {
                match (
                    props.and_then(|p| p.get(k)),
                    schema.get("additionalProperties"),
                ) {
                    (Some(s), _) => validate(doc, s, v, &format!("{at}.{k}"))?,
                    (None, Some(Value::Bool(false))) => {
                        return Err(format!("{at}: undocumented '{k}'"));
                    }
                    (None, Some(extra)) if extra.is_object() => {
                        validate(doc, extra, v, &format!("{at}.{k}"))?
                    }
                    (None, _) => {}
                }
            }
            Ok(())
        }
        Some("array") => {
            let items = value
                .as_array()
                .ok_or(format!("{at}: expected array, got {value}"))?;
            let n = items.len() as u64;
            if bound("minItems").is_some_and(|min| n < min)
                || bound("maxItems").is_some_and(|max| n > max)
            {
                return Err(format!("{at}: {n} items outside minItems/maxItems"));
            }
            for (i, item) in items.iter().enumerate() {
                validate(doc, &schema["items"], item, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        Some("string") => {
            let s = value
                .as_str()
                .ok_or(format!("{at}: expected string, got {value}"))?;
            let chars = s.chars().count() as u64;
            if bound("minLength").is_some_and(|min| chars < min)
                || bound("maxLength").is_some_and(|max| chars > max)
            {
                return Err(format!(
                    "{at}: {chars} characters outside minLength/maxLength"
                ));
            }
            match schema.get("format").and_then(Value::as_str) {
                Some("date") if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err() => {
                    Err(format!("{at}: '{s}' is not a date"))
                }
                Some("date-time") if chrono::DateTime::parse_from_rfc3339(s).is_err() => {
                    Err(format!("{at}: '{s}' is not a date-time"))
                }
                _ => Ok(()),
            }
        }
        Some("integer") => {
            let n = value
                .as_i64()
                .ok_or(format!("{at}: expected integer, got {value}"))?;
            match (
                schema.get("minimum").and_then(Value::as_i64),
                schema.get("maximum").and_then(Value::as_i64),
            ) {
                (Some(min), _) if n < min => Err(format!("{at}: {n} below minimum {min}")),
                (_, Some(max)) if n > max => Err(format!("{at}: {n} above maximum {max}")),
                _ => Ok(()),
            }
        }
        Some("boolean") => value
            .as_bool()
            .map(|_| ())
            .ok_or(format!("{at}: expected boolean, got {value}")),
        _ => Ok(()),
    }
}

/// Checks a response against the document: the status must be documented for the
/// operation, and a JSON body must match its schema.
pub fn check_response(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let op = &doc["paths"][path][method];
    assert!(
        op.is_object(),
        "operation {method} {path} is not documented"
    );
    let response = &op["responses"][status.to_string()];
    assert!(
        !response.is_null(),
        "{method} {path} answered {status}, which is not documented: {body}"
    );
    let response = resolve(doc, response);
    match response.pointer("/content/application~1json/schema") {
        Some(schema) => {
            if let Err(e) = validate(doc, schema, body, "body") {
                panic!("{method} {path} {status}: {e}\n{body}");
            }
        }
        None => assert!(
            body.is_null(),
            "{method} {path} {status} should have no body: {body}"
        ),
    }
}
