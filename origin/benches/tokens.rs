//! What the origin pays to accept a caller's token: the first time (RS256
//! verification with a warm key cache) and again (the verified-token cache).
//! Run: cargo bench -p folio-origin --bench tokens

use std::hint::black_box;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use folio_origin::usecases::verified_tokens::VerifiedTokens;
use folio_shared::jwt::{NoRefetch, Verifier, VerifierConfig, install_crypto_provider};
use jsonwebtoken::jwk::JwkSet;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;

fn tokens(c: &mut Criterion) {
    install_crypto_provider();
    let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).expect("key");
    let jwks: JwkSet = serde_json::from_value(serde_json::json!({ "keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "bench",
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()), "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()) }] }))
    .expect("jwks");
    let der = key.to_pkcs1_der().expect("der");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("bench".into());
    let now = chrono::Utc::now().timestamp();
    // A token of Cognito's size: the groups, email and username claims of an ID token.
    let claims = serde_json::json!({ "sub": "7d0e4c1a-95b4-4c4b-8a0e-3f0f1b2c3d4e", "iss": "https://issuer",
        "aud": "client", "token_use": "id", "cognito:groups": ["owner"], "email": "owner@example.com",
        "cognito:username": "owner@example.com", "exp": now + 3600, "iat": now, "jti": "3c1f3e1e-0c1d-4c9a-9d55-0b1f2e3d4c5b" });
    let encoding = jsonwebtoken::EncodingKey::from_rsa_der(der.as_bytes());
    let token = jsonwebtoken::encode(&header, &claims, &encoding).expect("token");
    let verifier = Arc::new(Verifier::new(
        VerifierConfig::new("https://issuer", "client", "owner"),
        &jwks,
        Arc::new(NoRefetch),
    ));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    c.bench_function("token_accept/first_verification", |b| {
        b.iter(|| rt.block_on(verifier.verify(black_box(&token))).is_ok())
    });
    let tokens = VerifiedTokens::new(Arc::clone(&verifier));
    assert!(rt.block_on(tokens.verify(&token)).is_ok());
    c.bench_function("token_accept/verified_before", |b| {
        b.iter(|| rt.block_on(tokens.verify(black_box(&token))).is_ok())
    });
}

criterion_group!(benches, tokens);
criterion_main!(benches);
