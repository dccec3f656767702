//! DescribeLogDirs (key 35): lists the log directories of the broker it is sent to,
//! with the size and lag of the partitions in each.
//!
//! This client speaks versions 1 to 4 (Kafka 4.0 removed version 0; version 1 is the
//! same, but on a quota violation the broker answers before throttling). Version 2 is
//! the first flexible one, version 3 adds a top-level error code, and version 4 each
//! directory's volume total and usable bytes (KIP-827). The pinned message spec stops
//! at version 4, so version 5, which Kafka 4.4.0 speaks, is left out.

use crate::message;

message! {
    /// Asks for the broker's log directories.
    pub struct DescribeLogDirsRequest {
        /// Each topic that we want to describe log directories for, or `None` for all.
        topics: Option<Vec<DescribeLogDirsRequestTopic>> [0..],
    }
}

message! {
    /// The partitions of one topic to describe.
    pub struct DescribeLogDirsRequestTopic {
        /// The topic name.
        topic: String [0..],
        /// The partition indexes.
        partitions: Vec<i32> [0..],
    }
}

message! {
    /// The broker's log directories.
    pub struct DescribeLogDirsResponse {
        /// Throttle time in milliseconds (quota violation), or zero.
        throttle_time_ms: i32 [0..],
        /// The error code, or 0 if there was no error (from version 3).
        error_code: i16 [3..],
        /// The log directories.
        results: Vec<DescribeLogDirsResponseResult> [0..],
    }
}

message! {
    /// One log directory.
    pub struct DescribeLogDirsResponseResult {
        /// The error code, or 0 if there was no error.
        error_code: i16 [0..],
        /// The absolute log directory path.
        log_dir: String [0..],
        /// Each topic.
        topics: Vec<DescribeLogDirsResponseTopic> [0..],
        /// The total size in bytes of the volume the log directory is in, or -1.
        total_bytes: i64 [4..] = -1,
        /// The usable size in bytes of the volume the log directory is in, or -1.
        usable_bytes: i64 [4..] = -1,
    }
}

message! {
    /// The partitions of one topic in a log directory.
    pub struct DescribeLogDirsResponseTopic {
        /// The topic name.
        name: String [0..],
        /// The partitions.
        partitions: Vec<DescribeLogDirsResponsePartition> [0..],
    }
}

message! {
    /// One partition's log in a log directory.
    pub struct DescribeLogDirsResponsePartition {
        /// The partition index.
        partition_index: i32 [0..],
        /// The size of the log segments in this partition in bytes.
        partition_size: i64 [0..],
        /// The lag of the log end offset behind the high watermark (or the current log's).
        offset_lag: i64 [0..],
        /// True if this is a future log (AlterReplicaLogDirs) that will replace the current.
        is_future_key: bool [0..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{assert_golden, assert_round_trip_all_versions};

    fn request() -> DescribeLogDirsRequest {
        DescribeLogDirsRequest {
            topics: Some(vec![DescribeLogDirsRequestTopic {
                topic: "t".into(),
                partitions: vec![0, 1],
            }]),
        }
    }

    fn response() -> DescribeLogDirsResponse {
        DescribeLogDirsResponse {
            throttle_time_ms: 0,
            error_code: 0,
            results: vec![DescribeLogDirsResponseResult {
                error_code: 0,
                log_dir: "/d".into(),
                topics: vec![DescribeLogDirsResponseTopic {
                    name: "t".into(),
                    partitions: vec![DescribeLogDirsResponsePartition {
                        partition_index: 0,
                        partition_size: 10,
                        offset_lag: 0,
                        is_future_key: false,
                    }],
                }],
                total_bytes: 256,
                usable_bytes: 128,
            }],
        }
    }

    #[test]
    fn request_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<DescribeLogDirsRequest>(&request(), 1, &[
            0, 0, 0, 1,                     // topics: 1
            0, 1, b't',                     //   topic
            0, 0, 0, 2,                     //   partitions: 2
            0, 0, 0, 0, 0, 0, 0, 1,         //     0, 1
        ]);
        #[rustfmt::skip]
        assert_golden::<DescribeLogDirsRequest>(&request(), 2, &[
            2,                              // topics: 1
            2, b't',                        //   topic
            3,                              //   partitions: 2
            0, 0, 0, 0, 0, 0, 0, 1,         //     0, 1
            0,                              //   topic tags
            0,                              // tags
        ]);
        // Every topic: a null array.
        let all = DescribeLogDirsRequest { topics: None };
        assert_golden::<DescribeLogDirsRequest>(&all, 1, &[0xff, 0xff, 0xff, 0xff]);
        assert_golden::<DescribeLogDirsRequest>(&all, 4, &[0, 0]);
    }

    #[test]
    fn response_golden_bytes() {
        #[rustfmt::skip]
        assert_golden::<DescribeLogDirsResponse>(&response(), 1, &[
            0, 0, 0, 0,                     // throttle_time_ms
            0, 0, 0, 1,                     // results: 1
            0, 0,                           //   error_code
            0, 2, b'/', b'd',               //   log_dir
            0, 0, 0, 1,                     //   topics: 1
            0, 1, b't',                     //     name
            0, 0, 0, 1,                     //     partitions: 1
            0, 0, 0, 0,                     //       partition_index
            0, 0, 0, 0, 0, 0, 0, 10,        //       partition_size
            0, 0, 0, 0, 0, 0, 0, 0,         //       offset_lag
            0,                              //       is_future_key
        ]);
        #[rustfmt::skip]
        let partition = [
            0, 0, 0, 0,                     //       partition_index
            0, 0, 0, 0, 0, 0, 0, 10,        //       partition_size
            0, 0, 0, 0, 0, 0, 0, 0,         //       offset_lag
            0,                              //       is_future_key
            0,                              //       partition tags
            0,                              //     topic tags
        ];
        #[rustfmt::skip]
        let head = [
            2,                              // results: 1
            0, 0,                           //   error_code
            3, b'/', b'd',                  //   log_dir
            2,                              //   topics: 1
            2, b't',                        //     name
            2,                              //     partitions: 1
        ];
        let v2 = [&[0, 0, 0, 0][..], &head, &partition, &[0, 0]].concat();
        assert_golden::<DescribeLogDirsResponse>(&response(), 2, &v2);
        // Version 3 adds the top-level error code, version 4 the volume sizes.
        let v3 = [&[0, 0, 0, 0, 0, 0][..], &head, &partition, &[0, 0]].concat();
        assert_golden::<DescribeLogDirsResponse>(&response(), 3, &v3);
        #[rustfmt::skip]
        let v4 = [
            &[0, 0, 0, 0, 0, 0][..], &head, &partition,
            &[0, 0, 0, 0, 0, 0, 1, 0],      //   total_bytes: 256
            &[0, 0, 0, 0, 0, 0, 0, 128],    //   usable_bytes: 128
            &[0, 0],                        //   result tags, tags
        ].concat();
        assert_golden::<DescribeLogDirsResponse>(&response(), 4, &v4);
    }

    #[test]
    fn round_trips() {
        let req = DescribeLogDirsRequest {
            topics: Some(vec![
                DescribeLogDirsRequestTopic {
                    topic: "events".into(),
                    partitions: vec![0, 1, 2],
                },
                DescribeLogDirsRequestTopic {
                    topic: "logs".into(),
                    partitions: vec![],
                },
            ]),
        };
        assert_round_trip_all_versions::<DescribeLogDirsRequest>(&req, 1..=4, 2);
        let all = DescribeLogDirsRequest { topics: None };
        assert_round_trip_all_versions::<DescribeLogDirsRequest>(&all, 1..=4, 2);

        let mut resp = response();
        resp.throttle_time_ms = 1;
        resp.error_code = 31;
        resp.results[0].topics[0]
            .partitions
            .push(DescribeLogDirsResponsePartition {
                partition_index: 4,
                partition_size: 1 << 40,
                offset_lag: 12,
                is_future_key: true,
            });
        resp.results.push(DescribeLogDirsResponseResult {
            error_code: 56,
            log_dir: "/offline".into(),
            topics: vec![],
            total_bytes: -1,
            usable_bytes: -1,
        });
        assert_round_trip_all_versions::<DescribeLogDirsResponse>(&resp, 1..=4, 2);
    }
}
