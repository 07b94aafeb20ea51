//! [`RedisTls`]: what a `rediss://` connection trusts and shows beyond the system's roots.

use std::fmt;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The certificates of a `rediss://` connection beyond the defaults (feature `tls`), for
/// [`RedisStore::connect_with_tls`](crate::RedisStore::connect_with_tls): a private CA to check
/// the server's certificate against instead of the system's roots, and the client's own
/// certificate for a server that asks its clients for one (mutual TLS: `tls-auth-clients yes`).
/// Each file is checked as it is given; its `Debug` says which are set, never what they hold.
///
/// ```
/// use attractos_limits::{Clock, DEFAULT_TIMEOUT, RedisStore, RedisTls};
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls");
/// # let read = |file: &str| std::fs::read(format!("{dir}/{file}")).unwrap();
/// # let (ca_pem, chain_pem, key_pem) =
/// #     (read("ca.pem"), read("client.pem"), read("client-key.pem"));
///
/// let tls = RedisTls::default()
///     .trusting(ca_pem)?
///     .with_client_certificate(chain_pem, key_pem)?;
/// assert_eq!(format!("{tls:?}"), "RedisTls { private_ca: true, client_certificate: true }");
/// let url = "rediss://redis.internal:6380";
/// let store = RedisStore::connect_with_tls(url, &tls, DEFAULT_TIMEOUT, Clock::Store)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct RedisTls {
    ca_pem: Option<Vec<u8>>,
    client: Option<redis::ClientTlsConfig>,
}

/// A file given to [`RedisTls`] that holds no certificate, or no private key, in PEM.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file} is not usable: {reason}")]
pub struct InvalidPem {
    file: &'static str,
    reason: String,
}

impl InvalidPem {
    fn new(file: &'static str, reason: impl fmt::Display) -> Self {
        InvalidPem {
            file,
            reason: reason.to_string(),
        }
    }
}

/// Whether `pem` holds certificates, and if not, why (`file` names it).
fn check_certificates(file: &'static str, pem: &[u8]) -> Result<(), InvalidPem> {
    let parsed: Result<Vec<_>, pem::Error> = CertificateDer::pem_slice_iter(pem).collect();
    match parsed {
        Ok(certificates) if certificates.is_empty() => {
            Err(InvalidPem::new(file, "no CERTIFICATE section"))
        }
        Ok(_) => Ok(()),
        Err(err) => Err(InvalidPem::new(file, err)),
    }
}

impl RedisTls {
    /// Trusts the CA certificates in `ca_pem` (PEM) for the server's certificate, instead of
    /// the system's roots: a private CA, as self-hosted Redis often has.
    pub fn trusting(mut self, ca_pem: impl Into<Vec<u8>>) -> Result<Self, InvalidPem> {
        let ca_pem = ca_pem.into();
        check_certificates("the CA certificate", &ca_pem)?;
        self.ca_pem = Some(ca_pem);
        Ok(self)
    }

    /// Shows the client's certificate chain `chain_pem` and proves it with its private key
    /// `key_pem` (both PEM), for a server that authenticates its clients.
    pub fn with_client_certificate(
        mut self,
        chain_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Result<Self, InvalidPem> {
        let (chain_pem, key_pem) = (chain_pem.into(), key_pem.into());
        check_certificates("the client certificate", &chain_pem)?;
        PrivateKeyDer::from_pem_slice(&key_pem)
            .map_err(|err| InvalidPem::new("the client's private key", err))?;
        self.client = Some(redis::ClientTlsConfig {
            client_cert: chain_pem,
            client_key: key_pem,
        });
        Ok(self)
    }

    pub(crate) fn certificates(&self) -> redis::TlsCertificates {
        redis::TlsCertificates {
            client_tls: self.client.clone(),
            root_cert: self.ca_pem.clone(),
        }
    }
}

impl fmt::Debug for RedisTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTls")
            .field("private_ca", &self.ca_pem.is_some())
            .field("client_certificate", &self.client.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA: &[u8] = include_bytes!("../tests/tls/ca.pem");
    const CHAIN: &[u8] = include_bytes!("../tests/tls/client.pem");
    const KEY: &[u8] = include_bytes!("../tests/tls/client-key.pem");

    #[test]
    fn files_that_hold_no_certificate_or_key_are_refused_naming_the_file() {
        let refused = |result: Result<RedisTls, InvalidPem>| result.unwrap_err().to_string();
        let none = refused(RedisTls::default().trusting(&b"not a certificate"[..]));
        assert_eq!(
            none,
            "the CA certificate is not usable: no CERTIFICATE section"
        );
        let key_as_ca = refused(RedisTls::default().trusting(KEY));
        assert!(key_as_ca.starts_with("the CA certificate"), "{key_as_ca}");
        let key_as_chain = refused(RedisTls::default().with_client_certificate(KEY, KEY));
        assert!(
            key_as_chain.starts_with("the client certificate"),
            "{key_as_chain}"
        );
        let chain_as_key = refused(RedisTls::default().with_client_certificate(CHAIN, CHAIN));
        assert!(
            chain_as_key.starts_with("the client's private key"),
            "{chain_as_key}"
        );
    }

    #[test]
    fn the_files_reach_the_connection_and_debug_shows_none_of_them() {
        let tls = RedisTls::default()
            .trusting(CA)
            .and_then(|tls| tls.with_client_certificate(CHAIN, KEY))
            .expect("the test fixtures");
        let certificates = tls.certificates();
        assert_eq!(certificates.root_cert.as_deref(), Some(CA));
        let client = certificates.client_tls.expect("a client certificate");
        assert_eq!(
            (&client.client_cert[..], &client.client_key[..]),
            (CHAIN, KEY)
        );
        let shown = format!("{tls:?}");
        assert_eq!(
            shown,
            "RedisTls { private_ca: true, client_certificate: true }"
        );
        assert_eq!(
            format!("{:?}", RedisTls::default()),
            "RedisTls { private_ca: false, client_certificate: false }"
        );
    }
}
