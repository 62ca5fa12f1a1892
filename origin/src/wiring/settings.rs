//! The origin binary's settings, parsed once at start-up from the names in
//! `folio_shared::settings`.

use std::path::PathBuf;

use folio_shared::settings::{
    Env, FOLIO_ADAPTERS, FOLIO_DATA_DIR, FOLIO_ISSUER, FOLIO_METRICS, RUST_LOG,
};

use crate::usecases::site::Site;
use crate::usecases::webhooks::WebhookSettings;
use crate::wiring::aws::AwsSettings;
use crate::wiring::error::ConfigError;
use crate::wiring::local::LocalConfig;

/// Where the origin Lambda's embedded store lives with `FOLIO_ADAPTERS=local`
/// (Lambda's only writable directory).
pub const LAMBDA_DATA_DIR: &str = "/tmp/folio";

/// Which adapters the origin runs on, with their settings.
#[derive(Debug, Clone)]
pub enum Adapters {
    Aws(Box<AwsSettings>),
    Local(Box<LocalConfig>),
}

#[derive(Debug, Clone)]
pub struct OriginSettings {
    pub adapters: Adapters,
    /// The `tracing` filter.
    pub log_filter: String,
    /// Whether CloudWatch custom metrics (EMF lines) are written: they cost
    /// money per metric, so only when the owner asks.
    pub metrics: bool,
}

impl OriginSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let adapters = match env.get(&FOLIO_ADAPTERS).unwrap_or(FOLIO_ADAPTERS.default) {
            "aws" => Adapters::Aws(Box::new(AwsSettings::from_env(env)?)),
            "local" => {
                let mut config = LocalConfig::plain(
                    env.get(&FOLIO_DATA_DIR)
                        .map_or_else(|| PathBuf::from(LAMBDA_DATA_DIR), PathBuf::from),
                    env.get(&FOLIO_ISSUER).unwrap_or(FOLIO_ISSUER.default),
                );
                config.site = Site::from_env(env)?;
                config.webhooks = WebhookSettings::from_env(env)?;
                Adapters::Local(Box::new(config))
            }
            other => {
                return Err(ConfigError::Invalid {
                    name: FOLIO_ADAPTERS.name,
                    reason: format!("{other:?}: use aws (the default) or local"),
                });
            }
        };
        Ok(Self {
            adapters,
            log_filter: env.get(&RUST_LOG).unwrap_or(RUST_LOG.default).to_string(),
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

    #[test]
    fn an_unknown_adapter_is_refused_by_name() {
        let error = OriginSettings::from_env(&Env::from_pairs(&[("FOLIO_ADAPTERS", "locale")]))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "setting FOLIO_ADAPTERS is invalid: \"locale\": use aws (the default) or local"
        );
    }

    #[test]
    fn no_adapter_named_means_aws_and_its_required_settings() {
        let error = OriginSettings::from_env(&Env::default()).unwrap_err();
        assert!(
            matches!(error, ConfigError::Missing(ref names) if names.len() == 4),
            "{error}"
        );
    }

    #[test]
    fn local_mode_reads_the_same_site_settings_as_aws_mode() {
        let settings = OriginSettings::from_env(&Env::from_pairs(&[
            ("FOLIO_ADAPTERS", "local"),
            ("SITE_URL", "https://jane.dev"),
        ]))
        .unwrap();
        let Adapters::Local(config) = settings.adapters else {
            panic!("local")
        };
        assert_eq!(config.data_dir, PathBuf::from(LAMBDA_DATA_DIR));
        assert_eq!(config.issuer, "folio-local");
        assert_eq!(config.site.unwrap().home(), "https://jane.dev/");
    }

    #[test]
    fn custom_metrics_are_off_unless_turned_on_because_each_costs_money() {
        let local = [("FOLIO_ADAPTERS", "local")];
        assert!(
            !OriginSettings::from_env(&Env::from_pairs(&local))
                .unwrap()
                .metrics
        );
        let on = [("FOLIO_ADAPTERS", "local"), ("FOLIO_METRICS", "on")];
        assert!(
            OriginSettings::from_env(&Env::from_pairs(&on))
                .unwrap()
                .metrics
        );
        let typo = [("FOLIO_ADAPTERS", "local"), ("FOLIO_METRICS", "yes")];
        assert_eq!(
            OriginSettings::from_env(&Env::from_pairs(&typo))
                .unwrap_err()
                .to_string(),
            "setting FOLIO_METRICS is invalid: \"yes\": use off (the default) or on"
        );
    }
}
