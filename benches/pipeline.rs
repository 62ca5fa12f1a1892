//! A full request through the in-process pipeline (cache → edge → origin →
//! embedded store), without HTTP: cached and uncached public reads, and a track.

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use folio::serve::{self, Backend, ServeConfig};
use http::{HeaderMap, Method, Uri};

fn pipeline(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("dir");
    let server = rt.block_on(async {
        let server = serve::start(ServeConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().to_path_buf(),
            allowed_origins: vec![],
            token_ttl_secs: 3600,
            backend: Backend::Embedded,
            standin: Default::default(),
            faults: None,
            owner: None,
            site: None,
            webhooks: None,
            regions: None,
        })
        .await
        .expect("server");
        folio::seed::seed(&server.app).await.expect("seed");
        server
    });
    let pipeline = server.pipeline.clone();
    let peer: SocketAddr = "127.0.0.1:50000".parse().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("user-agent", "Mozilla/5.0 bench".parse().unwrap());
    let cached: Uri = "/v1/projects".parse().unwrap();
    c.bench_function("pipeline/public_list_cached", |b| {
        b.iter(|| {
            rt.block_on(pipeline.handle(
                Method::GET,
                black_box(&cached),
                &headers,
                Bytes::new(),
                peer,
            ))
            .status
        })
    });
    let n = AtomicU64::new(0);
    c.bench_function("pipeline/public_list_uncached", |b| {
        b.iter(|| {
            let uri: Uri = format!("/v1/projects?offset={}", n.fetch_add(1, Ordering::Relaxed))
                .parse()
                .unwrap();
            rt.block_on(pipeline.handle(Method::GET, &uri, &headers, Bytes::new(), peer))
                .status
        })
    });
    let track: Uri = "/v1/visitors/track".parse().unwrap();
    c.bench_function("pipeline/track_visit_duplicate", |b| {
        b.iter(|| {
            rt.block_on(pipeline.handle(Method::POST, &track, &headers, Bytes::new(), peer))
                .status
        })
    });
    rt.block_on(server.shutdown());
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = pipeline
}
criterion_main!(benches);
