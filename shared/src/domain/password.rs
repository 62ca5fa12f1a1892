//! The password policy, once: the local issuer enforces it, the change-password
//! operation checks it before any identity provider sees the password, and
//! `template.yaml`'s user pool declares the same (tests/template_test.py, through
//! `folio owner password-policy`).

use serde_json::{Value, json};

use crate::domain::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
}

pub const PASSWORD_POLICY: PasswordPolicy = PasswordPolicy {
    min_length: 12,
    require_lowercase: true,
    require_uppercase: true,
    require_numbers: true,
    require_symbols: false,
};

/// Cognito's limit on a password's length.
pub const MAX_PASSWORD_CHARS: usize = 256;

impl PasswordPolicy {
    /// The document's `pattern` of a new password: one of each required class, in
    /// any order (every ordering spelled out: generators of test data cannot read
    /// lookaheads). `None` when no class is required.
    pub fn pattern(&self) -> Option<String> {
        let classes: Vec<&str> = [
            (self.require_lowercase, "[a-z]"),
            (self.require_uppercase, "[A-Z]"),
            (self.require_numbers, "[0-9]"),
        ]
        .into_iter()
        .filter_map(|(on, class)| on.then_some(class))
        .collect();
        if classes.is_empty() {
            return None;
        }
        // Every ordering of the classes (at most 3! = 6).
        let mut orders: Vec<Vec<&str>> = vec![Vec::new()];
        for _ in 0..classes.len() {
            let mut longer = Vec::new();
            for order in &orders {
                for class in classes.iter().filter(|c| !order.contains(c)) {
                    let mut next = order.clone();
                    next.push(class);
                    longer.push(next);
                }
            }
            orders = longer;
        }
        Some(
            orders
                .iter()
                .map(|order| order.join("[\\s\\S]*"))
                .collect::<Vec<_>>()
                .join("|"),
        )
    }

    /// Checks `password`; the error names `field` and what is missing.
    pub fn check(&self, field: &str, password: &str) -> Result<(), FieldError> {
        let length = password.chars().count();
        let mut missing = Vec::new();
        if length < self.min_length {
            missing.push(format!("at least {} characters", self.min_length));
        }
        // Letters of the basic Latin alphabet: the stricter reading of Cognito's
        // "lowercase letter", and what the document's `pattern` says.
        if self.require_lowercase && !password.chars().any(|c| c.is_ascii_lowercase()) {
            missing.push("a lower-case letter".to_string());
        }
        if self.require_uppercase && !password.chars().any(|c| c.is_ascii_uppercase()) {
            missing.push("an upper-case letter".to_string());
        }
        if self.require_numbers && !password.chars().any(|c| c.is_ascii_digit()) {
            missing.push("a digit".to_string());
        }
        if self.require_symbols && password.chars().all(char::is_alphanumeric) {
            missing.push("a symbol".to_string());
        }
        if length > MAX_PASSWORD_CHARS {
            return Err(FieldError::new(
                field,
                format!("must be at most {MAX_PASSWORD_CHARS} characters"),
            ));
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(FieldError::new(
                field,
                format!("needs {}", missing.join(", ")),
            ))
        }
    }

    /// The policy in the shape of the template's `Policies.PasswordPolicy`.
    pub fn document(&self) -> Value {
        json!({
            "MinimumLength": self.min_length,
            "RequireLowercase": self.require_lowercase,
            "RequireUppercase": self.require_uppercase,
            "RequireNumbers": self.require_numbers,
            "RequireSymbols": self.require_symbols,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_what_a_password_lacks() {
        assert!(
            PASSWORD_POLICY
                .check("p", "Correct-horse-battery-st4ple")
                .is_ok()
        );
        let short = PASSWORD_POLICY.check("newPassword", "Ab1").unwrap_err();
        assert_eq!(short.field, "newPassword");
        assert!(short.issue.contains("12 characters"), "{}", short.issue);
        let no_digit = PASSWORD_POLICY
            .check("p", "Long-enough-password")
            .unwrap_err();
        assert!(no_digit.issue.contains("digit"));
        assert!(PASSWORD_POLICY.check("p", "all-lower-case-1").is_err());
    }
}
