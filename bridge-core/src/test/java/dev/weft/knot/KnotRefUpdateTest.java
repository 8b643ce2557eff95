package dev.weft.knot;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** An upgraded knot's stream: refUpdates and collaborator updates reach the sink; the checkpoint follows created. */
class KnotRefUpdateTest {
    private static final String A = "a".repeat(40);
    private static final String Z = "0".repeat(40);

    private final List<RefUpdate> pushes = new CopyOnWriteArrayList<>();
    private final List<CollaboratorUpdate> collaborators = new CopyOnWriteArrayList<>();
    private final MemoryCursorStore cursors = new MemoryCursorStore(new CopyOnWriteArrayList<>());
    private KnotEventServer knot;
    private KnotConsumer consumer;

    @AfterEach
    void tearDown() {
        if (consumer != null) consumer.close();
        if (knot != null) knot.close();
    }

    @Test
    @DisplayName("every refUpdate shape and a collaboratorUpdate arrive in order; a malformed one between them is skipped")
    void shapes() {
        knot = new KnotEventServer(0, Duration.ofMinutes(1), Clock.systemUTC(), KnotEventServer.Shape.CREATED).start();
        TriggerSink sink = new TriggerSink() {
            @Override
            public Outcome accept(dev.weft.model.Trigger trigger) {
                throw new AssertionError("no pipeline records on this stream");
            }

            @Override
            public Outcome push(RefUpdate update) {
                pushes.add(update);
                return Outcome.ACCEPTED;
            }

            @Override
            public void collaborator(CollaboratorUpdate update) {
                collaborators.add(update);
            }
        };
        consumer = new KnotConsumer(knot.host(), true, sink, cursors, KnotOptions.defaults()
                .withBackoff(Duration.ofMillis(20), Duration.ofMillis(200)), Clock.systemUTC(), new SimpleMeterRegistry());
        consumer.start();
        await().until(() -> knot.connectionCount() == 1 && consumer.isConnected());
        knot.publish(RefUpdates.NSID, "3kaaaaaaaaaa2", "{\"ref\":\"refs/heads/main\",\"committerDid\":\"did:plc:p\","
                + "\"repo\":\"did:plc:r\",\"oldSha\":\"" + Z + "\",\"newSha\":\"" + A + "\",\"meta\":{}}");
        knot.publish(RefUpdates.NSID, "3kaaaaaaaaaa3", "{\"ref\":\"refs/heads/main\",\"committerDid\":\"did:plc:p\","
                + "\"newSha\":\"nope\"}");
        knot.publish(RefUpdates.NSID, "3kaaaaaaaaaa4", "{\"ref\":\"refs/heads/dev\",\"committerDid\":\"did:plc:p\","
                + "\"repoDid\":\"did:plc:r\",\"repoName\":\"hello\",\"ownerDid\":\"did:plc:o\",\"oldSha\":\"" + Z
                + "\",\"newSha\":\"" + A + "\",\"meta\":{}}");
        knot.publish(RefUpdates.COLLABORATOR_NSID, "3kaaaaaaaaaa5", "{\"op\":\"add\",\"subject\":\"did:plc:bob\",\"repo\":\"did:plc:r\"}");
        long last = knot.publish(RefUpdates.NSID, "3kaaaaaaaaaa6", "{\"ref\":\"refs/heads/main\",\"committerDid\":\"did:plc:p\","
                + "\"repoDid\":\"did:plc:o\",\"repoName\":\"hello\",\"oldSha\":\"" + Z + "\",\"newSha\":\"" + A + "\",\"meta\":{}}");
        await().until(() -> cursors.cursor(knot.host()).orElse(0) == last);
        assertEquals(List.of(RefUpdate.Shape.CURRENT, RefUpdate.Shape.TRANSITIONAL, RefUpdate.Shape.PRE_V1_14),
                pushes.stream().map(RefUpdate::shape).toList());
        assertEquals(List.of("3kaaaaaaaaaa2", "3kaaaaaaaaaa4", "3kaaaaaaaaaa6"), pushes.stream().map(RefUpdate::rkey).toList());
        assertEquals(List.of(new CollaboratorUpdate(knot.host(), true, "did:plc:bob", "did:plc:r")), collaborators);
    }
}
