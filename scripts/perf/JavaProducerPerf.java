import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Java client's side of scripts/producer-perf.sh: sends NUM records of SIZE bytes
 * (no key) as fast as it can, flushes, and prints one RESULT line in the format the
 * script reads, measured the way examples/producer_perf.rs measures: wall time and
 * process CPU time from the first send to the end of the flush (so JVM start-up is
 * left out, JIT compilation is not), and peak RSS from /proc/self/status.
 *
 * Usage: JavaProducerPerf BOOTSTRAP TOPIC NUM SIZE ACKS COMPRESSION BATCH_SIZE LINGER_MS
 */
public final class JavaProducerPerf {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        long num = Long.parseLong(args[2]);
        int size = Integer.parseInt(args[3]);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, args[4]);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, args[5]);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, args[6]);
        props.put(ProducerConfig.LINGER_MS_CONFIG, args[7]);
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(32L << 20));
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(8 << 20));
        byte[] payload = new byte[size];
        java.util.Arrays.fill(payload, (byte) 'x');
        AtomicLong errors = new AtomicLong();
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.partitionsFor(topic);
            com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            for (long i = 0; i < num; i++) {
                producer.send(new ProducerRecord<>(topic, payload), (m, e) -> {
                    if (e != null) {
                        errors.incrementAndGet();
                    }
                });
            }
            producer.flush();
            double secs = (System.nanoTime() - t0) / 1e9;
            double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
            System.out.printf(
                "RESULT client=java records=%d records_per_sec=%.0f mb_per_sec=%.2f us_per_record=%.3f peak_rss_mib=%.1f errors=%d%n",
                num, num / secs, num * (double) size / secs / 1e6, cpu * 1e6 / num, peakRssMib(), errors.get());
        }
    }

    static double peakRssMib() throws Exception {
        for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        return -1;
    }
}
