import org.apache.kafka.common.protocol.types.Schema;

/**
 * Compares the wire schemas that the Kafka client jar on the class path compiled from
 * its JSON message specs, for the protocol conformance test: for each argument
 * MESSAGE:VERSION:BASE (MESSAGE a class of org.apache.kafka.common.message, such as
 * ProduceRequestData) it prints one line, "MESSAGE:VERSION:BASE same" when the schema
 * of VERSION is the schema of BASE, field for field, and "... differs: A | B" with the
 * two schemas otherwise (or "... missing" when the jar lacks one of the versions).
 *
 * Usage: SchemaVersions MESSAGE:VERSION:BASE ...
 */
public final class SchemaVersions {
    public static void main(String[] args) throws Exception {
        for (String arg : args) {
            String[] parts = arg.split(":");
            Class<?> message = Class.forName("org.apache.kafka.common.message." + parts[0]);
            Schema[] schemas = (Schema[]) message.getField("SCHEMAS").get(null);
            int version = Integer.parseInt(parts[1]);
            int base = Integer.parseInt(parts[2]);
            if (version >= schemas.length || base >= schemas.length
                    || schemas[version] == null || schemas[base] == null) {
                System.out.println(arg + " missing");
                continue;
            }
            String a = schemas[version].toString();
            String b = schemas[base].toString();
            System.out.println(arg + (a.equals(b) ? " same" : " differs: " + a + " | " + b));
        }
    }
}
