//! The network layer: broker connections ([`connection`]), their reconnect back-off,
//! and the selector-style poll loop over all of them ([`selector`]).

pub mod backoff;
pub mod connection;
pub mod selector;

use std::collections::BTreeMap;

use crate::protocol::api::{support, ApiKey};
use crate::protocol::messages::ApiVersionsResponse;

pub use connection::BrokerAddress;
pub use selector::{NetworkClient, Response};

/// The API versions one broker announced in its ApiVersions response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiVersionTable {
    versions: BTreeMap<ApiKey, (i16, i16)>,
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
        }
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
        let (min, max) = self.range(key)?;
        support(key)?.negotiate(min, max)
    }
}
