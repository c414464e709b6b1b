//! The relay's trust in a remote instance: one certificate, pinned by its
//! fingerprint, or the system's certificate authorities.
//!
//! A pinned certificate is trusted whatever names it carries and whoever
//! signed it (it is usually self-signed); the handshake's signature is
//! still checked, so only the holder of its key can present it.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use rustls_platform_verifier::BuilderVerifierExt as _;

use super::Fingerprint;

/// Which certificates a client trusts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Trust {
    /// The one whose fingerprint this is.
    Pinned(Fingerprint),
    /// Those the system's certificate authorities vouch for.
    System,
    /// None: for a client that speaks plain HTTP only. (reqwest wants a TLS
    /// config even then; this one costs nothing to make, where the
    /// system's reads and parses every root certificate.)
    Nobody,
}

/// A client config that trusts what `trust` says.
pub(crate) fn client_config(trust: Trust) -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = super::provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = match trust {
        Trust::Pinned(pin) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Pinned { pin, provider })),
        Trust::System => builder.with_platform_verifier()?,
        Trust::Nobody => builder.with_root_certificates(rustls::RootCertStore::empty()),
    };
    Ok(builder.with_no_client_auth())
}

/// An HTTP client for `url` that trusts what its scheme and `pin` say: the
/// pinned certificate, else the system's authorities, and nothing for
/// plain `http` (a local instance). It keeps one connection alive with
/// TCP_NODELAY (an instance answers with it set, so reuse meets no
/// delayed-ACK stall) and follows no redirect.
pub(crate) fn http_client(url: &str, pin: Option<Fingerprint>) -> Result<reqwest::Client, String> {
    let trust = match pin {
        _ if !url.starts_with("https:") => Trust::Nobody,
        Some(pin) => Trust::Pinned(pin),
        None => Trust::System,
    };
    let tls = client_config(trust).map_err(|error| error.to_string())?;
    reqwest::Client::builder()
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .tls_backend_preconfigured(tls)
        .build()
        .map_err(|error| with_causes(&error))
}

/// The pin mismatch somewhere in `error`'s causes, told plainly: rustls
/// shows a verifier's own error only in debug form, and the I/O errors
/// that carry it (one inside another) hide it from `source()`.
pub(crate) fn mismatch_in(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(rustls::Error::InvalidCertificate(CertificateError::Other(other))) =
        error.downcast_ref::<rustls::Error>()
    {
        return other.0.downcast_ref::<NotPinned>().map(ToString::to_string);
    }
    let carried = error
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref);
    if let Some(found) = carried.and_then(|inner| mismatch_in(inner)) {
        return Some(found);
    }
    mismatch_in(error.source()?)
}

/// Trusts the one certificate whose fingerprint is `pin`.
#[derive(Debug)]
struct Pinned {
    pin: Fingerprint,
    provider: Arc<CryptoProvider>,
}

/// The certificate presented is not the pinned one.
#[derive(Debug, thiserror::Error)]
#[error(
    "the server's certificate has fingerprint {presented}, not the pinned {pinned}: if dcclink on that machine made a new certificate, read its fingerprint there with `dcclink list --json`; otherwise something is in the way"
)]
struct NotPinned {
    presented: Fingerprint,
    pinned: Fingerprint,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.pin.matches(end_entity) {
            return Ok(ServerCertVerified::assertion());
        }
        let mismatch = NotPinned {
            presented: Fingerprint::of(end_entity),
            pinned: self.pin,
        };
        Err(rustls::Error::InvalidCertificate(CertificateError::Other(
            OtherError(Arc::new(mismatch)),
        )))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// `error` and what caused it, which says why a connection failed where
/// `error` alone does not (and a certificate that is not the pinned one
/// in plain words).
pub(crate) fn with_causes(error: &reqwest::Error) -> String {
    if let Some(mismatch) = mismatch_in(error) {
        return format!("{error}: {mismatch}");
    }
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        text = format!("{text}: {inner}");
        cause = inner.source();
    }
    text
}
