//! Login throttling: [`LoginThrottle`] counts failed logins per key in a sliding window and
//! refuses further attempts with `Error::TooManyAttempts { retry_after_secs }` (HTTP 429 with
//! `Retry-After`) once a key has reached its [`Limit`].
//!
//! A login counts against two keys: its account ([`account_key`], default 5 failures per 15
//! minutes), which stops guessing one account's password, and its client address
//! ([`address_key`], default 20 per 15 minutes), which stops trying one password against many
//! accounts. The keys are namespaced (`account:` / `address:`), so an email can never collide
//! with an address. A success clears the account's count, not the address's.
//!
//! The counts are in this process's memory: each replica of an app throttles on its own, and
//! a restart forgets. A later key-value port (Redis) will let the counts be shared across
//! replicas; the API stays this one.
//!
//! Time is a parameter ([`Instant`]), so the throttle is tested without sleeping; a server
//! passes `Instant::now()`.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use portico_domain::{Error, Result};

/// At most `max` failures per key within any `window`; a key that reached it is refused until
/// its oldest counted failure leaves the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// The failures allowed within `window`; 0 disables the limit.
    pub max: u32,
    /// The sliding window.
    pub window: Duration,
}

impl Limit {
    /// `max` failures per `window`.
    pub const fn new(max: u32, window: Duration) -> Self {
        Limit { max, window }
    }
}

const FIFTEEN_MINUTES: Duration = Duration::from_secs(15 * 60);

/// The limits of a [`LoginThrottle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Per account ([`account_key`], and any key without the `address:` prefix): 5 failures
    /// per 15 minutes by default.
    pub account: Limit,
    /// Per client address ([`address_key`]): 20 failures per 15 minutes by default.
    pub address: Limit,
    /// The keys tracked at most (100 000 by default): past it, expired keys are pruned, then
    /// the least recently failed tenth is forgotten, so memory stays bounded whatever a
    /// client sends.
    pub max_keys: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            account: Limit::new(5, FIFTEEN_MINUTES),
            address: Limit::new(20, FIFTEEN_MINUTES),
            max_keys: 100_000,
        }
    }
}

const ACCOUNT_PREFIX: &str = "account:";
const ADDRESS_PREFIX: &str = "address:";

/// The throttle key of an account: `account:` and the email, trimmed and lowercased (emails
/// are matched case-insensitively, so `Ada@Example.com` and `ada@example.com` share a count).
pub fn account_key(email: &str) -> String {
    format!("{ACCOUNT_PREFIX}{}", email.trim().to_lowercase())
}

/// The throttle key of a client address: `address:` and the IP address, IPv4-mapped IPv6
/// addresses as IPv4, other IPv6 addresses by their /64 network (one client commonly holds a
/// whole /64); a value that is no IP address is used trimmed and lowercased.
pub fn address_key(ip: &str) -> String {
    let ip = ip.trim();
    let normalized = match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => ip.to_lowercase(),
    };
    format!("{ADDRESS_PREFIX}{normalized}")
}

/// The failures of one key within its window, oldest first, at most its limit's `max`.
#[derive(Debug, Default)]
struct Failures(VecDeque<Instant>);

impl Failures {
    /// Drops the failures out of the window at `now`.
    fn expire(&mut self, limit: Limit, now: Instant) {
        while self
            .0
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= limit.window)
        {
            self.0.pop_front();
        }
    }

    /// How long until the key may try again, when it has reached its limit.
    fn locked_for(&self, limit: Limit, now: Instant) -> Option<Duration> {
        if limit.max == 0 || self.0.len() < limit.max as usize {
            return None;
        }
        let oldest = self.0.front()?;
        limit
            .window
            .checked_sub(now.saturating_duration_since(*oldest))
            .filter(|left| !left.is_zero())
    }

    fn newest(&self) -> Option<Instant> {
        self.0.back().copied()
    }
}

/// Counts failed logins per key and refuses keys that reached their [`Limit`]: see the
/// [module docs](self).
///
/// ```
/// use std::time::Instant;
/// use portico_auth::throttle::{account_key, address_key, LoginThrottle};
///
/// let throttle = LoginThrottle::default();
/// let (account, address) = (account_key("ada@example.com"), address_key("192.0.2.7"));
/// let keys = [account.as_str(), address.as_str()];
/// let now = Instant::now();
/// throttle.check(&keys, now)?; // before verifying the password
/// throttle.record_failure(&keys, now); // a wrong password
/// throttle.record_success(&keys); // a right one
/// # Ok::<(), portico_domain::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct LoginThrottle {
    config: ThrottleConfig,
    entries: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    by_key: HashMap<String, Failures>,
    last_sweep: Option<Instant>,
}

impl LoginThrottle {
    /// A throttle with these limits.
    pub fn new(config: ThrottleConfig) -> Self {
        LoginThrottle {
            config,
            entries: Mutex::default(),
        }
    }

    /// The limits.
    pub fn config(&self) -> &ThrottleConfig {
        &self.config
    }

    /// The limit of `key`: the address limit for [`address_key`]s, the account limit
    /// otherwise.
    fn limit(&self, key: &str) -> Limit {
        if key.starts_with(ADDRESS_PREFIX) {
            self.config.address
        } else {
            self.config.account
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock leaves consistent counts: keep using them.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether an attempt for these keys may go ahead at `now`: call it before verifying the
    /// password.
    ///
    /// # Errors
    /// `Error::TooManyAttempts { retry_after_secs }` when any key has reached its limit,
    /// `retry_after_secs` the longest wait among them, in whole seconds rounded up, at least 1.
    pub fn check(&self, keys: &[&str], now: Instant) -> Result<()> {
        let mut entries = self.lock();
        self.sweep(&mut entries, now);
        let mut wait = Duration::ZERO;
        for key in keys {
            let limit = self.limit(key);
            if let Some(failures) = entries.by_key.get_mut(*key) {
                failures.expire(limit, now);
                if let Some(left) = failures.locked_for(limit, now) {
                    wait = wait.max(left);
                }
                if failures.0.is_empty() {
                    entries.by_key.remove(*key);
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(Error::TooManyAttempts {
                retry_after_secs: whole_secs_up(wait),
            })
        }
    }

    /// Counts a failed attempt at `now` against each key.
    pub fn record_failure(&self, keys: &[&str], now: Instant) {
        let mut entries = self.lock();
        self.sweep(&mut entries, now);
        for key in keys {
            let limit = self.limit(key);
            if limit.max == 0 || limit.window.is_zero() {
                continue;
            }
            if !entries.by_key.contains_key(*key) && entries.by_key.len() >= self.config.max_keys {
                self.evict(&mut entries, now);
            }
            let failures = entries.by_key.entry((*key).to_owned()).or_default();
            failures.expire(limit, now);
            failures.0.push_back(now);
            // Only the newest `max` decide whether the key is locked, and until when.
            while failures.0.len() > limit.max as usize {
                failures.0.pop_front();
            }
        }
    }

    /// A successful login: clears the count of the account keys among `keys`. Address keys
    /// keep theirs, so one account's valid password does not reset an address trying others.
    pub fn record_success(&self, keys: &[&str]) {
        let mut entries = self.lock();
        for key in keys {
            if !key.starts_with(ADDRESS_PREFIX) {
                entries.by_key.remove(*key);
            }
        }
    }

    /// How many keys are tracked (for tests and metrics).
    pub fn tracked_keys(&self) -> usize {
        self.lock().by_key.len()
    }

    /// Drops the keys whose failures all left their window, at most once per the shorter
    /// window (so the whole map is walked rarely, and memory stays bounded by the failures of
    /// one window).
    fn sweep(&self, entries: &mut Entries, now: Instant) {
        let every = self.config.account.window.min(self.config.address.window);
        if entries
            .last_sweep
            .is_some_and(|last| now.saturating_duration_since(last) < every)
        {
            return;
        }
        entries.last_sweep = Some(now);
        self.prune(entries, now);
    }

    fn prune(&self, entries: &mut Entries, now: Instant) {
        entries.by_key.retain(|key, failures| {
            let limit = if key.starts_with(ADDRESS_PREFIX) {
                self.config.address
            } else {
                self.config.account
            };
            failures.expire(limit, now);
            !failures.0.is_empty()
        });
    }

    /// Makes room for a new key: prunes, and if still full forgets the least recently failed
    /// tenth of the keys.
    fn evict(&self, entries: &mut Entries, now: Instant) {
        self.prune(entries, now);
        if entries.by_key.len() < self.config.max_keys {
            return;
        }
        let mut newest: Vec<(Instant, String)> = entries
            .by_key
            .iter()
            .filter_map(|(key, failures)| Some((failures.newest()?, key.clone())))
            .collect();
        newest.sort_unstable();
        let forget = (entries.by_key.len() / 10).max(1);
        for (_, key) in newest.into_iter().take(forget) {
            entries.by_key.remove(&key);
        }
    }
}

fn whole_secs_up(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn retry_after(result: Result<()>) -> u64 {
        match result {
            Err(Error::TooManyAttempts { retry_after_secs }) => retry_after_secs,
            other => panic!("expected TooManyAttempts, got {other:?}"),
        }
    }

    #[test]
    fn keys_are_namespaced_and_normalized() {
        assert_eq!(account_key("  Ada@Example.COM "), "account:ada@example.com");
        assert_eq!(address_key("192.0.2.7"), "address:192.0.2.7");
        assert_eq!(address_key("::ffff:192.0.2.7"), "address:192.0.2.7");
        assert_eq!(
            address_key("2001:db8:1:2:3:4:5:6"),
            address_key("2001:0db8:0001:0002:ffff::1")
        );
        assert_eq!(address_key("2001:db8:1:2::9"), "address:2001:db8:1:2::/64");
        assert_ne!(account_key("192.0.2.7"), address_key("192.0.2.7"));
        assert_eq!(address_key(" Unknown "), "address:unknown");
    }

    #[test]
    fn the_account_limit_refuses_with_a_retry_after() {
        let throttle = LoginThrottle::default();
        let account = account_key("ada@example.com");
        let keys = [account.as_str()];
        let start = Instant::now();
        for i in 0..5 {
            let at = start + Duration::from_secs(i * 10);
            throttle.check(&keys, at).unwrap();
            throttle.record_failure(&keys, at);
        }
        // The fifth failure was at +40 s; the first leaves the window at +900 s.
        let at = start + Duration::from_secs(41);
        assert_eq!(retry_after(throttle.check(&keys, at)), 900 - 41);
        // Rounded up, at least one second.
        let at = start + Duration::from_millis(899_500);
        assert_eq!(retry_after(throttle.check(&keys, at)), 1);
        assert_eq!(
            retry_after(throttle.check(&keys, start + Duration::from_millis(1_500))),
            899
        );
        // Another account is unaffected.
        let other = account_key("bob@example.com");
        throttle.check(&[&other], at).unwrap();
    }

    #[test]
    fn the_window_slides() {
        let throttle = LoginThrottle::default();
        let account = account_key("ada@example.com");
        let keys = [account.as_str()];
        let start = Instant::now();
        for i in 0..5 {
            throttle.record_failure(&keys, start + i * MINUTE);
        }
        assert!(throttle.check(&keys, start + 5 * MINUTE).is_err());
        // At +15 min the first failure leaves the window: one more attempt is allowed.
        let later = start + 15 * MINUTE;
        throttle.check(&keys, later).unwrap();
        throttle.record_failure(&keys, later);
        assert_eq!(retry_after(throttle.check(&keys, later)), 60);
        // Long after, everything has expired.
        throttle.check(&keys, start + 60 * MINUTE).unwrap();
        assert_eq!(throttle.tracked_keys(), 0);
    }

    #[test]
    fn a_success_resets_the_account_not_the_address() {
        let throttle = LoginThrottle::default();
        let (account, address) = (account_key("ada@example.com"), address_key("192.0.2.7"));
        let keys = [account.as_str(), address.as_str()];
        let now = Instant::now();
        for _ in 0..4 {
            throttle.record_failure(&keys, now);
        }
        throttle.record_success(&keys);
        for _ in 0..4 {
            throttle.record_failure(&keys, now);
        }
        throttle.check(&keys, now).unwrap();
        throttle.record_failure(&keys, now);
        assert!(throttle.check(&[&account], now).is_err());
        // The address has nine failures of its twenty.
        throttle.check(&[&address], now).unwrap();
    }

    #[test]
    fn the_address_limit_is_independent() {
        let throttle = LoginThrottle::default();
        let address = address_key("192.0.2.7");
        let now = Instant::now();
        // One password tried against many accounts from one address.
        for i in 0..20 {
            let account = account_key(&format!("user{i}@example.com"));
            let keys = [account.as_str(), address.as_str()];
            throttle.check(&keys, now).unwrap();
            throttle.record_failure(&keys, now);
        }
        let fresh = account_key("fresh@example.com");
        assert_eq!(
            retry_after(throttle.check(&[&fresh, &address], now)),
            15 * 60
        );
        throttle.check(&[&fresh], now).unwrap();
        throttle.check(&[&address_key("192.0.2.8")], now).unwrap();
    }

    #[test]
    fn limits_are_configurable() {
        let throttle = LoginThrottle::new(ThrottleConfig {
            account: Limit::new(2, MINUTE),
            address: Limit::new(0, MINUTE),
            ..ThrottleConfig::default()
        });
        let (account, address) = (account_key("a@b.c"), address_key("192.0.2.7"));
        let keys = [account.as_str(), address.as_str()];
        let now = Instant::now();
        throttle.record_failure(&keys, now);
        throttle.record_failure(&keys, now);
        assert_eq!(retry_after(throttle.check(&keys, now)), 60);
        // A disabled limit never refuses, and tracks nothing.
        throttle.check(&[&address], now).unwrap();
        assert_eq!(throttle.tracked_keys(), 1);
    }

    #[test]
    fn memory_stays_bounded() {
        let throttle = LoginThrottle::new(ThrottleConfig {
            max_keys: 100,
            ..ThrottleConfig::default()
        });
        let now = Instant::now();
        for i in 0..1_000 {
            throttle.record_failure(&[&account_key(&format!("u{i}@x"))], now);
            assert!(throttle.tracked_keys() <= 100);
        }
        // The most recent keys are kept.
        for _ in 1..5 {
            throttle.record_failure(&[&account_key("u999@x")], now);
        }
        assert!(throttle.check(&[&account_key("u999@x")], now).is_err());
        // Expired keys are pruned on access once a window has passed.
        throttle.check(&[], now + 16 * MINUTE).unwrap();
        assert_eq!(throttle.tracked_keys(), 0);
    }

    #[test]
    fn time_going_backwards_does_not_panic() {
        let throttle = LoginThrottle::default();
        let key = account_key("a@b.c");
        let now = Instant::now() + 60 * MINUTE;
        for i in 0..5 {
            throttle.record_failure(&[&key], now - i * MINUTE);
        }
        assert!(throttle.check(&[&key], now - 30 * MINUTE).is_err());
        throttle.check(&[&key], now + 30 * MINUTE).unwrap();
    }
}
