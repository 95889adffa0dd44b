//! HTTPS without a proxy (`--tls-cert`, `--tls-key`): rustls with the ring provider, one
//! HTTP/1.1 connection per accepted TLS stream, served by the same router as plain HTTP.

use crate::{ServerError, TlsFiles};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// Reads the PEM files and builds the acceptor; every failure names the file and what to do.
pub(crate) fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor, ServerError> {
    let named = |path: &std::path::Path, err: &dyn std::fmt::Display| ServerError::Tls(format!("{}: {err}", path.display()));
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|err| named(&files.cert, &err))?
        .collect::<Result<_, _>>()
        .map_err(|err| named(&files.cert, &err))?;
    if certs.is_empty() {
        return Err(named(&files.cert, &"holds no certificate"));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|err| named(&files.key, &err))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|err| ServerError::Tls(err.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|err| ServerError::Tls(format!("{} and {} do not make a pair: {err}", files.cert.display(), files.key.display())))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Accepts until told to stop; each connection's handshake and requests run on a task of
/// their own, so a slow or failed handshake holds up no one else. When told to stop, open
/// connections finish the request under way and close (keep-alive ones at once), and this
/// returns when they have, or after 10 s.
pub(crate) async fn serve(listener: tokio::net::TcpListener, acceptor: TlsAcceptor, app: axum::Router, mut stop: watch::Receiver<bool>) -> std::io::Result<()> {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (tcp, peer) = tokio::select! {
            () = async { let _ = stop.wait_for(|stop| *stop).await; } => break,
            // Finished connections are reaped as they end.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, say: wait a moment rather than spin.
                Err(err) => {
                    tracing::warn!("accept failed: {err}");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        let (acceptor, app, mut stop) = (acceptor.clone(), app.clone(), stop.clone());
        connections.spawn(async move {
            let stream = match tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(err)) => return tracing::debug!(%peer, "TLS handshake failed: {err}"),
                Err(_) => return tracing::debug!(%peer, "TLS handshake timed out"),
            };
            let service = hyper_util::service::TowerToHyperService::new(app);
            // With a timer, hyper drops a client that takes over 30 s to send its headers.
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            tokio::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                () = async { let _ = stop.wait_for(|stop| *stop).await; } => {
                    connection.as_mut().graceful_shutdown();
                    connection.as_mut().await
                }
            };
            if let Err(err) = ended {
                tracing::debug!(%peer, "connection ended: {err}");
            }
        });
    }
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), async { while connections.join_next().await.is_some() {} }).await;
    Ok(())
}
