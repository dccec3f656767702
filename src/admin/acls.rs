//! ACLs: `create_acls`, `describe_acls` (one filter) and `delete_acls` (several
//! filters, each returning what it deleted), with the types of Java's `Admin` client:
//! an [`AclBinding`] is a [`ResourcePattern`] plus an [`AccessControlEntry`], and an
//! [`AclBindingFilter`] a [`ResourcePatternFilter`] plus an
//! [`AccessControlEntryFilter`].
//!
//! Every call goes to any broker, which forwards it to the controller (KRaft). A
//! cluster without an authorizer answers SECURITY_DISABLED. ACLs reach the brokers'
//! authorizers a moment after a call returns, as with the Java client.
//!
//! ```no_run
//! use std::time::Duration;
//! use kafka_sync::admin::{
//!     AccessControlEntry, AclBinding, AclBindingFilter, AclOperation, AclPermissionType,
//!     PatternType, ResourcePattern, ResourceType,
//! };
//! use kafka_sync::{AdminConfig, KafkaAdminClient};
//!
//! let admin = KafkaAdminClient::new(AdminConfig::new("localhost:9092"))?;
//! let binding = AclBinding::new(
//!     ResourcePattern::new(ResourceType::Topic, "events", PatternType::Literal),
//!     AccessControlEntry::new("User:alice", "*", AclOperation::Read, AclPermissionType::Allow),
//! );
//! let timeout = Duration::from_secs(10);
//! for result in admin.create_acls(&[binding.clone()], timeout)? {
//!     result?;
//! }
//! for acl in admin.describe_acls(&binding.to_filter(), timeout)? {
//!     println!("{acl}");
//! }
//! let deleted = admin.delete_acls(&[AclBindingFilter::any()], timeout)?;
//! println!("deleted {:?}", deleted[0].as_ref().map(Vec::len));
//! # Ok::<(), kafka_sync::KafkaError>(())
//! ```

use std::fmt;
use std::time::Duration;

use super::routing::send_to_any_or;
use super::{item_result, KafkaAdminClient};
use crate::error::{ErrorKind, KafkaError, Result};
use crate::protocol::messages::{
    CreateAclsRequest, CreateAclsRequestCreation, DeleteAclsRequest, DeleteAclsRequestFilter,
    DescribeAclsRequest,
};

/// An enum of the ACL APIs with its wire codes (Kafka's Java enum of the same name),
/// its Java names, and `Unknown` (code 0) for codes this client does not know.
macro_rules! wire_enum {
    (
        $(#[$doc:meta])*
        $name:ident {
            $( $(#[$vdoc:meta])* $variant:ident = $code:literal, $java:literal; )*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )*
        }

        impl $name {
            /// Every value, `Unknown` first.
            pub const VALUES: &'static [$name] = &[$($name::$variant),*];

            /// The wire code.
            pub fn code(self) -> i8 {
                match self {
                    $( $name::$variant => $code, )*
                }
            }

            /// The value of wire code `code`: `Unknown` for a code this client does not
            /// know (a newer broker's).
            pub fn from_code(code: i8) -> Self {
                match code {
                    $( $code => $name::$variant, )*
                    _ => $name::Unknown,
                }
            }

            /// The name Kafka's Java client gives it (`TOPIC`, `LITERAL`, `READ`, ...).
            pub fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => $java, )*
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

wire_enum! {
    /// What kind of resource an ACL protects (Kafka's `ResourceType`).
    ResourceType {
        /// A code this client does not know; never valid in a request.
        Unknown = 0, "UNKNOWN";
        /// In a filter: any resource type.
        Any = 1, "ANY";
        /// A topic.
        Topic = 2, "TOPIC";
        /// A consumer group.
        Group = 3, "GROUP";
        /// The cluster (its one resource is named `kafka-cluster`).
        Cluster = 4, "CLUSTER";
        /// A transactional id.
        TransactionalId = 5, "TRANSACTIONAL_ID";
        /// A delegation token.
        DelegationToken = 6, "DELEGATION_TOKEN";
        /// A user (for delegation tokens created on another user's behalf).
        User = 7, "USER";
    }
}

wire_enum! {
    /// How an ACL's resource name is matched (Kafka's `PatternType`, KIP-290).
    PatternType {
        /// A code this client does not know; never valid in a request.
        Unknown = 0, "UNKNOWN";
        /// In a filter: ACLs of any pattern type whose name equals the filter's.
        Any = 1, "ANY";
        /// In a filter: every ACL that applies to the filter's name: literal ACLs of
        /// that name, the wildcard `*`, and prefixed ACLs whose prefix it starts with.
        Match = 2, "MATCH";
        /// The name is the resource's name (or `*`, every resource of the type).
        Literal = 3, "LITERAL";
        /// The name is a prefix of the resources' names.
        Prefixed = 4, "PREFIXED";
    }
}

wire_enum! {
    /// What an ACL allows or denies (Kafka's `AclOperation`).
    AclOperation {
        /// A code this client does not know; never valid in a request.
        Unknown = 0, "UNKNOWN";
        /// In a filter: any operation.
        Any = 1, "ANY";
        /// Every operation.
        All = 2, "ALL";
        /// Read (fetch, commit offsets).
        Read = 3, "READ";
        /// Write (produce).
        Write = 4, "WRITE";
        /// Create (topics).
        Create = 5, "CREATE";
        /// Delete (topics, records, groups).
        Delete = 6, "DELETE";
        /// Alter (partitions, ACLs).
        Alter = 7, "ALTER";
        /// Describe (metadata, offsets, groups).
        Describe = 8, "DESCRIBE";
        /// Inter-broker and controller operations.
        ClusterAction = 9, "CLUSTER_ACTION";
        /// Describe configs.
        DescribeConfigs = 10, "DESCRIBE_CONFIGS";
        /// Alter configs.
        AlterConfigs = 11, "ALTER_CONFIGS";
        /// Idempotent produce (a producer id).
        IdempotentWrite = 12, "IDEMPOTENT_WRITE";
        /// Create delegation tokens.
        CreateTokens = 13, "CREATE_TOKENS";
        /// Describe delegation tokens.
        DescribeTokens = 14, "DESCRIBE_TOKENS";
        /// Two-phase commit of transactions (KIP-939).
        TwoPhaseCommit = 15, "TWO_PHASE_COMMIT";
    }
}

wire_enum! {
    /// Whether an ACL allows or denies (Kafka's `AclPermissionType`).
    AclPermissionType {
        /// A code this client does not know; never valid in a request.
        Unknown = 0, "UNKNOWN";
        /// In a filter: allow or deny.
        Any = 1, "ANY";
        /// Denies the operation (a deny wins over any allow).
        Deny = 2, "DENY";
        /// Allows the operation.
        Allow = 3, "ALLOW";
    }
}

/// The resources an ACL applies to: a type, a name and how the name matches.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourcePattern {
    /// The kind of resource (not `Any` or `Unknown`).
    pub resource_type: ResourceType,
    /// The name, `*` for every resource of the type (literal patterns), or a prefix.
    pub name: String,
    /// `Literal` or `Prefixed`.
    pub pattern_type: PatternType,
}

impl ResourcePattern {
    /// The resources of `resource_type` that `name` names, as `pattern_type` says.
    pub fn new(
        resource_type: ResourceType,
        name: impl Into<String>,
        pattern_type: PatternType,
    ) -> Self {
        ResourcePattern {
            resource_type,
            name: name.into(),
            pattern_type,
        }
    }

    /// A filter that matches exactly this pattern.
    pub fn to_filter(&self) -> ResourcePatternFilter {
        ResourcePatternFilter {
            resource_type: self.resource_type,
            name: Some(self.name.clone()),
            pattern_type: self.pattern_type,
        }
    }
}

impl fmt::Display for ResourcePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} `{}` ({})",
            self.resource_type, self.name, self.pattern_type
        )
    }
}

/// Who may (or may not) do what from where.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccessControlEntry {
    /// The principal, `User:<name>` (or `User:*` for everybody).
    pub principal: String,
    /// The client host, or `*` for any host.
    pub host: String,
    /// The operation (not `Any` or `Unknown`).
    pub operation: AclOperation,
    /// `Allow` or `Deny`.
    pub permission_type: AclPermissionType,
}

impl AccessControlEntry {
    /// `permission_type` of `operation` for `principal` connecting from `host`.
    pub fn new(
        principal: impl Into<String>,
        host: impl Into<String>,
        operation: AclOperation,
        permission_type: AclPermissionType,
    ) -> Self {
        AccessControlEntry {
            principal: principal.into(),
            host: host.into(),
            operation,
            permission_type,
        }
    }

    /// A filter that matches exactly this entry.
    pub fn to_filter(&self) -> AccessControlEntryFilter {
        AccessControlEntryFilter {
            principal: Some(self.principal.clone()),
            host: Some(self.host.clone()),
            operation: self.operation,
            permission_type: self.permission_type,
        }
    }
}

impl fmt::Display for AccessControlEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} for {} from {}",
            self.permission_type, self.operation, self.principal, self.host
        )
    }
}

/// An ACL: an entry that applies to the resources of a pattern.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AclBinding {
    /// The resources.
    pub pattern: ResourcePattern,
    /// Who may do what.
    pub entry: AccessControlEntry,
}

impl AclBinding {
    /// The ACL of `entry` on `pattern`.
    pub fn new(pattern: ResourcePattern, entry: AccessControlEntry) -> Self {
        AclBinding { pattern, entry }
    }

    /// A filter that matches exactly this ACL.
    pub fn to_filter(&self) -> AclBindingFilter {
        AclBindingFilter::new(self.pattern.to_filter(), self.entry.to_filter())
    }

    /// Why the binding cannot be created: a field of a filter's kind (`Any`, `Match`)
    /// or `Unknown` (Java's `findIndefiniteField`).
    fn indefinite_field(&self) -> Option<String> {
        let p = &self.pattern;
        let e = &self.entry;
        if matches!(p.resource_type, ResourceType::Any | ResourceType::Unknown) {
            return Some(format!("resource type {}", p.resource_type));
        }
        if !matches!(p.pattern_type, PatternType::Literal | PatternType::Prefixed) {
            return Some(format!("pattern type {}", p.pattern_type));
        }
        if matches!(e.operation, AclOperation::Any | AclOperation::Unknown) {
            return Some(format!("operation {}", e.operation));
        }
        if !matches!(
            e.permission_type,
            AclPermissionType::Allow | AclPermissionType::Deny
        ) {
            return Some(format!("permission type {}", e.permission_type));
        }
        None
    }
}

impl fmt::Display for AclBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.entry, self.pattern)
    }
}

/// Which resource patterns a filter matches. A `None` name matches any name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourcePatternFilter {
    /// The resource type, or `Any`.
    pub resource_type: ResourceType,
    /// The name, or `None` for any name.
    pub name: Option<String>,
    /// `Literal` or `Prefixed` (that pattern type only), `Any` (any pattern type, the
    /// same name), or `Match` (every pattern that applies to the name).
    pub pattern_type: PatternType,
}

impl ResourcePatternFilter {
    /// A filter of the patterns of `resource_type` and `name` (`None`: any name) as
    /// `pattern_type` says.
    pub fn new(resource_type: ResourceType, name: Option<&str>, pattern_type: PatternType) -> Self {
        ResourcePatternFilter {
            resource_type,
            name: name.map(str::to_owned),
            pattern_type,
        }
    }

    /// Matches every pattern.
    pub fn any() -> Self {
        ResourcePatternFilter::new(ResourceType::Any, None, PatternType::Any)
    }

    /// Whether `pattern` passes the filter (as the brokers decide).
    pub fn matches(&self, pattern: &ResourcePattern) -> bool {
        if self.resource_type != ResourceType::Any && self.resource_type != pattern.resource_type {
            return false;
        }
        if !matches!(self.pattern_type, PatternType::Any | PatternType::Match)
            && self.pattern_type != pattern.pattern_type
        {
            return false;
        }
        let Some(name) = &self.name else {
            return true;
        };
        if matches!(self.pattern_type, PatternType::Any)
            || self.pattern_type == pattern.pattern_type
        {
            return *name == pattern.name;
        }
        // Match: what applies to `name`.
        match pattern.pattern_type {
            PatternType::Literal => *name == pattern.name || pattern.name == "*",
            PatternType::Prefixed => name.starts_with(&pattern.name),
            _ => false,
        }
    }

    fn has_unknown(&self) -> bool {
        self.resource_type == ResourceType::Unknown || self.pattern_type == PatternType::Unknown
    }
}

/// Which access control entries a filter matches. `None` matches anything.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccessControlEntryFilter {
    /// The principal, or `None` for any.
    pub principal: Option<String>,
    /// The host, or `None` for any.
    pub host: Option<String>,
    /// The operation, or `Any`.
    pub operation: AclOperation,
    /// The permission type, or `Any`.
    pub permission_type: AclPermissionType,
}

impl AccessControlEntryFilter {
    /// A filter of the entries of `principal` from `host` (`None`: any) with
    /// `operation` and `permission_type` (or `Any`).
    pub fn new(
        principal: Option<&str>,
        host: Option<&str>,
        operation: AclOperation,
        permission_type: AclPermissionType,
    ) -> Self {
        AccessControlEntryFilter {
            principal: principal.map(str::to_owned),
            host: host.map(str::to_owned),
            operation,
            permission_type,
        }
    }

    /// Matches every entry.
    pub fn any() -> Self {
        AccessControlEntryFilter::new(None, None, AclOperation::Any, AclPermissionType::Any)
    }

    /// Whether `entry` passes the filter. Values match exactly: the filter `User:*`
    /// matches the entries of `User:*` only, not every user's.
    pub fn matches(&self, entry: &AccessControlEntry) -> bool {
        self.principal
            .as_ref()
            .is_none_or(|p| *p == entry.principal)
            && self.host.as_ref().is_none_or(|h| *h == entry.host)
            && (self.operation == AclOperation::Any || self.operation == entry.operation)
            && (self.permission_type == AclPermissionType::Any
                || self.permission_type == entry.permission_type)
    }

    fn has_unknown(&self) -> bool {
        self.operation == AclOperation::Unknown
            || self.permission_type == AclPermissionType::Unknown
    }
}

/// Which ACLs [`describe_acls`](KafkaAdminClient::describe_acls) lists and
/// [`delete_acls`](KafkaAdminClient::delete_acls) removes.
///
/// ```
/// use kafka_sync::admin::{
///     AccessControlEntryFilter, AclBindingFilter, PatternType, ResourcePatternFilter,
///     ResourceType,
/// };
/// // Every ACL that applies to topic `events`, literal, wildcard or prefixed.
/// let filter = AclBindingFilter::new(
///     ResourcePatternFilter::new(ResourceType::Topic, Some("events"), PatternType::Match),
///     AccessControlEntryFilter::any(),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AclBindingFilter {
    /// Which resource patterns.
    pub pattern: ResourcePatternFilter,
    /// Which entries.
    pub entry: AccessControlEntryFilter,
}

impl AclBindingFilter {
    /// ACLs whose pattern passes `pattern` and whose entry passes `entry`.
    pub fn new(pattern: ResourcePatternFilter, entry: AccessControlEntryFilter) -> Self {
        AclBindingFilter { pattern, entry }
    }

    /// Matches every ACL.
    pub fn any() -> Self {
        AclBindingFilter::new(
            ResourcePatternFilter::any(),
            AccessControlEntryFilter::any(),
        )
    }

    /// Whether `binding` passes the filter (as the brokers decide).
    pub fn matches(&self, binding: &AclBinding) -> bool {
        self.pattern.matches(&binding.pattern) && self.entry.matches(&binding.entry)
    }

    /// An error if a field is `Unknown`, which no broker can filter by.
    fn check_known(&self) -> Result<()> {
        if self.pattern.has_unknown() || self.entry.has_unknown() {
            return Err(KafkaError::invalid_argument(format!(
                "the ACL filter {self:?} has an UNKNOWN field"
            )));
        }
        Ok(())
    }
}

/// The binding a response row describes.
fn binding_of(
    resource_type: i8,
    name: &str,
    pattern_type: i8,
    principal: &str,
    host: &str,
    operation: i8,
    permission_type: i8,
) -> AclBinding {
    AclBinding::new(
        ResourcePattern::new(
            ResourceType::from_code(resource_type),
            name,
            PatternType::from_code(pattern_type),
        ),
        AccessControlEntry::new(
            principal,
            host,
            AclOperation::from_code(operation),
            AclPermissionType::from_code(permission_type),
        ),
    )
}

fn missing(what: String) -> KafkaError {
    KafkaError::new(
        ErrorKind::UnexpectedResponse,
        format!("the broker's answer did not mention {what}"),
    )
}

impl KafkaAdminClient {
    /// Creates `bindings`; one result per binding, in order. A binding with a field
    /// only filters have (`Any`, `Match`) or `Unknown` fails alone with an invalid
    /// argument error and is not sent; the broker judges the rest (for example
    /// INVALID_REQUEST for a cluster resource not named `kafka-cluster`,
    /// SECURITY_DISABLED without an authorizer). Creating an ACL that exists succeeds.
    pub fn create_acls(
        &self,
        bindings: &[AclBinding],
        timeout: Duration,
    ) -> Result<Vec<Result<()>>> {
        let deadline = crate::time::deadline_in(timeout);
        let mut results: Vec<Option<Result<()>>> = bindings
            .iter()
            .map(|b| {
                b.indefinite_field().map(|field| {
                    Err(KafkaError::invalid_argument(format!(
                        "the ACL {b} cannot be created: its {field} is only for filters"
                    )))
                })
            })
            .collect();
        let sent: Vec<usize> = (0..bindings.len())
            .filter(|&i| results[i].is_none())
            .collect();
        if !sent.is_empty() {
            let request = CreateAclsRequest {
                creations: sent
                    .iter()
                    .map(|&i| {
                        let b = &bindings[i];
                        CreateAclsRequestCreation {
                            resource_type: b.pattern.resource_type.code(),
                            resource_name: b.pattern.name.clone(),
                            resource_pattern_type: b.pattern.pattern_type.code(),
                            principal: b.entry.principal.clone(),
                            host: b.entry.host.clone(),
                            operation: b.entry.operation.code(),
                            permission_type: b.entry.permission_type.code(),
                        }
                    })
                    .collect(),
            };
            let response =
                self.with_client(|client| send_to_any_or(client, None, &request, deadline))?;
            let mut answers = response.results.iter();
            for &i in &sent {
                let context = format!("creating the ACL {}", bindings[i]);
                results[i] = Some(match answers.next() {
                    Some(r) => item_result(r.error_code, r.error_message.as_deref(), &context),
                    None => Err(missing(format!("the ACL {}", bindings[i]))),
                });
            }
        }
        Ok(results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(missing("an ACL".into()))))
            .collect())
    }

    /// The ACLs that match `filter`. Without an authorizer on the cluster this fails
    /// with SECURITY_DISABLED; a filter with an `Unknown` field is an invalid argument.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use kafka_sync::admin::{
    ///     AccessControlEntryFilter, AclBindingFilter, PatternType, ResourcePatternFilter,
    ///     ResourceType,
    /// };
    /// use kafka_sync::{AdminConfig, KafkaAdminClient};
    ///
    /// let admin = KafkaAdminClient::new(AdminConfig::new("localhost:9092"))?;
    /// let alices = AclBindingFilter::new(
    ///     ResourcePatternFilter::any(),
    ///     AccessControlEntryFilter::new(
    ///         Some("User:alice"),
    ///         None,
    ///         kafka_sync::admin::AclOperation::Any,
    ///         kafka_sync::admin::AclPermissionType::Any,
    ///     ),
    /// );
    /// for acl in admin.describe_acls(&alices, Duration::from_secs(10))? {
    ///     println!("{acl}");
    /// }
    /// # Ok::<(), kafka_sync::KafkaError>(())
    /// ```
    pub fn describe_acls(
        &self,
        filter: &AclBindingFilter,
        timeout: Duration,
    ) -> Result<Vec<AclBinding>> {
        filter.check_known()?;
        let deadline = crate::time::deadline_in(timeout);
        let request = DescribeAclsRequest {
            resource_type_filter: filter.pattern.resource_type.code(),
            resource_name_filter: filter.pattern.name.clone(),
            pattern_type_filter: filter.pattern.pattern_type.code(),
            principal_filter: filter.entry.principal.clone(),
            host_filter: filter.entry.host.clone(),
            operation: filter.entry.operation.code(),
            permission_type: filter.entry.permission_type.code(),
        };
        let response =
            self.with_client(|client| send_to_any_or(client, None, &request, deadline))?;
        item_result(
            response.error_code,
            response.error_message.as_deref(),
            "describing ACLs",
        )?;
        Ok(response
            .resources
            .iter()
            .flat_map(|r| {
                r.acls.iter().map(|a| {
                    binding_of(
                        r.resource_type,
                        &r.resource_name,
                        r.pattern_type,
                        &a.principal,
                        &a.host,
                        a.operation,
                        a.permission_type,
                    )
                })
            })
            .collect())
    }

    /// Deletes the ACLs that match each of `filters`; one result per filter, in order:
    /// the ACLs it deleted (none if nothing matched), or the filter's error. An ACL
    /// that matched but could not be deleted makes its filter's result that ACL's
    /// error (KRaft brokers report none). An ACL that matches several filters is
    /// listed under each.
    pub fn delete_acls(
        &self,
        filters: &[AclBindingFilter],
        timeout: Duration,
    ) -> Result<Vec<Result<Vec<AclBinding>>>> {
        let deadline = crate::time::deadline_in(timeout);
        let mut results: Vec<Option<Result<Vec<AclBinding>>>> = filters
            .iter()
            .map(|f| f.check_known().err().map(Err))
            .collect();
        let sent: Vec<usize> = (0..filters.len())
            .filter(|&i| results[i].is_none())
            .collect();
        if !sent.is_empty() {
            let request = DeleteAclsRequest {
                filters: sent
                    .iter()
                    .map(|&i| {
                        let f = &filters[i];
                        DeleteAclsRequestFilter {
                            resource_type_filter: f.pattern.resource_type.code(),
                            resource_name_filter: f.pattern.name.clone(),
                            pattern_type_filter: f.pattern.pattern_type.code(),
                            principal_filter: f.entry.principal.clone(),
                            host_filter: f.entry.host.clone(),
                            operation: f.entry.operation.code(),
                            permission_type: f.entry.permission_type.code(),
                        }
                    })
                    .collect(),
            };
            let response =
                self.with_client(|client| send_to_any_or(client, None, &request, deadline))?;
            let mut answers = response.filter_results.iter();
            for &i in &sent {
                let Some(answer) = answers.next() else {
                    results[i] = Some(Err(missing(format!("ACL filter {}", i + 1))));
                    continue;
                };
                let context = format!("deleting the ACLs of filter {}", i + 1);
                let outcome =
                    item_result(answer.error_code, answer.error_message.as_deref(), &context)
                        .and_then(|()| {
                            answer
                                .matching_acls
                                .iter()
                                .map(|a| {
                                    let binding = binding_of(
                                        a.resource_type,
                                        &a.resource_name,
                                        a.pattern_type,
                                        &a.principal,
                                        &a.host,
                                        a.operation,
                                        a.permission_type,
                                    );
                                    let context = format!("deleting the ACL {binding}");
                                    item_result(a.error_code, a.error_message.as_deref(), &context)
                                        .map(|()| binding)
                                })
                                .collect()
                        });
                results[i] = Some(outcome);
            }
        }
        Ok(results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(missing("an ACL filter".into()))))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_codes_both_ways() {
        for &t in ResourceType::VALUES {
            assert_eq!(ResourceType::from_code(t.code()), t);
        }
        for &t in PatternType::VALUES {
            assert_eq!(PatternType::from_code(t.code()), t);
        }
        for &t in AclOperation::VALUES {
            assert_eq!(AclOperation::from_code(t.code()), t);
        }
        for &t in AclPermissionType::VALUES {
            assert_eq!(AclPermissionType::from_code(t.code()), t);
        }
        // Kafka's codes.
        let resource_types = [
            (ResourceType::Unknown, 0),
            (ResourceType::Any, 1),
            (ResourceType::Topic, 2),
            (ResourceType::Group, 3),
            (ResourceType::Cluster, 4),
            (ResourceType::TransactionalId, 5),
            (ResourceType::DelegationToken, 6),
            (ResourceType::User, 7),
        ];
        assert_eq!(ResourceType::VALUES.len(), resource_types.len());
        for (t, code) in resource_types {
            assert_eq!(t.code(), code, "{t}");
        }
        let pattern_types = [
            (PatternType::Unknown, 0),
            (PatternType::Any, 1),
            (PatternType::Match, 2),
            (PatternType::Literal, 3),
            (PatternType::Prefixed, 4),
        ];
        assert_eq!(PatternType::VALUES.len(), pattern_types.len());
        for (t, code) in pattern_types {
            assert_eq!(t.code(), code, "{t}");
        }
        let operations = [
            (AclOperation::Unknown, 0),
            (AclOperation::Any, 1),
            (AclOperation::All, 2),
            (AclOperation::Read, 3),
            (AclOperation::Write, 4),
            (AclOperation::Create, 5),
            (AclOperation::Delete, 6),
            (AclOperation::Alter, 7),
            (AclOperation::Describe, 8),
            (AclOperation::ClusterAction, 9),
            (AclOperation::DescribeConfigs, 10),
            (AclOperation::AlterConfigs, 11),
            (AclOperation::IdempotentWrite, 12),
            (AclOperation::CreateTokens, 13),
            (AclOperation::DescribeTokens, 14),
            (AclOperation::TwoPhaseCommit, 15),
        ];
        assert_eq!(AclOperation::VALUES.len(), operations.len());
        for (t, code) in operations {
            assert_eq!(t.code(), code, "{t}");
        }
        let permissions = [
            (AclPermissionType::Unknown, 0),
            (AclPermissionType::Any, 1),
            (AclPermissionType::Deny, 2),
            (AclPermissionType::Allow, 3),
        ];
        assert_eq!(AclPermissionType::VALUES.len(), permissions.len());
        for (t, code) in permissions {
            assert_eq!(t.code(), code, "{t}");
        }
        // Codes of a newer broker.
        assert_eq!(ResourceType::from_code(42), ResourceType::Unknown);
        assert_eq!(PatternType::from_code(-1), PatternType::Unknown);
        assert_eq!(AclOperation::from_code(16), AclOperation::Unknown);
        assert_eq!(AclPermissionType::from_code(4), AclPermissionType::Unknown);
        assert_eq!(
            AclOperation::IdempotentWrite.to_string(),
            "IDEMPOTENT_WRITE"
        );
        assert_eq!(ResourceType::TransactionalId.name(), "TRANSACTIONAL_ID");
    }

    fn binding(t: ResourceType, name: &str, p: PatternType) -> AclBinding {
        AclBinding::new(
            ResourcePattern::new(t, name, p),
            AccessControlEntry::new(
                "User:alice",
                "*",
                AclOperation::Read,
                AclPermissionType::Allow,
            ),
        )
    }

    fn pattern_filter(t: ResourceType, name: Option<&str>, p: PatternType) -> AclBindingFilter {
        AclBindingFilter::new(
            ResourcePatternFilter::new(t, name, p),
            AccessControlEntryFilter::any(),
        )
    }

    #[test]
    fn resource_pattern_filters() {
        use PatternType::{Any, Literal, Match, Prefixed};
        use ResourceType::{Group, Topic};
        let literal = binding(Topic, "events", Literal);
        let wildcard = binding(Topic, "*", Literal);
        let prefixed = binding(Topic, "ev", Prefixed);
        let other_prefix = binding(Topic, "xy", Prefixed);
        let group = binding(Group, "events", Literal);

        assert!(AclBindingFilter::any().matches(&literal));
        assert!(AclBindingFilter::any().matches(&group));
        assert!(literal.to_filter().matches(&literal));
        assert!(!literal.to_filter().matches(&prefixed));

        // Any: the same name, any pattern type.
        let any_events = pattern_filter(Topic, Some("events"), Any);
        assert!(any_events.matches(&literal));
        assert!(!any_events.matches(&wildcard));
        assert!(!any_events.matches(&prefixed));
        assert!(!any_events.matches(&group));
        assert!(pattern_filter(Topic, Some("ev"), Any).matches(&prefixed));

        // Match: everything that applies to the name.
        let applies = pattern_filter(Topic, Some("events"), Match);
        assert!(applies.matches(&literal));
        assert!(applies.matches(&wildcard));
        assert!(applies.matches(&prefixed));
        assert!(!applies.matches(&other_prefix));
        assert!(!applies.matches(&group));
        assert!(!pattern_filter(Topic, Some("event"), Match).matches(&literal));

        // One pattern type: that type only, the same name.
        assert!(pattern_filter(Topic, Some("ev"), Prefixed).matches(&prefixed));
        assert!(!pattern_filter(Topic, Some("events"), Prefixed).matches(&prefixed));
        assert!(!pattern_filter(Topic, Some("events"), Prefixed).matches(&literal));
        assert!(pattern_filter(Topic, None, Prefixed).matches(&other_prefix));
        assert!(!pattern_filter(Topic, None, Prefixed).matches(&literal));
        assert!(pattern_filter(ResourceType::Any, None, Literal).matches(&group));
    }

    #[test]
    fn entry_filters() {
        let acl = binding(ResourceType::Topic, "t", PatternType::Literal);
        let filter = |principal: Option<&str>, host: Option<&str>, op, perm| {
            AclBindingFilter::new(
                ResourcePatternFilter::any(),
                AccessControlEntryFilter::new(principal, host, op, perm),
            )
        };
        use AclOperation as Op;
        use AclPermissionType as Perm;
        assert!(filter(Some("User:alice"), None, Op::Any, Perm::Any).matches(&acl));
        assert!(!filter(Some("User:bob"), None, Op::Any, Perm::Any).matches(&acl));
        assert!(!filter(Some("User:*"), None, Op::Any, Perm::Any).matches(&acl));
        assert!(filter(None, Some("*"), Op::Read, Perm::Allow).matches(&acl));
        assert!(!filter(None, Some("10.0.0.1"), Op::Any, Perm::Any).matches(&acl));
        assert!(!filter(None, None, Op::Write, Perm::Any).matches(&acl));
        assert!(!filter(None, None, Op::All, Perm::Any).matches(&acl));
        assert!(!filter(None, None, Op::Any, Perm::Deny).matches(&acl));
    }

    #[test]
    fn only_definite_bindings_can_be_created() {
        let ok = binding(ResourceType::Topic, "t", PatternType::Prefixed);
        assert_eq!(ok.indefinite_field(), None);
        let mut all = ok.clone();
        all.entry.operation = AclOperation::All;
        assert_eq!(all.indefinite_field(), None);
        for bad in [
            binding(ResourceType::Any, "t", PatternType::Literal),
            binding(ResourceType::Unknown, "t", PatternType::Literal),
            binding(ResourceType::Topic, "t", PatternType::Match),
            binding(ResourceType::Topic, "t", PatternType::Any),
            AclBinding {
                entry: AccessControlEntry {
                    operation: AclOperation::Any,
                    ..ok.entry.clone()
                },
                ..ok.clone()
            },
            AclBinding {
                entry: AccessControlEntry {
                    permission_type: AclPermissionType::Any,
                    ..ok.entry.clone()
                },
                ..ok.clone()
            },
        ] {
            assert!(bad.indefinite_field().is_some(), "{bad}");
        }
        assert!(AclBindingFilter::any().check_known().is_ok());
        let mut unknown = AclBindingFilter::any();
        unknown.entry.operation = AclOperation::Unknown;
        assert!(unknown.check_known().is_err());
    }

    #[test]
    fn bindings_read_from_codes() {
        let b = binding_of(2, "t", 4, "User:a", "*", 4, 2);
        assert_eq!(
            b,
            AclBinding::new(
                ResourcePattern::new(ResourceType::Topic, "t", PatternType::Prefixed),
                AccessControlEntry::new(
                    "User:a",
                    "*",
                    AclOperation::Write,
                    AclPermissionType::Deny
                ),
            )
        );
        assert_eq!(
            b.to_string(),
            "DENY WRITE for User:a from * on TOPIC `t` (PREFIXED)"
        );
    }
}
