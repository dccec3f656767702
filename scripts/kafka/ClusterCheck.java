import java.util.HashSet;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.common.Node;

/**
 * Waits until a test cluster is usable: every expected broker is registered (unfenced,
 * so DescribeCluster lists it) and answers a Metadata request on its own listener.
 *
 * Usage: ClusterCheck BOOTSTRAP NODE_IDS TIMEOUT_SECONDS, where NODE_IDS is a
 * comma-separated list such as 1,2,3. Exits 0 when ready, 1 with a message on stderr
 * when the timeout passes first.
 */
public final class ClusterCheck {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        Set<Integer> expected = new HashSet<>();
        for (String id : args[1].split(",")) {
            expected.add(Integer.parseInt(id.trim()));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[2]));
        String last = "no answer yet";
        while (System.nanoTime() < deadline) {
            try {
                if (ready(bootstrap, expected)) {
                    return;
                }
                last = "not every broker of " + expected + " is registered yet";
            } catch (Exception e) {
                last = e.toString();
            }
            Thread.sleep(100);
        }
        System.err.println("cluster at " + bootstrap + " is not ready: " + last);
        System.exit(1);
    }

    private static Admin admin(String bootstrap) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
        return Admin.create(props);
    }

    private static boolean ready(String bootstrap, Set<Integer> expected) throws Exception {
        Set<Integer> registered = new HashSet<>();
        java.util.Collection<Node> nodes;
        try (Admin admin = admin(bootstrap)) {
            nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(3000))
                .nodes().get(4, TimeUnit.SECONDS);
        }
        for (Node node : nodes) {
            registered.add(node.id());
        }
        if (!registered.containsAll(expected)) {
            return false;
        }
        for (Node node : nodes) {
            if (!expected.contains(node.id())) {
                continue;
            }
            // Metadata from the broker itself, on its own address.
            try (Admin admin = admin(node.host() + ":" + node.port())) {
                admin.listTopics(new ListTopicsOptions().listInternal(true).timeoutMs(3000))
                    .names().get(4, TimeUnit.SECONDS);
            }
        }
        return true;
    }
}
