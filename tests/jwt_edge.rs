//! The JWT attack suite at the edge: every bad token is refused with 401 by the
//! edge, and the origin never sees the request.

use crate::support::*;
use ring::hmac;
use serde_json::{Value, json};

fn compact(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes()),
        b64(signature)
    )
}

async fn assert_refused_at_edge(s: &TestServer, token: &str, case: &str) {
    let before = s.origin_requests();
    let r = s.get("/v1/auth/me", Some(token)).await;
    assert_eq!(r.status, 401, "{case}: {}", r.body);
    assert_eq!(
        r.body["message"],
        folio_shared::jwt::INVALID_TOKEN_MESSAGE,
        "{case}: one message for every refusal; the reason goes to logs only"
    );
    // The oversized case is refused earlier, by the viewer-request CloudFront
    // Function, with an RFC 6750 error attribute; every other case by the edge.
    assert!(
        r.header("www-authenticate")
            .is_some_and(|v| v.starts_with("Bearer")),
        "{case}"
    );
    assert_eq!(
        s.origin_requests(),
        before,
        "{case}: the origin was reached"
    );
}

#[tokio::test]
async fn every_design_rejection_case_is_refused_at_the_edge() {
    let s = TestServer::spawn().await;
    let kid = s.local().issuer.key_id().to_string();
    let good = s.sign(&s.claims(&["owner"]));
    let ok = s.get("/v1/auth/me", Some(&good)).await;
    assert_eq!(ok.status, 200, "the control token is valid: {}", ok.body);

    let mut cases: Vec<(String, String)> = Vec::new();
    let claims = s.claims(&["owner"]);
    // alg none, unsigned.
    cases.push((
        "alg none".into(),
        compact(
            &json!({ "alg": "none", "typ": "JWT", "kid": kid }),
            &claims,
            b"",
        ),
    ));
    // HS256 keyed with the public key material (algorithm confusion).
    let jwks = serde_json::to_value(s.local().issuer.jwks()).unwrap();
    let public_n = jwks["keys"][0]["n"].as_str().unwrap().to_string();
    let header = json!({ "alg": "HS256", "typ": "JWT", "kid": kid });
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let key = hmac::Key::new(hmac::HMAC_SHA256, public_n.as_bytes());
    let tag = hmac::sign(&key, signing_input.as_bytes());
    cases.push((
        "HS256 with the public key".into(),
        format!("{signing_input}.{}", b64(tag.as_ref())),
    ));
    // Unknown kid, and no kid at all.
    let parts: Vec<&str> = good.split('.').collect();
    let signature = parts[2];
    cases.push((
        "unknown kid".into(),
        format!(
            "{}.{}.{signature}",
            b64(json!({ "alg": "RS256", "kid": "nope" })
                .to_string()
                .as_bytes()),
            parts[1]
        ),
    ));
    cases.push((
        "missing kid".into(),
        format!(
            "{}.{}.{signature}",
            b64(json!({ "alg": "RS256" }).to_string().as_bytes()),
            parts[1]
        ),
    ));
    // Tampered payload (owner claims swapped in), tampered signature.
    let mut elevated = claims.clone();
    elevated["sub"] = json!("someone-else");
    cases.push((
        "tampered payload".into(),
        format!(
            "{}.{}.{signature}",
            parts[0],
            b64(elevated.to_string().as_bytes())
        ),
    ));
    let mut sig = signature.to_string();
    let flipped = if sig.ends_with('A') { 'B' } else { 'A' };
    sig.pop();
    sig.push(flipped);
    cases.push((
        "tampered signature".into(),
        format!("{}.{}.{sig}", parts[0], parts[1]),
    ));
    // Claims.
    let now = chrono::Utc::now().timestamp();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = s.claims(&["owner"]);
        f(&mut c);
        s.sign(&c)
    };
    cases.push(("expired".into(), with(&|c| c["exp"] = json!(now - 3600))));
    cases.push((
        "not yet valid".into(),
        with(&|c| c["nbf"] = json!(now + 3600)),
    ));
    cases.push((
        "missing exp".into(),
        with(&|c| {
            c.as_object_mut().unwrap().remove("exp");
        }),
    ));
    cases.push((
        "wrong iss".into(),
        with(&|c| c["iss"] = json!("https://cognito-idp.us-east-1.amazonaws.com/evil")),
    ));
    cases.push((
        "wrong aud".into(),
        with(&|c| c["aud"] = json!("another-client")),
    ));
    cases.push((
        "wrong token_use".into(),
        with(&|c| c["token_use"] = json!("refresh")),
    ));
    cases.push((
        "access token for another client".into(),
        with(&|c| {
            c["token_use"] = json!("access");
            c["client_id"] = json!("other");
        }),
    ));
    // Shape.
    cases.push((
        "oversized".into(),
        format!("{}.{}.{}", parts[0], "a".repeat(9000), signature),
    ));
    cases.push(("two parts".into(), format!("{}.{}", parts[0], parts[1])));
    cases.push(("garbage".into(), "not-a-token".into()));
    cases.push((
        "bad base64 header".into(),
        format!("%%%.{}.{signature}", parts[1]),
    ));
    for (case, token) in &cases {
        assert_refused_at_edge(&s, token, case).await;
    }
    let malformed_scheme = TestServer::finish(
        s.raw(reqwest::Method::GET, "/v1/auth/me")
            .await
            .header("authorization", "Basic abc"),
    )
    .await;
    assert_eq!(malformed_scheme.status, 401);
}

#[tokio::test]
async fn owner_routes_refuse_valid_non_owner_tokens_at_the_edge() {
    let s = TestServer::spawn().await;
    let before = s.origin_requests();
    let r = s
        .send(
            reqwest::Method::POST,
            "/v1/projects",
            Some(&s.non_owner_token().await),
            Some(project_body("x")),
        )
        .await;
    r.error(403);
    assert_eq!(s.origin_requests(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_unknown_kids_causes_at_most_one_jwks_fetch() {
    let s = TestServer::spawn().await;
    let verifier = &s.local().verifier;
    let fetches_before = verifier.fetch_count();
    let claims = s.claims(&["owner"]);
    let tokens: Vec<String> = (0..2000)
        .map(|i| {
            let header = json!({ "alg": "RS256", "kid": format!("random-{i}") });
            compact(&header, &claims, b"sig")
        })
        .collect();
    let checks = tokens.iter().map(|t| verifier.verify(t));
    let results = futures::future::join_all(checks).await;
    assert!(results.iter().all(|r| r.is_err()));
    assert!(
        verifier.fetch_count() - fetches_before <= 1,
        "fetched {} times",
        verifier.fetch_count() - fetches_before
    );
    // Known keys keep verifying meanwhile.
    assert!(verifier.verify(&s.sign(&claims)).await.is_ok());
}

/// The origin keeps tokens it verified so that the next request with the very same
/// token skips the RSA check: a changed token is verified in full, and an entry
/// never outlives its token's `exp`.
#[tokio::test]
async fn the_origins_cache_of_verified_tokens_never_outlives_a_token() {
    let s = TestServer::spawn().await;
    let tokens = &s.server.app.tokens;
    let mut claims = s.claims(&["owner"]);
    claims["exp"] = json!(chrono::Utc::now().timestamp() + 2);
    let token = s.sign(&claims);
    assert!(!tokens.is_cached(&token));
    assert!(tokens.verify(&token).await.is_ok());
    assert!(
        tokens.is_cached(&token),
        "kept after the first verification"
    );
    assert!(tokens.verify(&token).await.is_ok());
    let (body, signature) = token.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
    let tampered = format!("{body}.{flipped}{}", &signature[1..]);
    assert!(
        tokens.verify(&tampered).await.is_err(),
        "another token is verified in full"
    );
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    assert!(!tokens.is_cached(&token), "gone once the token expired");
}
