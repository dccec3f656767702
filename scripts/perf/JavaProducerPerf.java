import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

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
 * Usage: JavaProducerPerf BOOTSTRAP TOPIC NUM SIZE ACKS COMPRESSION BATCH_SIZE LINGER_MS [RATE]
 *
 * RATE > 0 is the latency mode: record i is sent at start + i/RATE (an absolute
 * schedule: a late record goes out at once, the ones after it keep their due times),
 * and the time from just before send() to its Callback is kept for every record
 * (System.nanoTime). The RESULT line then also has p50_us, p99_us, p999_us and max_us
 * (nearest rank over the delivered records), as examples/producer_perf.rs and
 * scripts/producer-perf-librdkafka.py print them. Before the clock starts, one record
 * is sent and its ack waited for, so that the connection to the leader and the producer
 * id are set up outside the measurement, as the other two do.
 */
public final class JavaProducerPerf {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        long num = Long.parseLong(args[2]);
        int size = Integer.parseInt(args[3]);
        long rate = args.length > 8 ? Long.parseLong(args[8]) : 0;
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, args[4]);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, args[5]);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, args[6]);
        props.put(ProducerConfig.LINGER_MS_CONFIG, args[7]);
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(32L << 20));
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(8 << 20));
        byte[] payload = new byte[size];
        Arrays.fill(payload, (byte) 'x');
        AtomicLong errors = new AtomicLong();
        // Latency mode: nanoseconds from send() to the callback of record i (0 while not
        // delivered), written by the producer's I/O thread.
        AtomicLongArray latencies = new AtomicLongArray(rate > 0 ? (int) num : 0);
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.partitionsFor(topic);
            if (rate > 0) {
                producer.send(new ProducerRecord<>(topic, payload)).get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
            com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            if (rate > 0) {
                double intervalNs = 1e9 / rate;
                for (int i = 0; i < num; i++) {
                    long due = t0 + (long) (i * intervalNs);
                    for (long left = due - System.nanoTime(); left > 0; left = due - System.nanoTime()) {
                        LockSupport.parkNanos(left);
                    }
                    final int index = i;
                    final long sent = System.nanoTime();
                    producer.send(new ProducerRecord<>(topic, payload), (m, e) -> {
                        if (e != null) {
                            errors.incrementAndGet();
                        } else {
                            latencies.set(index, Math.max(1, System.nanoTime() - sent));
                        }
                    });
                }
            } else {
                for (long i = 0; i < num; i++) {
                    producer.send(new ProducerRecord<>(topic, payload), (m, e) -> {
                        if (e != null) {
                            errors.incrementAndGet();
                        }
                    });
                }
            }
            producer.flush();
            double secs = (System.nanoTime() - t0) / 1e9;
            double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
            String latencyFields = "";
            if (rate > 0) {
                long[] us = new long[latencies.length()];
                int n = 0;
                for (int i = 0; i < latencies.length(); i++) {
                    long ns = latencies.get(i);
                    if (ns > 0) {
                        us[n++] = ns / 1000;
                    }
                }
                us = Arrays.copyOf(us, n);
                Arrays.sort(us);
                long p50 = nearestRank(us, 500), p99 = nearestRank(us, 990), p999 = nearestRank(us, 999);
                long max = n > 0 ? us[n - 1] : 0;
                System.out.printf(
                    "latency (send() to callback, %d records at %d records/sec): p50 %d us, p99 %d us, p99.9 %d us, max %d us%n",
                    n, rate, p50, p99, p999, max);
                latencyFields = String.format(" p50_us=%d p99_us=%d p999_us=%d max_us=%d", p50, p99, p999, max);
            }
            System.out.printf(
                "RESULT client=java records=%d records_per_sec=%.0f mb_per_sec=%.2f us_per_record=%.3f peak_rss_mib=%.1f errors=%d%s%n",
                num, num / secs, num * (double) size / secs / 1e6, cpu * 1e6 / num, peakRssMib(), errors.get(),
                latencyFields);
        }
    }

    /** The smallest of sorted values that at least perMille/1000 of them are at or below. */
    static long nearestRank(long[] sorted, long perMille) {
        if (sorted.length == 0) {
            return 0;
        }
        long rank = Math.max(1, (sorted.length * perMille + 999) / 1000);
        return sorted[(int) (rank - 1)];
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
