import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The line format the interop programs share with the Rust tests (tests/common/java.rs).
 *
 * Fields are separated by tabs. Bytes are standard base64 ("" for empty bytes) or "-"
 * for null. Headers are one field: "" for no headers, otherwise comma-separated
 * entries KEY:VALUE, with the key the base64 of its UTF-8 bytes and the value bytes as
 * above (so a null header value is KEY:-). Base64 never contains a tab, a comma or a
 * colon, so nothing needs escaping.
 */
final class Interop {
    private Interop() {}

    static String bytes(byte[] data) {
        return data == null ? "-" : Base64.getEncoder().encodeToString(data);
    }

    static byte[] parseBytes(String field) {
        return field.equals("-") ? null : Base64.getDecoder().decode(field);
    }

    static String headers(Headers headers) {
        StringBuilder out = new StringBuilder();
        for (Header header : headers) {
            if (out.length() > 0) {
                out.append(',');
            }
            out.append(bytes(header.key().getBytes(StandardCharsets.UTF_8)));
            out.append(':');
            out.append(bytes(header.value()));
        }
        return out.toString();
    }

    static Headers parseHeaders(String field) {
        RecordHeaders headers = new RecordHeaders();
        if (field.isEmpty()) {
            return headers;
        }
        for (String entry : field.split(",", -1)) {
            int colon = entry.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("a header without ':': " + entry);
            }
            String key = new String(parseBytes(entry.substring(0, colon)), StandardCharsets.UTF_8);
            headers.add(key, parseBytes(entry.substring(colon + 1)));
        }
        return headers;
    }

    /** The tab-separated fields of a line, keeping empty ones. */
    static String[] fields(String line, int count) {
        String[] fields = line.split("\t", -1);
        if (fields.length != count) {
            throw new IllegalArgumentException(
                    "expected " + count + " tab-separated fields, got " + fields.length + ": " + line);
        }
        return fields;
    }

    /** Adds KEY=VALUE arguments (from index `from` on) to `props`. */
    static void addProperties(Properties props, String[] args, int from) {
        for (int i = from; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected KEY=VALUE, got " + args[i]);
            }
            props.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
    }

    /** Lines of stdin, up to its end. */
    static List<String> stdinLines() throws java.io.IOException {
        List<String> lines = new ArrayList<>();
        java.io.BufferedReader in = new java.io.BufferedReader(
                new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (!line.isEmpty()) {
                lines.add(line);
            }
        }
        return lines;
    }

    /** Runs `body`, then exits: 0 if it returned, 1 with the stack trace on stderr if it threw. */
    static void main(Body body) {
        int status = 0;
        try {
            body.run();
        } catch (Throwable t) {
            t.printStackTrace();
            status = 1;
        }
        System.out.flush();
        System.exit(status);
    }

    interface Body {
        void run() throws Exception;
    }
}
