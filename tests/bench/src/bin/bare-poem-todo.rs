//! `bare-poem-todo`: the benchmark's baseline, a bare poem handler serving the Todo app's JSON
//! from a `HashMap` (see the library's docs). `HOST` and `PORT` default to 127.0.0.1:3000, as
//! the apps' do.

use std::process::ExitCode;

/// The apps' allocator, so the baseline differs from them only by the framework.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Binds `HOST:PORT` as Portico's runtime does (a std listener handed to poem's
/// `TcpAcceptor`) and serves until killed.
#[tokio::main]
async fn main() -> ExitCode {
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".to_owned());
    let port = match std::env::var("PORT").map(|port| port.parse::<u16>()) {
        Err(_) => 3000,
        Ok(Ok(port)) => port,
        Ok(Err(e)) => {
            eprintln!("bare-poem-todo: PORT: {e}");
            return ExitCode::FAILURE;
        }
    };
    match serve(&host, port).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bare-poem-todo: {host}:{port}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Serves the baseline's routes on `host:port`.
async fn serve(host: &str, port: u16) -> std::io::Result<()> {
    let listener = std::net::TcpListener::bind((host, port))?;
    listener.set_nonblocking(true)?;
    eprintln!(
        "bare-poem-todo listening on http://{}",
        listener.local_addr()?
    );
    let acceptor = poem::listener::TcpAcceptor::from_std(listener)?;
    poem::Server::new_with_acceptor(acceptor)
        .run(portico_bench::app())
        .await
}
