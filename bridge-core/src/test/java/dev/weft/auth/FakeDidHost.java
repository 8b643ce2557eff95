package dev.weft.auth;

import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake PLC directory and did:web host (and PDS) on one loopback MockWebServer:
 * {@code GET /<did:plc>} answers the registered document, {@code GET /.well-known/did.json} the
 * did:web identity's, {@code GET /xrpc/com.atproto.repo.getRecord} registered records.
 */
public final class FakeDidHost implements AutoCloseable {
    private final MockWebServer server = new MockWebServer();
    private final Map<String, String> plc = new ConcurrentHashMap<>();
    private final Map<String, String> records = new ConcurrentHashMap<>();
    private volatile String web;
    public final AtomicInteger requests = new AtomicInteger();

    public FakeDidHost start() throws IOException {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) {
                requests.incrementAndGet();
                String path = r.getUrl().encodedPath();
                if (path.equals("/.well-known/did.json")) return web == null ? json(404, "{}") : json(200, web);
                if (path.equals("/xrpc/com.atproto.repo.getRecord")) {
                    String key = r.getUrl().queryParameter("repo") + "/" + r.getUrl().queryParameter("collection") + "/"
                            + r.getUrl().queryParameter("rkey");
                    String rec = records.get(key);
                    return rec == null ? json(400, "{\"error\":\"RecordNotFound\",\"message\":\"Could not locate record\"}")
                            : json(200, "{\"uri\":\"at://" + key + "\",\"cid\":\"bafytest\",\"value\":" + rec + "}");
                }
                String doc = plc.get(path.substring(1));
                return doc == null ? json(404, "{\"message\":\"DID not registered\"}") : json(200, doc);
            }
        });
        server.start(InetAddress.getLoopbackAddress(), 0);
        return this;
    }

    private static MockResponse json(int code, String body) {
        return new MockResponse.Builder().code(code).addHeader("Content-Type", "application/json").body(body).build();
    }

    /** The base URL, as WEFT_PLC_URL and as a PDS endpoint. */
    public String url() {
        String u = server.url("/").toString();
        return u.substring(0, u.length() - 1);
    }

    /** {@code localhost:<port>}, the host of a did:web served here. */
    public String hostAndPort() {
        return "localhost:" + server.getPort();
    }

    /** Serves an identity's document: did:plc in the directory, did:web at the well-known path. */
    public FakeDidHost publish(TestIdentity id) {
        if (id.did.startsWith("did:web:")) web = id.document(url());
        else plc.put(id.did, id.document(url()));
        return this;
    }

    /** A record the PDS here serves. */
    public FakeDidHost record(String did, String collection, String rkey, String json) {
        records.put(did + "/" + collection + "/" + rkey, json);
        return this;
    }

    @Override
    public void close() {
        server.close();
    }
}
