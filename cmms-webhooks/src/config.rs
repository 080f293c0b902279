//! How the webhook client behaves: time limits, the response cap, and whether private
//! addresses may be reached — in code, or from the environment.

use std::time::Duration;

/// Settings of an [`HttpSender`](crate::HttpSender).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderConfig {
    /// The whole exchange (connect, send, answer) must finish within this.
    pub timeout: Duration,
    /// Connecting must finish within this.
    pub connect_timeout: Duration,
    /// At most this much of a response body is read; the rest is dropped with the connection.
    pub max_response_bytes: usize,
    /// Let requests reach loopback, private and link-local addresses (tests, private networks).
    pub allow_private: bool,
}

impl Default for SenderConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            max_response_bytes: 64 * 1024,
            allow_private: false,
        }
    }
}

/// A setting that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// An environment variable holds something else than expected.
    #[error("{name}={value:?}: {expected}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it should be.
        expected: &'static str,
    },
    /// The TLS setup failed.
    #[error("TLS setup: {0}")]
    Tls(String),
}

impl SenderConfig {
    /// The defaults, changed by `CMMS_WEBHOOKS_ALLOW_PRIVATE` (`1`/`true`/`yes` or
    /// `0`/`false`/`no`) and `CMMS_WEBHOOKS_TIMEOUT_SECS` (1 to 300).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`SenderConfig::from_env`] over any source of variables.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        if let Some(v) = get("CMMS_WEBHOOKS_ALLOW_PRIVATE") {
            config.allow_private = match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" | "" => false,
                _ => return Err(invalid("CMMS_WEBHOOKS_ALLOW_PRIVATE", v, "true or false")),
            };
        }
        if let Some(v) = get("CMMS_WEBHOOKS_TIMEOUT_SECS") {
            match v.trim().parse::<u64>() {
                Ok(secs @ 1..=300) => config.timeout = Duration::from_secs(secs),
                _ => return Err(invalid("CMMS_WEBHOOKS_TIMEOUT_SECS", v, "seconds, 1 to 300")),
            }
        }
        Ok(config)
    }
}

fn invalid(name: &'static str, value: String, expected: &'static str) -> ConfigError {
    ConfigError::Invalid { name, value, expected }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn variables_are_read_and_checked() {
        let vars = |pairs: &'static [(&str, &str)]| {
            move |n: &str| pairs.iter().find(|(k, _)| *k == n).map(|(_, v)| v.to_string())
        };
        let c = SenderConfig::from_vars(vars(&[
            ("CMMS_WEBHOOKS_ALLOW_PRIVATE", "yes"),
            ("CMMS_WEBHOOKS_TIMEOUT_SECS", "3"),
        ]))
        .unwrap();
        assert!(c.allow_private);
        assert_eq!(c.timeout, Duration::from_secs(3));
        assert_eq!(SenderConfig::from_vars(vars(&[])).unwrap(), SenderConfig::default());
        for bad in [
            &[("CMMS_WEBHOOKS_ALLOW_PRIVATE", "maybe")][..],
            &[("CMMS_WEBHOOKS_TIMEOUT_SECS", "0")][..],
            &[("CMMS_WEBHOOKS_TIMEOUT_SECS", "ten")][..],
        ] {
            let bad: &'static [(&str, &str)] = bad;
            assert!(SenderConfig::from_vars(vars(bad)).is_err(), "{bad:?}");
        }
    }
}
