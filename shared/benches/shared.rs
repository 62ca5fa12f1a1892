//! Route matching and JWT verification with a warm key cache.

use std::hint::black_box;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use folio_shared::jwt::{NoRefetch, Verifier, VerifierConfig, install_crypto_provider};
use folio_shared::routes::RouteTable;
use http::Method;
use jsonwebtoken::jwk::JwkSet;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;

fn routes(c: &mut Criterion) {
    let table = RouteTable::new();
    c.bench_function("route_match/item", |b| {
        b.iter(|| {
            table
                .resolve(
                    black_box(&Method::GET),
                    black_box("/v1/blog/posts/0123456789abcdef"),
                )
                .is_ok()
        })
    });
    c.bench_function("route_match/not_found", |b| {
        b.iter(|| {
            table
                .resolve(black_box(&Method::GET), black_box("/v1/nothing/here"))
                .is_err()
        })
    });
}

fn jwt(c: &mut Criterion) {
    install_crypto_provider();
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("key");
    let jwks: JwkSet = serde_json::from_value(serde_json::json!({ "keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "bench",
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()), "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()) }] }))
    .expect("jwks");
    let der = key.to_pkcs1_der().expect("der");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("bench".into());
    let now = chrono::Utc::now().timestamp();
    let claims = serde_json::json!({ "sub": "u", "iss": "https://issuer", "aud": "client", "token_use": "id",
        "cognito:groups": ["owner"], "exp": now + 3600, "iat": now, "jti": "j" });
    let token = jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_rsa_der(der.as_bytes()),
    )
    .expect("token");
    let verifier = Verifier::new(
        VerifierConfig::new("https://issuer", "client", "owner"),
        &jwks,
        Arc::new(NoRefetch),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    assert!(rt.block_on(verifier.verify(&token)).is_ok());
    c.bench_function("jwt_verify/rs256_warm_cache", |b| {
        b.iter(|| rt.block_on(verifier.verify(black_box(&token))).is_ok())
    });
}

criterion_group!(benches, routes, jwt);
criterion_main!(benches);
