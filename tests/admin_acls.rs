//! ACLs and SCRAM users through the admin client, on an Apache Kafka cluster of this
//! binary's own with the StandardAuthorizer and a SASL_PLAINTEXT listener
//! (`scripts/kafka-cluster.sh start DIR 1 --sasl --acl`). The admin client on the
//! PLAINTEXT listener is User:ANONYMOUS, a super user; the SASL users are ordinary
//! principals whose requests the ACLs decide.
//!
//! - ACLs created, described with filters that match and that do not, and deleted
//!   (each filter returning what it deleted); invalid bindings fail alone beside
//!   valid ones;
//! - `plain-user` is refused a topic (TOPIC_AUTHORIZATION_FAILED) until an ACL
//!   allows it, then produces and describes it;
//! - SCRAM credentials described, created for a new user (who then logs in with both
//!   mechanisms, and not with a wrong password), one mechanism deleted (that login
//!   now fails, the other still works); unknown users and too few iterations fail
//!   alone;
//! - a cluster without an authorizer answers SECURITY_DISABLED.
//!
//! Tests run at once: each uses principals, topics and users of its own, and filters
//! that only reach those.

mod common;

use std::collections::BTreeSet;
use std::sync::OnceLock;
use std::time::Duration;

use common::kafka::{ClusterOptions, KafkaCluster};
use common::security::{PLAIN_USER, SCRAM_USERS};
use kafka_sync::admin::{
    AccessControlEntry, AccessControlEntryFilter, AclBinding, AclBindingFilter, AclOperation,
    AclPermissionType, PatternType, ResourcePattern, ResourcePatternFilter, ResourceType,
    ScramCredentialInfo, ScramMechanism, UserScramCredentialAlteration,
};
use kafka_sync::config::security::{SaslMechanism, SecurityConfig, SecurityProtocol};
use kafka_sync::{
    AdminConfig, ErrorCode, ErrorKind, KafkaAdminClient, KafkaProducer, NewTopic, ProducerConfig,
    ProducerRecord,
};

const TIMEOUT: Duration = Duration::from_secs(30);
/// How long an ACL or credential may take to reach the broker's authorizer or
/// credential cache after the controller has it.
const PROPAGATION: Duration = Duration::from_secs(30);
const EVERY: Duration = Duration::from_millis(100);

/// This binary's cluster: authorization on, a SASL_PLAINTEXT listener.
fn cluster() -> &'static KafkaCluster {
    static CLUSTER: OnceLock<KafkaCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        KafkaCluster::start_with(
            1,
            ClusterOptions {
                sasl: true,
                acl: true,
                ..ClusterOptions::default()
            },
        )
    })
}

/// A super user's admin client (the PLAINTEXT listener's User:ANONYMOUS).
fn admin() -> KafkaAdminClient {
    KafkaAdminClient::new(AdminConfig::new(&cluster().bootstrap())).expect("admin client")
}

fn sasl(mechanism: SaslMechanism, user: &str, password: &str) -> SecurityConfig {
    SecurityConfig::new()
        .protocol(SecurityProtocol::SaslPlaintext)
        .sasl(mechanism, user, password)
}

/// An admin client of a SASL user on the SASL_PLAINTEXT listener.
fn sasl_admin(mechanism: SaslMechanism, user: &str, password: &str) -> KafkaAdminClient {
    let config = AdminConfig::new(&cluster().listener("SASL_PLAINTEXT"))
        .security(sasl(mechanism, user, password));
    KafkaAdminClient::new(config).expect("SASL admin client")
}

fn plain_admin() -> KafkaAdminClient {
    sasl_admin(SaslMechanism::Plain, PLAIN_USER.0, PLAIN_USER.1)
}

fn binding(
    resource_type: ResourceType,
    name: &str,
    pattern_type: PatternType,
    principal: &str,
    operation: AclOperation,
    permission_type: AclPermissionType,
) -> AclBinding {
    AclBinding::new(
        ResourcePattern::new(resource_type, name, pattern_type),
        AccessControlEntry::new(principal, "*", operation, permission_type),
    )
}

fn filter(
    resource_type: ResourceType,
    name: Option<&str>,
    pattern_type: PatternType,
    principal: Option<&str>,
) -> AclBindingFilter {
    AclBindingFilter::new(
        ResourcePatternFilter::new(resource_type, name, pattern_type),
        AccessControlEntryFilter::new(principal, None, AclOperation::Any, AclPermissionType::Any),
    )
}

/// What the broker's authorizer lists for `filter`.
fn described(admin: &KafkaAdminClient, filter: &AclBindingFilter) -> BTreeSet<AclBinding> {
    admin
        .describe_acls(filter, TIMEOUT)
        .expect("describe ACLs")
        .into_iter()
        .collect()
}

/// Waits until the broker's authorizer lists exactly `expected` for `filter` (it takes
/// the controller's ACLs up a moment after a call returns).
fn wait_described(admin: &KafkaAdminClient, filter: &AclBindingFilter, expected: &[&AclBinding]) {
    let expected: BTreeSet<AclBinding> = expected.iter().map(|&b| b.clone()).collect();
    common::wait_until("the described ACLs", PROPAGATION, EVERY, || {
        let now = described(admin, filter);
        if now == expected {
            Ok(())
        } else {
            Err(format!("{filter:?} lists {now:?}, expected {expected:?}"))
        }
    });
}

fn code_of<T: std::fmt::Debug>(result: &kafka_sync::Result<T>) -> Option<ErrorCode> {
    result.as_ref().err().and_then(|e| e.code())
}

fn as_set(bindings: &[AclBinding]) -> BTreeSet<AclBinding> {
    bindings.iter().cloned().collect()
}

#[test]
fn acls_are_created_described_and_deleted() {
    let admin = admin();
    let base = common::unique_topic("acl-crud");
    let principal = format!("User:{base}");
    let topic = format!("{base}-topic");
    let prefix = format!("{base}-");
    use AclOperation as Op;
    use AclPermissionType::{Allow, Deny};
    use PatternType::{Literal, Prefixed};
    use ResourceType::{Cluster, Group, Topic};

    let read = binding(Topic, &topic, Literal, &principal, Op::Read, Allow);
    let write = binding(Topic, &topic, Literal, &principal, Op::Write, Deny);
    let prefixed = binding(Topic, &prefix, Prefixed, &principal, Op::Describe, Allow);
    let group = binding(Group, &prefix, Prefixed, &principal, Op::Read, Allow);
    let cluster_acl = binding(
        Cluster,
        "kafka-cluster",
        Literal,
        &principal,
        Op::IdempotentWrite,
        Allow,
    );
    let txn = binding(
        ResourceType::TransactionalId,
        &topic,
        Literal,
        &principal,
        Op::All,
        Allow,
    );
    // Invalid, each failing alone: a cluster resource named otherwise than
    // `kafka-cluster` (the broker), a filter's operation (the client), a principal
    // without a type (the broker).
    let wrong_cluster = binding(Cluster, "my-cluster", Literal, &principal, Op::Alter, Allow);
    let any_operation = binding(Topic, &topic, Literal, &principal, Op::Any, Allow);
    let no_type = binding(Topic, &topic, Literal, &base, Op::Read, Allow);

    let results = admin
        .create_acls(
            &[
                read.clone(),
                wrong_cluster,
                write.clone(),
                any_operation,
                prefixed.clone(),
                group.clone(),
                no_type,
                cluster_acl.clone(),
                txn.clone(),
            ],
            TIMEOUT,
        )
        .expect("create ACLs");
    assert_eq!(results.len(), 9, "{results:?}");
    for i in [0, 2, 4, 5, 7, 8] {
        assert!(results[i].is_ok(), "binding {i}: {:?}", results[i]);
    }
    assert_eq!(
        code_of(&results[1]),
        Some(ErrorCode::INVALID_REQUEST),
        "{results:?}"
    );
    assert_eq!(
        results[3].as_ref().unwrap_err().kind(),
        ErrorKind::InvalidArgument,
        "{results:?}"
    );
    assert_eq!(
        code_of(&results[6]),
        Some(ErrorCode::INVALID_REQUEST),
        "{results:?}"
    );

    // Filters that match.
    let all_of_principal = filter(ResourceType::Any, None, PatternType::Any, Some(&principal));
    wait_described(
        &admin,
        &all_of_principal,
        &[&read, &write, &prefixed, &group, &cluster_acl, &txn],
    );
    // The topic's literal ACLs only.
    wait_described(
        &admin,
        &filter(Topic, Some(&topic), Literal, None),
        &[&read, &write],
    );
    // Any pattern type, the same name: the literal ones.
    wait_described(
        &admin,
        &filter(Topic, Some(&topic), PatternType::Any, Some(&principal)),
        &[&read, &write],
    );
    // Match: what applies to the topic, the prefixed ACL too.
    wait_described(
        &admin,
        &filter(Topic, Some(&topic), PatternType::Match, Some(&principal)),
        &[&read, &write, &prefixed],
    );
    wait_described(
        &admin,
        &filter(Topic, None, Prefixed, Some(&principal)),
        &[&prefixed],
    );
    wait_described(
        &admin,
        &filter(Group, Some(&prefix), Prefixed, None),
        &[&group],
    );
    let denies = AclBindingFilter::new(
        ResourcePatternFilter::any(),
        AccessControlEntryFilter::new(Some(&principal), Some("*"), Op::Any, Deny),
    );
    wait_described(&admin, &denies, &[&write]);
    let reads = AclBindingFilter::new(
        ResourcePatternFilter::any(),
        AccessControlEntryFilter::new(Some(&principal), None, Op::Read, AclPermissionType::Any),
    );
    wait_described(&admin, &reads, &[&read, &group]);
    // The client's own matching agrees with the broker's.
    for f in [&all_of_principal, &denies, &reads] {
        let listed = described(&admin, f);
        assert!(listed.iter().all(|b| f.matches(b)), "{f:?}: {listed:?}");
    }

    // Filters that match nothing.
    let nothing = [
        filter(Topic, Some(&format!("{base}-other")), Literal, None),
        filter(Group, Some(&topic), Literal, Some(&principal)),
        filter(
            ResourceType::Any,
            None,
            PatternType::Any,
            Some("User:nobody-at-all"),
        ),
        AclBindingFilter::new(
            ResourcePatternFilter::any(),
            AccessControlEntryFilter::new(Some(&principal), Some("10.1.2.3"), Op::Any, Allow),
        ),
        AclBindingFilter::new(
            ResourcePatternFilter::any(),
            AccessControlEntryFilter::new(
                Some(&principal),
                None,
                Op::Create,
                AclPermissionType::Any,
            ),
        ),
    ];
    for f in &nothing {
        assert!(described(&admin, f).is_empty(), "{f:?}");
    }

    // Deleted by several filters at once, each returning what it deleted; a filter
    // that matches nothing deletes nothing.
    let deleted = admin
        .delete_acls(
            &[
                filter(Topic, Some(&topic), Literal, Some(&principal)),
                nothing[0].clone(),
                filter(Group, None, PatternType::Any, Some(&principal)),
            ],
            TIMEOUT,
        )
        .expect("delete ACLs");
    assert_eq!(deleted.len(), 3, "{deleted:?}");
    assert_eq!(
        as_set(deleted[0].as_ref().unwrap()),
        as_set(&[read.clone(), write.clone()])
    );
    assert_eq!(deleted[1].as_ref().unwrap(), &Vec::<AclBinding>::new());
    assert_eq!(deleted[2].as_ref().unwrap(), &vec![group.clone()]);
    wait_described(&admin, &all_of_principal, &[&prefixed, &cluster_acl, &txn]);

    // Deleting again finds nothing; the rest goes with one filter.
    let again = admin
        .delete_acls(
            &[filter(Topic, Some(&topic), Literal, Some(&principal))],
            TIMEOUT,
        )
        .unwrap();
    assert_eq!(again[0].as_ref().unwrap(), &Vec::<AclBinding>::new());
    let rest = admin
        .delete_acls(std::slice::from_ref(&all_of_principal), TIMEOUT)
        .unwrap();
    assert_eq!(
        as_set(rest[0].as_ref().unwrap()),
        as_set(&[prefixed, cluster_acl, txn])
    );
    wait_described(&admin, &all_of_principal, &[]);
}

#[test]
fn an_unknown_filter_field_fails_alone() {
    let admin = admin();
    let mut unknown = AclBindingFilter::any();
    unknown.pattern.resource_type = ResourceType::Unknown;
    let err = admin.describe_acls(&unknown, TIMEOUT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    let base = common::unique_topic("acl-unknown");
    let results = admin
        .delete_acls(
            &[
                unknown,
                filter(ResourceType::Topic, Some(&base), PatternType::Literal, None),
            ],
            TIMEOUT,
        )
        .unwrap();
    assert_eq!(
        results[0].as_ref().unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(results[1].as_ref().unwrap(), &Vec::<AclBinding>::new());
}

#[test]
fn a_principal_is_refused_until_an_acl_allows_it() {
    let admin = admin();
    let topic = common::unique_topic("acl-denied");
    let created = admin
        .create_topics(&[NewTopic::new(&topic, 1, 1)], TIMEOUT)
        .unwrap();
    assert!(created[0].result.is_ok(), "{created:?}");
    common::wait_until_listed(&admin, &topic, TIMEOUT);

    let producer = || {
        let mut config = ProducerConfig::new(&cluster().listener("SASL_PLAINTEXT"))
            .max_block(Duration::from_secs(10));
        config.client.security = sasl(SaslMechanism::Plain, PLAIN_USER.0, PLAIN_USER.1);
        KafkaProducer::new(config).expect("producer")
    };
    let produce = |producer: &KafkaProducer| {
        producer
            .send(ProducerRecord::new(&topic).value("v"))
            .and_then(|f| f.get(TIMEOUT))
    };

    // No ACL: the topic is not described, and not written to.
    let user = plain_admin();
    let described = user.describe_topics(&[&topic], TIMEOUT).unwrap();
    assert_eq!(
        described[0].error,
        ErrorCode::TOPIC_AUTHORIZATION_FAILED,
        "{described:?}"
    );
    let refused = producer();
    let err = produce(&refused).unwrap_err();
    assert_eq!(
        err.code(),
        Some(ErrorCode::TOPIC_AUTHORIZATION_FAILED),
        "{err}"
    );
    let _ = refused.close(Some(TIMEOUT));

    let principal = format!("User:{}", PLAIN_USER.0);
    let allowed = [AclOperation::Write, AclOperation::Describe].map(|op| {
        binding(
            ResourceType::Topic,
            &topic,
            PatternType::Literal,
            &principal,
            op,
            AclPermissionType::Allow,
        )
    });
    let results = admin.create_acls(&allowed, TIMEOUT).unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");

    // The broker's authorizer takes the ACLs up a moment later.
    common::wait_until(
        "plain-user may describe the topic",
        PROPAGATION,
        EVERY,
        || {
            let described = user
                .describe_topics(&[&topic], TIMEOUT)
                .map_err(|e| e.to_string())?;
            match described[0].error {
                ErrorCode::NONE if !described[0].partitions.is_empty() => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    );
    let producer = producer();
    let written = common::wait_until("plain-user may produce", PROPAGATION, EVERY, || {
        produce(&producer).map_err(|e| e.to_string())
    });
    assert_eq!(written.partition, 0);
    producer.close(Some(TIMEOUT)).unwrap();

    // The ACLs are named by the principal, and deleting them refuses the user again.
    let deleted = admin
        .delete_acls(
            &[filter(
                ResourceType::Topic,
                Some(&topic),
                PatternType::Literal,
                Some(&principal),
            )],
            TIMEOUT,
        )
        .unwrap();
    assert_eq!(as_set(deleted[0].as_ref().unwrap()), as_set(&allowed));
    common::wait_until("plain-user is refused again", PROPAGATION, EVERY, || {
        let described = user
            .describe_topics(&[&topic], TIMEOUT)
            .map_err(|e| e.to_string())?;
        match described[0].error {
            ErrorCode::TOPIC_AUTHORIZATION_FAILED => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
}

/// Whether `user` logs in with `mechanism` and `password` on the SASL_PLAINTEXT
/// listener: Ok, or the error (an authentication error when refused).
fn log_in(mechanism: SaslMechanism, user: &str, password: &str) -> kafka_sync::Result<()> {
    // Metadata without topics needs no ACL: only the login counts.
    sasl_admin(mechanism, user, password)
        .list_topics(TIMEOUT)
        .map(drop)
}

fn wait_login(what: &str, mechanism: SaslMechanism, user: &str, password: &str, works: bool) {
    common::wait_until(what, PROPAGATION, EVERY, || {
        match log_in(mechanism, user, password) {
            Ok(()) if works => Ok(()),
            Err(e) if !works && e.kind() == ErrorKind::Authentication => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
}

fn wait_credentials(admin: &KafkaAdminClient, user: &str, expected: &[ScramCredentialInfo]) {
    let mut expected = expected.to_vec();
    expected.sort();
    common::wait_until("the described credentials", PROPAGATION, EVERY, || {
        let mut described = admin
            .describe_user_scram_credentials(Some(&[user]), TIMEOUT)
            .map_err(|e| e.to_string())?;
        let mut now = described
            .remove(user)
            .ok_or("no result")?
            .map_err(|e| e.to_string())?;
        now.sort();
        if now == expected {
            Ok(())
        } else {
            Err(format!("{user} has {now:?}, expected {expected:?}"))
        }
    });
}

#[test]
fn scram_credentials_are_described_created_and_deleted() {
    let admin = admin();
    let (alice, alice_password, _) = SCRAM_USERS[0];
    let (bob, _, _) = SCRAM_USERS[1];
    let alice_info = [ScramCredentialInfo::new(ScramMechanism::ScramSha256, 4096)];
    let bob_info = [ScramCredentialInfo::new(ScramMechanism::ScramSha512, 4096)];

    // Every user with credentials.
    let all = admin
        .describe_user_scram_credentials(None, TIMEOUT)
        .unwrap();
    assert_eq!(
        all.get(alice).cloned(),
        Some(Ok(alice_info.to_vec())),
        "{all:?}"
    );
    assert_eq!(
        all.get(bob).cloned(),
        Some(Ok(bob_info.to_vec())),
        "{all:?}"
    );

    // A user never created fails alone.
    let never = common::unique_topic("never-created");
    let some = admin
        .describe_user_scram_credentials(Some(&[alice, &never, bob]), TIMEOUT)
        .unwrap();
    assert_eq!(some.len(), 3, "{some:?}");
    assert_eq!(some[alice], Ok(alice_info.to_vec()));
    assert_eq!(some[bob], Ok(bob_info.to_vec()));
    assert_eq!(
        code_of(&some[&never]),
        Some(ErrorCode::RESOURCE_NOT_FOUND),
        "{some:?}"
    );

    // KRaft controllers key a request's changes by user alone: two alterations of one
    // user, even of different mechanisms, are DUPLICATE_RESOURCE, and nothing of that
    // user is applied. The client refuses an unknown mechanism itself, and so sends
    // none of that user's alterations.
    let user = common::unique_topic("scram-user");
    let weak = common::unique_topic("scram-weak");
    let password = "carol-secret-8192";
    let upsert = |user: &str, mechanism, iterations| {
        UserScramCredentialAlteration::upsert(user, mechanism, iterations, password)
    };
    let twice = admin
        .alter_user_scram_credentials(
            &[
                upsert(&user, ScramMechanism::ScramSha256, 8192),
                upsert(&weak, ScramMechanism::ScramSha256, 1000),
                upsert(&user, ScramMechanism::ScramSha512, 4096),
                upsert(&weak, ScramMechanism::Unknown, 4096),
            ],
            TIMEOUT,
        )
        .unwrap();
    assert_eq!(twice.len(), 4);
    for r in [&twice[0], &twice[2]] {
        assert_eq!(code_of(r), Some(ErrorCode::DUPLICATE_RESOURCE), "{twice:?}");
    }
    for r in [&twice[1], &twice[3]] {
        let kind = r.as_ref().unwrap_err().kind();
        assert_eq!(kind, ErrorKind::InvalidArgument, "{twice:?}");
    }

    // A new user, one mechanism per request, beside one with too few iterations.
    let results = admin
        .alter_user_scram_credentials(
            &[
                upsert(&user, ScramMechanism::ScramSha256, 8192),
                upsert(&weak, ScramMechanism::ScramSha256, 1000),
            ],
            TIMEOUT,
        )
        .unwrap();
    assert!(results[0].is_ok(), "{results:?}");
    assert_eq!(
        code_of(&results[1]),
        Some(ErrorCode::UNACCEPTABLE_CREDENTIAL),
        "{results:?}"
    );
    let sha512 = admin
        .alter_user_scram_credentials(&[upsert(&user, ScramMechanism::ScramSha512, 4096)], TIMEOUT)
        .unwrap();
    assert!(sha512[0].is_ok(), "{sha512:?}");
    for r in twice.iter().chain(&results) {
        if let Err(e) = r {
            assert!(!format!("{e} {e:?}").contains(password), "{e}");
        }
    }

    wait_credentials(
        &admin,
        &user,
        &[
            ScramCredentialInfo::new(ScramMechanism::ScramSha256, 8192),
            ScramCredentialInfo::new(ScramMechanism::ScramSha512, 4096),
        ],
    );
    let unknown = admin
        .describe_user_scram_credentials(Some(&[&weak]), TIMEOUT)
        .unwrap();
    assert_eq!(
        code_of(&unknown[&weak]),
        Some(ErrorCode::RESOURCE_NOT_FOUND)
    );

    // The new user logs in with either mechanism, not with a wrong password.
    wait_login(
        "SCRAM-SHA-512 login",
        SaslMechanism::ScramSha512,
        &user,
        password,
        true,
    );
    wait_login(
        "SCRAM-SHA-256 login",
        SaslMechanism::ScramSha256,
        &user,
        password,
        true,
    );
    for mechanism in [SaslMechanism::ScramSha512, SaslMechanism::ScramSha256] {
        let err = log_in(mechanism, &user, "not-the-password").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Authentication, "{err}");
    }
    // Existing users are untouched.
    log_in(SaslMechanism::ScramSha256, alice, alice_password).unwrap();

    // One mechanism deleted (and one that never existed, failing alone).
    let results = admin
        .alter_user_scram_credentials(
            &[
                UserScramCredentialAlteration::delete(&user, ScramMechanism::ScramSha256),
                UserScramCredentialAlteration::delete(&never, ScramMechanism::ScramSha512),
            ],
            TIMEOUT,
        )
        .unwrap();
    assert!(results[0].is_ok(), "{results:?}");
    assert_eq!(
        code_of(&results[1]),
        Some(ErrorCode::RESOURCE_NOT_FOUND),
        "{results:?}"
    );
    wait_credentials(
        &admin,
        &user,
        &[ScramCredentialInfo::new(ScramMechanism::ScramSha512, 4096)],
    );
    wait_login(
        "SCRAM-SHA-256 login refused",
        SaslMechanism::ScramSha256,
        &user,
        password,
        false,
    );
    log_in(SaslMechanism::ScramSha512, &user, password).unwrap();

    // A password change: the old one stops working, the new one works.
    let new_password = "carol-new-secret";
    let changed = admin
        .alter_user_scram_credentials(
            &[UserScramCredentialAlteration::upsert(
                &user,
                ScramMechanism::ScramSha512,
                4096,
                new_password,
            )],
            TIMEOUT,
        )
        .unwrap();
    assert!(changed[0].is_ok(), "{changed:?}");
    wait_login(
        "the new password",
        SaslMechanism::ScramSha512,
        &user,
        new_password,
        true,
    );
    wait_login(
        "the old password",
        SaslMechanism::ScramSha512,
        &user,
        password,
        false,
    );

    // The last credential gone: the user is unknown.
    let gone = admin
        .alter_user_scram_credentials(
            &[UserScramCredentialAlteration::delete(
                &user,
                ScramMechanism::ScramSha512,
            )],
            TIMEOUT,
        )
        .unwrap();
    assert!(gone[0].is_ok(), "{gone:?}");
    common::wait_until("the user has no credentials", PROPAGATION, EVERY, || {
        let described = admin
            .describe_user_scram_credentials(Some(&[&user]), TIMEOUT)
            .map_err(|e| e.to_string())?;
        match code_of(&described[&user]) {
            Some(ErrorCode::RESOURCE_NOT_FOUND) => Ok(()),
            _ => Err(format!("{described:?}")),
        }
    });
    wait_login(
        "no login without credentials",
        SaslMechanism::ScramSha512,
        &user,
        new_password,
        false,
    );
}

#[test]
fn a_cluster_without_an_authorizer_says_security_disabled() {
    static PLAIN: OnceLock<KafkaCluster> = OnceLock::new();
    let plain = PLAIN.get_or_init(|| KafkaCluster::start(1));
    let admin = KafkaAdminClient::new(AdminConfig::new(&plain.bootstrap())).unwrap();
    let err = admin
        .describe_acls(&AclBindingFilter::any(), TIMEOUT)
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::SECURITY_DISABLED), "{err}");
    let acl = binding(
        ResourceType::Topic,
        "t",
        PatternType::Literal,
        "User:a",
        AclOperation::Read,
        AclPermissionType::Allow,
    );
    let created = admin.create_acls(&[acl], TIMEOUT).unwrap();
    assert_eq!(
        code_of(&created[0]),
        Some(ErrorCode::SECURITY_DISABLED),
        "{created:?}"
    );
    let deleted = admin
        .delete_acls(&[AclBindingFilter::any()], TIMEOUT)
        .unwrap();
    assert_eq!(
        code_of(&deleted[0]),
        Some(ErrorCode::SECURITY_DISABLED),
        "{deleted:?}"
    );
}
