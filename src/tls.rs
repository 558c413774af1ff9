//! HTTPS on the API port: the certificate and the rustls acceptor that `server.rs` hands a
//! connection to when its first byte opens a TLS handshake.
//!
//! Without configuration the certificate is self-signed by rcgen for `localhost`, `127.0.0.1`,
//! `::1` and any `--tls-hostname`, made on first use (the first handshake or the first
//! `GET /_ivs-local/tls/cert.pem`) so that a server nobody reaches over TLS never pays for it.
//! `--tls-cert`/`--tls-key` give the user's own pair instead, read and checked at startup.
//! [`CertKeyPem`] is the PEM text a data directory would store and load.
//!
//! This module does not touch sockets or HTTP; `server.rs` owns both.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Names every generated certificate covers; `--tls-hostname` adds to them.
pub const DEFAULT_HOSTNAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// A certificate chain and its private key, both PEM.
#[derive(Clone)]
pub struct CertKeyPem {
    pub cert: String,
    pub key: String,
}

impl std::fmt::Debug for CertKeyPem {
    // The key stays out of logs and panic messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertKeyPem").field("cert", &self.cert).finish_non_exhaustive()
    }
}

impl CertKeyPem {
    /// A self-signed certificate for [`DEFAULT_HOSTNAMES`] plus `extra` (IP literals become IP
    /// subject alternative names, which is what clients check for an address).
    pub fn generate(extra: &[String]) -> Result<Self, String> {
        let mut names: Vec<String> = DEFAULT_HOSTNAMES.iter().map(|s| s.to_string()).collect();
        for name in extra {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        let made = rcgen::generate_simple_self_signed(names)
            .map_err(|e| format!("cannot generate a TLS certificate: {e}"))?;
        Ok(CertKeyPem { cert: made.cert.pem(), key: made.signing_key.serialize_pem() })
    }

    /// Reads the user's certificate chain and key files.
    pub fn read(cert: &Path, key: &Path) -> Result<Self, String> {
        let read = |path: &Path, what: &str| {
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the TLS {what} {}: {e}", path.display()))
        };
        Ok(CertKeyPem { cert: read(cert, "certificate")?, key: read(key, "key")? })
    }

    /// A rustls acceptor serving this pair; fails if either PEM is unusable or they do not match.
    fn acceptor(&self) -> Result<TlsAcceptor, String> {
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(self.cert.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| format!("the TLS certificate is not PEM: {e}"))?;
        if chain.is_empty() {
            return Err("the TLS certificate file holds no CERTIFICATE block".into());
        }
        let key = PrivateKeyDer::from_pem_slice(self.key.as_bytes())
            .map_err(|e| format!("the TLS key is not a PEM private key: {e}"))?;
        // The provider is named rather than taken from the process default: when another crate
        // in the build enables rustls's aws-lc-rs feature too, the default is ambiguous and
        // `ServerConfig::builder()` panics.
        let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| format!("the TLS certificate and key do not fit together: {e}"))?;
        // The router speaks HTTP/1.1 only; saying so lets an h2-preferring client fall back.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

/// What the server needs for TLS: the PEM it publishes and the acceptor it hands connections to.
pub struct Tls {
    extra_hostnames: Vec<String>,
    ready: OnceLock<Result<Ready, String>>,
}

struct Ready {
    cert_pem: String,
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("extra_hostnames", &self.extra_hostnames)
            .field("ready", &self.ready.get().map(|r| r.is_ok()))
            .finish()
    }
}

impl Default for Tls {
    fn default() -> Self {
        Tls::generated(Vec::new())
    }
}

impl Tls {
    /// A certificate generated on first use for the default names plus `extra_hostnames`.
    pub fn generated(extra_hostnames: Vec<String>) -> Self {
        Tls { extra_hostnames, ready: OnceLock::new() }
    }

    /// A generated certificate kept in the data directory `dir`: the one made on an earlier
    /// start when it covers the same names, else a new one, written there now.
    pub fn kept(extra_hostnames: Vec<String>, dir: &Path) -> Result<Self, String> {
        let (cert, key) = (dir.join("tls-cert.pem"), dir.join("tls-key.pem"));
        let names_file = dir.join("tls-hostnames.json");
        let names = serde_json::to_string(&extra_hostnames).expect("names serialize");
        let same_names = std::fs::read_to_string(&names_file).is_ok_and(|n| n == names);
        if same_names && cert.exists() && key.exists() {
            return Self::given(CertKeyPem::read(&cert, &key)?);
        }
        let pem = CertKeyPem::generate(&extra_hostnames)?;
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&key, &pem.key))
            .and_then(|()| std::fs::write(&cert, &pem.cert))
            .and_then(|()| std::fs::write(&names_file, names))
            .map_err(|e| format!("cannot keep the TLS certificate in {}: {e}", dir.display()))?;
        Self::given(pem)
    }

    /// The given pair, checked now so that a bad file stops startup rather than every handshake.
    pub fn given(pem: CertKeyPem) -> Result<Self, String> {
        let acceptor = pem.acceptor()?;
        let ready = OnceLock::from(Ok(Ready { cert_pem: pem.cert, acceptor }));
        Ok(Tls { extra_hostnames: Vec::new(), ready })
    }

    fn ready(&self) -> Result<&Ready, &str> {
        self.ready
            .get_or_init(|| {
                let started = Instant::now();
                let pem = CertKeyPem::generate(&self.extra_hostnames)?;
                let acceptor = pem.acceptor()?;
                tracing::info!(
                    elapsed_us = started.elapsed().as_micros() as u64,
                    "generated a self-signed TLS certificate (GET /_ivs-local/tls/cert.pem)"
                );
                Ok(Ready { cert_pem: pem.cert, acceptor })
            })
            .as_ref()
            .map_err(|e| e.as_str())
    }

    /// The acceptor for a connection that opened with a TLS handshake.
    pub fn acceptor(&self) -> Result<TlsAcceptor, &str> {
        self.ready().map(|r| r.acceptor.clone())
    }

    /// The certificate clients should trust (the chain, for a user-supplied one).
    pub fn cert_pem(&self) -> Result<&str, &str> {
        self.ready().map(|r| r.cert_pem.as_str())
    }
}

/// `GET /_ivs-local/tls/cert.pem`: the certificate to pass to `--ca-bundle`.
pub async fn cert_route(State(app): State<Arc<crate::server::App>>) -> Response {
    match app.tls.cert_pem() {
        Ok(pem) => {
            ([(header::CONTENT_TYPE, "application/x-pem-file")], pem.to_string()).into_response()
        }
        Err(e) => crate::error::ApiError::internal(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pair_loads_into_rustls() {
        let pem = CertKeyPem::generate(&["ivs.test".into(), "10.0.0.1".into()]).unwrap();
        assert!(pem.cert.starts_with("-----BEGIN CERTIFICATE-----"));
        pem.acceptor().unwrap();
    }

    #[test]
    fn mismatched_key_is_refused() {
        let one = CertKeyPem::generate(&[]).unwrap();
        let two = CertKeyPem::generate(&[]).unwrap();
        let mixed = CertKeyPem { cert: one.cert, key: two.key };
        let err = Tls::given(mixed).unwrap_err();
        assert!(err.contains("do not fit"), "{err}");
    }

    #[test]
    fn a_key_file_in_place_of_the_certificate_is_refused() {
        let one = CertKeyPem::generate(&[]).unwrap();
        let err = Tls::given(CertKeyPem { cert: one.key.clone(), key: one.key }).unwrap_err();
        assert!(err.contains("no CERTIFICATE"), "{err}");
    }
}
