//! The origin binary's settings, parsed once at start-up from the names in
//! `folio_shared::settings`.

use folio_shared::settings::{Env, FOLIO_ADAPTERS, FOLIO_METRICS};
use tracing_subscriber::filter::Targets;

use crate::wiring::aws::{AwsSettings, log_filter};
use crate::wiring::error::ConfigError;

/// The origin Lambda's settings. It runs on AWS only: the embedded store and
/// the local issuer are `folio serve`'s, so the shipped binary carries none of
/// their code (`dist/origin.zip` is 1.6 MB of binary smaller for it, issue 33).
#[derive(Debug, Clone)]
pub struct OriginSettings {
    pub aws: Box<AwsSettings>,
    /// The `tracing` filter.
    pub log_filter: Targets,
    /// Whether CloudWatch custom metrics (EMF lines) are written: they cost
    /// money per metric, so only when the owner asks.
    pub metrics: bool,
}

impl OriginSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        match env.get(&FOLIO_ADAPTERS).unwrap_or(FOLIO_ADAPTERS.default) {
            "aws" => {}
            "local" => {
                return Err(ConfigError::Invalid {
                    name: FOLIO_ADAPTERS.name,
                    reason: "\"local\": the origin Lambda runs on AWS only; use aws (the default), and `folio serve` for the embedded store on one machine".into(),
                });
            }
            other => {
                return Err(ConfigError::Invalid {
                    name: FOLIO_ADAPTERS.name,
                    reason: format!("{other:?}: use aws (the default)"),
                });
            }
        }
        Ok(Self {
            aws: Box::new(AwsSettings::from_env(env)?),
            log_filter: log_filter(env)?,
            metrics: {
                let value = env.get(&FOLIO_METRICS).unwrap_or(FOLIO_METRICS.default);
                folio_shared::settings::metrics_on(value).ok_or_else(|| ConfigError::Invalid {
                    name: FOLIO_METRICS.name,
                    reason: format!("{value:?}: use off (the default) or on"),
                })?
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AWS: [(&str, &str); 4] = [
        ("TABLE_NAME", "folio"),
        ("USER_POOL_ID", "us-east-1_Example"),
        ("USER_POOL_CLIENT_ID", "exampleclientid"),
        ("AWS_REGION", "us-east-1"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Result<OriginSettings, ConfigError> {
        let pairs: Vec<(&str, &str)> = AWS.iter().chain(extra).copied().collect();
        OriginSettings::from_env(&Env::from_pairs(&pairs))
    }

    #[test]
    fn an_unknown_adapter_is_refused_by_name() {
        assert_eq!(
            with(&[("FOLIO_ADAPTERS", "locale")])
                .unwrap_err()
                .to_string(),
            "setting FOLIO_ADAPTERS is invalid: \"locale\": use aws (the default)"
        );
    }

    #[test]
    fn the_embedded_store_is_refused_with_the_command_that_runs_it() {
        let error = with(&[("FOLIO_ADAPTERS", "local")])
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("setting FOLIO_ADAPTERS is invalid"),
            "{error}"
        );
        assert!(error.contains("folio serve"), "{error}");
    }

    #[test]
    fn no_adapter_named_means_aws_and_its_required_settings() {
        let error = OriginSettings::from_env(&Env::default()).unwrap_err();
        assert!(
            matches!(error, ConfigError::Missing(ref names) if names.len() == 4),
            "{error}"
        );
        assert!(with(&[("FOLIO_ADAPTERS", "aws")]).is_ok());
    }

    #[test]
    fn the_log_filter_is_parsed_at_start_and_refused_by_name() {
        let filter = with(&[("RUST_LOG", "folio_origin=debug,warn")])
            .unwrap()
            .log_filter;
        assert!(filter.would_enable("folio_origin::http", &tracing::Level::DEBUG));
        assert!(!filter.would_enable("hyper", &tracing::Level::INFO));
        assert!(filter.would_enable("hyper", &tracing::Level::WARN));
        let error = with(&[("RUST_LOG", "folio_origin=loud")])
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("setting RUST_LOG is invalid: \"folio_origin=loud\""),
            "{error}"
        );
    }

    #[test]
    fn custom_metrics_are_off_unless_turned_on_because_each_costs_money() {
        assert!(!with(&[]).unwrap().metrics);
        assert!(with(&[("FOLIO_METRICS", "on")]).unwrap().metrics);
        assert_eq!(
            with(&[("FOLIO_METRICS", "yes")]).unwrap_err().to_string(),
            "setting FOLIO_METRICS is invalid: \"yes\": use off (the default) or on"
        );
    }
}
