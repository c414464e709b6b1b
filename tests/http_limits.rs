//! Slow and hostile HTTP clients against the real server (axum, hyper and
//! dcclink's accept loop on loopback): they are cut off or pushed out, and
//! a client with the token is served.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use dcclink_server::HttpLimits;
use dcclink_server::{ServerConfig, ServerHandle};
use dcclink_tests::{HANG, TestHost};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// A server on a free loopback port with `limits`.
fn serve(host: &TestHost, limits: HttpLimits) -> (ServerHandle, SocketAddr) {
    let server = host.serve_http(ServerConfig {
        token: Some("t0ken".into()),
        http_limits: limits,
        ..ServerConfig::default()
    });
    let address = server
        .url()
        .and_then(|url| {
            url.strip_prefix("http://")?
                .strip_suffix("/mcp")?
                .parse()
                .ok()
        })
        .expect("an HTTP address");
    (server, address)
}

/// An `initialize` POST's head, with `length` as its `Content-Length`.
fn initialize_head(address: SocketAddr, length: usize) -> String {
    format!(
        "POST /mcp HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer t0ken\r\n\
         Accept: application/json, text/event-stream\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n"
    )
}

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#;

/// Sends an authenticated `initialize`; the status line of the answer.
async fn initialize(address: SocketAddr) -> String {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let request = initialize_head(address, INITIALIZE.len()) + INITIALIZE;
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = vec![0; 64];
    let read = stream.read(&mut answer).await.expect("read");
    String::from_utf8_lossy(&answer[..read])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Waits until the server closes `stream`; how long that took.
async fn closed_after(mut stream: TcpStream) -> Duration {
    let started = Instant::now();
    let mut sink = vec![0; 1024];
    loop {
        match tokio::time::timeout(HANG, stream.read(&mut sink)).await {
            Ok(Ok(0) | Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => {}
            Err(_) => panic!("the server held the connection for {HANG:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_sending_headers_a_byte_at_a_time_do_not_crowd_out_a_client_with_the_token() {
    let host = TestHost::new();
    // A header timeout long enough that only the cap's eviction can let the
    // real client in within the bound below.
    let limits = HttpLimits {
        max_connections: Some(16),
        header_timeout: Duration::from_secs(60),
        ..HttpLimits::default()
    };
    let (mut server, address) = serve(&host, limits);
    let mut strangers = Vec::new();
    for _ in 0..64 {
        let mut stream = TcpStream::connect(address).await.expect("connect");
        stream
            .write_all(b"POST /mcp HTTP/1.1\r\nX")
            .await
            .expect("send");
        strangers.push(stream);
    }
    let dribble = tokio::spawn(async move {
        loop {
            for stream in &mut strangers {
                let _ = stream.write_all(b"x").await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let status = tokio::time::timeout(Duration::from_secs(5), initialize(address))
        .await
        .expect("a client with the token waited behind strangers with none");
    assert_eq!(status, "HTTP/1.1 200 OK");
    dribble.abort();
    server.shutdown(HANG);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_or_a_body_that_stalls_is_cut_off() {
    let host = TestHost::new();
    let limits = HttpLimits {
        header_timeout: Duration::from_millis(500),
        body_timeout: Duration::from_millis(500),
        ..HttpLimits::default()
    };
    let (mut server, address) = serve(&host, limits);

    let mut head = TcpStream::connect(address).await.expect("connect");
    head.write_all(b"POST /mcp HTTP/1.1\r\nHost: 127")
        .await
        .expect("send");
    let took = closed_after(head).await;
    assert!(
        took < Duration::from_secs(10),
        "a stalled head held on for {took:?}"
    );

    // A body shorter than its Content-Length says, from a client with the
    // token: the probe saw it hold its connection for 70 s.
    let mut body = TcpStream::connect(address).await.expect("connect");
    let lie = initialize_head(address, 1000) + &INITIALIZE[..10];
    body.write_all(lie.as_bytes()).await.expect("send");
    let took = closed_after(body).await;
    assert!(
        took < Duration::from_secs(10),
        "a stalled body held on for {took:?}"
    );

    assert_eq!(
        initialize(address).await,
        "HTTP/1.1 200 OK",
        "the server still serves"
    );
    server.shutdown(HANG);
}
