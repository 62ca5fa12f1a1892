// Throwaway feasibility experiment: CPU per raw DynamoDB call (not committed).
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use ring::hmac;

fn cpu() -> std::time::Duration {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    std::time::Duration::new(u.ru_utime.tv_sec as u64, u.ru_utime.tv_usec as u32 * 1000)
        + std::time::Duration::new(u.ru_stime.tv_sec as u64, u.ru_stime.tv_usec as u32 * 1000)
}

fn sign(body: &[u8]) -> String {
    // Roughly SigV4's work: a body hash, a canonical request hash, 5 HMACs.
    let h = ring::digest::digest(&ring::digest::SHA256, body);
    let canon = format!(
        "POST\n/\n\ncontent-type:application/x-amz-json-1.0\nhost:127.0.0.1:8000\nx-amz-date:20261128T000000Z\nx-amz-target:DynamoDB_20120810.GetItem\n\ncontent-type;host;x-amz-date;x-amz-target\n{}",
        hex(h.as_ref())
    );
    let ch = ring::digest::digest(&ring::digest::SHA256, canon.as_bytes());
    let sts = format!(
        "AWS4-HMAC-SHA256\n20261128T000000Z\n20261128/us-east-1/dynamodb/aws4_request\n{}",
        hex(ch.as_ref())
    );
    let mut k = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, b"AWS4secret"),
        b"20261128",
    );
    for part in [&b"us-east-1"[..], b"dynamodb", b"aws4_request"] {
        k = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, k.as_ref()), part);
    }
    let sig = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, k.as_ref()),
        sts.as_bytes(),
    );
    format!(
        "AWS4-HMAC-SHA256 Credential=AKID/20261128/us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={}",
        hex(sig.as_ref())
    )
}
fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client: Client<_, Full<bytes::Bytes>> = Client::builder(TokioExecutor::new()).build_http();
        let table = std::env::var("TABLE").unwrap();
        let op = std::env::var("OP").unwrap_or("GetItem".into());
        let body = if op == "GetItem" {
            format!(r#"{{"TableName":"{table}","Key":{{"PK":{{"S":"CONTENT#post#x"}},"SK":{{"S":"META"}}}},"ConsistentRead":true}}"#)
        } else {
            std::env::var("BODY").unwrap().replace("TABLE", &table)
        };
        let call = || {
            let body = body.clone();
            let client = client.clone();
            let op = op.clone();
            async move {
                let auth = sign(body.as_bytes());
                let req = hyper::Request::post("http://127.0.0.1:8000/")
                    .header("content-type", "application/x-amz-json-1.0")
                    .header("x-amz-target", format!("DynamoDB_20120810.{op}"))
                    .header("x-amz-date", "20261128T000000Z")
                    .header("authorization", auth)
                    .body(Full::new(bytes::Bytes::from(body))).unwrap();
                let resp = client.request(req).await.unwrap();
                let status = resp.status();
                let bytes = resp.into_body().collect().await.unwrap().to_bytes();
                let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                (status, v, bytes.len())
            }
        };
        let (s, v, n) = call().await;
        eprintln!("{s} {n} bytes {}", v.to_string().chars().take(300).collect::<String>());
        for _ in 0..200 { call().await; }
        let n = 3000;
        let c0 = cpu(); let t0 = std::time::Instant::now();
        for _ in 0..n { call().await; }
        println!("{op}: {:.1} us CPU, {:.1} us wall per call", (cpu()-c0).as_secs_f64()*1e6/n as f64, t0.elapsed().as_secs_f64()*1e6/n as f64);
    });
}
