//! The network layer: broker connections ([`connection`]), the sans-IO framing
//! ([`codec`]) and handshake (`handshake`: ApiVersions, SASL) they drive, their
//! reconnect back-off, TLS (`tls`) and SASL mechanisms ([`sasl`]), and the
//! poll loop over all of them ([`poll_loop`]).

pub mod backoff;
pub mod codec;
pub mod connection;
pub(crate) mod handshake;
pub mod poll_loop;
pub mod resolver;
pub mod sasl;
pub(crate) mod tls;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::security::SecurityConfig;
use crate::error::Result;

use crate::protocol::api::{support, ApiKey};
use crate::protocol::messages::ApiVersionsResponse;

pub use connection::BrokerAddress;
pub use poll_loop::{BrokerStatistics, NetworkClient, Response};

/// The TLS and SASL settings every connection of a client shares, prepared once from
/// the [`SecurityConfig`]: certificate files are read and the SASL token cache made
/// when the client is built, so a bad file fails construction.
#[derive(Debug, Clone, Default)]
pub struct Security {
    pub(crate) tls: Option<tls::TlsSettings>,
    pub(crate) sasl: Option<Arc<sasl::SaslSettings>>,
}

impl Security {
    /// Prepares `config` (which should have been validated).
    pub fn new(config: &SecurityConfig) -> Result<Self> {
        config.validate()?;
        let tls = if config.protocol.uses_tls() {
            Some(tls::TlsSettings::new(&config.tls)?)
        } else {
            None
        };
        let sasl = if config.protocol.uses_sasl() {
            Some(Arc::new(sasl::SaslSettings::new(&config.sasl)?))
        } else {
            None
        };
        Ok(Security { tls, sasl })
    }
}

/// The API versions one broker announced in its ApiVersions response, with the
/// cluster's finalized feature levels it reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiVersionTable {
    versions: BTreeMap<ApiKey, (i16, i16)>,
    /// Finalized feature name (`transaction.version`, `group.version`, ...) to its
    /// finalized `(min, max)` levels.
    features: BTreeMap<String, (i16, i16)>,
    /// Feature name to the `(min, max)` versions the broker supports.
    supported_features: BTreeMap<String, (i16, i16)>,
    /// The epoch of the finalized features, -1 if the broker gave none.
    features_epoch: i64,
}

impl ApiVersionTable {
    /// The table from an ApiVersions response.
    pub fn from_response(response: &ApiVersionsResponse) -> Self {
        ApiVersionTable {
            versions: response
                .api_keys
                .iter()
                .map(|k| (ApiKey(k.api_key), (k.min_version, k.max_version)))
                .collect(),
            features: response
                .finalized_features
                .iter()
                .map(|f| (f.name.clone(), (f.min_version_level, f.max_version_level)))
                .collect(),
            supported_features: response
                .supported_features
                .iter()
                .map(|f| (f.name.clone(), (f.min_version, f.max_version)))
                .collect(),
            features_epoch: response.finalized_features_epoch,
        }
    }

    /// The cluster's finalized features: name to `(min, max)` level.
    pub fn finalized_features(&self) -> &BTreeMap<String, (i16, i16)> {
        &self.features
    }

    /// The features the broker supports: name to `(min, max)` version.
    pub fn supported_features(&self) -> &BTreeMap<String, (i16, i16)> {
        &self.supported_features
    }

    /// The epoch of the finalized features, if the broker gave one.
    pub fn finalized_features_epoch(&self) -> Option<i64> {
        (self.features_epoch >= 0).then_some(self.features_epoch)
    }

    /// The finalized level of the cluster feature `name` (0 when not finalized, as
    /// Kafka treats a missing feature).
    pub fn feature_level(&self, name: &str) -> i16 {
        self.features.get(name).map_or(0, |&(_, max)| max)
    }

    /// The table with the broker's highest version of each API in `caps` lowered to the
    /// cap. A cap below the broker's lowest version leaves no version to negotiate.
    pub fn capped(mut self, caps: &BTreeMap<ApiKey, i16>) -> Self {
        for (key, &cap) in caps {
            if let Some((_, max)) = self.versions.get_mut(key) {
                *max = (*max).min(cap);
            }
        }
        self
    }

    /// The broker's `(min, max)` version of `key`, if it supports the API.
    pub fn range(&self, key: ApiKey) -> Option<(i16, i16)> {
        self.versions.get(&key).copied()
    }

    /// Every API the broker announced with its `(min, max)` versions.
    pub fn iter(&self) -> impl Iterator<Item = (ApiKey, (i16, i16))> + '_ {
        self.versions.iter().map(|(k, v)| (*k, *v))
    }

    /// The version of `key` to use with this broker: the highest both support.
    pub fn negotiate(&self, key: ApiKey) -> Option<i16> {
        self.negotiate_at_most(key, i16::MAX)
    }

    /// The highest version of `key` both support, no higher than `cap` (for versions
    /// whose number means more than their fields, such as Produce 12, which asks the
    /// broker to add partitions to a transaction itself).
    pub fn negotiate_at_most(&self, key: ApiKey, cap: i16) -> Option<i16> {
        let (min, max) = self.range(key)?;
        support(key)?.negotiate(min, max.min(cap))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(entries: &[(ApiKey, i16, i16)]) -> ApiVersionTable {
        ApiVersionTable {
            versions: entries.iter().map(|&(k, lo, hi)| (k, (lo, hi))).collect(),
            ..ApiVersionTable::default()
        }
    }

    #[test]
    fn a_version_cap_keeps_the_negotiation_within_both_ranges() {
        let broker = table(&[(ApiKey::PRODUCE, 3, 13)]);
        let ours = support(ApiKey::PRODUCE).expect("produce").max_version;
        assert_eq!(broker.negotiate(ApiKey::PRODUCE), Some(ours.min(13)));
        assert_eq!(broker.negotiate_at_most(ApiKey::PRODUCE, 11), Some(11));
        assert_eq!(
            broker.negotiate_at_most(ApiKey::PRODUCE, 2),
            None,
            "below both minimums"
        );
    }

    #[test]
    fn finalized_features_come_from_the_response() {
        use crate::protocol::messages::FinalizedFeatureKey;
        let response = ApiVersionsResponse {
            finalized_features: vec![FinalizedFeatureKey {
                name: "transaction.version".into(),
                max_version_level: 2,
                min_version_level: 2,
            }],
            ..ApiVersionsResponse::default()
        };
        let table = ApiVersionTable::from_response(&response);
        assert_eq!(table.feature_level("transaction.version"), 2);
        assert_eq!(table.feature_level("group.version"), 0, "not finalized");
    }

    #[test]
    fn caps_lower_the_negotiated_version_and_nothing_else() {
        let broker = table(&[
            (ApiKey::JOIN_GROUP, 0, 9),
            (ApiKey::SYNC_GROUP, 0, 5),
            (ApiKey::HEARTBEAT, 0, 4),
        ]);
        assert_eq!(broker.negotiate(ApiKey::JOIN_GROUP), Some(9));
        let caps = BTreeMap::from([(ApiKey::JOIN_GROUP, 5), (ApiKey::SYNC_GROUP, 3)]);
        let capped = broker.capped(&caps);
        assert_eq!(capped.negotiate(ApiKey::JOIN_GROUP), Some(5));
        assert_eq!(capped.negotiate(ApiKey::SYNC_GROUP), Some(3));
        assert_eq!(capped.negotiate(ApiKey::HEARTBEAT), Some(4));
        // A cap on an API the broker lacks adds nothing.
        let caps = BTreeMap::from([(ApiKey::PRODUCE, 7)]);
        assert_eq!(table(&[]).capped(&caps).negotiate(ApiKey::PRODUCE), None);
    }

    #[test]
    fn a_cap_below_the_brokers_range_leaves_no_version() {
        let broker = table(&[(ApiKey::PRODUCE, 3, 11)]);
        let caps = BTreeMap::from([(ApiKey::PRODUCE, 2)]);
        assert_eq!(broker.capped(&caps).negotiate(ApiKey::PRODUCE), None);
    }
}
