//! JWT bearer tokens: [`JwtService`] issues them for a [`Principal`] and verifies them as the
//! [`TokenVerifier`] port, LoopBack's `@loopback/authentication-jwt` `JWTService` in Rust.
//!
//! One algorithm is pinned per service ([`JwtConfig::algorithm`]): a token of any other
//! algorithm, `none` included, is refused before its signature is looked at, so no token can
//! choose how it is checked (the algorithm-confusion attacks). Tokens carry LoopBack's claims
//! (`id`, `name`, `email`), plus `roles`, `iat`, `exp` and, when configured, `iss` and `aud`; a
//! token LoopBack issued with the same secret verifies here, and the other way round.
//!
//! Every failure is `Error::Unauthenticated(AuthFailure::InvalidToken(reason))`, the reason
//! worded as node's `jsonwebtoken` words it:
//!
//! | token | reason |
//! |---|---|
//! | not three base64url JSON parts | `jwt malformed` |
//! | `alg: none`, or no signature | `jwt signature is required` |
//! | another algorithm than the pinned one | `invalid algorithm` |
//! | a signature that does not verify | `invalid signature` |
//! | `exp` in the past (beyond the leeway) | `jwt expired` |
//! | `nbf` in the future (beyond the leeway) | `jwt not active` |
//! | `exp` or `nbf` not a number | `invalid exp value`, `invalid nbf value` |
//! | another issuer or audience than configured | `jwt issuer invalid. expected: …`, `jwt audience invalid. expected: …` |
//! | no `exp`, or no (or an empty) `id` claim | `jwt malformed` |

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{AlgorithmFamily, DecodingKey, EncodingKey, Header, Validation};
use portico_domain::{AuthFailure, Error, Result};
use portico_ports::{Principal, TokenVerifier};
use serde::{Deserialize, Serialize};

/// The signing algorithm a [`JwtService`] pins (`jsonwebtoken`'s: `HS256`, `HS384`, `HS512`,
/// `RS256`, `RS384`, `RS512`, `PS256`, `PS384`, `PS512`, `ES256`, `ES384`, `EdDSA`).
pub use jsonwebtoken::Algorithm;

/// LoopBack's default `TOKEN_EXPIRES_IN`: six hours, in seconds.
pub const DEFAULT_EXPIRES_IN_SECS: u64 = 21_600;

/// The clock skew tolerated on `exp` and `nbf` by default, in seconds.
pub const DEFAULT_LEEWAY_SECS: u64 = 30;

/// The shortest HMAC secret accepted outside development mode, in bytes (RFC 7518 §3.2: a key
/// of at least the hash's size, 256 bits for HS256).
pub const MIN_SECRET_LEN: usize = 32;

/// LoopBack's default `TOKEN_SECRET`, used in development mode only
/// ([`JwtConfig::development`]).
pub const DEVELOPMENT_SECRET: &str = "myjwts3cr3t";

/// Why a [`JwtConfig`] cannot be built; each message names the environment variable to fix.
#[derive(Debug, thiserror::Error)]
pub enum JwtConfigError {
    /// No `JWT_SECRET` (nor key files) outside development mode.
    #[error(
        "JWT_SECRET is not set: set it to a random secret of at least {MIN_SECRET_LEN} bytes \
         (or set JWT_ALGORITHM and JWT_PRIVATE_KEY_FILE/JWT_PUBLIC_KEY_FILE for a key pair; \
         PORTICO_DEVELOPMENT=1 uses LoopBack's development secret instead)"
    )]
    MissingSecret,
    /// An HMAC secret shorter than [`MIN_SECRET_LEN`] outside development mode.
    #[error("JWT_SECRET is {len} bytes long; it must be at least {MIN_SECRET_LEN} bytes")]
    SecretTooShort {
        /// The secret's length in bytes.
        len: usize,
    },
    /// `JWT_ALGORITHM` names no supported algorithm.
    #[error(
        "JWT_ALGORITHM `{value}` is not one of HS256, HS384, HS512, RS256, RS384, RS512, \
         PS256, PS384, PS512, ES256, ES384, EdDSA"
    )]
    UnknownAlgorithm {
        /// The value found.
        value: String,
    },
    /// `JWT_EXPIRES_IN` is not a positive whole number of seconds.
    #[error("JWT_EXPIRES_IN must be a whole number of seconds above 0, not `{value}`")]
    InvalidExpiresIn {
        /// The value found.
        value: String,
    },
    /// The key material does not suit the algorithm: a secret for an asymmetric algorithm or
    /// PEM keys for an HMAC one.
    #[error("JWT_ALGORITHM {algorithm:?} needs {needs}")]
    WrongKeyKind {
        /// The pinned algorithm.
        algorithm: Algorithm,
        /// What the algorithm needs, naming the variables.
        needs: &'static str,
    },
    /// A variable is set that the algorithm does not use (`JWT_SECRET` with a key pair, key
    /// files with an HMAC algorithm): refused rather than ignored, so the configuration says
    /// what is used.
    #[error("{variable} is set, but JWT_ALGORITHM {algorithm:?} does not use it")]
    Unused {
        /// The variable set in vain.
        variable: &'static str,
        /// The pinned algorithm.
        algorithm: Algorithm,
    },
    /// An asymmetric algorithm without one of its key files.
    #[error(
        "{variable} is not set: JWT_ALGORITHM {algorithm:?} signs with a PEM key pair \
         (JWT_PRIVATE_KEY_FILE and JWT_PUBLIC_KEY_FILE)"
    )]
    MissingKeyFile {
        /// `JWT_PRIVATE_KEY_FILE` or `JWT_PUBLIC_KEY_FILE`.
        variable: &'static str,
        /// The pinned algorithm.
        algorithm: Algorithm,
    },
    /// A key file cannot be read.
    #[error("{variable} `{}` cannot be read: {source}", path.display())]
    ReadKeyFile {
        /// `JWT_PRIVATE_KEY_FILE` or `JWT_PUBLIC_KEY_FILE`.
        variable: &'static str,
        /// The file's path.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// A key is not a PEM key of the algorithm's family.
    #[error("{variable} does not hold a PEM {family} key for JWT_ALGORITHM {algorithm:?}")]
    InvalidKey {
        /// `JWT_PRIVATE_KEY_FILE` or `JWT_PUBLIC_KEY_FILE`.
        variable: &'static str,
        /// The family expected, e.g. `EC (P-256)`.
        family: &'static str,
        /// The pinned algorithm.
        algorithm: Algorithm,
    },
    /// The public key does not verify what the private key signs.
    #[error(
        "JWT_PUBLIC_KEY_FILE does not verify what JWT_PRIVATE_KEY_FILE signs: the two keys \
         are not one pair for JWT_ALGORITHM {algorithm:?}"
    )]
    KeysDoNotMatch {
        /// The pinned algorithm.
        algorithm: Algorithm,
    },
}

/// The signing and verifying keys of a [`JwtConfig`], parsed.
#[derive(Clone)]
struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// How a [`JwtService`] signs and verifies: the key, the one pinned [`Algorithm`], the tokens'
/// lifetime, the clock skew tolerated, and optionally the issuer and audience.
///
/// Build one with [`JwtConfig::from_env`] / [`JwtConfig::from_lookup`] (what apps do),
/// [`JwtConfig::hmac`], [`JwtConfig::pem`] or [`JwtConfig::development`], then adjust it with
/// the `with_*` methods. `Debug` never shows key material.
#[derive(Clone)]
pub struct JwtConfig {
    keys: Keys,
    algorithm: Algorithm,
    expires_in: u64,
    leeway: u64,
    issuer: Option<String>,
    audience: Option<String>,
    used_development_secret: bool,
}

impl fmt::Debug for JwtConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtConfig")
            .field("keys", &"[redacted]")
            .field("algorithm", &self.algorithm)
            .field("expires_in", &self.expires_in)
            .field("leeway", &self.leeway)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("used_development_secret", &self.used_development_secret)
            .finish()
    }
}

fn is_hmac(algorithm: Algorithm) -> bool {
    algorithm.family() == AlgorithmFamily::Hmac
}

const NEEDS_SECRET: &str = "an HMAC secret (JWT_SECRET)";
const NEEDS_PEM: &str = "a PEM key pair (JWT_PRIVATE_KEY_FILE and JWT_PUBLIC_KEY_FILE)";

impl JwtConfig {
    fn with_keys(keys: Keys, algorithm: Algorithm) -> Self {
        JwtConfig {
            keys,
            algorithm,
            expires_in: DEFAULT_EXPIRES_IN_SECS,
            leeway: DEFAULT_LEEWAY_SECS,
            issuer: None,
            audience: None,
            used_development_secret: false,
        }
    }

    fn hmac_unchecked(algorithm: Algorithm, secret: &[u8]) -> Result<Self, JwtConfigError> {
        if !is_hmac(algorithm) {
            return Err(JwtConfigError::WrongKeyKind {
                algorithm,
                needs: NEEDS_PEM,
            });
        }
        let (Ok(encoding), Ok(decoding)) = (
            EncodingKey::from_secret(secret),
            DecodingKey::from_secret(secret),
        ) else {
            // jsonwebtoken refuses only an empty secret.
            return Err(JwtConfigError::MissingSecret);
        };
        Ok(Self::with_keys(Keys { encoding, decoding }, algorithm))
    }

    /// An HMAC configuration (`HS256`, `HS384`, `HS512`) with this secret and the defaults
    /// (tokens valid [`DEFAULT_EXPIRES_IN_SECS`], [`DEFAULT_LEEWAY_SECS`] of leeway).
    ///
    /// # Errors
    /// [`JwtConfigError::SecretTooShort`] for a secret under [`MIN_SECRET_LEN`] bytes,
    /// [`JwtConfigError::WrongKeyKind`] for an asymmetric algorithm.
    pub fn hmac(algorithm: Algorithm, secret: impl AsRef<[u8]>) -> Result<Self, JwtConfigError> {
        let secret = secret.as_ref();
        if is_hmac(algorithm) && secret.len() < MIN_SECRET_LEN {
            return Err(JwtConfigError::SecretTooShort { len: secret.len() });
        }
        Self::hmac_unchecked(algorithm, secret)
    }

    /// `HS256` with LoopBack's development secret ([`DEVELOPMENT_SECRET`]), for development
    /// only: anyone can forge its tokens. [`JwtConfig::used_development_secret`] is true, so
    /// the app can warn.
    pub fn development() -> Self {
        let mut config = Self::hmac_unchecked(Algorithm::HS256, DEVELOPMENT_SECRET.as_bytes())
            .unwrap_or_else(|_| unreachable!("HS256 with a non-empty secret"));
        config.used_development_secret = true;
        config
    }

    /// An asymmetric configuration from PEM keys: RSA for `RS*`/`PS*`, EC (P-256, P-384) for
    /// `ES256`/`ES384`, Ed25519 for `EdDSA`. The private key is PKCS#8 (or PKCS#1 for RSA),
    /// the public key SPKI (`-----BEGIN PUBLIC KEY-----`). The two are checked to be a pair by
    /// signing and verifying a probe token.
    ///
    /// # Errors
    /// [`JwtConfigError::WrongKeyKind`] for an HMAC algorithm, [`JwtConfigError::InvalidKey`]
    /// for a key that is not a PEM key of the algorithm's family,
    /// [`JwtConfigError::KeysDoNotMatch`] when the keys are not one pair.
    pub fn pem(
        algorithm: Algorithm,
        private_pem: impl AsRef<[u8]>,
        public_pem: impl AsRef<[u8]>,
    ) -> Result<Self, JwtConfigError> {
        let (private_pem, public_pem) = (private_pem.as_ref(), public_pem.as_ref());
        let family = match algorithm.family() {
            AlgorithmFamily::Hmac => {
                return Err(JwtConfigError::WrongKeyKind {
                    algorithm,
                    needs: NEEDS_SECRET,
                });
            }
            AlgorithmFamily::Rsa => "RSA",
            AlgorithmFamily::Ec if algorithm == Algorithm::ES384 => "EC (P-384)",
            AlgorithmFamily::Ec => "EC (P-256)",
            AlgorithmFamily::Ed => "Ed25519",
        };
        let invalid = |variable| JwtConfigError::InvalidKey {
            variable,
            family,
            algorithm,
        };
        let (encoding, decoding) = match algorithm.family() {
            AlgorithmFamily::Rsa => (
                EncodingKey::from_rsa_pem(private_pem),
                DecodingKey::from_rsa_pem(public_pem),
            ),
            AlgorithmFamily::Ec => (
                EncodingKey::from_ec_pem(private_pem),
                DecodingKey::from_ec_pem(public_pem),
            ),
            _ => (
                EncodingKey::from_ed_pem(private_pem),
                DecodingKey::from_ed_pem(public_pem),
            ),
        };
        let encoding = encoding.map_err(|_| invalid("JWT_PRIVATE_KEY_FILE"))?;
        let decoding = decoding.map_err(|_| invalid("JWT_PUBLIC_KEY_FILE"))?;
        let config = Self::with_keys(Keys { encoding, decoding }, algorithm);
        // The PEM decoders only unwrap the DER: the keys are parsed, and can be found not to
        // be of the curve or not to be a pair, when used. Use them once now.
        let probe = JwtService::new(config.clone());
        let token = probe
            .issue(&Principal::new("probe"), now_unix_secs())
            .map_err(|_| invalid("JWT_PRIVATE_KEY_FILE"))?;
        match probe.verify_token(&token) {
            Ok(_) => Ok(config),
            Err(_) if probe.decoding_key_is_unusable() => Err(invalid("JWT_PUBLIC_KEY_FILE")),
            Err(_) => Err(JwtConfigError::KeysDoNotMatch { algorithm }),
        }
    }

    /// [`JwtConfig::from_lookup`] over the process environment.
    ///
    /// # Errors
    /// As [`JwtConfig::from_lookup`].
    pub fn from_env() -> Result<Self, JwtConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The configuration the variables `get` returns describe:
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `JWT_ALGORITHM` | the pinned algorithm, `HS256` by default |
    /// | `JWT_SECRET` | the HMAC secret (`HS*`), at least [`MIN_SECRET_LEN`] bytes |
    /// | `JWT_PRIVATE_KEY_FILE`, `JWT_PUBLIC_KEY_FILE` | the PEM key files (`RS*`, `PS*`, `ES*`, `EdDSA`) |
    /// | `JWT_EXPIRES_IN` | the tokens' lifetime in seconds, [`DEFAULT_EXPIRES_IN_SECS`] by default |
    /// | `JWT_ISSUER`, `JWT_AUDIENCE` | the `iss` and `aud` claims issued and required |
    /// | `PORTICO_DEVELOPMENT` | `1` or `true`: development mode |
    ///
    /// Without `JWT_SECRET` an HMAC configuration is refused, except in development mode,
    /// where LoopBack's default secret is used ([`JwtConfig::development`]) and
    /// [`JwtConfig::used_development_secret`] says so; a short secret is likewise accepted in
    /// development mode only. Empty values count as unset.
    ///
    /// # Errors
    /// A [`JwtConfigError`] naming the variable to fix.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, JwtConfigError> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let development = get("PORTICO_DEVELOPMENT").is_some_and(|v| {
            let v = v.trim();
            v == "1" || v.eq_ignore_ascii_case("true")
        });
        let algorithm = match get("JWT_ALGORITHM") {
            None => Algorithm::HS256,
            Some(value) => Algorithm::from_str(value.trim())
                .map_err(|_| JwtConfigError::UnknownAlgorithm { value })?,
        };
        let secret = get("JWT_SECRET");
        let private_file = get("JWT_PRIVATE_KEY_FILE");
        let public_file = get("JWT_PUBLIC_KEY_FILE");
        let mut config = if is_hmac(algorithm) {
            for (variable, value) in [
                ("JWT_PRIVATE_KEY_FILE", &private_file),
                ("JWT_PUBLIC_KEY_FILE", &public_file),
            ] {
                if value.is_some() {
                    return Err(JwtConfigError::Unused {
                        variable,
                        algorithm,
                    });
                }
            }
            match secret {
                None if development => JwtConfig::development(),
                None => return Err(JwtConfigError::MissingSecret),
                Some(secret) if development => {
                    JwtConfig::hmac_unchecked(algorithm, secret.as_bytes())?
                }
                Some(secret) => JwtConfig::hmac(algorithm, secret.as_bytes())?,
            }
        } else {
            if secret.is_some() {
                return Err(JwtConfigError::Unused {
                    variable: "JWT_SECRET",
                    algorithm,
                });
            }
            let read = |variable: &'static str, path: Option<String>| {
                let path = PathBuf::from(path.ok_or(JwtConfigError::MissingKeyFile {
                    variable,
                    algorithm,
                })?);
                std::fs::read(&path).map_err(|source| JwtConfigError::ReadKeyFile {
                    variable,
                    path,
                    source,
                })
            };
            let private_pem = read("JWT_PRIVATE_KEY_FILE", private_file)?;
            let public_pem = read("JWT_PUBLIC_KEY_FILE", public_file)?;
            JwtConfig::pem(algorithm, private_pem, public_pem)?
        };
        if let Some(value) = get("JWT_EXPIRES_IN") {
            config.expires_in = match value.trim().parse::<u64>() {
                Ok(secs) if secs > 0 => secs,
                _ => return Err(JwtConfigError::InvalidExpiresIn { value }),
            };
        }
        config.issuer = get("JWT_ISSUER");
        config.audience = get("JWT_AUDIENCE");
        Ok(config)
    }

    /// With tokens valid this many seconds after they are issued.
    pub fn with_expires_in(mut self, secs: u64) -> Self {
        self.expires_in = secs;
        self
    }

    /// With this much clock skew tolerated on `exp` and `nbf`, in seconds.
    pub fn with_leeway(mut self, secs: u64) -> Self {
        self.leeway = secs;
        self
    }

    /// Issuing tokens with this `iss`, and accepting only tokens with it.
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Issuing tokens with this `aud`, and accepting only tokens for it.
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The pinned algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// How long tokens are valid, in seconds.
    pub fn expires_in(&self) -> u64 {
        self.expires_in
    }

    /// The clock skew tolerated, in seconds.
    pub fn leeway(&self) -> u64 {
        self.leeway
    }

    /// The issuer, if any.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The audience, if any.
    pub fn audience(&self) -> Option<&str> {
        self.audience.as_deref()
    }

    /// Whether this configuration signs with LoopBack's public development secret
    /// ([`DEVELOPMENT_SECRET`]): the app should log a warning, since anyone can forge its
    /// tokens.
    pub fn used_development_secret(&self) -> bool {
        self.used_development_secret
    }
}

/// The claims of an issued token (LoopBack's `id`, `name`, `email`, plus ours).
#[derive(Serialize)]
struct IssuedClaims<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    roles: &'a [String],
    iat: u64,
    exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a str>,
}

/// A token id: a string, or a number as some LoopBack apps' user ids are.
#[derive(Deserialize)]
#[serde(untagged)]
enum IdClaim {
    Text(String),
    Number(serde_json::Number),
}

/// The claims read from a verified token; `exp`, `nbf`, `iss`, `aud` are jsonwebtoken's.
#[derive(Deserialize)]
struct ReadClaims {
    id: Option<IdClaim>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
}

fn invalid_token(reason: impl Into<String>) -> Error {
    Error::Unauthenticated(AuthFailure::InvalidToken(reason.into()))
}

const MALFORMED: &str = "jwt malformed";

type JsonObject = serde_json::Map<String, serde_json::Value>;

/// Whether a token's `aud` (a string or an array of strings) names `audience`.
fn claim_names(aud: Option<&serde_json::Value>, audience: &str) -> bool {
    match aud {
        Some(serde_json::Value::String(aud)) => aud == audience,
        Some(serde_json::Value::Array(auds)) => auds.iter().any(|aud| aud == audience),
        _ => false,
    }
}

fn now_unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Issues and verifies JWT bearer tokens with one [`JwtConfig`]; the [`TokenVerifier`] a
/// transport hands bearer tokens to.
///
/// ```
/// use portico_auth::{JwtConfig, JwtService, jwt::Algorithm};
/// use portico_ports::Principal;
///
/// let config = JwtConfig::hmac(Algorithm::HS256, "a secret of at least thirty-two bytes")?;
/// let jwt = JwtService::new(config);
/// let token = jwt.issue_now(&Principal::new("42").with_email("ada@example.com"))?;
/// assert_eq!(jwt.verify_token(&token)?.id, "42");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct JwtService {
    config: JwtConfig,
    header: Header,
    validation: Validation,
}

impl fmt::Debug for JwtService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtService")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl JwtService {
    /// A service signing and verifying with `config`.
    pub fn new(config: JwtConfig) -> Self {
        let mut validation = Validation::new(config.algorithm);
        validation.leeway = config.leeway;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let mut required = vec!["exp"];
        if let Some(issuer) = &config.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        validation.validate_aud = config.audience.is_some();
        if let Some(audience) = &config.audience {
            validation.set_audience(&[audience]);
            required.push("aud");
        }
        validation.set_required_spec_claims(&required);
        JwtService {
            header: Header::new(config.algorithm),
            validation,
            config,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &JwtConfig {
        &self.config
    }

    /// A token for `principal`, issued at `now_unix_secs` (seconds since the Unix epoch) and
    /// expiring [`JwtConfig::expires_in`] later.
    ///
    /// # Errors
    /// `Error::Backend` if signing fails (it does not with a configuration
    /// [`JwtConfig`]'s constructors accepted).
    pub fn issue(&self, principal: &Principal, now_unix_secs: u64) -> Result<String> {
        let claims = IssuedClaims {
            id: &principal.id,
            name: principal.name.as_deref(),
            email: principal.email.as_deref(),
            roles: &principal.roles,
            iat: now_unix_secs,
            exp: now_unix_secs.saturating_add(self.config.expires_in),
            iss: self.config.issuer.as_deref(),
            aud: self.config.audience.as_deref(),
        };
        jsonwebtoken::encode(&self.header, &claims, &self.config.keys.encoding)
            .map_err(Error::backend)
    }

    /// [`JwtService::issue`] at the system clock's time.
    ///
    /// # Errors
    /// As [`JwtService::issue`].
    pub fn issue_now(&self, principal: &Principal) -> Result<String> {
        self.issue(principal, now_unix_secs())
    }

    /// The principal `token` stands for, checked against the system clock: what
    /// [`TokenVerifier::verify`] does, without the future.
    ///
    /// # Errors
    /// `Error::Unauthenticated(AuthFailure::InvalidToken(reason))`, the reasons in the
    /// [module docs](self).
    pub fn verify_token(&self, token: &str) -> Result<Principal> {
        let payload = self.check_shape(token)?;
        let data =
            jsonwebtoken::decode::<ReadClaims>(token, &self.config.keys.decoding, &self.validation)
                .map_err(|e| self.reason(e.into_kind(), &payload))?;
        let claims = data.claims;
        let id = match claims.id {
            Some(IdClaim::Text(id)) if !id.is_empty() => id,
            Some(IdClaim::Number(n)) => n.to_string(),
            _ => return Err(invalid_token(MALFORMED)),
        };
        Ok(Principal {
            id,
            name: claims.name,
            email: claims.email,
            roles: claims.roles,
        })
    }

    /// What node's `jsonwebtoken` checks before the signature, in its order and words: three
    /// parts, a JSON header and payload, a signature, the pinned algorithm. The payload,
    /// decoded, for the reasons of the claims' errors.
    fn check_shape(&self, token: &str) -> Result<JsonObject> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid_token(MALFORMED));
        };
        let json_object = |part: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<JsonObject>(&bytes).ok())
                .ok_or_else(|| invalid_token(MALFORMED))
        };
        let header = json_object(header)?;
        let payload = json_object(payload)?;
        let Some(alg) = header.get("alg").and_then(|alg| alg.as_str()) else {
            return Err(invalid_token(MALFORMED));
        };
        if alg.eq_ignore_ascii_case("none") || signature.trim().is_empty() {
            return Err(invalid_token("jwt signature is required"));
        }
        if Algorithm::from_str(alg).ok() != Some(self.config.algorithm) {
            return Err(invalid_token("invalid algorithm"));
        }
        Ok(payload)
    }

    /// Node's wording of a `jsonwebtoken` error about a token of this `payload`; an error of
    /// the keys themselves (which the constructors rule out) is a backend failure, not the
    /// token's.
    fn reason(&self, kind: ErrorKind, payload: &JsonObject) -> Error {
        // Node checks the audience, then the issuer; jsonwebtoken the other way round, and
        // missing claims in no fixed order: decide which to name from the payload.
        let issuer_or_audience = || match &self.config.audience {
            Some(audience) if !claim_names(payload.get("aud"), audience) => {
                format!("jwt audience invalid. expected: {audience}")
            }
            _ => format!(
                "jwt issuer invalid. expected: {}",
                self.config.issuer.as_deref().unwrap_or_default()
            ),
        };
        let reason = match kind {
            ErrorKind::ExpiredSignature => "jwt expired".to_owned(),
            ErrorKind::ImmatureSignature => "jwt not active".to_owned(),
            ErrorKind::InvalidSignature | ErrorKind::Base64(_) => "invalid signature".to_owned(),
            ErrorKind::InvalidAlgorithm
            | ErrorKind::MissingAlgorithm
            | ErrorKind::InvalidAlgorithmName
            | ErrorKind::UnsupportedAlgorithm => "invalid algorithm".to_owned(),
            ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => issuer_or_audience(),
            ErrorKind::MissingRequiredClaim(claim) | ErrorKind::InvalidClaimFormat(claim)
                if claim == "iss" || claim == "aud" =>
            {
                issuer_or_audience()
            }
            // jsonwebtoken counts an `exp` that is no number as missing; node tells them apart.
            ErrorKind::MissingRequiredClaim(claim) if payload.contains_key(&claim) => {
                format!("invalid {claim} value")
            }
            ErrorKind::InvalidClaimFormat(claim) if claim == "exp" || claim == "nbf" => {
                format!("invalid {claim} value")
            }
            ErrorKind::InvalidToken
            | ErrorKind::InvalidSubject
            | ErrorKind::MissingRequiredClaim(_)
            | ErrorKind::InvalidClaimFormat(_)
            | ErrorKind::Json(_)
            | ErrorKind::Utf8(_) => MALFORMED.to_owned(),
            other => {
                return Error::backend(jsonwebtoken::errors::Error::from(other));
            }
        };
        invalid_token(reason)
    }

    /// Whether verifying fails for the decoding key itself (not a key of the curve), as
    /// opposed to a signature that does not verify.
    fn decoding_key_is_unusable(&self) -> bool {
        let Ok(token) = self.issue(&Principal::new("probe"), now_unix_secs()) else {
            return false;
        };
        matches!(
            jsonwebtoken::decode::<serde_json::Value>(
                &token,
                &self.config.keys.decoding,
                &self.validation
            )
            .map(|_| ())
            .map_err(|e| e.into_kind()),
            Err(ErrorKind::InvalidEcdsaKey
                | ErrorKind::InvalidEddsaKey
                | ErrorKind::InvalidRsaKey(_)
                | ErrorKind::InvalidKeyFormat)
        )
    }
}

#[async_trait]
impl TokenVerifier for JwtService {
    /// [`JwtService::verify_token`].
    async fn verify(&self, token: &str) -> Result<Principal> {
        self.verify_token(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a-loopback-secret-of-at-least-32-bytes!";

    /// Signed by node's `jsonwebtoken` 9 (what LoopBack uses) with [`SECRET`]:
    /// `jwt.sign({id: '42', name: 'Ada', email: 'ada@example.com', iat: 1700000000,
    /// exp: 4102444800}, SECRET)`.
    const NODE_TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6IjQyIiwibmFtZSI6IkFkYSIsImVtYWlsIjoiYWRhQGV4YW1wbGUuY29tIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjQxMDI0NDQ4MDB9.ODszsowq6uOiJpcrGmyUkZN8fPOZST3Z610pqcKVcYQ";

    const EC_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgMXvTuVAUKNIWnQ6h
SmGmaEILO/jWTV/R/9QjkOUqTZKhRANCAASRKg/tWH7l8H+qAeB5ghUn4Pc4zADS
NRYF2rBSgiZkGyygGlBndh0XmwnsCrUq7G82xm849vremMc4V8Y6+3NN
-----END PRIVATE KEY-----
";
    const EC_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEkSoP7Vh+5fB/qgHgeYIVJ+D3OMwA
0jUWBdqwUoImZBssoBpQZ3YdF5sJ7Aq1KuxvNsZvOPb63pjHOFfGOvtzTQ==
-----END PUBLIC KEY-----
";
    /// Another P-256 key's public half: not [`EC_PRIVATE`]'s pair.
    const EC_OTHER_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfKTaNOdEAWM4+c7WuFDspC46D3V+
yoFpZWyOm7SdXnRqDcLzPAGIgKmo7IYRAgXPRur33dEuiI1wWnblQmLBOg==
-----END PUBLIC KEY-----
";
    const ED_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEINRFxnQpyTAXhHIUn4XrF5LSI3gGaL3qNIkLDO1SE+wO
-----END PRIVATE KEY-----
";
    const ED_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEALlMI4hJCO7PcQ6hSFGcSE/Sbc0y5XeyuUjSP+tPKNUo=
-----END PUBLIC KEY-----
";

    fn service(algorithm: Algorithm) -> JwtService {
        JwtService::new(JwtConfig::hmac(algorithm, SECRET).unwrap())
    }

    fn ada() -> Principal {
        Principal::new("42")
            .with_name("Ada")
            .with_email("ada@example.com")
            .with_roles(["admin", "user"])
    }

    #[track_caller]
    fn assert_reason(result: Result<Principal>, expected: &str) {
        match result {
            Err(Error::Unauthenticated(AuthFailure::InvalidToken(reason))) => {
                assert_eq!(reason, expected)
            }
            other => panic!("expected InvalidToken({expected:?}), got {other:?}"),
        }
    }

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn future_claims() -> String {
        b64(&format!(
            r#"{{"id":"42","exp":{}}}"#,
            now_unix_secs() + 3_600
        ))
    }

    #[tokio::test]
    async fn a_token_round_trips_through_the_port() {
        let jwt = service(Algorithm::HS256);
        let token = jwt.issue_now(&ada()).unwrap();
        let verifier: &dyn TokenVerifier = &jwt;
        assert_eq!(verifier.verify(&token).await.unwrap(), ada());

        let bare = Principal::new("7");
        let token = jwt.issue_now(&bare).unwrap();
        assert_eq!(jwt.verify_token(&token).unwrap(), bare);
    }

    #[test]
    fn claims_are_loopbacks() {
        let jwt = JwtService::new(
            JwtConfig::hmac(Algorithm::HS256, SECRET)
                .unwrap()
                .with_issuer("portico")
                .with_audience("todo"),
        );
        let token = jwt.issue(&ada(), 1_000).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert_eq!(
            claims,
            serde_json::json!({
                "id": "42", "name": "Ada", "email": "ada@example.com",
                "roles": ["admin", "user"], "iat": 1_000, "exp": 1_000 + DEFAULT_EXPIRES_IN_SECS,
                "iss": "portico", "aud": "todo",
            })
        );
        let header = token.split('.').next().unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.decode(header).unwrap(),
            br#"{"typ":"JWT","alg":"HS256"}"#
        );
    }

    #[test]
    fn a_token_node_signed_verifies() {
        let principal = service(Algorithm::HS256).verify_token(NODE_TOKEN).unwrap();
        assert_eq!(
            principal,
            Principal::new("42")
                .with_name("Ada")
                .with_email("ada@example.com")
        );
    }

    #[test]
    fn expiry_allows_the_leeway_and_no_more() {
        let jwt = service(Algorithm::HS256);
        let now = now_unix_secs();
        let expired_long_ago = jwt.issue(&ada(), now - DEFAULT_EXPIRES_IN_SECS - 120);
        assert_reason(jwt.verify_token(&expired_long_ago.unwrap()), "jwt expired");
        let within_leeway = jwt.issue(&ada(), now - DEFAULT_EXPIRES_IN_SECS - 10);
        assert_eq!(jwt.verify_token(&within_leeway.unwrap()).unwrap(), ada());

        let strict = JwtService::new(
            JwtConfig::hmac(Algorithm::HS256, SECRET)
                .unwrap()
                .with_expires_in(60)
                .with_leeway(0),
        );
        assert_reason(
            strict.verify_token(&strict.issue(&ada(), now - 70).unwrap()),
            "jwt expired",
        );
    }

    #[test]
    fn another_secret_is_an_invalid_signature() {
        let other = JwtService::new(
            JwtConfig::hmac(Algorithm::HS256, "another-secret-of-at-least-32-bytes").unwrap(),
        );
        let token = other.issue_now(&ada()).unwrap();
        assert_reason(
            service(Algorithm::HS256).verify_token(&token),
            "invalid signature",
        );
        // A signature that is not even base64url.
        let (message, _) = token.rsplit_once('.').unwrap();
        assert_reason(
            service(Algorithm::HS256).verify_token(&format!("{message}.!!!")),
            "invalid signature",
        );
    }

    #[test]
    fn alg_none_needs_a_signature() {
        let jwt = service(Algorithm::HS256);
        let header = b64(r#"{"alg":"none","typ":"JWT"}"#);
        let token = format!("{header}.{}.", future_claims());
        assert_reason(jwt.verify_token(&token), "jwt signature is required");
        // `none` with something in the signature part, and `NONE`.
        let token = format!("{header}.{}.c2ln", future_claims());
        assert_reason(jwt.verify_token(&token), "jwt signature is required");
        let header = b64(r#"{"alg":"NONE"}"#);
        let token = format!("{header}.{}.", future_claims());
        assert_reason(jwt.verify_token(&token), "jwt signature is required");
        // The pinned algorithm without a signature.
        let header = b64(r#"{"alg":"HS256","typ":"JWT"}"#);
        let token = format!("{header}.{}.", future_claims());
        assert_reason(jwt.verify_token(&token), "jwt signature is required");
    }

    #[test]
    fn only_the_pinned_algorithm_is_accepted() {
        let hs256 = service(Algorithm::HS256);
        let hs512 = service(Algorithm::HS512);
        let token = hs512.issue_now(&ada()).unwrap();
        assert_eq!(hs512.verify_token(&token).unwrap(), ada());
        assert_reason(hs256.verify_token(&token), "invalid algorithm");

        // An RS256 header (the key-confusion attack: the public key as an HMAC secret).
        let header = b64(r#"{"alg":"RS256","typ":"JWT"}"#);
        let token = format!("{header}.{}.c2lnbmF0dXJl", future_claims());
        assert_reason(hs256.verify_token(&token), "invalid algorithm");
        // An unknown one, and one that is not a string.
        let header = b64(r#"{"alg":"HS1024"}"#);
        let token = format!("{header}.{}.c2lnbmF0dXJl", future_claims());
        assert_reason(hs256.verify_token(&token), "invalid algorithm");
        let header = b64(r#"{"alg":256}"#);
        let token = format!("{header}.{}.c2lnbmF0dXJl", future_claims());
        assert_reason(hs256.verify_token(&token), MALFORMED);

        // An HS256 token to an ES256 verifier.
        let es256 =
            JwtService::new(JwtConfig::pem(Algorithm::ES256, EC_PRIVATE, EC_PUBLIC).unwrap());
        assert_reason(
            es256.verify_token(&hs256.issue_now(&ada()).unwrap()),
            "invalid algorithm",
        );
    }

    #[test]
    fn asymmetric_keys_sign_and_verify() {
        for (algorithm, private, public) in [
            (Algorithm::ES256, EC_PRIVATE, EC_PUBLIC),
            (Algorithm::EdDSA, ED_PRIVATE, ED_PUBLIC),
        ] {
            let jwt = JwtService::new(JwtConfig::pem(algorithm, private, public).unwrap());
            let token = jwt.issue_now(&ada()).unwrap();
            assert_eq!(jwt.verify_token(&token).unwrap(), ada(), "{algorithm:?}");
            let (message, _) = token.rsplit_once('.').unwrap();
            let forged = format!("{message}.{}", b64("not the signature"));
            assert_reason(jwt.verify_token(&forged), "invalid signature");
        }
    }

    #[test]
    fn asymmetric_keys_are_checked_when_configured() {
        assert!(matches!(
            JwtConfig::pem(Algorithm::ES256, EC_PRIVATE, EC_OTHER_PUBLIC),
            Err(JwtConfigError::KeysDoNotMatch { .. })
        ));
        assert!(matches!(
            JwtConfig::pem(Algorithm::ES256, "not a key", EC_PUBLIC),
            Err(JwtConfigError::InvalidKey {
                variable: "JWT_PRIVATE_KEY_FILE",
                ..
            })
        ));
        // An Ed25519 key pair for ES256; a P-256 key for ES384.
        assert!(matches!(
            JwtConfig::pem(Algorithm::ES256, ED_PRIVATE, ED_PUBLIC),
            Err(JwtConfigError::InvalidKey { .. })
        ));
        assert!(matches!(
            JwtConfig::pem(Algorithm::ES384, EC_PRIVATE, EC_PUBLIC),
            Err(JwtConfigError::InvalidKey { .. })
        ));
        assert!(matches!(
            JwtConfig::pem(Algorithm::HS256, EC_PRIVATE, EC_PUBLIC),
            Err(JwtConfigError::WrongKeyKind { .. })
        ));
        assert!(matches!(
            JwtConfig::hmac(Algorithm::RS256, SECRET),
            Err(JwtConfigError::WrongKeyKind { .. })
        ));
    }

    #[test]
    fn garbage_is_malformed() {
        let jwt = service(Algorithm::HS256);
        let header = b64(r#"{"alg":"HS256","typ":"JWT"}"#);
        for token in [
            "",
            ".",
            "..",
            "...",
            "abc",
            "a.b",
            "a.b.c.d",
            "not a token at all",
            "eyJhbGciOiJIUzI1NiJ9",
            "e30.e30.e30",
            &format!("{header}.bm90IGpzb24.c2ln"),
            &format!("{header}.{}.c2ln", b64("[1,2]")),
            &format!("{}.{}.c2ln", b64("null"), future_claims()),
            &format!("{}.{}.c2ln", b64(r#"{"typ":"JWT"}"#), future_claims()),
        ] {
            assert_reason(jwt.verify_token(token), MALFORMED);
        }
    }

    #[test]
    fn claims_it_needs_are_required() {
        let jwt = service(Algorithm::HS256);
        let sign = |claims: serde_json::Value| {
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims,
                &EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
            )
            .unwrap()
        };
        let exp = now_unix_secs() + 3_600;
        let no_id = sign(serde_json::json!({ "name": "Ada", "exp": exp }));
        assert_reason(jwt.verify_token(&no_id), MALFORMED);
        let empty_id = sign(serde_json::json!({ "id": "", "exp": exp }));
        assert_reason(jwt.verify_token(&empty_id), MALFORMED);
        let numeric_id = sign(serde_json::json!({ "id": 42, "exp": exp }));
        assert_eq!(jwt.verify_token(&numeric_id).unwrap().id, "42");
        let no_exp = sign(serde_json::json!({ "id": "42" }));
        assert_reason(jwt.verify_token(&no_exp), MALFORMED);
        let text_exp = sign(serde_json::json!({ "id": "42", "exp": "tomorrow" }));
        assert_reason(jwt.verify_token(&text_exp), "invalid exp value");
        let not_yet = sign(serde_json::json!({ "id": "42", "exp": exp, "nbf": exp }));
        assert_reason(jwt.verify_token(&not_yet), "jwt not active");
        let bad_roles = sign(serde_json::json!({ "id": "42", "exp": exp, "roles": "admin" }));
        assert_reason(jwt.verify_token(&bad_roles), MALFORMED);
    }

    #[test]
    fn issuer_and_audience_are_required_when_configured() {
        let config = JwtConfig::hmac(Algorithm::HS256, SECRET).unwrap();
        let plain = JwtService::new(config.clone());
        let strict = JwtService::new(config.with_issuer("portico").with_audience("todo"));
        let token = strict.issue_now(&ada()).unwrap();
        assert_eq!(strict.verify_token(&token).unwrap(), ada());
        // Neither: the audience is named first, as node does.
        assert_reason(
            strict.verify_token(&plain.issue_now(&ada()).unwrap()),
            "jwt audience invalid. expected: todo",
        );
        let no_issuer = JwtService::new(
            JwtConfig::hmac(Algorithm::HS256, SECRET)
                .unwrap()
                .with_audience("todo"),
        );
        assert_reason(
            strict.verify_token(&no_issuer.issue_now(&ada()).unwrap()),
            "jwt issuer invalid. expected: portico",
        );
        let other_issuer = JwtService::new(
            JwtConfig::hmac(Algorithm::HS256, SECRET)
                .unwrap()
                .with_issuer("elsewhere")
                .with_audience("todo"),
        );
        assert_reason(
            strict.verify_token(&other_issuer.issue_now(&ada()).unwrap()),
            "jwt issuer invalid. expected: portico",
        );
        let other = JwtService::new(
            JwtConfig::hmac(Algorithm::HS256, SECRET)
                .unwrap()
                .with_issuer("portico")
                .with_audience("billing"),
        );
        assert_reason(
            strict.verify_token(&other.issue_now(&ada()).unwrap()),
            "jwt audience invalid. expected: todo",
        );
    }

    /// A small deterministic generator (xorshift), so the fuzzing below is reproducible.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[(self.next() % items.len() as u64) as usize]
        }
    }

    #[test]
    fn no_input_panics_and_no_tampered_token_verifies() {
        let jwt = service(Algorithm::HS256);
        let valid = jwt.issue_now(&ada()).unwrap();
        let header = b64(r#"{"alg":"HS256","typ":"JWT"}"#);
        let pieces = [
            ".",
            "..",
            "e30",
            "eyJ",
            "=",
            "==",
            "-",
            "_",
            "+",
            "/",
            "\u{0}",
            "é",
            "💥",
            " ",
            "%",
            "{}",
            "null",
            &header,
            &valid,
            "c2ln",
            "eyJhbGciOiJub25lIn0",
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..2_000 {
            let count = rng.next() % 8;
            let token: String = (0..count).map(|_| rng.pick(&pieces)).collect();
            if token == valid {
                continue;
            }
            assert!(
                matches!(
                    jwt.verify_token(&token),
                    Err(Error::Unauthenticated(AuthFailure::InvalidToken(_)))
                ),
                "{token:?}"
            );
        }
        // Every one-character change of a valid token is refused.
        let alphabet = ['A', 'b', '0', '-', '_', '.'];
        for i in 0..valid.len() {
            for c in alphabet {
                let mut tampered = valid.clone();
                tampered.replace_range(i..=i, c.encode_utf8(&mut [0; 4]));
                if tampered == valid {
                    continue;
                }
                assert!(
                    matches!(
                        jwt.verify_token(&tampered),
                        Err(Error::Unauthenticated(AuthFailure::InvalidToken(_)))
                    ),
                    "{tampered:?}"
                );
            }
        }
    }

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn a_secret_is_required_outside_development() {
        let error = JwtConfig::from_lookup(lookup(&[])).unwrap_err();
        assert!(matches!(error, JwtConfigError::MissingSecret));
        assert!(error.to_string().contains("JWT_SECRET"), "{error}");
        let error = JwtConfig::from_lookup(lookup(&[("JWT_SECRET", "")])).unwrap_err();
        assert!(matches!(error, JwtConfigError::MissingSecret));
        let error = JwtConfig::from_lookup(lookup(&[("PORTICO_DEVELOPMENT", "0")])).unwrap_err();
        assert!(matches!(error, JwtConfigError::MissingSecret));
    }

    #[test]
    fn a_short_secret_is_refused_outside_development() {
        let error = JwtConfig::from_lookup(lookup(&[("JWT_SECRET", "myjwts3cr3t")])).unwrap_err();
        assert!(matches!(error, JwtConfigError::SecretTooShort { len: 11 }));
        let message = error.to_string();
        assert!(
            message.contains("JWT_SECRET") && message.contains("at least 32 bytes"),
            "{message}"
        );
        let short_in_development = JwtConfig::from_lookup(lookup(&[
            ("JWT_SECRET", "short"),
            ("PORTICO_DEVELOPMENT", "true"),
        ]))
        .unwrap();
        assert!(!short_in_development.used_development_secret());
    }

    #[test]
    fn development_mode_uses_loopbacks_secret_and_says_so() {
        for flag in ["1", "true", "TRUE"] {
            let config = JwtConfig::from_lookup(lookup(&[("PORTICO_DEVELOPMENT", flag)])).unwrap();
            assert!(config.used_development_secret());
            assert_eq!(config.algorithm(), Algorithm::HS256);
            assert_eq!(config.expires_in(), DEFAULT_EXPIRES_IN_SECS);
            // Tokens are LoopBack's development tokens.
            let loopback = JwtService::new(config);
            let token = jwt_with_secret(DEVELOPMENT_SECRET);
            assert_eq!(loopback.verify_token(&token).unwrap().id, "1");
        }
        let config = JwtConfig::from_lookup(lookup(&[("JWT_SECRET", SECRET)])).unwrap();
        assert!(!config.used_development_secret());
    }

    fn jwt_with_secret(secret: &str) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &serde_json::json!({ "id": "1", "exp": now_unix_secs() + 60 }),
            &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn the_environment_sets_the_rest() {
        let config = JwtConfig::from_lookup(lookup(&[
            ("JWT_SECRET", SECRET),
            ("JWT_ALGORITHM", "HS384"),
            ("JWT_EXPIRES_IN", "600"),
            ("JWT_ISSUER", "portico"),
            ("JWT_AUDIENCE", "todo"),
        ]))
        .unwrap();
        assert_eq!(config.algorithm(), Algorithm::HS384);
        assert_eq!(config.expires_in(), 600);
        assert_eq!(config.leeway(), DEFAULT_LEEWAY_SECS);
        assert_eq!(
            (config.issuer(), config.audience()),
            (Some("portico"), Some("todo"))
        );
        assert!(!format!("{config:?}").contains(SECRET));

        for (vars, variable) in [
            (
                &[("JWT_SECRET", SECRET), ("JWT_ALGORITHM", "HS999")][..],
                "JWT_ALGORITHM",
            ),
            (
                &[("JWT_SECRET", SECRET), ("JWT_EXPIRES_IN", "6h")][..],
                "JWT_EXPIRES_IN",
            ),
            (
                &[("JWT_SECRET", SECRET), ("JWT_EXPIRES_IN", "0")][..],
                "JWT_EXPIRES_IN",
            ),
            (
                &[("JWT_SECRET", SECRET), ("JWT_PUBLIC_KEY_FILE", "/k")][..],
                "JWT_PUBLIC_KEY_FILE",
            ),
            (
                &[("JWT_SECRET", SECRET), ("JWT_ALGORITHM", "ES256")][..],
                "JWT_SECRET",
            ),
            (&[("JWT_ALGORITHM", "ES256")][..], "JWT_PRIVATE_KEY_FILE"),
            (
                &[
                    ("JWT_ALGORITHM", "ES256"),
                    ("JWT_PRIVATE_KEY_FILE", "/nonexistent/k.pem"),
                ][..],
                "JWT_PRIVATE_KEY_FILE",
            ),
        ] {
            let error = JwtConfig::from_lookup(lookup(vars)).unwrap_err();
            assert!(error.to_string().contains(variable), "{vars:?}: {error}");
        }
    }

    #[test]
    fn key_files_configure_an_asymmetric_algorithm() {
        let dir = std::env::temp_dir().join(format!("portico-auth-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (private, public) = (dir.join("private.pem"), dir.join("public.pem"));
        std::fs::write(&private, EC_PRIVATE).unwrap();
        std::fs::write(&public, EC_PUBLIC).unwrap();
        let config = JwtConfig::from_lookup(lookup(&[
            ("JWT_ALGORITHM", "ES256"),
            ("JWT_PRIVATE_KEY_FILE", private.to_str().unwrap()),
            ("JWT_PUBLIC_KEY_FILE", public.to_str().unwrap()),
        ]));
        std::fs::remove_dir_all(&dir).unwrap();
        let jwt = JwtService::new(config.unwrap());
        assert_eq!(
            jwt.verify_token(&jwt.issue_now(&ada()).unwrap()).unwrap(),
            ada()
        );
    }
}
