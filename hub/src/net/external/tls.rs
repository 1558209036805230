//! TLS to an `mqtts://` broker: rustls with the *ring* provider, trusting
//! only the CA in the configured PEM file (not the system's roots: a
//! warehouse broker's certificate is signed by the operator's own CA).

use super::ExternalError;
use rumqttc::TlsConfiguration;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::path::Path;
use std::sync::Arc;

/// The client TLS settings trusting the CA certificates in `ca_file`.
pub fn configuration(ca_file: &Path) -> Result<TlsConfiguration, ExternalError> {
    let fail = |message: String| ExternalError::CaFile {
        path: ca_file.to_path_buf(),
        message,
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_file).map_err(|e| fail(e.to_string()))? {
        let cert = cert.map_err(|e| fail(e.to_string()))?;
        roots.add(cert).map_err(|e| fail(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(fail("no certificate in the file".into()));
    }
    // rustls deprecates *ring* for lacking post-quantum key exchange; it
    // is kept because aws-lc-rs needs a C and CMake build on every machine
    // that builds the hub, and the broker is on the site's own network.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConfiguration::Rustls(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_empty_or_bad_ca_file_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("missing.pem");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").expect("write");
        let junk = dir.path().join("junk.pem");
        std::fs::write(
            &junk,
            "-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n",
        )
        .expect("write");
        for path in [missing, empty, junk] {
            let err = configuration(&path).expect_err("refused");
            assert!(
                err.to_string().contains(&path.display().to_string()),
                "{err}"
            );
        }
    }
}
