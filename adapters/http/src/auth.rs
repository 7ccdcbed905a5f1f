//! Authentication and authorization of every operation, from the policy values the document
//! is written from.
//!
//! Each operation has one [`Access`] (its own, its resource's for its kind, or the API's
//! default). The router wraps the operation's endpoint in a [`Guarded`] endpoint holding that
//! value, and the document writes the operation's `security` and its 401/403 responses from
//! the same value ([`Policy`]), so what is documented is what is enforced. A public operation
//! without a verifier configured costs nothing: it is mounted unwrapped.

use std::sync::Arc;

use poem::endpoint::BoxEndpoint;
use poem::http::{Method, header};
use poem::{Endpoint, EndpointExt, FromRequest, IntoResponse, Request, RequestBody, Response};
use portico_domain::{AuthFailure, Error};
use portico_ports::Scope;
use portico_ports::auth::{
    Access, Authorization, OperationKind, Principal, TokenVerifier, bearer_token,
};
use serde_json::{Value as Json, json};

use crate::error::ApiError;

/// The name of the security scheme in `components.securitySchemes`: LoopBack's JWT
/// extension's (`jwt`).
pub(crate) const SCHEME: &str = "jwt";

/// What every guard of an API shares: the token verifier, how votes combine, and the owned
/// models every caller's [`Scope`] restricts (`None` when the API owns none).
pub(crate) struct Security {
    pub(crate) verifier: Option<Arc<dyn TokenVerifier>>,
    pub(crate) authorization: Authorization,
    pub(crate) owned: Option<Scope>,
}

impl Security {
    /// The `components.securitySchemes` entry, when tokens are verified.
    pub(crate) fn schemes(&self) -> Option<Json> {
        self.verifier
            .as_ref()
            .map(|_| json!({ SCHEME: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"} }))
    }

    /// The caller of `req`: `Ok(None)` when none is needed and none is given.
    ///
    /// On an operation that needs one, a missing or malformed header or a token that does not
    /// verify is the 401 naming why. On a public one, credentials are optional: a valid token
    /// makes the caller known (to custom handlers), an invalid one is ignored.
    async fn caller(&self, req: &Request, required: bool) -> Result<Option<Principal>, Error> {
        let header = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap_or("\u{0}"));
        let Some(verifier) = &self.verifier else {
            return if required {
                Err(Error::Unauthenticated(AuthFailure::MissingCredentials))
            } else {
                Ok(None)
            };
        };
        if !required && header.is_none() {
            return Ok(None);
        }
        let verified = match bearer_token(header) {
            Ok(token) => verifier.verify(token).await.map(Some),
            Err(failure) => Err(Error::Unauthenticated(failure)),
        };
        match verified {
            Ok(principal) => Ok(principal),
            Err(error) if required => Err(error),
            Err(_) => Ok(None),
        }
    }

    fn scope(&self, caller: Option<&Principal>) -> Option<Arc<Scope>> {
        let owned = self.owned.as_ref()?;
        Some(Arc::new(owned.for_owner(caller.map(|p| p.id.as_str()))))
    }
}

/// A resource's own access for its reading and its writing routes (`None`: the API's
/// default).
#[derive(Debug, Clone, Default)]
pub(crate) struct KindAccess {
    read: Option<Access>,
    write: Option<Access>,
}

impl KindAccess {
    /// Sets the access of the routes of `kind`, or of all when `None`.
    pub(crate) fn set(&mut self, kind: Option<OperationKind>, access: Access) {
        match kind {
            Some(OperationKind::Read) => self.read = Some(access),
            Some(OperationKind::Write) => self.write = Some(access),
            None => {
                self.read = Some(access.clone());
                self.write = Some(access);
            }
        }
    }

    /// The access of the routes of `kind`, when the resource has one.
    pub(crate) fn of(&self, kind: OperationKind) -> Option<&Access> {
        match kind {
            OperationKind::Read => self.read.as_ref(),
            OperationKind::Write => self.write.as_ref(),
        }
    }
}

/// The policy of one operation: its access, and what a voter is told about it.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    /// Who may call it.
    pub(crate) access: Access,
    /// The model's name for generated routes, the path for others.
    pub(crate) resource: String,
    /// The operation id.
    pub(crate) operation: String,
    /// Whether it reads or writes.
    pub(crate) kind: OperationKind,
}

impl Policy {
    /// The operation object's `security`: the bearer scheme when a caller is needed; none
    /// when public.
    pub(crate) fn security(&self) -> Option<Json> {
        self.access
            .requires_authentication()
            .then(|| json!([{ SCHEME: [] }]))
    }

    /// The error statuses the policy adds to an operation, with when.
    pub(crate) fn errors(&self) -> Vec<(u16, &'static str)> {
        let mut errors = Vec::new();
        if self.access.requires_authentication() {
            errors.push((
                401,
                "no valid bearer token (`Authorization: Bearer <token>`): missing, malformed, expired or not signed by this service",
            ));
        }
        if self.access.may_deny() {
            errors.push((403, "the caller is not allowed this operation"));
        }
        errors
    }

    /// Adds `security` and the 401/403 responses to an operation object.
    pub(crate) fn document(&self, operation: &mut Json) {
        let Some(op) = operation.as_object_mut() else {
            return;
        };
        if let Some(security) = self.security() {
            op.insert("security".into(), security);
        }
        if let Some(responses) = op.get_mut("responses").and_then(Json::as_object_mut) {
            for (status, description) in self.errors() {
                responses.entry(status.to_string()).or_insert_with(|| {
                    json!({"description": description, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{}", crate::openapi::ERROR_SCHEMA)}}}})
                });
            }
        }
    }
}

/// `endpoint` (one operation) behind `policy`: unwrapped when there is nothing to check or
/// attach.
pub(crate) fn guard(
    endpoint: BoxEndpoint<'static, Response>,
    security: &Arc<Security>,
    policy: Policy,
) -> BoxEndpoint<'static, Response> {
    guard_methods(endpoint, security, vec![(None, policy)])
}

/// `endpoint` (serving several verbs) behind the policy of each verb (`None`: any other verb;
/// `HEAD` follows `GET`): unwrapped when there is nothing to check or attach.
pub(crate) fn guard_methods(
    endpoint: BoxEndpoint<'static, Response>,
    security: &Arc<Security>,
    policies: Vec<(Option<Method>, Policy)>,
) -> BoxEndpoint<'static, Response> {
    let idle = policies
        .iter()
        .all(|(_, p)| !p.access.requires_authentication());
    if idle && security.verifier.is_none() && security.owned.is_none() {
        return endpoint;
    }
    Guarded {
        inner: endpoint,
        security: Arc::clone(security),
        policies,
    }
    .boxed()
}

/// An endpoint behind its policies: the caller is authenticated and authorized first, then
/// travels in the request's extensions ([`Caller`]) with its [`Scope`].
struct Guarded {
    inner: BoxEndpoint<'static, Response>,
    security: Arc<Security>,
    policies: Vec<(Option<Method>, Policy)>,
}

impl Guarded {
    fn policy(&self, method: &Method) -> Option<&Policy> {
        let method = if *method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        self.policies
            .iter()
            .find(|(m, _)| m.as_ref() == Some(method))
            .or_else(|| self.policies.iter().find(|(m, _)| m.is_none()))
            .map(|(_, policy)| policy)
    }
}

impl Endpoint for Guarded {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let Some(policy) = self.policy(req.method()) else {
            // A verb the route does not serve: its own 405 answers.
            return Box::pin(self.inner.call(req)).await;
        };
        let access = &policy.access;
        let decided = match self
            .security
            .caller(&req, access.requires_authentication())
            .await
        {
            Ok(caller) => self
                .security
                .authorization
                .decide(
                    access,
                    caller.as_ref(),
                    &policy.resource,
                    &policy.operation,
                    policy.kind,
                )
                .await
                .map(|()| caller),
            Err(error) => Err(error),
        };
        let caller = match decided {
            Ok(caller) => caller,
            Err(error) => return Ok(ApiError::from(error).into_response()),
        };
        if let Some(scope) = self.security.scope(caller.as_ref()) {
            req.extensions_mut().insert(scope);
        }
        if let Some(principal) = caller {
            req.extensions_mut().insert(Caller(principal));
        }
        Box::pin(self.inner.call(req)).await
    }
}

/// The authenticated caller of an operation, for custom handlers: an extractor
/// (`caller: Caller` in a poem-openapi operation or a poem handler). On an operation whose
/// policy needs a caller it is always there; elsewhere, ask for `Option<Caller>` (a public
/// operation knows its caller when a valid token came). Without one, 401 `Authorization
/// header not found.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller(pub Principal);

impl<'a> FromRequest<'a> for Caller {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        req.extensions().get::<Caller>().cloned().ok_or_else(|| {
            ApiError::from(Error::Unauthenticated(AuthFailure::MissingCredentials)).into()
        })
    }
}

/// The row-level scope of a request, when the API owns models (see
/// [`CrudResource::owned_by`](crate::CrudResource::owned_by)).
pub(crate) fn request_scope(req: &Request) -> Option<Arc<Scope>> {
    req.extensions().get::<Arc<Scope>>().cloned()
}

/// The caller's row-level [`Scope`], for custom handlers (an extractor, like [`Caller`]):
/// `repository.scoped(scope.0)` acts for the caller only, as the generated routes of owned
/// resources do. Empty (restricting nothing) when the API owns no model.
#[derive(Debug, Clone)]
pub struct CallerScope(pub Arc<Scope>);

impl<'a> FromRequest<'a> for CallerScope {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(CallerScope(
            request_scope(req).unwrap_or_else(|| Arc::new(Scope::of(None))),
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use poem::EndpointExt as _;
    use poem_openapi::OpenApi;
    use poem_openapi::payload::PlainText;
    use portico_ports::auth::{Access, Principal};
    use serde_json::json;

    use super::Caller;
    use crate::RestApi;
    use crate::testing::{Method, StaticTokens, call};

    struct Greetings;

    #[OpenApi]
    impl Greetings {
        /// Greets the caller.
        #[oai(path = "/me", method = "get", operation_id = "Greetings.me")]
        async fn me(&self, caller: Caller) -> PlainText<String> {
            PlainText(caller.0.name.unwrap_or_default())
        }

        /// Greets anyone, by name when known.
        #[oai(path = "/hello", method = "get", operation_id = "Greetings.hello")]
        async fn hello(&self, caller: Option<Caller>) -> PlainText<String> {
            PlainText(caller.map_or("stranger".to_owned(), |c| c.0.id))
        }
    }

    #[tokio::test]
    async fn custom_handlers_get_the_caller_a_test_token_stands_for() {
        let tokens = StaticTokens::new().token("t1", Principal::new("42").with_name("Ada"));
        let api = RestApi::new("greetings", "1")
            .authentication(Arc::new(tokens))
            .api(Greetings)
            .operation_access("Greetings.hello", Access::Public)
            .into_endpoint()
            .expect("an API");
        let me = call(
            &api,
            Method::GET,
            "/me",
            &[("authorization", "Bearer t1")],
            None,
        )
        .await;
        assert_eq!((me.status, me.body), (200, json!("Ada")));
        let anonymous = call(&api, Method::GET, "/me", &[], None).await;
        assert_eq!(anonymous.status, 401);
        assert_eq!(
            anonymous.body["error"]["message"],
            "Authorization header not found."
        );
        let known = call(
            &api,
            Method::GET,
            "/hello",
            &[("authorization", "Bearer t1")],
            None,
        )
        .await;
        // (The text `42` reads back as the JSON number.)
        assert_eq!(known.body, json!(42));
        // On a public operation a bad token is no caller, not an error.
        let bad = call(
            &api,
            Method::GET,
            "/hello",
            &[("authorization", "Bearer nope")],
            None,
        )
        .await;
        assert_eq!((bad.status, bad.body), (200, json!("stranger")));
    }

    #[tokio::test]
    async fn a_public_route_is_protected_by_its_operation_id() {
        let ping = || poem::endpoint::make_sync(|_| "pong").map_to_response();
        let item = json!({"get": {"operationId": "PingController.ping", "responses": {"200": {"description": "pong"}}}});
        let api = |protect: bool| {
            let api = RestApi::new("ping", "1")
                .authentication(Arc::new(StaticTokens::new()))
                .public_route("/ping", ping(), Some(item.clone()));
            let api = if protect {
                api.operation_access("PingController.ping", Access::Authenticated)
            } else {
                api
            };
            api.into_endpoint().expect("an API")
        };
        assert_eq!(
            call(&api(false), Method::GET, "/ping", &[], None)
                .await
                .status,
            200
        );
        assert_eq!(
            call(&api(true), Method::GET, "/ping", &[], None)
                .await
                .status,
            401
        );
    }

    #[test]
    fn policies_nothing_enforces_are_refused() {
        let refused = RestApi::new("greetings", "1")
            .default_access(Access::Authenticated)
            .api(Greetings)
            .into_endpoint()
            .err();
        assert!(
            matches!(refused, Some(crate::BuildError::NoAuthentication(_))),
            "{refused:?}"
        );
        let unknown = RestApi::new("greetings", "1")
            .authentication(Arc::new(StaticTokens::new()))
            .operation_access("Greetings.nothing", Access::Public)
            .api(Greetings)
            .into_endpoint()
            .err();
        assert!(
            matches!(unknown, Some(crate::BuildError::UnknownOperation(_))),
            "{unknown:?}"
        );
    }
}
