//! A certificate's SHA-256 fingerprint: how a user pins a self-signed
//! certificate, with no authority to vouch for it.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// The SHA-256 of a certificate's DER encoding. Shown as 64 lowercase hex
/// digits; read with or without colons, in either case, with or without a
/// `sha256:` prefix, so that openssl's form pastes as well as dcclink's.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The fingerprint of the certificate `der`.
    pub fn of(der: &[u8]) -> Self {
        Self(Sha256::digest(der).into())
    }

    /// True when `der` is the certificate with this fingerprint (constant
    /// time, though a fingerprint is no secret).
    pub fn matches(&self, der: &[u8]) -> bool {
        bool::from(Self::of(der).0.ct_eq(&self.0))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// A fingerprint that is not 32 bytes of hex.
#[derive(Debug, thiserror::Error)]
#[error(
    "{0:?} is not a SHA-256 fingerprint: expected 64 hex digits (colons allowed), as `dcclink list --json` shows it on the DCC's machine"
)]
pub struct FingerprintError(String);

impl FromStr for Fingerprint {
    type Err = FingerprintError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let bare = trimmed
            .get(..7)
            .filter(|prefix| prefix.eq_ignore_ascii_case("sha256:"))
            .map_or(trimmed, |_| &trimmed[7..]);
        let digits: Vec<u8> = bare.bytes().filter(|&b| b != b':').collect();
        let invalid = || FingerprintError(text.to_owned());
        if digits.len() != 64 {
            return Err(invalid());
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| invalid())?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| invalid())?;
        }
        Ok(Self(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_reads_back_in_each_common_form() {
        let fingerprint = Fingerprint::of(b"certificate");
        let shown = fingerprint.to_string();
        assert_eq!(shown.len(), 64);
        let colons = shown
            .as_bytes()
            .chunks(2)
            .map(|pair| std::str::from_utf8(pair).unwrap().to_uppercase())
            .collect::<Vec<_>>()
            .join(":");
        for form in [shown.clone(), colons.clone(), format!("SHA256:{colons}")] {
            assert_eq!(form.parse::<Fingerprint>().unwrap(), fingerprint, "{form}");
        }
        assert!(fingerprint.matches(b"certificate"));
        assert!(!fingerprint.matches(b"another certificate"));
    }

    #[test]
    fn anything_but_32_bytes_of_hex_is_refused() {
        let shown = Fingerprint::of(b"x").to_string();
        for bad in [
            &shown[..62],
            "",
            &format!("{}zz", &shown[..62]),
            "é".repeat(32).as_str(),
        ] {
            let error = bad.parse::<Fingerprint>().unwrap_err().to_string();
            assert!(error.contains("64 hex digits"), "{error}");
        }
    }
}
