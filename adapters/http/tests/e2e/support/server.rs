//! The runtime the whole suite shares, and an endpoint served in-process on an ephemeral port.

use std::sync::OnceLock;
use std::time::Duration;

use poem::Response;
use poem::endpoint::BoxEndpoint;
use poem::listener::TcpAcceptor;

use super::client::Client;

/// The runtime the servers and stores run on; test bodies are blocking clients.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

/// How long a stopping server lets its requests finish.
const GRACE: Duration = Duration::from_secs(5);

/// An endpoint served on `127.0.0.1:0`, stopped when dropped.
pub struct TestServer {
    pub client: Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub fn start(endpoint: BoxEndpoint<'static, Response>) -> Result<TestServer, String> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = runtime().spawn(async move {
            let acceptor = TcpAcceptor::from_std(listener)?;
            poem::Server::new_with_acceptor(acceptor)
                .run_with_graceful_shutdown(
                    endpoint,
                    async {
                        let _ = stopped.await;
                    },
                    Some(GRACE),
                )
                .await
        });
        Ok(TestServer {
            client: Client { address },
            stop: Some(stop),
            task: Some(task),
        })
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = runtime().block_on(task);
        }
    }
}
