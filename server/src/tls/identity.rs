//! The certificate a non-loopback listener presents.
//!
//! The user's own (a certificate chain and its key, in PEM files), or else
//! a self-signed one made on first use. The self-signed certificate and its
//! key live together in one file, `dcclink/tls/self-signed.pem` in the
//! user's config dir (mode 0600, in a 0700 folder), so that they are
//! replaced as a pair by one rename and its fingerprint, the one a user
//! pins, stays the same across restarts.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::Fingerprint;
use crate::runtime_dir;

/// The names the self-signed certificate carries. They matter little: a
/// client that trusts it pins its fingerprint, not a name.
const SELF_SIGNED_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
const SELF_SIGNED_FILE: &str = "self-signed.pem";

/// A certificate chain and its private key, as PEM files.
#[derive(Debug, Clone)]
pub struct CertificateFiles {
    /// The certificate, then any intermediates.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Why the listener has no certificate to present.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file holds no certificate, or no private key.
    #[error("{path} holds no PEM {what}")]
    Missing {
        /// The file.
        path: PathBuf,
        /// "certificate" or "private key".
        what: &'static str,
    },
    /// rustls refused the pair.
    #[error("the certificate and key do not make a TLS identity: {0}")]
    Rejected(#[from] rustls::Error),
    /// Making the self-signed certificate failed.
    #[error("cannot make a self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// The self-signed certificate could not be kept.
    #[error("cannot keep the self-signed certificate in {path}: {source}")]
    Store {
        /// The folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// There is no config dir to keep a self-signed certificate in.
    #[error(
        "neither XDG_CONFIG_HOME nor HOME is set, so there is nowhere to keep a self-signed certificate: pass --tls-cert and --tls-key"
    )]
    NoConfigDir,
}

/// What a TLS listener presents, and the fingerprint clients pin.
#[derive(Clone)]
pub struct Identity {
    config: Arc<rustls::ServerConfig>,
    fingerprint: Fingerprint,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// The user's certificate from `files`, or else the self-signed one in
    /// the config dir, made now if there is none yet.
    pub fn load(files: Option<&CertificateFiles>) -> Result<Self, TlsError> {
        match files {
            Some(files) => Self::from_pem(
                &read(&files.cert)?,
                &files.cert,
                &read(&files.key)?,
                &files.key,
            ),
            None => {
                let path = self_signed_file()?;
                let pem = match fs::read(&path) {
                    Ok(pem) => pem,
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                        make_self_signed(&path)?
                    }
                    Err(source) => return Err(TlsError::Read { path, source }),
                };
                Self::from_pem(&pem, &path, &pem, &path)
            }
        }
    }

    /// The SHA-256 fingerprint of the certificate presented.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// The acceptor for one listener's connections.
    pub(crate) fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.config.clone())
    }

    fn from_pem(
        certs: &[u8],
        certs_path: &Path,
        key: &[u8],
        key_path: &Path,
    ) -> Result<Self, TlsError> {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(certs)
            .filter_map(Result::ok)
            .collect();
        let leaf = chain.first().ok_or_else(|| TlsError::Missing {
            path: certs_path.to_owned(),
            what: "certificate",
        })?;
        let fingerprint = Fingerprint::of(leaf);
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|_| TlsError::Missing {
            path: key_path.to_owned(),
            what: "private key",
        })?;
        let mut config = rustls::ServerConfig::builder_with_provider(super::provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        // hyper serves HTTP/1.1 only.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            config: Arc::new(config),
            fingerprint,
        })
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Where the self-signed certificate is kept.
fn self_signed_file() -> Result<PathBuf, TlsError> {
    let config = runtime_dir::config_dir().ok_or(TlsError::NoConfigDir)?;
    Ok(config.join("dcclink/tls").join(SELF_SIGNED_FILE))
}

/// Makes a self-signed certificate and its key, and keeps them at `path`
/// (written whole, then renamed into place, so a second dcclink starting
/// at the same moment reads one pair or the other).
fn make_self_signed(path: &Path) -> Result<Vec<u8>, TlsError> {
    let made = rcgen::generate_simple_self_signed(SELF_SIGNED_NAMES.map(str::to_owned))?;
    let pem = format!("{}{}", made.cert.pem(), made.signing_key.serialize_pem()).into_bytes();
    let folder = path.parent().unwrap_or(Path::new("."));
    let store = |source| TlsError::Store {
        path: folder.to_owned(),
        source,
    };
    runtime_dir::create_private_dirs(folder).map_err(store)?;
    runtime_dir::write_private(path, &pem).map_err(store)?;
    tracing::info!(path = %path.display(), "made a self-signed certificate for remote access");
    Ok(pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_s_certificate_is_presented_and_fingerprinted() {
        let folder = tempdir();
        let made = rcgen::generate_simple_self_signed(vec!["dcc.example".to_owned()]).unwrap();
        let files = CertificateFiles {
            cert: folder.join("cert.pem"),
            key: folder.join("key.pem"),
        };
        fs::write(&files.cert, made.cert.pem()).unwrap();
        fs::write(&files.key, made.signing_key.serialize_pem()).unwrap();
        let identity = Identity::load(Some(&files)).unwrap();
        assert_eq!(identity.fingerprint(), Fingerprint::of(made.cert.der()));

        fs::write(&files.key, "not a key").unwrap();
        let error = Identity::load(Some(&files)).unwrap_err().to_string();
        assert!(
            error.contains("key.pem holds no PEM private key"),
            "{error}"
        );
        fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn a_self_signed_certificate_is_made_once_and_kept_private() {
        let folder = tempdir();
        let path = folder.join("dcclink/tls").join(SELF_SIGNED_FILE);
        let pem = make_self_signed(&path).unwrap();
        assert_eq!(fs::read(&path).unwrap(), pem);
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        let identity = Identity::from_pem(&pem, &path, &pem, &path).unwrap();
        let again = Identity::from_pem(&fs::read(&path).unwrap(), &path, &pem, &path).unwrap();
        assert_eq!(identity.fingerprint(), again.fingerprint());
        fs::remove_dir_all(folder).unwrap();
    }

    fn tempdir() -> PathBuf {
        let folder = std::env::temp_dir().join(format!(
            "dcclink-tls-test-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        fs::create_dir_all(&folder).unwrap();
        folder
    }
}
