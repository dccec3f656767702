//! The schema registry client against a real registry: by default the Apicurio
//! Registry the harness starts (tests/common/schema_registry.rs), or the one
//! `KAFKA_SCHEMA_REGISTRY_URL` names. The tests of basic auth, TLS and caching start
//! registries of their own.
//!
//! Where Apicurio's Confluent-compatible API answers otherwise than Confluent's
//! registry, the test checks what both do and says so:
//! - a lookup of a schema a subject does not have: Confluent answers 40403 (schema not
//!   found), Apicurio 2.4 40401 (subject not found);
//! - an incompatible schema: both answer HTTP 409, Confluent with error code 409 in the
//!   body, Apicurio with 0 (the client reports 409 for both);
//! - the latest version of an unknown subject: Confluent answers 40401 (subject not
//!   found), Apicurio 2.4 40402 (version not found);
//! - a subject-level compatibility of NONE: Confluent checks nothing for the subject,
//!   Apicurio falls back to the registry's default level;
//! - a soft-deleted version: Confluent leaves it out of the subject's version list,
//!   Apicurio still lists it;
//! - a permanent delete of a subject with a soft-deleted version: Confluent does it,
//!   Apicurio answers 400 ("Cannot transition artifact from DISABLED to DISABLED");
//! - a permanent delete of a subject that was not soft-deleted first: Confluent refuses
//!   it (40405), Apicurio does it.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::Duration;

use common::schema_registry::{registry_url, unique_subject, LocalRegistry, RegistrySecurity};
use kafka_sync::schema_registry::{
    error_code, error_codes, CompatibilityLevel, Schema, SchemaReference, SchemaRegistryClient,
    SchemaRegistryConfig, SchemaType, Version,
};
use kafka_sync::{ErrorKind, KafkaError};

/// Tests that register several versions under a subject-level compatibility take
/// this shared; the test that changes the registry's default level takes it alone.
/// (Apicurio treats a subject level of NONE as "no level of its own", so such a
/// subject follows the registry's default.)
static LEVEL: RwLock<()> = RwLock::new(());

fn shared_level() -> RwLockReadGuard<'static, ()> {
    LEVEL.read().unwrap_or_else(|e| e.into_inner())
}

fn client() -> SchemaRegistryClient {
    client_for(&registry_url())
}

fn client_for(url: &str) -> SchemaRegistryClient {
    SchemaRegistryClient::new(quick_config(url)).expect("registry client")
}

/// Fails fast: few, short retries.
fn quick_config(url: &str) -> SchemaRegistryConfig {
    SchemaRegistryConfig::new(url)
        .timeout(Duration::from_secs(20))
        .max_retries(1)
        .retry_backoff(Duration::from_millis(50), Duration::from_millis(100))
}

fn user_v1() -> Schema {
    Schema::avro(
        r#"{"type":"record","name":"User","namespace":"test","fields":[
            {"name":"name","type":"string"}]}"#,
    )
}

/// v1 plus an optional field: backward compatible.
fn user_v2_optional_field() -> Schema {
    Schema::avro(
        r#"{"type":"record","name":"User","namespace":"test","fields":[
            {"name":"name","type":"string"},
            {"name":"email","type":["null","string"],"default":null}]}"#,
    )
}

/// v1 plus a required field (no default): new readers cannot read v1 data.
fn user_v2_required_field() -> Schema {
    Schema::avro(
        r#"{"type":"record","name":"User","namespace":"test","fields":[
            {"name":"name","type":"string"},
            {"name":"age","type":"int"}]}"#,
    )
}

fn registry_code(result: Result<impl std::fmt::Debug, KafkaError>) -> (u16, i32, String) {
    match result {
        Err(e) => match e.kind() {
            ErrorKind::SchemaRegistry { status, code } => (status, code, e.to_string()),
            other => panic!("expected a registry error answer, got {other:?}: {e}"),
        },
        Ok(value) => panic!("expected a registry error answer, got {value:?}"),
    }
}

fn same_json(a: &str, b: &str) -> bool {
    let a: serde_json::Value = serde_json::from_str(a).expect("JSON");
    let b: serde_json::Value = serde_json::from_str(b).expect("JSON");
    a == b
}

#[test]
fn register_returns_an_id_that_get_by_id_resolves() {
    let _turn = common::schema_registry::serial();
    let _level = shared_level();
    let registry = client();
    let subject = unique_subject("register");
    let schema = user_v1();
    let id = registry.register(&subject, &schema).unwrap();
    assert!(id > 0, "{id}");
    assert_eq!(registry.register(&subject, &schema).unwrap(), id);

    // A client with empty caches asks the registry for both.
    let fresh = client();
    assert_eq!(
        fresh.register(&subject, &schema).unwrap(),
        id,
        "the same schema again is the same id"
    );
    let fetched = fresh.get_by_id(id).unwrap();
    assert_eq!(fetched.schema_type, SchemaType::Avro);
    assert!(fetched.references.is_empty());
    assert!(
        same_json(&fetched.schema, &schema.schema),
        "{}",
        fetched.schema
    );

    let latest = fresh.get_latest_version(&subject).unwrap();
    assert_eq!((latest.id, latest.version), (id, 1));
    assert_eq!(latest.subject, subject);
}

#[test]
fn json_and_protobuf_schemas_keep_their_type() {
    let _turn = common::schema_registry::serial();
    let registry = client();
    let json = Schema::json(
        r#"{"$schema":"http://json-schema.org/draft-07/schema#","type":"object",
            "properties":{"name":{"type":"string"}},"required":["name"]}"#,
    );
    let json_subject = unique_subject("json");
    let json_id = registry.register(&json_subject, &json).unwrap();
    let proto = Schema::protobuf(
        "syntax = \"proto3\";\npackage test;\nmessage Order { string id = 1; int64 cents = 2; }\n",
    );
    let proto_subject = unique_subject("proto");
    let proto_id = registry.register(&proto_subject, &proto).unwrap();
    assert_ne!(json_id, proto_id);

    let fresh = client();
    let fetched = fresh.get_by_id(json_id).unwrap();
    assert_eq!(fetched.schema_type, SchemaType::Json);
    assert!(same_json(&fetched.schema, &json.schema));
    let fetched = fresh.get_by_id(proto_id).unwrap();
    assert_eq!(fetched.schema_type, SchemaType::Protobuf);
    assert!(
        fetched.schema.contains("message Order"),
        "{}",
        fetched.schema
    );
    let latest = fresh.get_latest_version(&proto_subject).unwrap();
    assert_eq!(latest.schema.schema_type, SchemaType::Protobuf);
    assert_eq!(latest.id, proto_id);
}

#[test]
fn references_are_registered_and_read_back() {
    let _turn = common::schema_registry::serial();
    let registry = client();
    let address_subject = unique_subject("address");
    let address = Schema::avro(
        r#"{"type":"record","name":"Address","namespace":"test","fields":[
            {"name":"city","type":"string"}]}"#,
    );
    registry.register(&address_subject, &address).unwrap();
    let reference = SchemaReference::new("test.Address", &address_subject, 1);
    let customer = Schema::avro(
        r#"{"type":"record","name":"Customer","namespace":"test","fields":[
            {"name":"address","type":"test.Address"}]}"#,
    )
    .with_reference(reference.clone());
    let customer_subject = unique_subject("customer");
    let id = registry.register(&customer_subject, &customer).unwrap();

    let fresh = client();
    assert_eq!(
        fresh.get_by_id(id).unwrap().references,
        std::slice::from_ref(&reference)
    );
    let latest = fresh.get_latest_version(&customer_subject).unwrap();
    assert_eq!(latest.schema.references, [reference]);
}

#[test]
fn versions_are_listed_and_read_one_by_one() {
    let _turn = common::schema_registry::serial();
    let _level = shared_level();
    let registry = client();
    let subject = unique_subject("versions");
    let id1 = registry.register(&subject, &user_v1()).unwrap();
    registry
        .set_compatibility(Some(&subject), CompatibilityLevel::None)
        .unwrap();
    let id2 = registry
        .register(&subject, &user_v2_required_field())
        .unwrap();
    assert_ne!(id1, id2);
    assert_eq!(registry.get_versions(&subject).unwrap(), [1, 2]);
    let v1 = registry.get_version(&subject, 1).unwrap();
    assert_eq!((v1.id, v1.version), (id1, 1));
    assert!(same_json(&v1.schema.schema, &user_v1().schema));
    let latest = registry.get_version(&subject, Version::Latest).unwrap();
    assert_eq!((latest.id, latest.version), (id2, 2));
    assert!(registry.get_subjects(false).unwrap().contains(&subject));
}

#[test]
fn lookup_finds_a_registered_schema_and_not_another() {
    let _turn = common::schema_registry::serial();
    let _level = shared_level();
    let registry = client();
    let subject = unique_subject("lookup");
    let id = registry.register(&subject, &user_v1()).unwrap();
    let found = client().lookup(&subject, &user_v1()).unwrap();
    assert_eq!((found.id, found.version), (id, 1));
    assert_eq!(found.subject, subject);

    let (status, code, text) = registry_code(registry.lookup(&subject, &user_v2_optional_field()));
    assert_eq!(status, 404, "{text}");
    // Confluent: schema not found; Apicurio 2.4: subject not found (see the top).
    assert!(
        code == error_codes::SCHEMA_NOT_FOUND || code == error_codes::SUBJECT_NOT_FOUND,
        "{text}"
    );
}

#[test]
fn unknown_subjects_versions_and_ids_are_clear_errors() {
    let _turn = common::schema_registry::serial();
    let registry = client();
    let missing = unique_subject("missing");
    let (status, code, text) = registry_code(registry.get_versions(&missing));
    assert_eq!(
        (status, code),
        (404, error_codes::SUBJECT_NOT_FOUND),
        "{text}"
    );
    assert!(
        text.contains("40401") && text.contains("subject not found"),
        "{text}"
    );
    let (status, code, text) = registry_code(registry.get_latest_version(&missing));
    // Confluent: subject not found; Apicurio 2.4: version not found (see the top).
    assert_eq!(status, 404, "{text}");
    assert!(
        code == error_codes::SUBJECT_NOT_FOUND || code == error_codes::VERSION_NOT_FOUND,
        "{text}"
    );
    let (_, code, text) = registry_code(registry.delete_subject(&missing, false));
    assert_eq!(code, error_codes::SUBJECT_NOT_FOUND, "{text}");

    let subject = unique_subject("one-version");
    registry.register(&subject, &user_v1()).unwrap();
    let (status, code, text) = registry_code(registry.get_version(&subject, 99));
    assert_eq!(
        (status, code),
        (404, error_codes::VERSION_NOT_FOUND),
        "{text}"
    );

    let (status, code, text) = registry_code(registry.get_by_id(i32::MAX - 7));
    assert_eq!(
        (status, code),
        (404, error_codes::SCHEMA_NOT_FOUND),
        "{text}"
    );
    assert!(text.contains("schema not found"), "{text}");
}

#[test]
fn an_invalid_schema_is_refused_with_42201() {
    let _turn = common::schema_registry::serial();
    let registry = client();
    let subject = unique_subject("invalid");
    let (status, code, text) =
        registry_code(registry.register(&subject, &Schema::avro("{not json")));
    assert_eq!((status, code), (422, error_codes::INVALID_SCHEMA), "{text}");
}

#[test]
fn backward_compatibility_takes_an_optional_field_and_refuses_a_required_one() {
    let _turn = common::schema_registry::serial();
    let _level = shared_level();
    let registry = client();
    let subject = unique_subject("backward");
    let id1 = registry.register(&subject, &user_v1()).unwrap();
    assert_eq!(
        registry
            .set_compatibility(Some(&subject), CompatibilityLevel::Backward)
            .unwrap(),
        CompatibilityLevel::Backward
    );
    assert_eq!(
        registry.get_compatibility(Some(&subject)).unwrap(),
        CompatibilityLevel::Backward
    );

    let check = registry
        .check_compatibility(&subject, None, &user_v2_required_field())
        .unwrap();
    assert!(!check.is_compatible);
    assert!(
        check.messages.iter().any(|m| m.contains("age")),
        "the reason names the field: {:?}",
        check.messages
    );
    assert!(!registry
        .test_compatibility(
            &subject,
            Some(Version::Number(1)),
            &user_v2_required_field()
        )
        .unwrap());
    let (status, code, text) =
        registry_code(registry.register(&subject, &user_v2_required_field()));
    assert_eq!(
        (status, code),
        (409, error_codes::INCOMPATIBLE_SCHEMA),
        "{text}"
    );
    assert!(text.contains("incompatible schema"), "{text}");

    assert!(registry
        .test_compatibility(&subject, None, &user_v2_optional_field())
        .unwrap());
    let id2 = registry
        .register(&subject, &user_v2_optional_field())
        .unwrap();
    assert_ne!(id1, id2);
    assert_eq!(registry.get_versions(&subject).unwrap(), [1, 2]);
}

#[test]
fn forward_compatibility_refuses_a_removed_required_field() {
    let _turn = common::schema_registry::serial();
    let _level = shared_level();
    let registry = client();
    let subject = unique_subject("forward");
    let two_fields = Schema::avro(
        r#"{"type":"record","name":"Pair","fields":[
            {"name":"a","type":"string"},{"name":"b","type":"string"}]}"#,
    );
    let one_field =
        Schema::avro(r#"{"type":"record","name":"Pair","fields":[{"name":"a","type":"string"}]}"#);
    registry.register(&subject, &two_fields).unwrap();
    registry
        .set_compatibility(Some(&subject), CompatibilityLevel::Forward)
        .unwrap();
    assert!(!registry
        .test_compatibility(&subject, None, &one_field)
        .unwrap());
    let (status, code, text) = registry_code(registry.register(&subject, &one_field));
    assert_eq!(
        (status, code),
        (409, error_codes::INCOMPATIBLE_SCHEMA),
        "{text}"
    );
    // The same change is backward compatible (new readers ignore `b`).
    registry
        .set_compatibility(Some(&subject), CompatibilityLevel::Backward)
        .unwrap();
    assert!(registry
        .test_compatibility(&subject, None, &one_field)
        .unwrap());
}

#[test]
fn the_registry_default_level_is_read_and_set() {
    let _turn = common::schema_registry::serial();
    let _alone = LEVEL.write().unwrap_or_else(|e| e.into_inner());
    let registry = client();
    let before = registry.get_compatibility(None).unwrap();
    let other = if before == CompatibilityLevel::Full {
        CompatibilityLevel::FullTransitive
    } else {
        CompatibilityLevel::Full
    };
    assert_eq!(registry.set_compatibility(None, other).unwrap(), other);
    let now = registry.get_compatibility(None);
    // Put it back before asserting: other tests (and an external registry) use it.
    registry.set_compatibility(None, before).unwrap();
    assert_eq!(now.unwrap(), other);
    assert_eq!(registry.get_compatibility(None).unwrap(), before);
}

#[test]
fn subjects_and_versions_are_deleted_softly_then_for_good() {
    let _turn = common::schema_registry::serial();
    let _level = shared_level();
    let registry = client();
    let subject = unique_subject("delete");
    registry.register(&subject, &user_v1()).unwrap();
    registry
        .set_compatibility(Some(&subject), CompatibilityLevel::None)
        .unwrap();
    registry
        .register(&subject, &user_v2_required_field())
        .unwrap();
    let third = Schema::avro(r#"{"type":"record","name":"User","namespace":"test","fields":[]}"#);
    registry.register(&subject, &third).unwrap();

    assert_eq!(registry.delete_version(&subject, 1, false).unwrap(), 1);
    assert_eq!(registry.delete_version(&subject, 1, true).unwrap(), 1);
    let (_, code, text) = registry_code(registry.get_version(&subject, 1));
    assert_eq!(code, error_codes::VERSION_NOT_FOUND, "{text}");
    let versions: HashSet<i32> = registry
        .get_versions(&subject)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(versions, HashSet::from([2, 3]));
    assert_eq!(
        registry
            .delete_version(&subject, Version::Latest, false)
            .unwrap(),
        3
    );
    // Apicurio 2.4 cannot delete a subject for good while one of its versions is
    // soft-deleted ("Cannot transition artifact from DISABLED to DISABLED"): the
    // version goes for good first.
    assert_eq!(registry.delete_version(&subject, 3, true).unwrap(), 3);

    let deleted = registry.delete_subject(&subject, false).unwrap();
    assert_eq!(deleted, [2]);
    assert!(!registry.get_subjects(false).unwrap().contains(&subject));
    assert!(registry.get_subjects(true).unwrap().contains(&subject));
    let (status, code, text) = registry_code(registry.get_latest_version(&subject));
    // Confluent: subject not found; Apicurio 2.4: version not found (see the top).
    assert_eq!(status, 404, "{text}");
    assert!(
        code == error_codes::SUBJECT_NOT_FOUND || code == error_codes::VERSION_NOT_FOUND,
        "{text}"
    );

    registry.delete_subject(&subject, true).unwrap();
    assert!(!registry.get_subjects(true).unwrap().contains(&subject));

    // The deleted subject's cached id is forgotten: registering again asks the
    // registry, which starts the subject over at version 1.
    let again = registry.register(&subject, &user_v1()).unwrap();
    let latest = registry.get_latest_version(&subject).unwrap();
    assert_eq!((latest.id, latest.version), (again, 1));
}

#[test]
fn one_client_serves_many_threads() {
    let _turn = common::schema_registry::serial();
    let _level = shared_level();
    let subject = unique_subject("threads");
    let schemas: Vec<Schema> = (0..4)
        .map(|i| {
            Schema::avro(format!(
                r#"{{"type":"record","name":"R{i}","fields":[{{"name":"f","type":"int"}}]}}"#
            ))
        })
        .collect();
    // Apicurio 2.4's in-memory storage deadlocks on concurrent registrations of new
    // schemas (HTTP 500 "Timeout trying to lock table"): the schemas are registered
    // one by one first, so that the threads' requests find them. Their client starts
    // with empty caches, so the threads still race to ask the registry and fill them.
    let setup = client();
    let first = setup.register(&subject, &schemas[0]).unwrap();
    setup
        .set_compatibility(Some(&subject), CompatibilityLevel::None)
        .unwrap();
    let expected: Vec<i32> = std::iter::once(first)
        .chain(
            schemas[1..]
                .iter()
                .map(|s| setup.register(&subject, s).unwrap()),
        )
        .collect();

    let registry = Arc::new(client());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let registry = Arc::clone(&registry);
            let subject = subject.clone();
            let schemas = schemas.clone();
            std::thread::spawn(move || {
                let mut ids = Vec::new();
                for round in 0..20 {
                    let index = (t + round) % schemas.len();
                    let id = registry.register(&subject, &schemas[index]).unwrap();
                    assert_eq!(*registry.get_by_id(id).unwrap(), schemas[index]);
                    ids.push((index, id));
                }
                ids
            })
        })
        .collect();
    for thread in threads {
        for (index, id) in thread.join().unwrap() {
            assert_eq!(
                id, expected[index],
                "one schema, one id, whichever thread asked"
            );
        }
    }
}

#[test]
fn caches_answer_without_the_registry_and_stay_bounded() {
    let _turn = common::schema_registry::serial();
    let mut own = LocalRegistry::start(RegistrySecurity::Open);
    let registry = SchemaRegistryClient::new(quick_config(&own.url()).cache_capacity(2)).unwrap();
    let subject = unique_subject("cache");
    registry.register(&subject, &user_v1()).unwrap();
    registry
        .set_compatibility(Some(&subject), CompatibilityLevel::None)
        .unwrap();
    let schemas = [
        user_v1(),
        user_v2_optional_field(),
        user_v2_required_field(),
    ];
    let ids: Vec<i32> = schemas
        .iter()
        .map(|s| registry.register(&subject, s).unwrap())
        .collect();
    own.stop();

    // The registry is gone: the two newest entries still answer, the oldest was
    // evicted and needs the registry.
    for (schema, id) in schemas.iter().zip(&ids).skip(1) {
        assert_eq!(registry.register(&subject, schema).unwrap(), *id);
        assert_eq!(*registry.get_by_id(*id).unwrap(), *schema);
    }
    let err = registry.get_by_id(ids[0]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    let err = registry.register(&subject, &schemas[0]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    let err = registry.get_subjects(false).unwrap_err();
    assert!(err.is_retriable(), "{err}");
}

#[test]
fn an_unreachable_url_is_passed_over_for_the_next_one() {
    let _turn = common::schema_registry::serial();
    let dead = common::free_port();
    let urls = format!("http://127.0.0.1:{dead},{}", registry_url());
    let registry = client_for(&urls);
    let subject = unique_subject("failover");
    let id = registry.register(&subject, &user_v1()).unwrap();
    assert_eq!(registry.get_latest_version(&subject).unwrap().id, id);
}

#[test]
fn basic_auth_is_sent_and_bad_credentials_are_refused() {
    let _turn = common::schema_registry::serial();
    let own = LocalRegistry::start(RegistrySecurity::BasicAuth(
        "registry-user".into(),
        "registry-secret".into(),
    ));
    let url = own.url();
    let subject = unique_subject("auth");

    let (status, code, text) = registry_code(client_for(&url).get_subjects(false));
    assert_eq!((status, code), (401, error_codes::UNAUTHORIZED), "{text}");
    let wrong = SchemaRegistryClient::new(
        quick_config(&url)
            .set("basic.auth.user.info", "registry-user:wrong")
            .unwrap(),
    )
    .unwrap();
    let (status, _, text) = registry_code(wrong.register(&subject, &user_v1()));
    assert_eq!(status, 401, "{text}");

    let right = SchemaRegistryClient::new(
        quick_config(&url)
            .set(
                "schema.registry.basic.auth.user.info",
                "registry-user:registry-secret",
            )
            .unwrap(),
    )
    .unwrap();
    let id = right.register(&subject, &user_v1()).unwrap();
    assert!(right.get_subjects(false).unwrap().contains(&subject));

    // basic.auth.credentials.source=URL: the credentials ride in the URL.
    let in_url = url.replacen("http://", "http://registry-user:registry-secret@", 1);
    let from_url = SchemaRegistryClient::new(
        quick_config(&in_url)
            .set("basic.auth.credentials.source", "URL")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(from_url.get_latest_version(&subject).unwrap().id, id);
}

#[test]
fn tls_needs_the_registry_ca() {
    let _turn = common::schema_registry::serial();
    let own = LocalRegistry::start(RegistrySecurity::Tls);
    let url = own.url();
    assert!(url.starts_with("https://"), "{url}");
    let trusting = SchemaRegistryClient::new(quick_config(&url).ca_location(own.ca())).unwrap();
    let subject = unique_subject("tls");
    let id = trusting.register(&subject, &user_v1()).unwrap();
    assert_eq!(trusting.get_latest_version(&subject).unwrap().id, id);

    // The system's roots do not know the test CA.
    let err = client_for(&url).get_subjects(false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    assert!(!err.is_retriable());
}

#[test]
fn mutual_tls_sends_the_client_certificate() {
    let _turn = common::schema_registry::serial();
    let own = LocalRegistry::start(RegistrySecurity::MutualTls);
    let url = own.url();
    let (certificate, key) = own.client_certificate();
    let config = quick_config(&url)
        .set("ssl.ca.location", &own.ca().to_string_lossy())
        .unwrap()
        .set("ssl.certificate.location", &certificate.to_string_lossy())
        .unwrap()
        .set("ssl.key.location", &key.to_string_lossy())
        .unwrap();
    let with_certificate = SchemaRegistryClient::new(config).unwrap();
    let subject = unique_subject("mtls");
    let id = with_certificate.register(&subject, &user_v1()).unwrap();
    assert_eq!(*with_certificate.get_by_id(id).unwrap(), user_v1());

    let without =
        SchemaRegistryClient::new(quick_config(&url).max_retries(0).ca_location(own.ca())).unwrap();
    let err = without.get_subjects(false).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Tls | ErrorKind::Connection),
        "the registry refuses the handshake: {err}"
    );
    assert_eq!(error_code(&err), None, "no HTTP answer: {err}");
}
