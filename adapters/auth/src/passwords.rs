//! Password hashes: [`Passwords`] hashes new passwords with argon2id (PHC strings,
//! `$argon2id$v=19$m=…,t=…,p=…$salt$hash`) and verifies both those and the bcrypt hashes
//! LoopBack's `@loopback/authentication-jwt` stored with bcryptjs (`$2a$`, `$2b$`, `$2y$`), so
//! an app can take over LoopBack's user credentials and rehash each at its next login
//! ([`Verification::Valid`]'s `rehash`).
//!
//! Hashing is deliberately slow (tens of milliseconds, some 19 MiB of memory per hash with the
//! default parameters): call it off the async executor's threads (`spawn_blocking`) in a
//! server.

use std::fmt;
use std::sync::OnceLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use portico_domain::error::Message;
use portico_domain::{Error, Result};

/// What [`Passwords::verify`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Verification {
    /// The password matches the stored hash.
    Valid {
        /// The stored hash is of an older scheme (bcrypt) or weaker parameters than
        /// [`Passwords`]' current ones: store [`Passwords::hash`] of the password in its
        /// place.
        rehash: bool,
    },
    /// The password does not match, or the stored value is no hash this crate reads.
    Invalid,
}

impl Verification {
    /// Whether the password matched.
    pub fn is_valid(self) -> bool {
        matches!(self, Verification::Valid { .. })
    }
}

/// The argon2id cost parameters of new hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordParams {
    /// Memory, in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes (degree of parallelism).
    pub parallelism: u32,
}

impl Default for PasswordParams {
    /// The argon2 crate's defaults, OWASP's first recommendation for argon2id: 19 MiB, two
    /// iterations, one lane.
    fn default() -> Self {
        PasswordParams {
            memory_kib: Params::DEFAULT_M_COST,
            iterations: Params::DEFAULT_T_COST,
            parallelism: Params::DEFAULT_P_COST,
        }
    }
}

impl PasswordParams {
    /// The cheapest parameters argon2 allows (8 KiB, one iteration): for tests only.
    pub fn insecure_minimum() -> Self {
        PasswordParams {
            memory_kib: Params::MIN_M_COST,
            iterations: Params::MIN_T_COST,
            parallelism: Params::MIN_P_COST,
        }
    }
}

/// Hashes and verifies passwords: argon2id for new hashes, bcrypt read for LoopBack's.
pub struct Passwords {
    argon2: Argon2<'static>,
    params: Params,
    /// A hash of a password no one has, made with the current parameters on first use: what
    /// [`Passwords::verify_unknown`] verifies against.
    dummy: OnceLock<String>,
}

impl fmt::Debug for Passwords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Passwords")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new()
    }
}

/// The argon2 output length of new hashes, in bytes.
const OUTPUT_LEN: usize = Params::DEFAULT_OUTPUT_LEN;

impl Passwords {
    /// argon2id with the default parameters ([`PasswordParams::default`]).
    pub fn new() -> Self {
        Self::with_params(PasswordParams::default())
            .unwrap_or_else(|_| unreachable!("argon2's default parameters are valid"))
    }

    /// argon2id with these parameters.
    ///
    /// # Errors
    /// `Error::Unsupported` when argon2 refuses them (memory under 8 KiB per lane, no
    /// iteration, no lane).
    pub fn with_params(params: PasswordParams) -> Result<Self> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            Some(OUTPUT_LEN),
        )
        .map_err(|e| Error::Unsupported(format!("argon2 parameters: {e}")))?;
        Ok(Passwords {
            argon2: Argon2::new(argon2::Algorithm::Argon2id, Version::V0x13, params.clone()),
            params,
            dummy: OnceLock::new(),
        })
    }

    /// The PHC string of `password` with a fresh random salt: `$argon2id$v=19$…`.
    ///
    /// # Errors
    /// `Error::Backend` when the system's random generator fails.
    pub fn hash(&self, password: &str) -> Result<String> {
        self.argon2
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| Error::backend(Message(format!("hashing a password failed: {e}"))))
    }

    /// Whether `password` matches `stored`, an argon2 PHC string or a bcrypt hash; anything
    /// else is [`Verification::Invalid`]. The comparison of the hashes is constant-time.
    pub fn verify(&self, password: &str, stored: &str) -> Verification {
        if is_bcrypt(stored) {
            return match bcrypt::verify(password, stored) {
                Ok(true) => Verification::Valid { rehash: true },
                _ => Verification::Invalid,
            };
        }
        let Ok(hash) = PasswordHash::new(stored) else {
            return Verification::Invalid;
        };
        // The parameters of the stored hash, not ours, are the ones verified with.
        match self.argon2.verify_password(password.as_bytes(), &hash) {
            Ok(()) => Verification::Valid {
                rehash: self.is_weaker(&hash),
            },
            Err(_) => Verification::Invalid,
        }
    }

    /// Spends as long as verifying a password against a hash of the current parameters, and
    /// answers [`Verification::Invalid`]: what a login for an unknown account calls, so that
    /// its answer takes as long as one for a known account and timing does not tell whether
    /// an account exists.
    pub fn verify_unknown(&self, password: &str) -> Verification {
        let dummy = self.dummy.get_or_init(|| {
            // A fixed salt is fine: no one has the password, and the hash is never stored.
            let salt = b"portico-unknown-account";
            self.argon2
                .hash_password_with_salt(b"no account has this password", salt)
                .map(|hash| hash.to_string())
                .unwrap_or_default()
        });
        let _ = self.verify(password, dummy);
        Verification::Invalid
    }

    /// Whether `hash` (which verified) is of another variant or version, or of weaker
    /// parameters than the current ones.
    fn is_weaker(&self, hash: &PasswordHash) -> bool {
        let Ok(params) = Params::try_from(hash) else {
            return true;
        };
        hash.algorithm.as_str() != argon2::Algorithm::Argon2id.as_str()
            || hash.version != Some(Version::V0x13.into())
            || params.m_cost() < self.params.m_cost()
            || params.t_cost() < self.params.t_cost()
            || params.p_cost() < self.params.p_cost()
            || params.output_len().unwrap_or(OUTPUT_LEN) < OUTPUT_LEN
    }
}

/// Whether `stored` looks like a bcrypt hash (`$2a$`, `$2b$`, `$2x$`, `$2y$`).
fn is_bcrypt(stored: &str) -> bool {
    let bytes = stored.as_bytes();
    bytes.len() > 4
        && bytes[0] == b'$'
        && bytes[1] == b'2'
        && matches!(bytes[2], b'a' | b'b' | b'x' | b'y')
        && bytes[3] == b'$'
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made by node's bcryptjs 2.4.3 (what `@loopback/authentication-jwt` depends on):
    /// `require('bcryptjs').hashSync('secret', 10)`.
    const BCRYPTJS_2A: &str = "$2a$10$25XOlRK1XyALe7c8yUeyz.Xk7hFlkjyRRO9DIL9i4YmBwscofsxKm";
    /// Made by bcryptjs 3, which writes `$2b$`: `hashSync('secret', 10)`.
    const BCRYPTJS_2B: &str = "$2b$10$QUDifSg1mkouXsa0kacxiOCYS5msxOWeoMM24AGIUxEXooEVfvKlK";

    fn cheap() -> Passwords {
        Passwords::with_params(PasswordParams::insecure_minimum()).unwrap()
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let passwords = cheap();
        let hash = passwords.hash("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{hash}");
        assert_eq!(
            passwords.verify("correct horse", &hash),
            Verification::Valid { rehash: false }
        );
        assert_eq!(
            passwords.verify("correct horse!", &hash),
            Verification::Invalid
        );
        assert_eq!(passwords.verify("", &hash), Verification::Invalid);
        assert_ne!(hash, passwords.hash("correct horse").unwrap(), "salted");
    }

    #[test]
    fn default_parameters_are_owasps() {
        let passwords = Passwords::new();
        let hash = passwords.hash("secret").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert_eq!(
            passwords.verify("secret", &hash),
            Verification::Valid { rehash: false }
        );
    }

    #[test]
    fn weaker_argon2_hashes_ask_for_a_rehash() {
        let weak = cheap().hash("secret").unwrap();
        let stronger = Passwords::with_params(PasswordParams {
            memory_kib: 64,
            ..PasswordParams::insecure_minimum()
        })
        .unwrap();
        assert_eq!(
            stronger.verify("secret", &weak),
            Verification::Valid { rehash: true }
        );
        assert_eq!(stronger.verify("wrong", &weak), Verification::Invalid);
        // argon2i of the same parameters: another variant.
        let argon2i = Argon2::new(
            argon2::Algorithm::Argon2i,
            Version::V0x13,
            Params::new(8, 1, 1, None).unwrap(),
        )
        .hash_password_with_salt(b"secret", b"somesaltsomesalt")
        .unwrap()
        .to_string();
        assert_eq!(
            cheap().verify("secret", &argon2i),
            Verification::Valid { rehash: true }
        );
    }

    #[test]
    fn loopbacks_bcryptjs_hashes_verify_and_ask_for_a_rehash() {
        let passwords = cheap();
        for stored in [BCRYPTJS_2A, BCRYPTJS_2B] {
            assert_eq!(
                passwords.verify("secret", stored),
                Verification::Valid { rehash: true },
                "{stored}"
            );
            assert_eq!(passwords.verify("Secret", stored), Verification::Invalid);
        }
        let parts = bcrypt::hash_with_salt("hunter2", 4, *b"0123456789abcdef").unwrap();
        for version in [
            bcrypt::Version::TwoA,
            bcrypt::Version::TwoB,
            bcrypt::Version::TwoY,
        ] {
            let stored = parts.format_for_version(version);
            assert!(stored.starts_with("$2"), "{stored}");
            assert_eq!(
                passwords.verify("hunter2", &stored),
                Verification::Valid { rehash: true },
                "{stored}"
            );
            assert_eq!(passwords.verify("hunter3", &stored), Verification::Invalid);
        }
    }

    #[test]
    fn garbage_stored_values_are_invalid() {
        let passwords = cheap();
        let truncated = &BCRYPTJS_2A[..40];
        for stored in [
            "",
            "secret",
            "$",
            "$$$$",
            "$2a$",
            "$2a$99$25XOlRK1XyALe7c8yUeyz.Xk7hFlkjyRRO9DIL9i4YmBwscofsxKm",
            "$2a$10$25XOlRK1XyALe7c8yUeyz.Xk7hFlkjyRRO9DIL9i4YmBwscofsxK€",
            truncated,
            "$argon2id$",
            "$argon2id$v=19$m=8,t=1,p=1$",
            "$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$",
            "$argon2id$v=19$m=1,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaA",
            "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
            "$pbkdf2-sha256$29000$N2bMOee8t5Ym0pqzdq7V2g$VLpaQo3hG5mqLJDQFMvH0.2pCrWXYwGGb6pGQZ9Xk9A",
            "💥",
        ] {
            assert_eq!(
                passwords.verify("secret", stored),
                Verification::Invalid,
                "{stored}"
            );
        }
    }

    #[test]
    fn an_unknown_account_costs_a_verification() {
        let passwords = cheap();
        assert_eq!(passwords.verify_unknown("secret"), Verification::Invalid);
        let dummy = passwords.dummy.get().expect("made on first use");
        assert!(dummy.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{dummy}");
        // It is a real hash of the current parameters, so verifying it costs as much.
        assert_eq!(
            passwords.verify("no account has this password", dummy),
            Verification::Valid { rehash: false }
        );
        assert_eq!(
            passwords.verify_unknown("no account has this password"),
            Verification::Invalid
        );
    }
}
