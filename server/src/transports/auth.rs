//! Who may use the HTTP server: a loopback client that knows the token.
//!
//! `/mcp` takes the token as `Authorization: Bearer`. The panel also takes
//! it once as `?token=` (the link dcclink prints or opens), turns it into an
//! HttpOnly, SameSite=Strict cookie and removes it from the address bar;
//! from then on the cookie or the bearer header is checked on the page, its
//! event stream and its actions. Tokens are compared in constant time.
//! The panel's `Host` must be loopback and its `Origin` its own, which stops
//! DNS rebinding and other sites' pages, those on other local ports included.

use axum::http::{HeaderMap, header};
use rand::Rng;
use rand::distr::Alphanumeric;
use subtle::ConstantTimeEq;

/// The cookie that carries the token.
pub(crate) const COOKIE: &str = "dcclink_token";

/// A random token of 32 letters and digits.
pub(crate) fn random_token() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

/// True when `given` is the token (constant time).
pub(crate) fn matches(given: &str, token: &str) -> bool {
    bool::from(given.as_bytes().ct_eq(token.as_bytes()))
}

/// The token in an `Authorization: Bearer` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

/// The token presented by a bearer header or the panel cookie.
pub(crate) fn presented(headers: &HeaderMap) -> Option<&str> {
    bearer(headers).or_else(|| {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
    })
}

/// The `?token=` query parameter, if any.
pub(crate) fn from_query(query: Option<&str>) -> Option<&str> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
}

/// The name in a `Host` value, without its port (and an IPv6 address
/// with its brackets, as `Host` writes it).
pub(crate) fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split_once(']')
            .map_or(host, |(name, _)| &host[..=name.len()]);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// True for the names of this machine's loopback interface.
pub(crate) fn is_loopback_name(name: &str) -> bool {
    matches!(name, "localhost" | "127.0.0.1" | "::1" | "[::1]")
}

fn is_loopback_host(host: &str) -> bool {
    is_loopback_name(host_name(host))
}

/// True when the request comes from the panel's own page: `Host` is a
/// loopback name with the server's `port`, and `Origin`, if sent, is that
/// same origin. A page on another local port is another site to the
/// browser, yet it would carry the panel's cookie (cookies ignore ports),
/// so a loopback origin alone is not enough.
pub(crate) fn own_origin_request(headers: &HeaderMap, port: u16) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let port_ok = host
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse() == Ok(port));
    let origin_ok = match headers.get(header::ORIGIN) {
        None => true,
        Some(origin) => origin
            .to_str()
            .is_ok_and(|origin| origin.strip_prefix("http://") == Some(host)),
    };
    is_loopback_host(host) && port_ok && origin_ok
}

/// True when the request comes from a page on this https listener: an
/// `Origin`, if sent, that is `https://` and the request's own `Host`. (The
/// listener's host gate has already checked which `Host` it answers to.)
pub(crate) fn same_https_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (host, headers.get(header::ORIGIN)) {
        (Some(_), None) => true,
        (Some(host), Some(origin)) => origin
            .to_str()
            .is_ok_and(|origin| origin.strip_prefix("https://") == Some(host)),
        (None, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn the_token_comes_from_a_bearer_header_or_the_cookie() {
        let h = headers(&[(header::AUTHORIZATION, "Bearer abc")]);
        assert_eq!(presented(&h), Some("abc"));
        let h = headers(&[(header::COOKIE, "theme=dark; dcclink_token=xyz; other=1")]);
        assert_eq!(presented(&h), Some("xyz"));
        assert_eq!(presented(&HeaderMap::new()), None);
        assert_eq!(from_query(Some("a=1&token=t0k")), Some("t0k"));
        assert!(matches("same", "same") && !matches("same", "diff"));
    }

    #[test]
    fn a_remote_panel_takes_its_own_https_origin_only() {
        let ok = |origin: Option<&str>| {
            let mut pairs = vec![(header::HOST, "10.7.0.1:8765")];
            if let Some(origin) = origin {
                pairs.push((header::ORIGIN, origin));
            }
            same_https_origin(&headers(&pairs))
        };
        assert!(ok(None));
        assert!(ok(Some("https://10.7.0.1:8765")));
        assert!(!ok(Some("http://10.7.0.1:8765")));
        assert!(!ok(Some("https://10.7.0.1:9000")));
        assert!(!ok(Some("https://dcc-box.studio.lan:8765")));
        assert!(!same_https_origin(&HeaderMap::new()));
    }

    #[test]
    fn the_panel_takes_its_own_origin_only() {
        let ok = |host: &str, origin: Option<&str>| {
            let mut pairs = vec![(header::HOST, host)];
            if let Some(origin) = origin {
                pairs.push((header::ORIGIN, origin));
            }
            own_origin_request(&headers(&pairs), 8765)
        };
        assert!(ok("127.0.0.1:8765", None));
        assert!(ok("127.0.0.1:8765", Some("http://127.0.0.1:8765")));
        assert!(ok("[::1]:8765", Some("http://[::1]:8765")));
        // A page served on another local port, with the panel's cookie.
        assert!(!ok("127.0.0.1:8765", Some("http://127.0.0.1:3000")));
        assert!(!ok("127.0.0.1:8765", Some("http://localhost:8765")));
        assert!(!ok("127.0.0.1:8765", Some("null")));
        assert!(!ok("127.0.0.1:3000", None));
        assert!(!ok("evil.example:8765", Some("http://evil.example:8765")));
        assert!(!ok("evil.example:8765", None));
        assert!(!ok("127.0.0.1:8765", Some("https://evil.example")));
        assert!(!ok("127.0.0.1:8765", Some("http://127.0.0.1.evil.example")));
    }
}
