import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads every partition of a topic from the beginning up to the end offsets it finds
 * at the start (the last stable offsets under read_committed) with the Java consumer,
 * without a group, and prints each record as one line:
 *
 *   PARTITION OFFSET TIMESTAMP TIMESTAMP_TYPE KEY VALUE HEADERS
 *
 * in the format of Interop.java, in the order the consumer returned them.
 *
 * Usage: ReadTopic BOOTSTRAP TOPIC read_committed|read_uncommitted [KEY=VALUE ...]
 * Fails (exit 1) if the end offsets are not reached within 60 s.
 */
public final class ReadTopic {
    public static void main(String[] args) {
        Interop.main(() -> run(args));
    }

    private static void run(String[] args) throws Exception {
        String topic = args[1];
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, args[2]);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        Interop.addProperties(props, args, 3);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
            partitions.sort(Comparator.comparingInt(TopicPartition::partition));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            while (!reached(consumer, partitions, end)) {
                if (System.nanoTime() > deadline) {
                    StringBuilder where = new StringBuilder();
                    for (TopicPartition tp : partitions) {
                        where.append(' ').append(tp).append(" at ").append(consumer.position(tp))
                                .append(" of ").append(end.get(tp));
                    }
                    throw new IllegalStateException("end offsets not reached in 60 s:" + where);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.write(r.partition() + "\t" + r.offset() + "\t" + r.timestamp() + "\t"
                            + r.timestampType().name + "\t" + Interop.bytes(r.key()) + "\t"
                            + Interop.bytes(r.value()) + "\t" + Interop.headers(r.headers()) + "\n");
                }
            }
        }
        out.flush();
    }

    private static boolean reached(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions,
            Map<TopicPartition, Long> end) {
        for (TopicPartition tp : partitions) {
            if (consumer.position(tp) < end.get(tp)) {
                return false;
            }
        }
        return true;
    }
}
