package dev.weft.cmd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.handshake.ServerHandshake;

import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * A readable live view of a weft, as a client of its own {@code /events} and {@code /logs}: what the
 * appview would see, printed. Each pipeline announced is one line (its trigger and workflows), each
 * status transition is one line; each workflow's log is followed
 * from its first status until the server closes the stream.
 */
final class LiveView implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    private final String base;
    private final PrintStream out;
    private final BiConsumer<String, JsonNode> onPipeline;
    private final BiConsumer<String, JsonNode> onStatus;
    private final Set<String> following = ConcurrentHashMap.newKeySet();
    private final Map<String, WebSocketClient> clients = new ConcurrentHashMap<>();
    private final Map<String, OffsetDateTime> stepStarts = new ConcurrentHashMap<>();
    private final Set<String> closedLogs = ConcurrentHashMap.newKeySet();

    /**
     * @param onPipeline told (pipeline AT-URI, pipeline record) for every pipeline announced
     * @param onStatus   told (pipeline AT-URI, status record) for every status event
     */
    LiveView(String wsBase, PrintStream out, BiConsumer<String, JsonNode> onPipeline, BiConsumer<String, JsonNode> onStatus) {
        this.base = wsBase;
        this.out = out;
        this.onPipeline = onPipeline;
        this.onStatus = onStatus;
    }

    void start() throws InterruptedException {
        WebSocketClient events = new WebSocketClient(URI.create(base + "/events?cursor=-1")) {
            @Override
            public void onOpen(ServerHandshake h) {
                print("connected to " + base + "/events");
            }

            @Override
            public void onMessage(String message) {
                onEvent(message);
            }

            @Override
            public void onClose(int code, String reason, boolean remote) {
                if (remote) print("/events closed (" + code + (reason.isEmpty() ? "" : " " + reason) + ")");
            }

            @Override
            public void onError(Exception ex) {
                print("/events error: " + ex.getMessage());
            }
        };
        clients.put("/events", events);
        if (!events.connectBlocking(10, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new IllegalStateException("cannot connect to " + base + "/events");
        }
    }

    private void onEvent(String frame) {
        try {
            JsonNode f = JSON.readTree(frame);
            JsonNode e = f.get("event");
            // The pipeline comes first (the appview drops statuses of pipelines it has not stored),
            // then its statuses; anything else on the stream is not for this view.
            switch (f.path("nsid").asText()) {
                case "sh.tangled.pipeline" -> onPipeline(f.get("rkey").asText(), e);
                case "sh.tangled.pipeline.status" -> onStatusEvent(e);
                default -> { }
            }
        } catch (Exception ex) {
            print("unreadable /events frame: " + ex.getMessage());
        }
    }

    /** One line for the pipeline weft announced: what triggered it, for which repo, with which workflows. */
    private void onPipeline(String rkey, JsonNode e) {
        JsonNode t = e.path("triggerMetadata");
        JsonNode repo = t.path("repo");
        String kind = t.path("kind").asText();
        String what = switch (kind) {
            case "push" -> "push " + t.path("push").path("ref").asText() + " @ " + abbrev(t.path("push").path("newSha").asText());
            case "pull_request" -> "pull request " + t.path("pullRequest").path("action").asText() + " "
                    + t.path("pullRequest").path("sourceBranch").asText() + " → " + t.path("pullRequest").path("targetBranch").asText();
            default -> kind;
        };
        List<String> workflows = new ArrayList<>();
        for (JsonNode w : e.path("workflows")) workflows.add(w.path("name").asText() + " (" + w.path("engine").asText() + ")");
        String repoName = repo.hasNonNull("repoDid") ? repo.get("repoDid").asText()
                : repo.path("did").asText() + "/" + repo.path("repo").asText();
        String branch = repo.path("defaultBranch").asText();
        print(String.format("%-9s %s %s of %s%s: %s", "PIPELINE", rkey, what, repoName,
                branch.isEmpty() ? "" : " (default branch " + branch + ")", String.join(", ", workflows)));
        String knot = repo.path("knot").asText();
        onPipeline.accept("at://did:web:" + knot + "/sh.tangled.pipeline/" + rkey, e);
    }

    private void onStatusEvent(JsonNode e) {
        String pipeline = e.get("pipeline").asText();
        String workflow = e.get("workflow").asText();
        String status = e.get("status").asText();
        String knotAndRkey = knotAndRkey(pipeline);
        String error = e.has("error") ? "  (" + e.get("error").asText()
                + (e.has("exitCode") ? ", exit " + e.get("exitCode").asLong() : "") + ")" : "";
        print(String.format("%-9s %s %s%s", status.toUpperCase(), shortName(knotAndRkey), workflow, error));
        String key = knotAndRkey + "/" + workflow;
        if (following.add(key)) followLogs(knotAndRkey, workflow);
        onStatus.accept(pipeline, e);
    }

    /** {@code <knot>/<rkey>} of a pipeline AT-URI, {@code at://did:web:<knot>/sh.tangled.pipeline/<rkey>}. */
    private static String knotAndRkey(String pipelineUri) {
        return pipelineUri.substring("at://did:web:".length()).replace("/sh.tangled.pipeline/", "/");
    }

    private static String abbrev(String sha) {
        return sha.length() > 8 ? sha.substring(0, 8) : sha;
    }

    private void followLogs(String knotAndRkey, String workflow) {
        int slash = knotAndRkey.lastIndexOf('/');
        String knot = knotAndRkey.substring(0, slash);
        String rkey = knotAndRkey.substring(slash + 1);
        String path = "/logs/" + enc(knot) + "/" + enc(rkey) + "/" + enc(workflow);
        String key = knotAndRkey + "/" + workflow;
        WebSocketClient logs = new WebSocketClient(URI.create(base + path)) {
            @Override
            public void onOpen(ServerHandshake h) {
            }

            @Override
            public void onMessage(String message) {
                onLogLine(workflow, message);
            }

            @Override
            public void onClose(int code, String reason, boolean remote) {
                if (code == 1000) closedLogs.add(key);
                else print(workflow + " log stream ended: " + code + " " + reason);
                clients.remove(key);
            }

            @Override
            public void onError(Exception ex) {
                print(workflow + " log error: " + ex.getMessage());
            }
        };
        clients.put(key, logs);
        logs.connect();
    }

    /** Whether the log stream of this workflow of the pipeline (AT-URI) was closed by the server as complete (1000). */
    boolean logComplete(String pipelineUri, String workflow) {
        return closedLogs.contains(knotAndRkey(pipelineUri) + "/" + workflow);
    }

    private void onLogLine(String workflow, String frame) {
        try {
            JsonNode l = JSON.readTree(frame);
            String kind = l.get("kind").asText();
            String content = l.get("content").asText();
            long step = l.get("step_id").asLong();
            OffsetDateTime t = OffsetDateTime.parse(l.get("time").asText());
            String stepKey = workflow + "#" + step;
            if (kind.equals("control")) {
                boolean system = !l.has("step_kind");
                if (l.path("step_status").asText().equals("start")) {
                    stepStarts.put(stepKey, t);
                    String cmd = l.path("step_command").asText("");
                    out.printf("          %s ▶ %s%s%s%n", workflow, system ? "[system] " : "", content,
                            cmd.isEmpty() ? "" : "  $ " + cmd.lines().findFirst().orElse(""));
                } else {
                    OffsetDateTime started = stepStarts.remove(stepKey);
                    String took = started == null ? "" : " (" + Duration.between(started, t).toMillis() + " ms)";
                    out.printf("          %s ■ %s%s%n", workflow, content, took);
                }
            } else {
                boolean err = l.path("stream").asText().equals("stderr");
                out.printf("          %s %s %s%n", workflow, err ? "!" : "│", content);
            }
        } catch (Exception ex) {
            print("unreadable /logs frame: " + ex.getMessage());
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("%3A", ":");
    }

    private static String shortName(String knotAndRkey) {
        return knotAndRkey.substring(knotAndRkey.lastIndexOf('/') + 1);
    }

    private void print(String line) {
        out.println(OffsetDateTime.now(ZoneId.systemDefault()).format(CLOCK) + "  " + line);
    }

    @Override
    public void close() {
        for (WebSocketClient c : clients.values()) {
            try {
                c.closeBlocking();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
