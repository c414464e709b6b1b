//! TLS for reaching an instance from another machine, on rustls (with
//! ring, which builds anywhere a C compiler does).
//!
//! - The server's side, [`Identity`]: the certificate a non-loopback
//!   listener presents, the user's own or a self-signed one that dcclink
//!   makes once and keeps in the user's config dir.
//! - The clients' side, [`http_client`] (the relay's and a worker
//!   pool's): it trusts one certificate by its [`Fingerprint`] (what a
//!   self-signed server prints), or else the system's certificate
//!   authorities.

mod fingerprint;
mod identity;
mod pin;

pub use fingerprint::{Fingerprint, FingerprintError};
pub use identity::{CertificateFiles, Identity, TlsError};
pub(crate) use pin::{http_client, with_causes};

/// The one crypto provider dcclink uses, on both sides.
fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}
