//! Serving: binding, serving until a shutdown signal, and draining within a grace period.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use poem::{Endpoint, Response};

/// Binds `host:port` (port 0 picks a free one) and tells the address actually bound.
///
/// # Errors
/// When the address cannot be resolved or bound.
pub fn bind(host: &str, port: u16) -> std::io::Result<(std::net::TcpListener, SocketAddr)> {
    let listener = std::net::TcpListener::bind((host, port))?;
    let address = listener.local_addr()?;
    Ok((listener, address))
}

/// Serves `endpoint` on an already bound `listener` until `shutdown` completes, then stops
/// accepting connections and lets in-flight requests finish for up to `grace` (those still
/// running then are dropped).
///
/// # Errors
/// IO errors of the listener.
pub async fn serve(
    listener: std::net::TcpListener,
    endpoint: impl Endpoint<Output = Response> + 'static,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let acceptor = poem::listener::TcpAcceptor::from_std(listener)?;
    poem::Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(endpoint, shutdown, Some(grace))
        .await
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM, logging which.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_zero_binds_a_free_port() {
        let (_listener, address) = bind("127.0.0.1", 0).unwrap();
        assert_ne!(address.port(), 0);
        assert!(bind("no such host.invalid", 0).is_err());
    }
}
