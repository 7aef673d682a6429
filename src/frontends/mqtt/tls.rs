//! TLS for `mqtts://`: rustls with the ring provider (already in the binary for the model
//! client), trusting a home CA from `ca_file`, or the public web roots when none is given.

use std::sync::Arc;

use rumqttc::{MqttOptions, TlsConfiguration, Transport};
use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use super::{MqttError, MqttSettings};

/// Switches `opts` to TLS when the settings ask for it.
pub(crate) fn secure(opts: &mut MqttOptions, settings: &MqttSettings) -> Result<(), MqttError> {
    secure_with(opts, settings.tls, settings.ca_file.as_deref())
}

/// Switches `opts` to TLS when `tls`, trusting the CA in `ca_file` or the public web roots
/// (the Zigbee2MQTT back end's own client uses it too).
pub(crate) fn secure_with(
    opts: &mut MqttOptions,
    tls: bool,
    ca_file: Option<&std::path::Path>,
) -> Result<(), MqttError> {
    if !tls {
        return Ok(());
    }
    let roots = roots(ca_file)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| MqttError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    opts.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
        Arc::new(config),
    )));
    Ok(())
}

/// The certificates to trust.
fn roots(ca_file: Option<&std::path::Path>) -> Result<RootCertStore, MqttError> {
    let mut store = RootCertStore::empty();
    let Some(path) = ca_file else {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return Ok(store);
    };
    let bad = |what: String| MqttError::Tls(format!("{}: {what}", path.display()));
    let certs = CertificateDer::pem_file_iter(path).map_err(|e| bad(e.to_string()))?;
    for cert in certs {
        let cert = cert.map_err(|e| bad(e.to_string()))?;
        store.add(cert).map_err(|e| bad(e.to_string()))?;
    }
    if store.is_empty() {
        return Err(bad("no certificate in the file".into()));
    }
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_ca_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = MqttSettings::from_url("mqtts://127.0.0.1", "h").unwrap();
        settings.ca_file = Some(dir.path().join("none.pem"));
        let mut opts = MqttOptions::new("c", "127.0.0.1", 8883);
        let err = secure(&mut opts, &settings).unwrap_err().to_string();
        assert!(err.contains("none.pem"), "{err}");
        std::fs::write(dir.path().join("empty.pem"), "not a certificate\n").unwrap();
        settings.ca_file = Some(dir.path().join("empty.pem"));
        let err = secure(&mut opts, &settings).unwrap_err().to_string();
        assert!(err.contains("no certificate"), "{err}");
        settings.ca_file = None;
        secure(&mut opts, &settings).unwrap();
    }
}
