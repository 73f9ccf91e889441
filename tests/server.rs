//! The server as a network service: slow clients, many clients, shutdown.

use std::time::{Duration, Instant};

use api::config::ServerConfig;
use folio_tests::{TestApp, TestDb};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes `stream` (or `limit` passes), and returns
/// what it sent and how long that took.
async fn until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(limit, stream.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "the server kept the connection open past {limit:?}"
    );
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn a_client_that_sends_its_headers_slowly_is_cut_off() {
    let config = ServerConfig {
        header_timeout_secs: 1,
        ..ServerConfig::default()
    };
    let app = TestApp::spawn_on(TestDb::new().await, config).await;
    let mut slow = TcpStream::connect(app.address).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: folio\r\n")
        .await
        .unwrap();
    // One more header byte now and then, never the blank line that ends
    // them: the pauses are the slow client under test, not a wait.
    let dribble = async {
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if slow.write_all(b"X").await.is_err() {
                break;
            }
        }
    };
    dribble.await;
    // Cut at the 1 s header timeout; ten times that is the loose bound.
    until_closed(&mut slow, Duration::from_secs(10)).await;
    // Everyone else is served meanwhile and after.
    let status = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success());
}

#[tokio::test]
async fn past_the_connection_cap_clients_wait_their_turn() {
    let config = ServerConfig {
        header_timeout_secs: 1,
        max_connections: 1,
        ..ServerConfig::default()
    };
    let app = TestApp::spawn_on(TestDb::new().await, config).await;
    // TestApp's own client has one idle connection from its start-up check:
    // a fresh client, and a silent connection that holds the only slot.
    let _silent = TcpStream::connect(app.address).await.unwrap();
    let client = reqwest::Client::new();
    let started = Instant::now();
    let status = client
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "served once a slot was free");
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "the request waited for the silent connection's slot ({:?})",
        started.elapsed()
    );
}

#[tokio::test]
async fn shutdown_ends_within_its_deadline_even_with_a_hung_client() {
    let db = TestDb::new().await;
    let config = ServerConfig {
        bind: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        shutdown_timeout_secs: 1,
        ..ServerConfig::default()
    };
    let server = api::server::Server::build(db.conn.clone(), &config)
        .await
        .unwrap();
    let address = server.address();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    // A request whose body never comes: its handler waits for it. It asks
    // to be told to go on (`Expect: 100-continue`), and the server says
    // `100 Continue` when the handler starts reading the body: then the
    // request is in flight.
    let mut hung = TcpStream::connect(address).await.unwrap();
    hung.write_all(
        b"POST /graphql HTTP/1.1\r\nHost: folio\r\nContent-Type: application/json\r\n\
          Content-Length: 1000\r\nExpect: 100-continue\r\n\r\n",
    )
    .await
    .unwrap();
    let mut heard = Vec::new();
    folio_tests::wait::within(
        "the server's 100 Continue",
        folio_tests::wait::DEADLINE,
        async {
            while !String::from_utf8_lossy(&heard).contains("\r\n\r\n") {
                let mut buffer = [0; 256];
                let read = hung.read(&mut buffer).await.unwrap();
                assert!(read > 0, "the server closed the connection");
                heard.extend_from_slice(&buffer[..read]);
            }
        },
    )
    .await;
    assert!(
        String::from_utf8_lossy(&heard).starts_with("HTTP/1.1 100 Continue"),
        "{}",
        String::from_utf8_lossy(&heard)
    );
    hung.write_all(b"{\"query\":").await.unwrap();
    let started = Instant::now();
    stop.send(()).unwrap();
    // Stopped at the 1 s deadline, not before (graceful), and within ten
    // times it (the loose bound that turns a hang into a failure).
    let ended = tokio::time::timeout(Duration::from_secs(10), running).await;
    assert!(ended.is_ok(), "the server did not stop");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "stopped after {waited:?}, before its 1 s deadline"
    );
    // New connections are refused once it has stopped.
    assert!(TcpStream::connect(address).await.is_err());
}

/// A connection from `local` (a loopback address of the test's choosing)
/// that speaks HTTP/2 with prior knowledge: the preface and an empty
/// SETTINGS frame, then nothing.
async fn idle_h2c(app: &TestApp, local: [u8; 4]) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(std::net::SocketAddr::from((local, 0))).unwrap();
    let mut stream = socket.connect(app.address).await.unwrap();
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .unwrap();
    stream
}

#[tokio::test]
async fn an_idle_http2_connection_is_closed_after_the_idle_timeout() {
    let config = ServerConfig {
        idle_timeout_secs: 1,
        ..ServerConfig::default()
    };
    let app = TestApp::spawn_on(TestDb::new().await, config).await;
    let mut idle = idle_h2c(&app, [127, 0, 0, 1]).await;
    // The server's SETTINGS, then a GOAWAY once idle, then the end.
    let (_, took) = until_closed(&mut idle, Duration::from_secs(10)).await;
    assert!(
        took >= Duration::from_millis(900),
        "closed before the idle timeout ({took:?})"
    );
    println!("an idle h2c connection was closed after {took:?}");
}

#[tokio::test]
async fn one_address_cannot_take_every_connection_slot() {
    let config = ServerConfig {
        max_connections: 2,
        ..ServerConfig::default()
    };
    let app = TestApp::spawn_on(TestDb::new().await, config).await;
    // A quarter of two, at least one: one for each address.
    let _holding = idle_h2c(&app, [127, 0, 0, 7]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut second = idle_h2c(&app, [127, 0, 0, 7]).await;
    let (answer, _) = until_closed(&mut second, Duration::from_secs(5)).await;
    assert!(
        answer.starts_with("HTTP/1.1 429 Too Many Requests"),
        "{answer}"
    );
    assert!(answer.contains("\"code\":\"RATE_LIMITED\""), "{answer}");
    // Another address is served at once, and /healthz answers throughout.
    let client = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 8]))
        .build()
        .unwrap();
    let started = Instant::now();
    let status = client
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success());
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "another address waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_body_slower_than_the_minimum_rate_is_408_and_loses_its_connection() {
    let config = ServerConfig {
        min_body_rate: 1000,
        ..ServerConfig::default()
    };
    let app = TestApp::spawn_on(TestDb::new().await, config).await;
    let mut slow = TcpStream::connect(app.address).await.unwrap();
    slow.write_all(
        b"POST /graphql HTTP/1.1\r\nHost: folio\r\nContent-Type: application/json\r\n\
          Content-Length: 100000\r\n\r\n{\"query\": \"",
    )
    .await
    .unwrap();
    // Ten bytes a second, far below a thousand: the slow client under test.
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        tokio::select! {
            read = slow.read(&mut buffer) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            },
            () = tokio::time::sleep(Duration::from_millis(100)) => {
                if slow.write_all(b" ").await.is_err() {
                    break;
                }
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the slow body was still being read after 30 s"
        );
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("REQUEST_TIMEOUT"), "{answer}");
    // One window of the rate check, and a little.
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "cut after {:?}",
        started.elapsed()
    );
}
