//! Who calls and what they may do: the [`Principal`], the [`Access`] policy of an operation,
//! [`Voter`]s and their combination (LoopBack's `@loopback/authorization`: ALLOW / DENY /
//! ABSTAIN, `precedence`, `defaultDecision`), and [`TokenVerifier`], the port a transport
//! hands a caller's bearer token to.
//!
//! Policies are values: the HTTP adapter enforces them and writes the OpenAPI document's
//! `security` from the same values, so what is documented is what is enforced.

use std::sync::Arc;

use async_trait::async_trait;
use portico_domain::{AuthFailure, Error, Result};

/// An authenticated caller: LoopBack's `UserProfile` (`securityId`, `name`, `email`), with
/// roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The caller's id (LoopBack's `securityId`): what ownership compares with.
    pub id: String,
    /// A display name.
    pub name: Option<String>,
    /// The caller's email.
    pub email: Option<String>,
    /// The caller's roles, for [`Access::Roles`].
    pub roles: Vec<String>,
}

impl Principal {
    /// A principal with this id, no name, email or roles.
    pub fn new(id: impl Into<String>) -> Self {
        Principal {
            id: id.into(),
            name: None,
            email: None,
            roles: Vec::new(),
        }
    }

    /// With a name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// With an email.
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// With these roles.
    pub fn with_roles(mut self, roles: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// Whether the principal has role `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// A voter's answer (LoopBack's `AuthorizationDecision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The operation may run.
    Allow,
    /// The operation must not run.
    Deny,
    /// No opinion: the others, or the default decision, decide.
    Abstain,
}

/// Whether an operation reads or writes: what policies per operation kind distinguish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    /// It changes nothing.
    Read,
    /// It creates, changes or deletes.
    Write,
}

/// What a [`Voter`] is asked about: who calls which operation of which resource.
#[derive(Debug, Clone, Copy)]
pub struct AccessRequest<'a> {
    /// The caller.
    pub principal: &'a Principal,
    /// The resource: the model's name for generated routes (`Todo`), the path otherwise.
    pub resource: &'a str,
    /// The operation id, e.g. `TodoController.deleteById`.
    pub operation: &'a str,
    /// Whether it reads or writes.
    pub kind: OperationKind,
}

/// Decides about one operation for one caller (LoopBack's `Authorizer` provider).
///
/// ```
/// use portico_ports::auth::{AccessRequest, Decision, OperationKind, Voter};
///
/// /// Only editors write; reads are left to the other voters.
/// struct Editors;
///
/// #[async_trait::async_trait]
/// impl Voter for Editors {
///     async fn vote<'a>(&self, request: &AccessRequest<'a>) -> Decision {
///         match request.kind {
///             OperationKind::Read => Decision::Abstain,
///             OperationKind::Write if request.principal.has_role("editor") => Decision::Allow,
///             OperationKind::Write => Decision::Deny,
///         }
///     }
/// }
/// ```
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Voter: Send + Sync {
    /// The vote on `request`.
    async fn vote<'a>(&self, request: &AccessRequest<'a>) -> Decision;
}

/// Who may call an operation.
#[derive(Clone)]
pub enum Access {
    /// Anyone, without credentials (credentials sent anyway are not checked).
    Public,
    /// Any authenticated caller.
    Authenticated,
    /// An authenticated caller with at least one of these roles; others get 403.
    Roles(Vec<String>),
    /// An authenticated caller the voters allow, combined by [`Authorization`]; others get
    /// 403.
    Voters(Vec<Arc<dyn Voter>>),
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Access::Public => f.write_str("Public"),
            Access::Authenticated => f.write_str("Authenticated"),
            Access::Roles(roles) => f.debug_tuple("Roles").field(roles).finish(),
            Access::Voters(voters) => write!(f, "Voters({})", voters.len()),
        }
    }
}

impl Access {
    /// [`Access::Roles`] of these roles.
    pub fn roles(roles: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Access::Roles(roles.into_iter().map(Into::into).collect())
    }

    /// [`Access::Voters`] of one voter.
    pub fn voter(voter: impl Voter + 'static) -> Self {
        Access::Voters(vec![Arc::new(voter)])
    }

    /// Whether the operation needs an authenticated caller (all but [`Access::Public`]).
    pub fn requires_authentication(&self) -> bool {
        !matches!(self, Access::Public)
    }

    /// Whether the operation can refuse an authenticated caller (403).
    pub fn may_deny(&self) -> bool {
        matches!(self, Access::Roles(_) | Access::Voters(_))
    }
}

/// How voters' answers combine (LoopBack's authorization component options): a vote equal to
/// `precedence` decides at once; otherwise any other non-abstaining vote decides; when every
/// voter abstains, `default_decision` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authorization {
    /// The vote that wins over the others ([`Decision::Allow`] or [`Decision::Deny`]).
    pub precedence: Decision,
    /// The decision when every voter abstains.
    pub default_decision: Decision,
}

impl Default for Authorization {
    /// LoopBack's defaults: `precedence: ALLOW`, `defaultDecision: DENY`.
    fn default() -> Self {
        Authorization {
            precedence: Decision::Allow,
            default_decision: Decision::Deny,
        }
    }
}

impl Authorization {
    /// Decides whether `principal` may run the operation `access` guards.
    ///
    /// # Errors
    /// MUST return `Unauthenticated(MissingCredentials)` when the operation needs a caller and
    /// there is none, `AccessDenied` when the policy refuses the caller.
    pub async fn decide(
        &self,
        access: &Access,
        principal: Option<&Principal>,
        resource: &str,
        operation: &str,
        kind: OperationKind,
    ) -> Result<()> {
        if !access.requires_authentication() {
            return Ok(());
        }
        let Some(principal) = principal else {
            return Err(Error::Unauthenticated(AuthFailure::MissingCredentials));
        };
        let allowed = match access {
            Access::Public | Access::Authenticated => true,
            Access::Roles(roles) => roles.iter().any(|r| principal.has_role(r)),
            Access::Voters(voters) => {
                let request = AccessRequest {
                    principal,
                    resource,
                    operation,
                    kind,
                };
                let mut votes = Vec::with_capacity(voters.len());
                for voter in voters {
                    let vote = voter.vote(&request).await;
                    if vote == self.precedence {
                        votes.clear();
                        votes.push(vote);
                        break;
                    }
                    votes.push(vote);
                }
                self.combine(&votes) == Decision::Allow
            }
        };
        if allowed {
            Ok(())
        } else {
            Err(Error::AccessDenied)
        }
    }

    /// The decision of these votes, in LoopBack's order-independent reading.
    pub fn combine(&self, votes: &[Decision]) -> Decision {
        if votes.contains(&self.precedence) {
            return self.precedence;
        }
        votes
            .iter()
            .copied()
            .find(|v| *v != Decision::Abstain)
            .unwrap_or(self.default_decision)
    }
}

/// The token of an `Authorization` header value, as LoopBack's JWT strategy reads it.
///
/// # Errors
/// `MissingCredentials` without a header, `NotBearer` for another scheme, `TooManyParts` for
/// anything but `Bearer <token>`.
pub fn bearer_token(header: Option<&str>) -> Result<&str, AuthFailure> {
    let Some(value) = header else {
        return Err(AuthFailure::MissingCredentials);
    };
    if !value.starts_with("Bearer") {
        return Err(AuthFailure::NotBearer);
    }
    let mut parts = value.split(' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(token), None) if !token.is_empty() => Ok(token),
        _ => Err(AuthFailure::TooManyParts),
    }
}

/// Turns a caller's bearer token into its [`Principal`]: what a JWT service, an opaque-token
/// store or an identity provider's introspection implements.
///
/// # Errors
/// Every method MUST return `Unauthenticated(InvalidToken(reason))` for a token that does not
/// verify, `Unavailable` when a backend it needs cannot be reached.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait TokenVerifier: Send + Sync {
    /// The principal `token` stands for.
    ///
    /// # Errors
    /// MUST return `Unauthenticated(InvalidToken(reason))` for a malformed, expired, revoked
    /// or wrongly signed token, or one of another algorithm than the verifier's; the reason
    /// as node's `jsonwebtoken` words it where it has a word (`jwt expired`,
    /// `invalid signature`, `jwt malformed`, `invalid algorithm`).
    async fn verify(&self, token: &str) -> Result<Principal>;
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(Decision);

    #[async_trait]
    impl Voter for Fixed {
        async fn vote<'a>(&self, _: &AccessRequest<'a>) -> Decision {
            self.0
        }
    }

    fn voters(votes: &[Decision]) -> Access {
        Access::Voters(
            votes
                .iter()
                .map(|d| Arc::new(Fixed(*d)) as Arc<dyn Voter>)
                .collect(),
        )
    }

    async fn decide(
        authorization: Authorization,
        access: &Access,
        who: Option<&Principal>,
    ) -> Result<()> {
        authorization
            .decide(
                access,
                who,
                "Todo",
                "TodoController.find",
                OperationKind::Read,
            )
            .await
    }

    #[test]
    fn the_decision_matrix_is_loopbacks() {
        use Decision::{Abstain, Allow, Deny};
        let allow_wins = Authorization::default();
        let deny_wins = Authorization {
            precedence: Deny,
            default_decision: Allow,
        };
        // (votes, precedence ALLOW / default DENY, precedence DENY / default ALLOW)
        let cases: &[(&[Decision], Decision, Decision)] = &[
            (&[], Deny, Allow),
            (&[Abstain, Abstain], Deny, Allow),
            (&[Allow], Allow, Allow),
            (&[Deny], Deny, Deny),
            (&[Deny, Allow], Allow, Deny),
            (&[Allow, Deny], Allow, Deny),
            (&[Abstain, Deny], Deny, Deny),
            (&[Abstain, Allow], Allow, Allow),
        ];
        for (votes, first, second) in cases {
            assert_eq!(allow_wins.combine(votes), *first, "{votes:?}");
            assert_eq!(deny_wins.combine(votes), *second, "{votes:?}");
        }
    }

    #[tokio::test]
    async fn policies_need_a_caller_then_the_right_one() {
        let alice = Principal::new("1").with_roles(["admin"]);
        let bob = Principal::new("2");
        let default = Authorization::default();
        assert!(decide(default, &Access::Public, None).await.is_ok());
        assert!(matches!(
            decide(default, &Access::Authenticated, None).await,
            Err(Error::Unauthenticated(AuthFailure::MissingCredentials))
        ));
        assert!(
            decide(default, &Access::Authenticated, Some(&bob))
                .await
                .is_ok()
        );
        let admins = Access::roles(["admin"]);
        assert!(decide(default, &admins, Some(&alice)).await.is_ok());
        assert!(matches!(
            decide(default, &admins, Some(&bob)).await,
            Err(Error::AccessDenied)
        ));
        assert!(matches!(
            decide(default, &voters(&[Decision::Abstain]), Some(&alice)).await,
            Err(Error::AccessDenied)
        ));
        assert!(
            decide(
                default,
                &voters(&[Decision::Deny, Decision::Allow]),
                Some(&bob)
            )
            .await
            .is_ok()
        );
    }

    #[test]
    fn bearer_headers_read_as_loopback_reads_them() {
        assert_eq!(bearer_token(Some("Bearer a.b.c")), Ok("a.b.c"));
        assert_eq!(bearer_token(None), Err(AuthFailure::MissingCredentials));
        assert_eq!(bearer_token(Some("Basic xyz")), Err(AuthFailure::NotBearer));
        assert_eq!(
            bearer_token(Some("Bearerxyz")),
            Err(AuthFailure::TooManyParts)
        );
        assert_eq!(
            bearer_token(Some("Bearer a b")),
            Err(AuthFailure::TooManyParts)
        );
        assert_eq!(bearer_token(Some("Bearer")), Err(AuthFailure::TooManyParts));
        assert_eq!(
            bearer_token(Some("Bearer ")),
            Err(AuthFailure::TooManyParts)
        );
    }
}
