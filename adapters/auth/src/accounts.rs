//! [`Accounts`]: user accounts with passwords and JWT bearer tokens, as one component —
//! LoopBack's `@loopback/authentication-jwt` (`User`, `UserCredentials`, `JWTService`,
//! `MyUserService`) and the `UserController` of its `todo-jwt` example, redone.
//!
//! | route | access | answer |
//! |---|---|---|
//! | `POST /signup` `{email, password}` | public | 200, the user (no password) |
//! | `POST /users/login` `{email, password}` | public | 200 `{token}`; 401 `Invalid email or password.`; 429 with `Retry-After` |
//! | `GET /whoAmI` | authenticated | 200, the caller's id (text) |
//! | `GET /users` | role `admin` | 200, the users |
//!
//! Mounting it sets the API's token verifier ([`RestApi::authentication`]), so every other
//! operation of the app needs a token unless given an access of its own.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use poem::Request;
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{Object, OpenApi, Tags};
use portico_domain::{AuthFailure, Entity, Error, Filter, ModelDef, Patch};
use portico_http::{Access, ApiError, Caller, Model, RestApi};
use portico_ports::{EntityRepository as _, Principal, Repository, TokenVerifier};
use portico_server::{Component, Context};
use uuid::Uuid;

use crate::jwt::JwtService;
use crate::passwords::{Passwords, Verification};
use crate::throttle::{LoginThrottle, ThrottleConfig, account_key, address_key};

/// A user account (LoopBack's `User` of `@loopback/authentication-jwt`). Its password lives
/// apart, in [`UserCredentials`].
#[derive(Entity, Clone, Debug, PartialEq)]
#[portico(description = "A user account")]
pub struct User {
    /// The id, a UUID the kit generates.
    #[portico(id, generated)]
    pub id: Option<Uuid>,
    /// The user's email: how they log in (one `@`, no spaces: the signup's own rule).
    #[portico(unique, pattern = r"^[^@\s]+@[^@\s]+$", length(max = 254))]
    pub email: String,
    /// A display name.
    #[portico(length(max = 100))]
    pub username: Option<String>,
    /// Whether the email was verified.
    pub email_verified: Option<bool>,
    /// The user's roles (`admin`, …): set by operators, never by signup.
    pub roles: Option<Vec<String>>,
}

/// A user's password hash (LoopBack's `UserCredentials`): argon2id, or a bcrypt hash moved
/// from LoopBack (rehashed at the next login). Never served.
#[derive(Entity, Clone, Debug, PartialEq)]
#[portico(description = "A user's password hash")]
pub struct UserCredentials {
    /// The id, a UUID the kit generates.
    #[portico(id, generated)]
    pub id: Option<Uuid>,
    /// The password's hash, a PHC string (`$argon2id$…`) or bcrypt's (`$2a$…`).
    #[portico(hidden)]
    pub password: String,
    /// The user it belongs to.
    #[portico(unique)]
    pub user_id: Uuid,
}

/// The accounts component (see the module docs): signup, login, `whoAmI`, and the token
/// verifier of the whole API.
#[derive(Clone)]
pub struct Accounts {
    jwt: Arc<JwtService>,
    passwords: Arc<Passwords>,
    throttle: Arc<LoginThrottle>,
    trusted_proxies: usize,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts").finish_non_exhaustive()
    }
}

impl Accounts {
    /// Accounts issuing and verifying tokens with `jwt`, hashing with argon2id, and throttling
    /// logins with the default limits ([`ThrottleConfig::default`]).
    pub fn new(jwt: JwtService) -> Self {
        Accounts {
            jwt: Arc::new(jwt),
            passwords: Arc::new(Passwords::new()),
            throttle: Arc::new(LoginThrottle::new(ThrottleConfig::default())),
            trusted_proxies: 0,
        }
    }

    /// Behind `count` proxies of your own (a load balancer: 1), login throttling counts
    /// failures per client address as the nearest proxy saw it, from `X-Forwarded-For`
    /// (each proxy appends the address it was called from; the client's is the `count`th from
    /// the right). Default 0: the TCP peer, and `X-Forwarded-For` — which any client can
    /// write — is ignored. Without it, behind a proxy every client shares the proxy's address.
    pub fn trusted_proxies(mut self, count: usize) -> Self {
        self.trusted_proxies = count;
        self
    }

    /// With these login limits.
    pub fn throttle(mut self, config: ThrottleConfig) -> Self {
        self.throttle = Arc::new(LoginThrottle::new(config));
        self
    }

    /// With this password hasher (e.g. cheaper parameters in tests).
    pub fn passwords(mut self, passwords: Passwords) -> Self {
        self.passwords = Arc::new(passwords);
        self
    }

    /// The token service, e.g. to issue a token in a test.
    pub fn jwt(&self) -> &JwtService {
        &self.jwt
    }
}

#[async_trait::async_trait]
impl Component for Accounts {
    fn name(&self) -> &str {
        "accounts"
    }

    fn models(&self) -> Vec<&'static ModelDef> {
        vec![User::definition(), UserCredentials::definition()]
    }

    fn mount(&self, api: RestApi, ctx: &Context) -> Result<RestApi, Error> {
        let controller = UserController {
            users: ctx.repository::<User>()?,
            credentials: ctx.repository::<UserCredentials>()?,
            accounts: self.clone(),
        };
        let verifier: Arc<dyn TokenVerifier> = self.jwt.clone();
        Ok(api
            .authentication(verifier)
            .api(controller)
            .operation_access("UserController.signup", Access::Public)
            .operation_access("UserController.login", Access::Public)
            .operation_access("UserController.find", Access::roles(["admin"])))
    }
}

/// Groups the operations in the explorer.
#[derive(Tags)]
enum Controllers {
    /// Accounts: signup, login and the caller.
    UserController,
}

/// A signup: the account and its password (LoopBack's `NewUserRequest`).
#[derive(Object, Debug)]
pub struct NewUserRequest {
    /// The email to log in with.
    #[oai(validator(max_length = 254, pattern = r"^[^@\s]+@[^@\s]+$"))]
    pub email: String,
    /// The password: 8 to 128 characters.
    #[oai(validator(min_length = 8, max_length = 128))]
    pub password: String,
}

/// A login (LoopBack's `CredentialsRequestBody`).
#[derive(Object, Debug)]
pub struct Credentials {
    /// The account's email.
    #[oai(validator(max_length = 254))]
    pub email: String,
    /// Its password.
    #[oai(validator(max_length = 128))]
    pub password: String,
}

/// A login's answer.
#[derive(Object, Debug)]
pub struct Token {
    /// The bearer token (`Authorization: Bearer <token>`).
    pub token: String,
}

struct UserController {
    users: Repository<User>,
    credentials: Repository<UserCredentials>,
    accounts: Accounts,
}

#[OpenApi(tag = "Controllers::UserController")]
impl UserController {
    /// Creates an account; the password is stored as an argon2id hash.
    #[oai(
        path = "/signup",
        method = "post",
        operation_id = "UserController.signup"
    )]
    async fn signup(&self, body: Json<NewUserRequest>) -> Result<Json<Model<User>>, ApiError> {
        let NewUserRequest { email, password } = body.0;
        let hash = self.hash(password).await?;
        let user = self
            .users
            .create(User {
                id: None,
                email,
                username: None,
                email_verified: None,
                roles: None,
            })
            .await?;
        let user_id = user.id.ok_or_else(|| Error::backend(missing("user id")))?;
        let credentials = UserCredentials {
            id: None,
            password: hash,
            user_id,
        };
        if let Err(error) = self.credentials.create(credentials).await {
            // No account without a password: undo the first write.
            let _ = self.users.delete_by_id(user_id).await;
            return Err(error.into());
        }
        Ok(Json(Model(user)))
    }

    /// Logs in: a bearer token for the account, or 401 `Invalid email or password.` (the
    /// same, in the same time, for an unknown account). Too many failures for the account or
    /// from the address are 429 with `Retry-After`.
    #[oai(
        path = "/users/login",
        method = "post",
        operation_id = "UserController.login"
    )]
    async fn login(&self, req: &Request, body: Json<Credentials>) -> Result<Json<Token>, ApiError> {
        let Credentials { email, password } = body.0;
        let account = account_key(&email);
        let address = address_key(&client_address(req, self.accounts.trusted_proxies));
        let keys = [account.as_str(), address.as_str()];
        let throttle = &self.accounts.throttle;
        throttle.check(&keys, Instant::now())?;
        match self.verify(&email, password).await? {
            Some(user) => {
                throttle.record_success(&keys);
                let principal = principal_of(&user)?;
                let token = self.accounts.jwt.issue_now(&principal)?;
                Ok(Json(Token { token }))
            }
            None => {
                throttle.record_failure(&keys, Instant::now());
                Err(Error::Unauthenticated(AuthFailure::InvalidCredentials).into())
            }
        }
    }

    /// The caller's id (LoopBack's `whoAmI`: the profile's `securityId`).
    #[oai(
        path = "/whoAmI",
        method = "get",
        operation_id = "UserController.whoAmI"
    )]
    async fn who_am_i(&self, caller: Caller) -> PlainText<String> {
        PlainText(caller.0.id)
    }

    /// Every account (for administrators).
    #[oai(path = "/users", method = "get", operation_id = "UserController.find")]
    async fn find(&self) -> Result<Json<Vec<Model<User>>>, ApiError> {
        let users = self.users.find(Filter::new()).await?;
        Ok(Json(users.into_iter().map(Model).collect()))
    }
}

impl UserController {
    /// An argon2id hash of `password`, off the request threads (it takes tens of ms by
    /// design).
    async fn hash(&self, password: String) -> Result<String, ApiError> {
        let passwords = Arc::clone(&self.accounts.passwords);
        tokio::task::spawn_blocking(move || passwords.hash(&password))
            .await
            .map_err(|e| Error::backend(e.to_string()))?
            .map_err(ApiError::from)
    }

    /// The account `email` and `password` name, if they match; its hash renewed when weaker
    /// than today's. An unknown account costs one verification too.
    async fn verify(&self, email: &str, password: String) -> Result<Option<User>, ApiError> {
        let f = User::FIELDS;
        let user = self
            .users
            .find_one(Filter::new().where_(f.email.eq(email.to_owned())))
            .await?;
        let credentials = match &user {
            Some(User { id: Some(id), .. }) => {
                let c = UserCredentials::FIELDS;
                self.credentials
                    .find_one(Filter::new().where_(c.user_id.eq(*id)))
                    .await?
            }
            _ => None,
        };
        let passwords = Arc::clone(&self.accounts.passwords);
        let stored = credentials.as_ref().map(|c| c.password.clone());
        let checked = password.clone();
        let verification = tokio::task::spawn_blocking(move || match stored {
            Some(stored) => passwords.verify(&checked, &stored),
            None => {
                // As long as a known account's check, and never valid.
                let _ = passwords.verify_unknown(&checked);
                Verification::Invalid
            }
        })
        .await
        .map_err(|e| Error::backend(e.to_string()))?;
        match (verification, user, credentials) {
            (Verification::Valid { rehash }, Some(user), Some(credentials)) => {
                if rehash && let Some(id) = credentials.id {
                    let hash = self.hash(password).await?;
                    let c = UserCredentials::FIELDS;
                    // A failed rehash leaves the old hash, which still verifies.
                    let _ = self
                        .credentials
                        .update_by_id(id, Patch::new().set(c.password, hash))
                        .await;
                }
                Ok(Some(user))
            }
            _ => Ok(None),
        }
    }
}

/// The principal a user's token stands for.
fn principal_of(user: &User) -> Result<Principal, Error> {
    let id = user.id.ok_or_else(|| Error::backend(missing("user id")))?;
    let mut principal = Principal::new(id.to_string())
        .with_email(user.email.clone())
        .with_roles(user.roles.clone().unwrap_or_default());
    if let Some(name) = &user.username {
        principal = principal.with_name(name.clone());
    }
    Ok(principal)
}

/// The address a request came from: the TCP peer, or behind `trusted_proxies` proxies the
/// address the nearest one saw (see [`Accounts::trusted_proxies`]); the peer when the header
/// has fewer entries than there are proxies.
fn client_address(req: &Request, trusted_proxies: usize) -> String {
    let peer = || {
        req.remote_addr()
            .as_socket_addr()
            .map(|a| a.ip())
            .map_or_else(|| "unknown".to_owned(), |ip: IpAddr| ip.to_string())
    };
    if trusted_proxies == 0 {
        return peer();
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .collect();
    forwarded
        .len()
        .checked_sub(trusted_proxies)
        .and_then(|i| forwarded.get(i))
        .map_or_else(peer, |a| (*a).to_owned())
}

fn missing(what: &str) -> portico_domain::error::Message {
    portico_domain::error::Message(format!("the store returned no {what}"))
}

#[cfg(test)]
mod tests {
    use poem::Request;

    use super::client_address;

    #[test]
    fn the_client_address_is_the_peer_unless_proxies_are_trusted() {
        let req = Request::builder()
            .header("x-forwarded-for", "203.0.113.9, 10.0.0.2")
            .header("x-forwarded-for", "10.0.0.3")
            .finish();
        // Built in process, the request has no socket peer.
        assert_eq!(client_address(&req, 0), "unknown");
        assert_eq!(client_address(&req, 1), "10.0.0.3");
        assert_eq!(client_address(&req, 3), "203.0.113.9");
        assert_eq!(
            client_address(&req, 4),
            "unknown",
            "fewer entries than proxies"
        );
        let none = Request::builder().finish();
        assert_eq!(client_address(&none, 1), "unknown");
    }
}
