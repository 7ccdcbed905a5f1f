//! # portico-auth
//!
//! Authentication for Portico, LoopBack 4's `@loopback/authentication-jwt` in Rust:
//!
//! - [`JwtService`] ([`jwt`]) — issues JWT bearer tokens for a [`Principal`] and verifies them
//!   as the [`TokenVerifier`] port the HTTP adapter hands bearer tokens to. One algorithm is
//!   pinned (HMAC `HS256`/`HS384`/`HS512`, or RSA, ECDSA or Ed25519 from PEM keys); failures
//!   carry node `jsonwebtoken`'s reasons (`jwt expired`, `invalid signature`, …).
//! - [`Passwords`] ([`passwords`]) — argon2id password hashes (PHC strings), verification of
//!   LoopBack's bcryptjs hashes with a rehash hint, and [`Passwords::verify_unknown`] so a login
//!   for an unknown account takes as long as one for a known account.
//! - [`Accounts`] ([`accounts`]) — the component an app mounts: `User` and
//!   `UserCredentials`, `POST /signup`, `POST /users/login`, `GET /whoAmI` and the API's token
//!   verifier (LoopBack's `todo-jwt` `UserController`).
//! - [`LoginThrottle`] ([`throttle`]) — failed logins counted per account and per client
//!   address, refused with `Error::TooManyAttempts` past a [`Limit`].
//!
//! ## Configuration
//!
//! [`JwtConfig::from_env`] reads:
//!
//! | variable | meaning |
//! |---|---|
//! | `JWT_SECRET` | the HMAC secret, at least 32 bytes (required for `HS*`) |
//! | `JWT_ALGORITHM` | the pinned algorithm, `HS256` by default |
//! | `JWT_PRIVATE_KEY_FILE`, `JWT_PUBLIC_KEY_FILE` | PEM key files, for `RS*`, `PS*`, `ES256`, `ES384`, `EdDSA` |
//! | `JWT_EXPIRES_IN` | token lifetime in seconds, 21600 (LoopBack's six hours) by default |
//! | `JWT_ISSUER`, `JWT_AUDIENCE` | `iss` and `aud`, issued and then required |
//! | `PORTICO_DEVELOPMENT` | `1` or `true`: without `JWT_SECRET`, LoopBack's development secret `myjwts3cr3t` is used (and [`JwtConfig::used_development_secret`] says so, for the app to warn); a short secret is accepted |
//!
//! Outside development mode a missing or short secret is an error naming `JWT_SECRET`: a
//! server never starts with a guessable key.
//!
//! Errors are the domain's: `Error::Unauthenticated(AuthFailure::…)`, `Error::AccessDenied`,
//! `Error::TooManyAttempts { retry_after_secs }`; the HTTP adapter maps them to 401, 403 and
//! 429.
//!
//! [`Principal`]: portico_ports::Principal
//! [`TokenVerifier`]: portico_ports::TokenVerifier
#![warn(missing_docs)]

pub mod accounts;
pub mod jwt;
pub mod passwords;
pub mod throttle;

pub use accounts::{Accounts, User, UserCredentials};
pub use jwt::{Algorithm, JwtConfig, JwtConfigError, JwtService};
pub use passwords::{PasswordParams, Passwords, Verification};
pub use throttle::{Limit, LoginThrottle, ThrottleConfig, account_key, address_key};
