package dev.weft.jetstream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An in-process Jetstream on loopback: keeps every event it was given, honours
 * {@code wantedCollections}, {@code wantedDids} and {@code cursor} (replaying stored events with
 * {@code time_us >= cursor} before going live, as the real one does), and can drop its connections
 * or send raw text.
 */
public final class TestJetstream implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Event(long timeUs, String did, String collection, String frame) {
    }

    private record Sub(Set<String> collections, Set<String> dids) {
        boolean wants(Event e) {
            return (collections.isEmpty() || collections.contains(e.collection())) && (dids.isEmpty() || dids.contains(e.did()));
        }
    }

    private final Object lock = new Object();
    private final List<Event> events = new ArrayList<>();
    private final Map<WebSocket, Sub> subs = new LinkedHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private final Server server;
    private long clock = 1_700_000_000_000_000L;
    /** The most subscriptions open at once, discovery ones (with wantedDids) and the others. */
    private int peakDiscovery;
    private int peakOther;
    private int revs;

    public TestJetstream() {
        server = new Server();
        server.setReuseAddr(true);
        server.setDaemon(true);
        server.setConnectionLostTimeout(0);
    }

    public TestJetstream start() throws InterruptedException {
        server.start();
        if (!started.await(10, TimeUnit.SECONDS)) throw new IllegalStateException("test jetstream did not start");
        return this;
    }

    public String url() {
        return "ws://127.0.0.1:" + server.getPort() + "/subscribe";
    }

    /** Publishes a create or update commit with a fresh rev; returns its time_us. */
    public long put(String did, String collection, String rkey, boolean update, Map<String, Object> record) {
        return commit(did, collection, rkey, update ? "update" : "create", record, nextRev());
    }

    long delete(String did, String collection, String rkey) {
        return commit(did, collection, rkey, "delete", null, nextRev());
    }

    /** Publishes a commit with the given rev (for replays of old commits). */
    long commit(String did, String collection, String rkey, String op, Map<String, Object> record, String rev) {
        synchronized (lock) {
            long t = clock += 1000;
            ObjectNode f = JSON.createObjectNode();
            f.put("did", did);
            f.put("time_us", t);
            f.put("kind", "commit");
            ObjectNode c = f.putObject("commit");
            c.put("rev", rev);
            c.put("operation", op);
            c.put("collection", collection);
            c.put("rkey", rkey);
            if (record != null) {
                ObjectNode r = JSON.valueToTree(record);
                r.put("$type", collection);
                c.set("record", r);
                c.put("cid", "bafyreitest" + t);
            }
            Event e = new Event(t, did, collection, f.toString());
            events.add(e);
            for (Map.Entry<WebSocket, Sub> s : subs.entrySet()) {
                if (s.getValue().wants(e) && s.getKey().isOpen()) s.getKey().send(e.frame());
            }
            return t;
        }
    }

    /** An identity event (no commit), as the real stream interleaves. */
    long identity(String did) {
        synchronized (lock) {
            long t = clock += 1000;
            String frame = "{\"did\":\"" + did + "\",\"time_us\":" + t + ",\"kind\":\"identity\",\"identity\":{\"did\":\"" + did + "\",\"seq\":1}}";
            for (WebSocket ws : subs.keySet()) if (ws.isOpen()) ws.send(frame);
            return t;
        }
    }

    private String nextRev() {
        synchronized (lock) {
            return String.format("3laaaaaa%05d", ++revs);
        }
    }

    /** Sends text as-is to every subscriber. */
    void sendRaw(String text) {
        synchronized (lock) {
            for (WebSocket ws : subs.keySet()) if (ws.isOpen()) ws.send(text);
        }
    }

    void dropConnections() {
        synchronized (lock) {
            for (WebSocket ws : new ArrayList<>(subs.keySet())) ws.closeConnection(1006, "dropped by the test");
        }
    }

    int connectionCount() {
        synchronized (lock) {
            return (int) subs.keySet().stream().filter(WebSocket::isOpen).count();
        }
    }

    /** The request URIs (path and query) of every subscription so far. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    public static Map<String, List<String>> query(String resource) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        String q = URI.create(resource).getRawQuery();
        if (q == null) return out;
        for (String part : q.split("&")) {
            int eq = part.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return out;
    }

    /** Subscriptions open now: discovery ones (they name wantedDids), or the others (every author). */
    public int openSubscriptions(boolean discovery) {
        synchronized (lock) {
            return open(discovery);
        }
    }

    /** The most subscriptions of that kind that were ever open at once. */
    public int peakSubscriptions(boolean discovery) {
        synchronized (lock) {
            return discovery ? peakDiscovery : peakOther;
        }
    }

    private int open(boolean discovery) {
        int n = 0;
        for (Sub s : subs.values()) if (s.dids().isEmpty() != discovery) n++;
        return n;
    }

    @Override
    public void close() throws InterruptedException {
        server.stop(1000);
    }

    private final class Server extends WebSocketServer {
        Server() {
            super(new InetSocketAddress("127.0.0.1", 0));
        }

        @Override
        public void onOpen(WebSocket conn, ClientHandshake handshake) {
            String resource = handshake.getResourceDescriptor();
            requests.add(resource);
            Map<String, List<String>> q = query(resource);
            Sub sub = new Sub(new HashSet<>(q.getOrDefault("wantedCollections", List.of())),
                    new HashSet<>(q.getOrDefault("wantedDids", List.of())));
            synchronized (lock) {
                List<String> cursor = q.get("cursor");
                if (cursor != null) {
                    long c = Long.parseLong(cursor.get(0));
                    for (Event e : events) if (e.timeUs() >= c && sub.wants(e)) conn.send(e.frame());
                }
                subs.put(conn, sub);
                peakDiscovery = Math.max(peakDiscovery, open(true));
                peakOther = Math.max(peakOther, open(false));
            }
        }

        @Override
        public void onClose(WebSocket conn, int code, String reason, boolean remote) {
            synchronized (lock) {
                subs.remove(conn);
            }
        }

        @Override
        public void onMessage(WebSocket conn, String message) {
        }

        @Override
        public void onError(WebSocket conn, Exception ex) {
        }

        @Override
        public void onStart() {
            started.countDown();
        }
    }
}
