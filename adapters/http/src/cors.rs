//! CORS on every response, LoopBack's way: the caller's origin echoed with credentials
//! allowed, for any origin or for a list. Preflights are answered by each path (`mount.rs`),
//! which knows the verbs it serves: a global answer would advertise verbs nobody serves.

use std::sync::Arc;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::api::CorsPolicy;
use crate::error::ApiError;

/// Response headers browser code may read besides the simple ones: the version of an entity,
/// why a call was not authenticated, and when a throttled one may be retried.
const EXPOSED_HEADERS: &str = "ETag, WWW-Authenticate, Retry-After";

/// True when `policy` lets `origin` call the API.
fn allows(policy: &CorsPolicy, origin: &HeaderValue) -> bool {
    match policy {
        CorsPolicy::AnyOrigin => true,
        CorsPolicy::Origins(origins) => origins.iter().any(|o| o.as_bytes() == origin.as_bytes()),
        CorsPolicy::Disabled => false,
    }
}

/// Calls `endpoint`, adding the CORS headers `policy` grants the request's origin; a request
/// from an origin the policy refuses is answered 403 in LoopBack's envelope. Requests without
/// `Origin` are not cross-origin and pass unchanged.
pub(crate) async fn apply<E: Endpoint>(
    policy: Arc<CorsPolicy>,
    endpoint: Arc<E>,
    req: Request,
) -> poem::Result<Response> {
    let origin = match req.headers().get(header::ORIGIN) {
        Some(origin) if *policy != CorsPolicy::Disabled => origin.clone(),
        _ => {
            return Box::pin(endpoint.call(req))
                .await
                .map(IntoResponse::into_response);
        }
    };
    if !allows(&policy, &origin) {
        return Ok(ApiError::new(
            StatusCode::FORBIDDEN,
            "ForbiddenError",
            "FORBIDDEN",
            "This origin may not call the API (CORS)",
        )
        .into_response());
    }
    let mut response = Box::pin(endpoint.call(req))
        .await
        .map(IntoResponse::into_response)?;
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED_HEADERS),
    );
    // The answer depends on the origin: caches must keep one per origin.
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    Ok(response)
}
