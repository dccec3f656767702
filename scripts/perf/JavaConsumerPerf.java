import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The Java client's side of scripts/consumer-perf.sh: assigns every partition of TOPIC,
 * reads NUM records from the beginning, and prints one RESULT line, measured as
 * examples/consumer_perf.rs measures (from the first poll to the last record; process
 * CPU time; peak RSS from /proc/self/status).
 *
 * Usage: JavaConsumerPerf BOOTSTRAP TOPIC NUM
 */
public final class JavaConsumerPerf {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000");
        String topic = args[1];
        long num = Long.parseLong(args[2]);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic)) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            long count = 0;
            long bytes = 0;
            long idleSince = System.nanoTime();
            while (count < num) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
                if (records.isEmpty()) {
                    if (System.nanoTime() - idleSince > 10_000_000_000L) {
                        throw new IllegalStateException("only " + count + " of " + num + " records arrived");
                    }
                    continue;
                }
                idleSince = System.nanoTime();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    bytes += r.value() == null ? 0 : r.value().length;
                }
                count += records.count();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
            System.out.printf(
                "RESULT client=java records=%d records_per_sec=%.0f mb_per_sec=%.2f us_per_record=%.3f peak_rss_mib=%.1f errors=0%n",
                count, count / secs, bytes / secs / 1e6, cpu * 1e6 / count, JavaProducerPerf.peakRssMib());
        }
    }
}
