//! HTTPS and HTTP on one port: the aws CLI trusts the served certificate through `--ca-bundle`
//! or `AWS_CA_BUNDLE`, plain HTTP keeps working beside it, a user's own certificate and key
//! replace the generated pair, and the binary refuses half a pair or a bad file at startup.

mod common;

use common::cli::{Cli, aws_available};
use ivs_local::server::Config;
use ivs_local::tls::{CertKeyPem, Tls};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Fetches the served certificate over plain HTTP and writes it where the CLI can read it.
async fn served_pem(server: &common::TestServer, dir: &Path) -> (String, PathBuf) {
    let response = reqwest::get(format!("{}/_ivs-local/tls/cert.pem", server.url)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-pem-file");
    let pem = response.text().await.unwrap();
    let path = dir.join("cert.pem");
    std::fs::write(&path, &pem).unwrap();
    (pem, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_verifies_the_served_certificate_and_http_shares_the_port() {
    if !aws_available() {
        return;
    }
    let server = common::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (pem, ca) = served_pem(&server, dir.path()).await;
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let ca = ca.to_str().unwrap();
    let port = server.addr.port();

    let https = Cli::new(&format!("https://localhost:{port}"));
    let created =
        https.ok(&["--ca-bundle", ca, "ivs", "create-channel", "--name", "over-tls"]).await;
    let arn = created["channel"]["arn"].as_str().unwrap().to_string();

    // The same state answers plain HTTP on the same port.
    let http = Cli::new(&server.url);
    let got = http.ok(&["ivs", "get-channel", "--arn", &arn]).await;
    assert_eq!(got["channel"]["name"], "over-tls");

    // The environment twin of --ca-bundle, and the IP address the certificate also names.
    let by_ip = Cli::new(&format!("https://127.0.0.1:{port}"));
    let out = by_ip
        .run(
            &["--endpoint-url", &format!("https://127.0.0.1:{port}"), "ivs", "list-channels"],
            &[("AWS_CA_BUNDLE", ca)],
        )
        .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed["channels"][0]["arn"], arn.as_str());

    // Without the bundle the self-signed certificate is not trusted.
    let refused = https.fails(&["ivs", "list-channels"]).await;
    assert!(refused.to_lowercase().contains("certificate"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_certificate_and_key_replace_the_generated_pair() {
    if !aws_available() {
        return;
    }
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("user.crt"), dir.path().join("user.key"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();

    let tls = Tls::given(CertKeyPem::read(&cert, &key).unwrap()).unwrap();
    let server = common::start_with(Config { tls: Arc::new(tls), ..Default::default() }).await;
    let served_dir = tempfile::tempdir().unwrap();
    let (pem, _) = served_pem(&server, served_dir.path()).await;
    assert_eq!(pem, made.cert.pem());

    let port = server.addr.port();
    let https = Cli::new(&format!("https://localhost:{port}"));
    let listed = https.ok(&["--ca-bundle", cert.to_str().unwrap(), "ivs", "list-channels"]).await;
    assert_eq!(listed["channels"], serde_json::json!([]));
}

/// A rustls client that trusts only `pem`, for checking the names a certificate covers.
fn connector(pem: &str) -> tokio_rustls::TlsConnector {
    use tokio_rustls::rustls::pki_types::CertificateDer;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto::ring};
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()).unwrap();
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

#[tokio::test]
async fn extra_hostnames_are_covered_and_tls_connections_stay_alive() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let tls = Tls::generated(vec!["ivs.test".into()]);
    let server = common::start_with(Config { tls: Arc::new(tls), ..Default::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let (pem, _) = served_pem(&server, dir.path()).await;

    let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let name = "ivs.test".try_into().unwrap();
    let mut stream = connector(&pem).connect(name, tcp).await.unwrap();
    // Two requests on one connection: the second is answered only if keep-alive holds.
    stream
        .write_all(
            b"GET /_ivs-local/health HTTP/1.1\r\nHost: ivs.test\r\n\r\n\
              GET /_ivs-local/health HTTP/1.1\r\nHost: ivs.test\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert_eq!(answer.matches("HTTP/1.1 200 OK").count(), 2, "{answer}");

    // A name the certificate does not cover fails verification.
    let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let other = "elsewhere.test".try_into().unwrap();
    assert!(connector(&pem).connect(other, tcp).await.is_err());
}

mod binary {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    const BIN: &str = env!("CARGO_BIN_EXE_ivs-local");

    fn refused(args: &[&str]) -> String {
        let out = Command::new(BIN)
            .args(["--port", "0", "--host", "127.0.0.1"])
            .args(args)
            .env_remove("IVS_LOCAL_TLS_CERT")
            .env_remove("IVS_LOCAL_TLS_KEY")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} started");
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    }

    #[test]
    fn a_certificate_without_its_key_is_refused() {
        let message = refused(&["--tls-cert", "cert.pem"]);
        assert!(message.contains("--tls-key"), "{message}");
        let message = refused(&["--tls-key", "key.pem"]);
        assert!(message.contains("--tls-cert"), "{message}");
    }

    #[test]
    fn an_unreadable_or_mismatched_pair_stops_startup() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let missing = missing.to_str().unwrap();
        let message = refused(&["--tls-cert", missing, "--tls-key", missing]);
        assert!(message.contains("cannot read the TLS certificate"), "{message}");

        let one = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let two = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let (cert, key) = (dir.path().join("one.crt"), dir.path().join("two.key"));
        std::fs::write(&cert, one.cert.pem()).unwrap();
        std::fs::write(&key, two.signing_key.serialize_pem()).unwrap();
        let message =
            refused(&["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()]);
        assert!(message.contains("do not fit together"), "{message}");
    }

    #[test]
    fn sigterm_is_not_held_up_by_idle_or_half_open_connections() {
        let mut child = Command::new(BIN)
            .args(["--port", "0", "--host", "127.0.0.1"])
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut log = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        log.read_line(&mut line).unwrap();
        let port: u16 = line.trim().rsplit(':').next().unwrap().parse().unwrap();
        let addr = ("127.0.0.1", port);

        // Connected but silent; a TLS handshake cut after its first byte; HTTP kept alive.
        let _silent = TcpStream::connect(addr).unwrap();
        let mut half = TcpStream::connect(addr).unwrap();
        half.write_all(&[0x16]).unwrap();
        let mut kept = TcpStream::connect(addr).unwrap();
        kept.write_all(b"GET /_ivs-local/health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut head = [0u8; 15];
        kept.read_exact(&mut head).unwrap();
        assert_eq!(&head, b"HTTP/1.1 200 OK");

        let pid = child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let deadline = Instant::now() + Duration::from_secs(5);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("still running 5 s after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "{status:?}");
    }
}
