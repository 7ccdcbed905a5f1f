//! Where the server backends of the tests come from: an environment URL, else a container
//! (testcontainers, behind the `containers` feature) when a Docker engine answers, else a skip
//! with the reason.
//!
//! | service | URL variable | image variable (default) |
//! |---|---|---|
//! | PostgreSQL | `PORTICO_TEST_POSTGRES_URL` | `PORTICO_TEST_POSTGRES_IMAGE` (`postgres:16-alpine`) |
//! | MySQL/MariaDB | `PORTICO_TEST_MYSQL_URL` | `PORTICO_TEST_MYSQL_IMAGE` (`mariadb:11`) |
//! | MongoDB | `PORTICO_TEST_MONGO_URL` | `PORTICO_TEST_MONGO_IMAGE` (`mongo:7`) |
//!
//! `PORTICO_TEST_<SERVICE>_READY` overrides the log line that says the container is ready.
//! One container serves a whole test binary: it lives as long as the [`ServiceUrl`] (hold it
//! in your setup), and a watchdog process removes it if the test process dies first, so no
//! container outlives `cargo test`.

use crate::Unavailable;

/// A server backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    MySql,
    /// MongoDB.
    Mongo,
}

impl Service {
    fn key(self) -> &'static str {
        match self {
            Service::Postgres => "POSTGRES",
            Service::MySql => "MYSQL",
            Service::Mongo => "MONGO",
        }
    }

    /// The environment variable holding the service's URL.
    pub fn url_variable(self) -> String {
        format!("PORTICO_TEST_{}_URL", self.key())
    }
}

/// A resolved service URL; for a container, dropping this removes the container.
#[derive(Debug)]
pub struct ServiceUrl {
    /// The URL to connect to.
    pub url: String,
    /// How the URL was obtained, for logs (`env` or `container <id> started in …`).
    pub origin: String,
    #[cfg(feature = "containers")]
    _container: Option<containers::Running>,
}

/// Resolves a service: environment URL, else a container, else [`Unavailable`] with the reason.
///
/// # Errors
/// [`Unavailable`] when no URL is set and no container could be started.
pub fn resolve(service: Service) -> Result<ServiceUrl, Unavailable> {
    let variable = service.url_variable();
    if let Ok(url) = std::env::var(&variable) {
        return Ok(ServiceUrl {
            url,
            origin: "env".to_owned(),
            #[cfg(feature = "containers")]
            _container: None,
        });
    }
    #[cfg(feature = "containers")]
    {
        let running = containers::start(service)
            .map_err(|e| Unavailable(format!("{variable} is not set and {e}")))?;
        Ok(ServiceUrl {
            url: running.url.clone(),
            origin: running.origin.clone(),
            _container: Some(running),
        })
    }
    #[cfg(not(feature = "containers"))]
    Err(Unavailable(format!(
        "{variable} is not set (and this build has no `containers` feature to start one with Docker)"
    )))
}

#[cfg(feature = "containers")]
mod containers {
    use std::process::{Command, Stdio};
    use std::time::Instant;

    use testcontainers::core::{IntoContainerPort, WaitFor};
    use testcontainers::runners::SyncRunner;
    use testcontainers::{Container, GenericImage, ImageExt};

    use super::Service;

    /// A running container and the URL that reaches it.
    #[derive(Debug)]
    pub(super) struct Running {
        pub(super) url: String,
        pub(super) origin: String,
        _container: Container<GenericImage>,
    }

    struct Recipe {
        image: &'static str,
        port: u16,
        ready: &'static str,
        env: &'static [(&'static str, &'static str)],
        url: fn(&str, u16) -> String,
    }

    fn recipe(service: Service) -> Recipe {
        match service {
            Service::Postgres => Recipe {
                image: "postgres:16-alpine",
                port: 5432,
                ready: "database system is ready to accept connections",
                env: &[("POSTGRES_HOST_AUTH_METHOD", "trust")],
                url: |host, port| format!("postgres://postgres@{host}:{port}/postgres"),
            },
            Service::MySql => Recipe {
                image: "mariadb:11",
                port: 3306,
                ready: "ready for connections",
                env: &[
                    ("MARIADB_ALLOW_EMPTY_ROOT_PASSWORD", "1"),
                    ("MARIADB_DATABASE", "test"),
                ],
                url: |host, port| format!("mysql://root@{host}:{port}/test"),
            },
            Service::Mongo => Recipe {
                image: "mongo:7",
                port: 27017,
                ready: "Waiting for connections",
                env: &[],
                url: |host, port| format!("mongodb://{host}:{port}/?directConnection=true"),
            },
        }
    }

    fn docker_answers() -> bool {
        match std::env::var("DOCKER_HOST") {
            Ok(host) => !host.is_empty(),
            Err(_) => std::path::Path::new("/var/run/docker.sock").exists(),
        }
    }

    pub(super) fn start(service: Service) -> Result<Running, String> {
        if !docker_answers() {
            return Err(
                "no Docker engine answers (no DOCKER_HOST, no /var/run/docker.sock)".to_owned(),
            );
        }
        let recipe = recipe(service);
        let key = service.key();
        let image = std::env::var(format!("PORTICO_TEST_{key}_IMAGE"))
            .unwrap_or_else(|_| recipe.image.to_owned());
        let ready = std::env::var(format!("PORTICO_TEST_{key}_READY"))
            .unwrap_or_else(|_| recipe.ready.to_owned());
        let (name, tag) = image.rsplit_once(':').unwrap_or((image.as_str(), "latest"));
        let mut request = GenericImage::new(name, tag)
            .with_exposed_port(recipe.port.tcp())
            .with_wait_for(WaitFor::message_on_either_std(ready))
            .with_label("org.portico.test", "1");
        for (k, v) in recipe.env {
            request = request.with_env_var(*k, *v);
        }
        let started = Instant::now();
        let container = request
            .start()
            .map_err(|e| format!("starting {image} failed: {e}"))?;
        let host = container
            .get_host()
            .map_err(|e| format!("container host: {e}"))?;
        let port = container
            .get_host_port_ipv4(recipe.port)
            .map_err(|e| format!("container port: {e}"))?;
        watch(container.id());
        let origin = format!(
            "container {} ({image}) ready in {:.1?}",
            &container.id()[..12.min(container.id().len())],
            started.elapsed()
        );
        eprintln!("portico: {origin}");
        Ok(Running {
            url: (recipe.url)(&host.to_string(), port),
            origin,
            _container: container,
        })
    }

    /// Removes the container if this process dies without dropping it (a panic in a static,
    /// a kill): a detached shell waits for this process to end, then removes it.
    fn watch(id: &str) {
        let script = format!(
            "while kill -0 {} 2>/dev/null; do sleep 1; done; docker rm -f -v {id} >/dev/null 2>&1",
            std::process::id()
        );
        let _ = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }
}
