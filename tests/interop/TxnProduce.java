import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Runs a script of transactions with Java transactional producers, read from stdin
 * one command a line, as it arrives:
 *
 *   begin I            producer I (created, with transactional.id PREFIX-I, and
 *                      initialized on first use) begins a transaction
 *   send I P VALUE     producer I sends VALUE (UTF-8, no key) to partition P and waits
 *                      for the acknowledgement; prints "sent P OFFSET"
 *   commit I           producer I commits its transaction
 *   abort I            producer I aborts its transaction
 *   sync               prints "synced" (the caller knows all before it is done)
 *
 * At the end of stdin it closes the producers and prints "done".
 * Usage: TxnProduce BOOTSTRAP TOPIC TRANSACTIONAL_ID_PREFIX
 */
public final class TxnProduce {
    public static void main(String[] args) {
        Interop.main(() -> run(args));
    }

    private static void run(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        String prefix = args[2];
        Map<String, KafkaProducer<byte[], byte[]>> producers = new HashMap<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String[] w = line.trim().split(" ");
                switch (w[0]) {
                    case "" -> { }
                    case "sync" -> System.out.println("synced");
                    case "begin" -> producer(producers, bootstrap, prefix, w[1]).beginTransaction();
                    case "commit" -> producers.get(w[1]).commitTransaction();
                    case "abort" -> producers.get(w[1]).abortTransaction();
                    case "send" -> {
                        int partition = Integer.parseInt(w[2]);
                        RecordMetadata m = producers.get(w[1])
                                .send(new ProducerRecord<>(topic, partition, null,
                                        w[3].getBytes(StandardCharsets.UTF_8)))
                                .get(30, TimeUnit.SECONDS);
                        System.out.println("sent " + m.partition() + " " + m.offset());
                    }
                    default -> throw new IllegalArgumentException("unknown command: " + line);
                }
                System.out.flush();
            }
        } finally {
            for (KafkaProducer<byte[], byte[]> producer : producers.values()) {
                producer.close();
            }
        }
        System.out.println("done");
    }

    private static KafkaProducer<byte[], byte[]> producer(Map<String, KafkaProducer<byte[], byte[]>> producers,
            String bootstrap, String prefix, String index) {
        return producers.computeIfAbsent(index, i -> {
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, prefix + "-" + i);
            props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props);
            producer.initTransactions();
            return producer;
        });
    }
}
