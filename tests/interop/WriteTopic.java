import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends the records read from stdin with one Java producer (default partitioner,
 * acks=all, idempotent: the Java defaults), one record a line:
 *
 *   TOPIC PARTITION TIMESTAMP KEY VALUE HEADERS
 *
 * with PARTITION and TIMESTAMP "-" to let the producer choose, and the other fields in
 * the format of Interop.java. Once all are acknowledged it prints, in input order,
 *
 *   TOPIC PARTITION OFFSET TIMESTAMP
 *
 * for each record. Usage: WriteTopic BOOTSTRAP COMPRESSION [KEY=VALUE ...]
 */
public final class WriteTopic {
    public static void main(String[] args) {
        Interop.main(() -> run(args));
    }

    private static void run(String[] args) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, args[1]);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        Interop.addProperties(props, args, 2);
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (String line : Interop.stdinLines()) {
                String[] f = Interop.fields(line, 6);
                Integer partition = f[1].equals("-") ? null : Integer.valueOf(f[1]);
                Long timestamp = f[2].equals("-") ? null : Long.valueOf(f[2]);
                sent.add(producer.send(new ProducerRecord<>(f[0], partition, timestamp,
                        Interop.parseBytes(f[3]), Interop.parseBytes(f[4]), Interop.parseHeaders(f[5]))));
            }
            producer.flush();
            BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
            for (Future<RecordMetadata> future : sent) {
                RecordMetadata m = future.get(60, TimeUnit.SECONDS);
                out.write(m.topic() + "\t" + m.partition() + "\t" + m.offset() + "\t" + m.timestamp() + "\n");
            }
            out.flush();
        }
    }
}
