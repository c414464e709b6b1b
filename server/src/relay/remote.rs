//! An instance on another machine, named on the command line (`dcclink
//! connect --url --token --fingerprint`) rather than found in this
//! machine's registry.

use crate::instances::Instance;
use crate::tls::Fingerprint;

/// Where the remote instance listens, and how the relay trusts it.
#[derive(Debug, Clone)]
pub struct Remote {
    /// Its MCP endpoint: `https://HOST:PORT/mcp` (plain `http` on loopback
    /// only, such as the near end of an SSH tunnel).
    pub url: String,
    /// The bearer token it requires.
    pub token: String,
    /// The SHA-256 fingerprint of its certificate, pinned; without one the
    /// certificate must be signed by an authority this system trusts.
    pub fingerprint: Option<Fingerprint>,
}

impl Remote {
    /// The instance as the relay's links see it, or why `url` will not do.
    /// Its id is the URL's `HOST:PORT`; it has no process here to watch.
    pub(super) fn instance(&self) -> Result<Instance, String> {
        let url = reqwest::Url::parse(&self.url)
            .map_err(|error| format!("--url {}: {error}", self.url))?;
        let host = url.host_str().unwrap_or_default();
        match url.scheme() {
            "https" => {}
            "http" if crate::transports::auth::is_loopback_name(host) => {}
            "http" => {
                return Err(format!(
                    "--url {}: dcclink sends its token to another machine over https only; an instance other machines reach serves https (its `remote_url` in `dcclink list --json`)",
                    self.url
                ));
            }
            other => return Err(format!("--url {}: {other}: is not http(s)", self.url)),
        }
        let port = url.port_or_known_default().unwrap_or_default();
        Ok(Instance {
            id: format!("{host}:{port}"),
            pid: 0,
            dcc: "remote".to_owned(),
            dcc_version: None,
            scene: None,
            url: self.url.clone(),
            token: self.token.clone(),
            remote_url: None,
            fingerprint: self.fingerprint.map(|pin| pin.to_string()),
            started: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(url: &str) -> Remote {
        Remote {
            url: url.to_owned(),
            token: "t".to_owned(),
            fingerprint: None,
        }
    }

    #[test]
    fn the_token_leaves_this_machine_over_https_only() {
        let instance = remote("https://10.7.0.1:8765/mcp").instance().unwrap();
        assert_eq!(instance.id, "10.7.0.1:8765");
        assert!(remote("http://127.0.0.1:9000/mcp").instance().is_ok());
        let error = remote("http://10.7.0.1:8765/mcp").instance().unwrap_err();
        assert!(error.contains("over https only"), "{error}");
        assert!(remote("ftp://10.7.0.1/mcp").instance().is_err());
        assert!(remote("not a url").instance().is_err());
    }
}
