//! Typed access to environment variables with errors that name the variable.

use std::collections::HashMap;
use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;

use secrecy::SecretString;

/// A configuration error; its message always names the variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is required but not set")]
    Missing { name: String },
    #[error("{name} is invalid: {reason}")]
    Invalid { name: String, reason: String },
}

/// Where variables come from: the process environment, or a map in tests.
#[derive(Debug, Clone, Default)]
pub struct EnvSource {
    overrides: Option<HashMap<String, String>>,
}

impl EnvSource {
    /// Reads the real process environment.
    pub fn process() -> Self {
        Self { overrides: None }
    }

    /// Reads only the given map (tests).
    pub fn from_map(map: HashMap<String, String>) -> Self {
        Self {
            overrides: Some(map),
        }
    }

    /// Variables given as pairs (tests, tools), in place of the process environment.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self::from_map(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    /// Raw value, `None` when unset. Blank counts as set (blank disables schedule entries).
    pub fn get(&self, name: &str) -> Option<String> {
        match &self.overrides {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }

    /// All variables whose name starts with `prefix`.
    pub fn with_prefix(&self, prefix: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = match &self.overrides {
            Some(map) => map
                .iter()
                .filter(|(k, _)| k.starts_with(prefix))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            None => std::env::vars()
                .filter(|(k, _)| k.starts_with(prefix))
                .collect(),
        };
        out.sort();
        out
    }

    /// The error of variable `name` holding a value that is refused for `reason` (the value is not quoted:
    /// it may be a secret).
    pub fn invalid(&self, name: &str, reason: impl Display) -> ConfigError {
        ConfigError::Invalid {
            name: name.to_owned(),
            reason: reason.to_string(),
        }
    }

    /// A required, non-blank value.
    pub fn required(&self, name: &str) -> Result<String, ConfigError> {
        match self.get(name) {
            Some(v) if !v.trim().is_empty() => Ok(v),
            _ => Err(ConfigError::Missing {
                name: name.to_owned(),
            }),
        }
    }

    /// A value or its default when unset or blank.
    pub fn string_or(&self, name: &str, default: &str) -> Result<String, ConfigError> {
        Ok(self
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| default.to_owned()))
    }

    /// Parses a value, falling back to `default` when unset or blank.
    pub fn parse_or<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.get(name).filter(|v| !v.trim().is_empty()) {
            None => Ok(default),
            Some(raw) => raw.trim().parse().map_err(|e| self.invalid(name, e)),
        }
    }

    /// Parses a number and checks it lies in `range`.
    pub fn parse_in<T>(
        &self,
        name: &str,
        default: T,
        range: RangeInclusive<T>,
    ) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + Display + Copy,
        T::Err: Display,
    {
        let value = self.parse_or(name, default)?;
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(self.invalid(
                name,
                format!("{value} is outside {}..={}", range.start(), range.end()),
            ))
        }
    }

    /// A boolean (`true/false/1/0/yes/no`).
    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if v.is_empty() => Ok(default),
            Some(v) => match v.as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" => Ok(false),
                _ => Err(self.invalid(name, "expected true or false")),
            },
        }
    }

    /// A required URL whose scheme is one of `schemes`; kept secret because it may hold a password.
    pub fn url(&self, name: &str, schemes: &[&str]) -> Result<SecretString, ConfigError> {
        let raw = self.required(name)?;
        let scheme = raw.split("://").next().unwrap_or_default();
        if !raw.contains("://") || !schemes.contains(&scheme) {
            return Err(self.invalid(
                name,
                format!("expected a URL starting with {}://", schemes.join("://, ")),
            ));
        }
        Ok(SecretString::from(raw))
    }
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "tests: a panic with its message is the failure report"
    )]
    use super::*;

    #[test]
    fn errors_name_the_variable() {
        let e = EnvSource::from_pairs(&[("N", "abc")]);
        let err = e.parse_or::<u32>("N", 1).unwrap_err().to_string();
        assert!(err.starts_with("N is invalid"), "{err}");
        let err = e.required("MISSING").unwrap_err().to_string();
        assert_eq!(err, "MISSING is required but not set");
        let err = EnvSource::from_pairs(&[("N", "900")])
            .parse_in::<u32>("N", 1, 1..=10)
            .unwrap_err()
            .to_string();
        assert!(err.contains("N is invalid") && err.contains("900"), "{err}");
        let err = EnvSource::from_pairs(&[("U", "mysql://x")])
            .url("U", &["postgres"])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("U is invalid"), "{err}");
        assert!(
            EnvSource::from_pairs(&[("B", "maybe")])
                .bool_or("B", true)
                .is_err()
        );
    }

    #[test]
    fn defaults_apply_when_unset_or_blank() {
        let e = EnvSource::from_pairs(&[("B", " ")]);
        assert_eq!(e.parse_or::<u32>("B", 7).unwrap(), 7);
        assert_eq!(e.parse_or::<u32>("UNSET", 8).unwrap(), 8);
        assert!(e.bool_or("UNSET", true).unwrap());
    }
}
