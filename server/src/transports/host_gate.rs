//! Which `Host` a listener other machines reach answers to.
//!
//! A check of `Host` stops DNS rebinding: a web page whose name an
//! attacker points at this machine sends that name. So a request passes
//! when its `Host` is a loopback name, the very address its connection
//! arrived at (what a client that connects by IP sends, through NAT and
//! port forwarding too, since the port is not compared), or a name the
//! user allowed with `--allow-host`. A browser's `Origin`, when sent, must
//! be https on one of those. Refusals say what to do, where rmcp's own
//! check answers a bare 403.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use crate::transports::auth;
use crate::transports::connections::ArrivedAt;

/// The names a remote listener answers to beyond loopback and its own
/// address.
#[derive(Clone, Debug)]
pub(crate) struct HostGate {
    allowed: Arc<[String]>,
}

impl HostGate {
    /// Answers to `names` (host names or addresses, without ports) too.
    pub(crate) fn new(names: &[String]) -> Self {
        Self {
            allowed: names.iter().map(|name| name.to_ascii_lowercase()).collect(),
        }
    }

    fn allows(&self, name: &str, arrived_at: Option<IpAddr>) -> bool {
        let own_address = || {
            let name = name.trim_start_matches('[').trim_end_matches(']');
            name.parse::<IpAddr>()
                .is_ok_and(|ip| Some(ip.to_canonical()) == arrived_at)
        };
        auth::is_loopback_name(name)
            || own_address()
            || self
                .allowed
                .iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(name))
    }

    /// Lets a request through when its `Host` and `Origin` pass.
    pub(crate) async fn check(State(gate): State<Self>, request: Request, next: Next) -> Response {
        match gate.refusal(&request) {
            Some(refusal) => (StatusCode::FORBIDDEN, refusal).into_response(),
            None => next.run(request).await,
        }
    }

    /// Why `request` is refused, if it is.
    fn refusal(&self, request: &Request) -> Option<String> {
        let arrived_at = request
            .extensions()
            .get::<ArrivedAt>()
            .map(|at| at.0.ip().to_canonical());
        let header = |name| request.headers().get(name).and_then(|v| v.to_str().ok());
        let name = auth::host_name(header(header::HOST).unwrap_or(""));
        if !self.allows(name, arrived_at) {
            return Some(format!(
                "this dcclink does not answer to the name {name:?}: connect by the address it listens on, or start it with --allow-host {name}\n"
            ));
        }
        let origin = header(header::ORIGIN)?;
        let allowed = origin
            .strip_prefix("https://")
            .is_some_and(|rest| self.allows(auth::host_name(rest), arrived_at));
        (!allowed).then(|| {
            format!(
                "requests from the web page at {origin:?} are refused: a page must be served over https from a name given with --allow-host\n"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_passes_when_it_is_loopback_the_arrival_address_or_allowed() {
        let gate = HostGate::new(&["DCC-Box.studio.lan".to_owned()]);
        let arrived: Option<IpAddr> = "10.7.0.1".parse().ok();
        for name in ["localhost", "127.0.0.1", "10.7.0.1", "dcc-box.studio.lan"] {
            assert!(gate.allows(name, arrived), "{name}");
        }
        for name in ["10.7.0.2", "evil.example", "", "studio.lan"] {
            assert!(!gate.allows(name, arrived), "{name}");
        }
        let v6: Option<IpAddr> = "fd00::1".parse().ok();
        assert!(gate.allows("[fd00::1]", v6));
    }
}
