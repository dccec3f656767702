import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A Java consumer group member for mixed-group and admin tests: the classic group
 * protocol, or with group.protocol=consumer the KIP-848 one (ASSIGNOR_CLASS is then
 * ignored: the broker assigns).
 *
 * Usage: GroupMember BOOTSTRAP GROUP TOPIC ASSIGNOR_CLASS [KEY=VALUE ...]
 *
 * Prints one line per event:
 *   assigned P P ...     its whole assignment, whenever that changes (also when empty)
 *   record P OFFSET      each record it reads
 * Commits synchronously after each non-empty poll, and closes (leaving the group) when
 * its stdin ends.
 */
public final class GroupMember {
    private static String last = null;

    public static void main(String[] args) {
        Interop.main(() -> run(args));
    }

    private static void run(String[] args) throws Exception {
        String topic = args[2];
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, args[1]);
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, args[3]);
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000");
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        Interop.addProperties(props, args, 4);
        if ("consumer".equalsIgnoreCase(props.getProperty(ConsumerConfig.GROUP_PROTOCOL_CONFIG))) {
            // The KIP-848 protocol: the broker assigns and keeps the session settings.
            props.remove(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG);
            props.remove(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
            props.remove(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG);
        }

        AtomicBoolean stop = new AtomicBoolean(false);
        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // Only the end of stdin matters.
                }
            } catch (java.io.IOException e) {
                // A closed stdin is the end too.
            }
            stop.set(true);
        });
        watcher.setDaemon(true);
        watcher.start();

        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    report(consumer.assignment(), partitions);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    report(consumer.assignment(), Set.of());
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    report(consumer.assignment(), partitions);
                }
            });
            while (!stop.get()) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                StringBuilder out = new StringBuilder();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    out.append("record ").append(r.partition()).append(' ').append(r.offset()).append('\n');
                }
                if (!records.isEmpty()) {
                    System.out.print(out);
                    System.out.flush();
                    consumer.commitSync(Duration.ofSeconds(30));
                }
                report(consumer.assignment(), Set.of());
            }
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(10)));
        }
    }

    /** Prints the assignment `now` without `leaving`, if it differs from the last one printed. */
    private static void report(Set<TopicPartition> now, Collection<TopicPartition> leaving) {
        TreeSet<Integer> partitions = new TreeSet<>();
        for (TopicPartition tp : now) {
            if (!leaving.contains(tp)) {
                partitions.add(tp.partition());
            }
        }
        StringBuilder line = new StringBuilder("assigned");
        for (int p : partitions) {
            line.append(' ').append(p);
        }
        String text = line.toString();
        if (!text.equals(last)) {
            last = text;
            System.out.println(text);
            System.out.flush();
        }
    }
}
