//! The runtime and in-process server the apps' TCP test suites share (included with `#[path]`
//! by `apps/todo/tests/http`, `apps/todo/tests/faults` and `apps/todo-list/tests/http`).

use std::sync::OnceLock;

use poem::Response;
use poem::endpoint::BoxEndpoint;

use crate::client::Client;

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

/// An endpoint served in-process on an ephemeral port, stopped when dropped.
pub struct TestServer {
    pub client: Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub fn start(endpoint: BoxEndpoint<'static, Response>) -> Result<TestServer, String> {
        let (listener, address) = portico_todo::bind("127.0.0.1", 0).map_err(|e| e.to_string())?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = runtime().spawn(portico_todo::serve(listener, endpoint, async {
            let _ = stopped.await;
        }));
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
