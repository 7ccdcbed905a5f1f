//! Static files ([`RestApi::static_files`](crate::RestApi::static_files)): a folder served for
//! `GET` and `HEAD` paths no route serves, its `index.html` as the home page, and LoopBack's
//! 404 envelope for everything else — another verb, a missing file, a path leaving the folder
//! (never a message naming the folder).

use std::path::PathBuf;
use std::sync::Arc;

use poem::endpoint::StaticFilesEndpoint;
use poem::error::StaticFileError;
use poem::http::Method;
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response};

use crate::error::ApiError;
use crate::observe::MatchedRoute;

/// The route template files are counted under in metrics and access lines (one label for every
/// file served; a path without a file stays `<unmatched>`, as file names are unbounded).
pub(crate) const TEMPLATE: &str = "<static>";

/// The files of `dir`, as the router's fallback.
pub(crate) fn folder(dir: PathBuf) -> impl Endpoint<Output = Response> {
    Folder {
        // `poem::get` answers `HEAD` from `GET`, without the body.
        files: poem::get(StaticFilesEndpoint::new(dir).index_file("index.html")).boxed(),
        template: Arc::from(TEMPLATE),
    }
}

struct Folder {
    files: poem::endpoint::BoxEndpoint<'static, Response>,
    template: Arc<str>,
}

impl Endpoint for Folder {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let (method, path) = (req.method().clone(), req.uri().path().to_owned());
        if method != Method::GET && method != Method::HEAD {
            return Err(ApiError::endpoint_not_found(method.as_str(), &path).into());
        }
        let slot = MatchedRoute::of(&req);
        match self.files.call(req).await {
            Ok(response) => {
                if let Some(slot) = slot {
                    slot.set(&self.template);
                }
                Ok(response.into_response())
            }
            Err(error) => Err(match error.downcast_ref::<StaticFileError>() {
                Some(StaticFileError::Io(cause)) => {
                    tracing::error!(error = %cause, %path, "a static file cannot be read");
                    ApiError::internal()
                }
                Some(StaticFileError::PreconditionFailed) => {
                    ApiError::precondition_failed("The file is no longer at the version asked for")
                }
                Some(StaticFileError::RangeNotSatisfiable { size }) => ApiError::new(
                    poem::http::StatusCode::RANGE_NOT_SATISFIABLE,
                    "RangeNotSatisfiableError",
                    "RANGE_NOT_SATISFIABLE",
                    format!("The range is outside the file's {size} bytes"),
                ),
                // Not found, a path leaving the folder, an invalid path.
                _ => ApiError::endpoint_not_found(method.as_str(), &path),
            }
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use poem::http::Method;
    use poem::{Endpoint as _, Request};

    use crate::RestApi;

    async fn send(method: Method, uri: &str) -> (u16, Option<String>, String) {
        let dir = std::env::temp_dir().join(format!("portico-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder");
        std::fs::write(dir.join("index.html"), "<h1>home</h1>").expect("a page");
        let endpoint = RestApi::new("files", "1")
            .static_files(&dir)
            .into_endpoint()
            .expect("an API");
        let request = Request::builder().method(method).uri_str(uri).finish();
        let response = endpoint.call(request).await.expect("a response");
        let status = response.status().as_u16();
        let content_type = response.content_type().map(str::to_owned);
        let body = response.into_body().into_string().await.expect("a body");
        (status, content_type, body)
    }

    #[tokio::test]
    async fn the_home_page_and_loopbacks_404_for_the_rest() {
        let (status, content_type, body) = send(Method::GET, "/").await;
        assert_eq!((status, body.as_str()), (200, "<h1>home</h1>"));
        assert!(content_type.is_some_and(|t| t.starts_with("text/html")));
        let (status, _, body) = send(Method::HEAD, "/").await;
        assert_eq!((status, body.as_str()), (200, ""));
        // Another verb, a missing file, a path leaving the folder: LoopBack's 404, the folder
        // never named.
        for (method, uri) in [
            (Method::POST, "/nope"),
            (Method::DELETE, "/"),
            (Method::GET, "/missing.txt"),
            (Method::GET, "/../../etc/passwd"),
            (Method::GET, "/%2e%2e/%2e%2e/etc/passwd"),
        ] {
            let (status, _, body) = send(method.clone(), uri).await;
            assert_eq!(status, 404, "{method} {uri}: {body}");
            assert!(
                body.contains("ENDPOINT_NOT_FOUND"),
                "{method} {uri}: {body}"
            );
            assert!(!body.contains("portico-files"), "{method} {uri}: {body}");
        }
    }
}
