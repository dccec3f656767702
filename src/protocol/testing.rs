//! Helpers for the golden-byte tests of the message modules.

use std::fmt::Debug;
use std::ops::RangeInclusive;

use super::primitives::Reader;
use super::schema::{Ctx, Field};

/// Asserts that the top-level message `value` encodes at `version` to exactly
/// `expected`, and that decoding `expected` consumes it all and encodes back to it.
pub fn assert_golden<T: Field + Debug + crate::protocol::api::Versioned>(
    value: &T,
    version: i16,
    expected: &[u8],
) {
    let ctx = T::ctx(version);
    let mut buf = Vec::new();
    value.encode(&mut buf, ctx);
    assert_eq!(
        buf,
        expected,
        "encoding {} v{version}",
        std::any::type_name::<T>()
    );
    let mut r = Reader::new(expected.to_vec());
    let decoded = T::decode(&mut r, ctx).expect("golden bytes decode");
    assert!(r.is_empty(), "bytes left after decoding v{version}");
    let mut again = Vec::new();
    decoded.encode(&mut again, ctx);
    assert_eq!(again, expected, "re-encoding v{version}");
}

/// Asserts that `value` survives encode/decode at every version in `versions`, with
/// every truncation of the encoding rejected.
pub fn assert_round_trip_all_versions<T: Field + Debug + PartialEq>(
    value: &T,
    versions: RangeInclusive<i16>,
    first_flexible: i16,
) {
    for version in versions {
        let ctx = Ctx {
            version,
            flexible: version >= first_flexible,
        };
        let mut buf = Vec::new();
        value.encode(&mut buf, ctx);
        let mut r = Reader::new(buf.clone());
        let decoded = T::decode(&mut r, ctx).expect("round trip decodes");
        assert!(r.is_empty(), "v{version}: bytes left");
        let mut again = Vec::new();
        decoded.encode(&mut again, ctx);
        assert_eq!(again, buf, "v{version}: re-encoding differs");
        for cut in 0..buf.len() {
            assert!(
                T::decode(&mut Reader::new(buf[..cut].to_vec()), ctx).is_err(),
                "v{version}: truncation at {cut} of {} decoded",
                buf.len()
            );
        }
    }
}
