//! `folio serve --regions`: the switch that takes a Region's origin or its store
//! endpoint down and brings it back, for trying failover by hand and for tests
//! that drive the `folio` process. Only there with two Regions; never on AWS.
//!
//! `PUT /_standin/regions/{region}?origin=up|unreachable|silent&store=up|down`

use std::sync::Arc;

use folio_origin::adapters::resilience::FaultPlan;

use crate::standin::{Distribution, OriginHealth};

/// Where the switch's requests go.
pub const PREFIX: &str = "/_standin/regions/";

pub struct RegionSwitch {
    pub pipeline: Arc<Distribution>,
    /// Each Region's store faults, by Region name.
    pub stores: Vec<(String, FaultPlan)>,
}

/// What a switch request asked for, or why it cannot be done.
#[derive(Debug, PartialEq, Eq)]
pub struct Switch {
    pub region: String,
    pub origin: Option<OriginHealth>,
    pub store_down: Option<bool>,
}

impl Switch {
    /// Parses `{region}` (after [`PREFIX`]) and the query.
    pub fn parse(region: &str, query: Option<&str>) -> Result<Self, String> {
        let mut switch = Self {
            region: region.to_string(),
            origin: None,
            store_down: None,
        };
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match (name.as_ref(), value.as_ref()) {
                ("origin", "up") => switch.origin = Some(OriginHealth::Up),
                ("origin", "unreachable") => switch.origin = Some(OriginHealth::Unreachable),
                ("origin", "silent") => switch.origin = Some(OriginHealth::Silent),
                ("store", "up") => switch.store_down = Some(false),
                ("store", "down") => switch.store_down = Some(true),
                (name, value) => {
                    return Err(format!(
                        "{name}={value}: use origin=up|unreachable|silent and store=up|down"
                    ));
                }
            }
        }
        if switch.origin.is_none() && switch.store_down.is_none() {
            return Err(
                "nothing to switch: use origin=up|unreachable|silent and store=up|down".into(),
            );
        }
        Ok(switch)
    }
}

impl RegionSwitch {
    /// Applies `switch`; false when the Region is not one of the two.
    pub fn apply(&self, switch: &Switch) -> bool {
        let Some((_, plan)) = self.stores.iter().find(|(r, _)| *r == switch.region) else {
            return false;
        };
        if let Some(health) = switch.origin {
            self.pipeline.set_health(&switch.region, health);
        }
        if let Some(down) = switch.store_down {
            plan.set_outage(down);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_switch_names_what_it_changes_and_refuses_anything_else() {
        assert_eq!(
            Switch::parse("eu-west-1", Some("origin=unreachable&store=down")),
            Ok(Switch {
                region: "eu-west-1".into(),
                origin: Some(OriginHealth::Unreachable),
                store_down: Some(true),
            })
        );
        assert!(Switch::parse("eu-west-1", None).is_err());
        assert!(Switch::parse("eu-west-1", Some("origin=down")).is_err());
        assert!(Switch::parse("eu-west-1", Some("cache=off")).is_err());
    }
}
