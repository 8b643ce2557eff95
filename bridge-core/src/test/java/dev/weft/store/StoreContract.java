package dev.weft.store;

import dev.weft.model.Nanos;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.RepoRef.RepoKey;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.StatusEvent;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.model.WorkflowId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every {@link Stores} implementation must do, written once: extend it with {@link #open}
 * (a fresh, empty database) and {@link #reopen} (the same database after a close), as the
 * provider compatibility kit is extended per provider.
 */
public abstract class StoreContract {
    protected Stores s;

    /** A new, empty database. */
    protected abstract Stores open();

    /** The database {@link #open} made, opened again (after {@code s} was closed). */
    protected abstract Stores reopen();

    @BeforeEach
    void openStores() {
        s = open();
    }

    @AfterEach
    void closeStores() {
        if (s != null) s.close();
    }

    public static Trigger trigger(String rkey, String... workflows) {
        List<Workflow> wfs = new ArrayList<>();
        for (String w : workflows) wfs.add(new Workflow(w, "stub", null, "engine: stub\n"));
        return new Trigger(new PipelineId("knot", rkey), new RepoRef("knot", "did:plc:x", "r"),
                new TriggerKind.Manual(List.of(new TriggerKind.Input("k", "v"))), wfs, Instant.parse("2026-01-01T00:00:00Z"));
    }

    private Stores restart() {
        s.close();
        s = reopen();
        return s;
    }

    @Test
    @DisplayName("a trigger is written once: the second insert of the same (knot, rkey) writes nothing")
    void exactlyOnce() {
        assertEquals(2, s.runs().insertTrigger(trigger("3k1", "a.yml", "b.yml"), 7).orElseThrow().size());
        assertTrue(s.runs().insertTrigger(trigger("3k1", "a.yml", "b.yml"), 7).isEmpty());
        assertEquals(2, s.runs().openRuns().size());
        assertEquals(trigger("3k1", "a.yml", "b.yml"), s.runs().trigger(new PipelineId("knot", "3k1")).orElseThrow());
        List<OutboxEntry> due = s.statuses().due(7, 10);
        assertEquals(3, due.size(), "the pipeline record, then one pending per workflow");
        OutboxEntry.PipelineDue record = assertInstanceOf(OutboxEntry.PipelineDue.class, due.get(0));
        assertEquals(trigger("3k1", "a.yml", "b.yml"), record.trigger());
        assertEquals(7, record.notBefore());
        OutboxEntry.StatusDue first = assertInstanceOf(OutboxEntry.StatusDue.class, due.get(1));
        assertEquals(new Status.Pending(), first.status());
        assertEquals(7, first.notBefore());
        assertEquals(new WorkflowId("knot", "3k1", "a.yml"), first.workflow());
    }

    @Test
    @DisplayName("runs by rkey: every knot's runs of that TID, in insertion order; none for an unknown one")
    void runsByRkey() {
        s.runs().insertTrigger(trigger("3k1", "a.yml", "b.yml"), 0);
        s.runs().insertTrigger(trigger("3k2", "a.yml"), 0);
        Trigger other = trigger("3k1", "c.yml");
        s.runs().insertTrigger(new Trigger(new PipelineId("other-knot", "3k1"), other.repo(), other.kind(),
                other.workflows(), other.receivedAt()), 0);
        assertEquals(List.of(new WorkflowId("knot", "3k1", "a.yml"), new WorkflowId("knot", "3k1", "b.yml"),
                        new WorkflowId("other-knot", "3k1", "c.yml")),
                s.runs().runsByRkey("3k1").stream().map(RunRecord::workflow).toList());
        assertEquals(List.of(), s.runs().runsByRkey("3k9"));
    }

    @Test
    @DisplayName("a claim is taken once: a second pipeline of the same push is refused, by trigger or by request")
    void claims() {
        assertTrue(s.runs().insertTrigger(trigger("3k1", "a.yml"), 0, "push:did:plc:r:refs/heads/main:" + "a".repeat(40)).isPresent());
        assertTrue(s.runs().insertTrigger(trigger("3k2", "a.yml"), 0, "push:did:plc:r:refs/heads/main:" + "a".repeat(40)).isEmpty());
        assertTrue(s.runs().trigger(new PipelineId("knot", "3k2")).isEmpty(), "the refused trigger left nothing");
        assertTrue(s.builds().insertRequest("push:did:plc:r:refs/heads/main:" + "a".repeat(40), new PipelineId("knot", "3k3"),
                "did:plc:r", "{}", Instant.EPOCH).isEmpty());
        BuildRecord b = s.builds().insertRequest("push:did:plc:r:refs/heads/main:" + "b".repeat(40),
                new PipelineId("knot", "3k4"), "did:plc:r", "{\"x\":1}", Instant.ofEpochSecond(5)).orElseThrow();
        assertTrue(s.runs().insertTrigger(trigger("3k5", "a.yml"), 0, "push:did:plc:r:refs/heads/main:" + "b".repeat(40)).isEmpty(),
                "a legacy record of a push already requested is refused");
        assertEquals(List.of(b), s.builds().waitingRequests());
        s.builds().attemptFailed(b.id(), "knot unreachable", Instant.ofEpochSecond(6));
        BuildRecord retried = s.builds().request(new PipelineId("knot", "3k4")).orElseThrow();
        assertEquals(1, retried.attempts());
        assertEquals("knot unreachable", retried.error());
        restart();
        assertEquals(1, s.builds().waitingRequests().size(), "a waiting request survives a restart");
        s.builds().finishRequest(b.id(), BuildRecord.State.BUILT, null, Instant.ofEpochSecond(7));
        assertTrue(s.builds().waitingRequests().isEmpty());
        assertEquals(BuildRecord.State.BUILT, s.builds().recentRequests("did:plc:r", 5).get(0).state());
    }

    @Test
    @DisplayName("the same trigger raced from many threads is accepted exactly once")
    void exactlyOnceUnderRace() throws Exception {
        Set<Integer> winners = ConcurrentHashMap.newKeySet();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int n = t;
            threads.add(Thread.ofVirtual().start(() -> {
                if (s.runs().insertTrigger(trigger("3krace", "a.yml"), 0).isPresent()) winners.add(n);
            }));
        }
        for (Thread t : threads) t.join();
        assertEquals(1, winners.size());
        assertEquals(1, s.runs().openRuns().size());
    }

    @Test
    @DisplayName("two workflows with one name: the first wins")
    void duplicateWorkflowNames() {
        List<RunRecord> runs = s.runs().insertTrigger(trigger("3k1", "a.yml", "a.yml", "b.yml"), 0).orElseThrow();
        assertEquals(List.of("a.yml", "b.yml"), runs.stream().map(r -> r.workflow().name()).toList());
    }

    @Test
    @DisplayName("a transition changes the state and queues its status in one step; the outbox is ordered by due time")
    void transitions() {
        RunRecord r = s.runs().insertTrigger(trigger("3k1", "a.yml"), 100).orElseThrow().get(0);
        s.runs().transition(r.id(), new Status.Failed("boom", 3), 50, 60);
        RunRecord after = s.runs().run(r.id()).orElseThrow();
        assertEquals(RunState.FAILED, after.state());
        assertEquals("boom", after.error());
        assertEquals(3L, after.exitCode());
        assertEquals(60, after.updatedAt());
        OutboxEntry.StatusDue due = (OutboxEntry.StatusDue) s.statuses().nextDue().orElseThrow();
        assertEquals(new Status.Failed("boom", 3), due.status(), "due first: not-before 50 < 100");
        assertEquals(100, s.statuses().lastScheduled(r.id()));
        assertThrows(StoreException.class, () -> s.runs().transition(99_999, new Status.Running(), 0, 0));
        assertEquals(Map.of(RunState.FAILED, 1L), s.runs().countByState());
        assertTrue(s.runs().openRuns().isEmpty());
    }

    @Test
    @DisplayName("notifications: discard deletes exactly the pending notices named; with queueNotices off a status is stored but not queued")
    void notificationsDiscarded() {
        NotificationStore n = s.notifications();
        RunRecord a = s.runs().insertTrigger(trigger("3k8", "a.yml"), 0).orElseThrow().get(0);
        RunRecord b = s.runs().insertTrigger(trigger("3k9", "a.yml"), 0).orElseThrow().get(0);
        s.runs().transition(a.id(), new Status.Running(), 0, 1);
        s.runs().transition(b.id(), new Status.Running(), 0, 1);
        s.runs().transition(a.id(), new Status.Success(), 0, 2);
        List<NotificationStore.PendingNotice> p = n.pending(10);
        assertEquals(3, p.size());
        n.discard(List.of(p.get(0).seq(), p.get(2).seq()));
        assertEquals(List.of(p.get(1)), n.pending(10), "only the notice not named is left");
        n.discard(List.of());
        assertEquals(1, n.pending(10).size());
        assertTrue(n.queuedNotifiers().isEmpty(), "nothing was queued for a notifier");

        s.runs().queueNotices(false);
        assertTrue(s.runs().transition(b.id(), new Status.Failed("boom", 1), 0, 3));
        assertEquals(List.of(p.get(1)), n.pending(10), "an instance without notifiers queues nothing");
        assertEquals(RunState.FAILED, s.runs().run(b.id()).orElseThrow().state(), "the status itself is stored");
        s.runs().queueNotices(true);
        RunRecord c = s.runs().insertTrigger(trigger("3ka", "a.yml"), 0).orElseThrow().get(0);
        s.runs().transition(c.id(), new Status.Running(), 0, 4);
        assertEquals(2, n.pending(10).size(), "queued again once turned back on");
    }

    @Test
    @DisplayName("notifications: a stored status is pending in the same step; queueing is atomic, idempotent and survives a restart")
    void notifications() {
        NotificationStore n = s.notifications();
        RunRecord r = s.runs().insertTrigger(trigger("3k1", "a.yml"), 0).orElseThrow().get(0);
        assertTrue(n.pending(10).isEmpty(), "pending is not worth a notification");
        s.runs().transition(r.id(), new Status.Running(), 0, 1);
        s.runs().transition(r.id(), new Status.Failed("boom", 3), 0, 2);
        List<NotificationStore.PendingNotice> p = n.pending(10);
        assertEquals(List.of("running", "failed"), p.stream().map(NotificationStore.PendingNotice::state).toList());

        n.queue(p.get(0).seq(), new NotificationStore.IncidentChange.None(), id -> List.of(), 5);
        long incident = n.queue(p.get(1).seq(), new NotificationStore.IncidentChange.Open("repo|a.yml|main", 5, "test", 3L, "at://p1"),
                id -> List.of(new NotificationStore.NewNotice("n1", "webhook", "{\"incident\":" + id + "}"),
                        new NotificationStore.NewNotice("n1", "slack", "{}")), 5);
        assertTrue(incident > 0);
        assertTrue(n.pending(10).isEmpty());
        assertEquals(new NotificationStore.Incident(incident, "repo|a.yml|main", 5, "test", 3L),
                n.openIncident("repo|a.yml|main").orElseThrow());
        // Opening an open scope again keeps its incident; the same (id, notifier) is never queued twice.
        assertEquals(incident, n.queue(0, new NotificationStore.IncidentChange.Open("repo|a.yml|main", 6, "x", 1L, "at://p2"),
                id -> List.of(new NotificationStore.NewNotice("n1", "webhook", "{\"dup\":true}")), 6));
        assertEquals(1, n.queued("webhook"));
        assertEquals(List.of(incident), n.openIncidentsOfPipeline("at://p1"));
        assertEquals(Optional.of("{}"), n.lastBody(incident, "slack"));
        assertEquals("{\"incident\":" + incident + "}", n.due("webhook", 5, 10).get(0).body());

        n.retryLater("n1", "webhook", 100, "HTTP 500");
        assertTrue(n.due("webhook", 50, 10).isEmpty(), "not before its next attempt");
        assertEquals(List.of("slack"), n.due("slack", 50, 10).stream().map(NotificationStore.OutboxNotice::notifier).toList());
        assertEquals(List.of("slack", "webhook"), n.queuedNotifiers());
        restart();
        n = s.notifications();
        NotificationStore.OutboxNotice later = n.due("webhook", 100, 10).get(0);
        assertEquals(1, later.attempts());
        n.delivered("n1", "slack", incident, "1700000000.000100");
        assertEquals(Optional.of("1700000000.000100"), n.incidentRef(incident, "slack"));
        n.giveUp("n1", "webhook", "HTTP 404");
        assertTrue(n.due("webhook", Long.MAX_VALUE, 10).isEmpty());
        assertTrue(n.due("slack", Long.MAX_VALUE, 10).isEmpty());
        assertTrue(n.queuedNotifiers().isEmpty());

        n.queue(0, new NotificationStore.IncidentChange.Close(incident, 9), id -> List.of(), 9);
        assertTrue(n.openIncident("repo|a.yml|main").isEmpty());
        long next = n.queue(0, new NotificationStore.IncidentChange.Open("repo|a.yml|main", 10, "test", 3L, "at://p3"), id -> List.of(), 10);
        assertTrue(next > incident, "a failure after the fix opens a new incident");
    }

    @Test
    @DisplayName("notification lanes: due rows per notifier, in order per incident; the bound gives up the oldest")
    void notificationLanes() {
        NotificationStore n = s.notifications();
        long incident = n.queue(0, new NotificationStore.IncidentChange.Open("repo|a.yml|main", 1, "test", 1L, "at://p1"),
                id -> List.of(new NotificationStore.NewNotice("post", "slack", "{}"), new NotificationStore.NewNotice("post", "webhook", "{}")), 1);
        n.queue(0, new NotificationStore.IncidentChange.Update(incident, "test", 2L, "at://p1"),
                id -> List.of(new NotificationStore.NewNotice("update", "slack", "{}")), 2);
        n.queue(0, new NotificationStore.IncidentChange.None(), id -> List.of(new NotificationStore.NewNotice("started", "slack", "{}")), 3);
        assertEquals(List.of("post", "started"), n.due("slack", 10, 10).stream().map(NotificationStore.OutboxNotice::id).toList(),
                "the update waits for the post it updates; a row of no incident does not");
        assertEquals(List.of("post"), n.due("webhook", 10, 10).stream().map(NotificationStore.OutboxNotice::id).toList());
        n.retryLater("post", "slack", 50, "HTTP 503");
        assertEquals(List.of("started"), n.due("slack", 10, 10).stream().map(NotificationStore.OutboxNotice::id).toList(),
                "a post waiting for its retry still holds back its update");
        n.delivered("post", "slack", incident, "C1 1.0");
        assertEquals(List.of("update", "started"), n.due("slack", 10, 10).stream().map(NotificationStore.OutboxNotice::id).toList());
        assertEquals(List.of("update"), n.due("slack", 10, 1).stream().map(NotificationStore.OutboxNotice::id).toList());

        for (int i = 0; i < 5; i++) {
            String id = "flood" + i;
            n.queue(0, new NotificationStore.IncidentChange.None(), x -> List.of(new NotificationStore.NewNotice(id, "slack", "{}")), 4);
        }
        assertEquals(7, n.queued("slack"));
        assertEquals(4, n.trim("slack", 3, "dropped"));
        assertEquals(List.of("flood2", "flood3", "flood4"), n.due("slack", 10, 10).stream().map(NotificationStore.OutboxNotice::id).toList(),
                "the newest stay, by insertion order (all were queued within one millisecond)");
        assertEquals(0, n.trim("slack", 3, "dropped"));
        assertEquals(1, n.queued("webhook"), "another notifier's rows are not its bound's business");
    }

    @Test
    @DisplayName("publishing moves an entry from the outbox to the event log with its frame, in order")
    void publishing() {
        RunRecord r = s.runs().insertTrigger(trigger("3k1", "a.yml"), 0).orElseThrow().get(0);
        s.runs().transition(r.id(), new Status.Running(), 1, 1);
        long id = 1000;
        List<StatusEvent> published = new ArrayList<>();
        while (s.statuses().nextDue().isPresent()) {
            OutboxEntry o = s.statuses().nextDue().get();
            ++id;
            if (o instanceof OutboxEntry.StatusDue d) {
                StatusEvent e = new StatusEvent(id, "3kkey" + id, d.workflow(), d.status(), Instant.ofEpochSecond(id));
                published.add(e);
            }
            s.statuses().publishAll(List.of(new StatusStore.Publication(o, id, "3kkey" + id, Instant.ofEpochSecond(id),
                    ("frame" + id).getBytes())));
        }
        assertEquals(2, published.size(), "the pipeline record is published, but it is not a status");
        assertEquals(published, s.statuses().eventsAfter(0, 10));
        assertEquals(published.subList(1, 2), s.statuses().eventsAfter(1002, 10));
        List<StoredFrame> frames = s.statuses().framesAfter(0, 10);
        assertEquals(3, frames.size());
        assertEquals(1001, frames.get(0).position());
        assertArrayEquals("frame1001".getBytes(), frames.get(0).frame(), "the pipeline record's frame comes first");
        assertArrayEquals("frame1003".getBytes(), frames.get(2).frame());
        assertEquals(1003, s.statuses().lastEventId());
        assertEquals(List.of(new Status.Pending(), new Status.Running()), s.statuses().publishedStatuses(r.id()));
        assertEquals(1_003_000_000_000L, s.statuses().lastScheduled(r.id()), "published createdAt counts for pacing");
        OutboxEntry gone = new OutboxEntry.StatusDue(424242, r.id(), published.get(0).workflow(), new Status.Running(), 0);
        assertThrows(StoreException.class, () -> s.statuses().publishAll(List.of(
                        new StatusStore.Publication(gone, 2000, "3kother", Instant.EPOCH, null))), "no such outbox entry");
    }

    @Test
    @DisplayName("due entries come in publication order, only once due; a batch publishes all or none")
    void duePublishAll() {
        RunRecord r = s.runs().insertTrigger(trigger("3k1", "a.yml", "b.yml"), 10).orElseThrow().get(0);
        s.runs().transition(r.id(), new Status.Running(), 30, 1);
        assertTrue(s.statuses().due(9, 10).isEmpty());
        List<OutboxEntry> due = s.statuses().due(10, 10);
        assertEquals(3, due.size(), "the pipeline record and the two pending statuses, not the running one due at 30");
        assertTrue(due.get(0).seq() < due.get(1).seq() && due.get(1).seq() < due.get(2).seq());
        assertEquals(1, s.statuses().due(30, 1).size(), "limit holds");
        List<StatusStore.Publication> batch = new ArrayList<>();
        long id = 100;
        for (OutboxEntry o : s.statuses().due(30, 10)) {
            id++;
            batch.add(new StatusStore.Publication(o, id, "3k" + id, Instant.EPOCH, null));
        }
        List<StatusStore.Publication> broken = new ArrayList<>(batch);
        OutboxEntry missing = new OutboxEntry.StatusDue(424242, r.id(), new WorkflowId("knot", "3k1", "a.yml"),
                new Status.Running(), 0);
        broken.add(new StatusStore.Publication(missing, 999, "3kzz", Instant.EPOCH, null));
        assertThrows(StoreException.class, () -> s.statuses().publishAll(broken));
        assertTrue(s.statuses().eventsAfter(0, 10).isEmpty(), "nothing of a failed batch is published");
        s.statuses().publishAll(batch);
        assertEquals(3, s.statuses().eventsAfter(0, 10).size());
        assertTrue(s.statuses().nextDue().isEmpty());
    }

    @Test
    @DisplayName("runs, attributes and the event log survive a restart")
    void reopenKeepsData() {
        RunRecord r = s.runs().insertTrigger(trigger("3k1", "a.yml"), 0).orElseThrow().get(0);
        List<OutboxEntry> due = s.statuses().due(Long.MAX_VALUE, 10);
        assertEquals(2, due.size(), "the pipeline record and the pending status");
        s.statuses().publishAll(List.of(new StatusStore.Publication(due.get(0), 41, "3kaa0", Instant.EPOCH, new byte[]{'p'}),
                new StatusStore.Publication(due.get(1), 42, "3kaaa", Instant.EPOCH, null)));
        s.runs().attach(r.id(), "build-7", "https://ci/7");
        s.runs().attribute(r.id(), "uuid", "u-1");
        s.runs().setCancelReason(r.id(), "TIMEOUT");
        s.runs().setCancelReason(r.id(), "REQUESTED");
        restart();
        assertEquals(42, s.statuses().lastEventId());
        RunRecord back = s.runs().runByExternalId("stub", "build-7").orElseThrow();
        assertEquals("u-1", s.runs().attribute(back.id(), "uuid").orElseThrow());
        assertEquals("TIMEOUT", back.cancelReason(), "the first reason is kept");
        assertEquals("https://ci/7", back.webUrl());
        assertEquals(RunState.PENDING, back.state());
        assertEquals(List.of(new Status.Pending()), s.statuses().publishedStatuses(back.id()));
        assertNull(s.statuses().framesAfter(41, 1).get(0).frame(), "an unencodable status keeps no frame");
        assertFalse(s.schemaVersion().isEmpty());
        assertEquals("ok", s.check());
    }

    @Test
    @DisplayName("steps and log frames: numbered, ordered, paged, completed")
    void logs() {
        RunRecord r = s.runs().insertTrigger(trigger("3k1", "a.yml"), 0).orElseThrow().get(0);
        s.logs().insertStep(new StepRecord(r.id(), 0, "build", "make", false, 10, null));
        s.logs().endStep(r.id(), 0, 20);
        assertEquals(List.of(new StepRecord(r.id(), 0, "build", "make", false, 10, 20L)), s.logs().steps(r.id()));
        s.logs().insertStep(new StepRecord(r.id(), 1, "deploy", "", false, 15, null, true));
        assertEquals(new StepRecord(r.id(), 1, "deploy", "", false, 15, null, true), s.logs().steps(r.id()).get(1),
                "a job's callback step keeps its mark");
        for (int i = 1; i <= 5; i++) s.logs().append(r.id(), i, ("l" + i).getBytes());
        assertEquals(5, s.logs().lastSeq(r.id()));
        List<StoredFrame> page = s.logs().after(r.id(), 2, 2);
        assertEquals(List.of(3L, 4L), page.stream().map(StoredFrame::position).toList());
        assertArrayEquals("l3".getBytes(), page.get(0).frame());
        assertThrows(StoreException.class, () -> s.logs().append(r.id(), 5, "dup".getBytes()), "a sequence is written once");
        assertFalse(s.runs().run(r.id()).orElseThrow().logComplete());
        s.logs().markComplete(r.id());
        assertTrue(s.runs().run(r.id()).orElseThrow().logComplete());
    }

    @Test
    @DisplayName("log inbox: ops parked in order, bounded per run, each applied once with its step, dropped on demand")
    void logInbox() {
        RunRecord r = s.runs().insertTrigger(trigger("3k1", "a.yml"), 0).orElseThrow().get(0);
        RunRecord other = s.runs().insertTrigger(trigger("3k2", "b.yml"), 0).orElseThrow().get(0);
        LogStore logs = s.logs();
        logs.insertStep(new StepRecord(r.id(), 0, "build", "make", false, 10, null));
        logs.append(r.id(), 1, "start build".getBytes());
        long start = logs.park(new ParkedLogOp.Start(0, r.id(), "hook", "deploy", false, 20), 10, 1000).orElseThrow();
        long line = logs.park(new ParkedLogOp.Line(0, r.id(), new ParkedLogOp.StepRef.Parked(start), true, "héllo", 21), 10, 1000)
                .orElseThrow();
        long intoStored = logs.park(new ParkedLogOp.Line(0, r.id(), new ParkedLogOp.StepRef.Stored(0), false, "x", 22), 10, 1000)
                .orElseThrow();
        long end = logs.park(new ParkedLogOp.End(0, r.id(), new ParkedLogOp.StepRef.Parked(start), 23), 10, 1000).orElseThrow();
        logs.park(new ParkedLogOp.Start(0, other.id(), "o", "", true, 5), 10, 1000).orElseThrow();
        assertTrue(start < line && line < intoStored && intoStored < end, "ids in the order parked");
        assertEquals(List.of(r.id(), other.id()), logs.runsWithParkedOps(10));
        assertEquals(List.of(
                        new ParkedLogOp.Start(start, r.id(), "hook", "deploy", false, 20),
                        new ParkedLogOp.Line(line, r.id(), new ParkedLogOp.StepRef.Parked(start), true, "héllo", 21),
                        new ParkedLogOp.Line(intoStored, r.id(), new ParkedLogOp.StepRef.Stored(0), false, "x", 22),
                        new ParkedLogOp.End(end, r.id(), new ParkedLogOp.StepRef.Parked(start), 23)),
                logs.parked(r.id(), 0, 10));
        assertEquals(List.of(line, intoStored), logs.parked(r.id(), start, 2).stream().map(ParkedLogOp::id).toList(), "paged");
        assertEquals(List.of(start, end), logs.parkedSteps(r.id()).stream().map(ParkedLogOp::id).toList(), "starts and ends only");

        // Bounded: by the number of ops (4 parked), then by bytes ("hook" + "deploy" + "héllo" + "x" = 17).
        assertTrue(logs.park(new ParkedLogOp.Line(0, r.id(), new ParkedLogOp.StepRef.Stored(0), false, "y", 24), 4, 1000).isEmpty());
        assertTrue(logs.park(new ParkedLogOp.Line(0, r.id(), new ParkedLogOp.StepRef.Stored(0), false, "1234", 24), 10, 20).isEmpty());
        assertEquals(4, logs.parked(r.id(), 0, 10).size(), "a refused op writes nothing");

        // The start becomes step 1 and line 2; applying it again (a retry, another instance) writes nothing.
        StepRecord step = new StepRecord(r.id(), 1, "hook", "deploy", false, 20, null);
        assertTrue(logs.applyParked(r.id(), start, step, -1, 0, 2, "start hook".getBytes()));
        assertFalse(logs.applyParked(r.id(), start, step, -1, 0, 3, "again".getBytes()));
        assertEquals(2, logs.lastSeq(r.id()));
        assertEquals(step, logs.steps(r.id()).get(1));
        assertEquals(Map.of(start, 1), logs.parkedStepIds(r.id()));
        assertTrue(logs.applyParked(r.id(), line, null, -1, 0, 3, "line".getBytes()));
        assertTrue(logs.applyParked(r.id(), end, null, 1, 30, 4, "end hook".getBytes()));
        assertEquals(30L, logs.steps(r.id()).get(1).endedAt());
        assertArrayEquals("end hook".getBytes(), logs.after(r.id(), 3, 1).get(0).frame());
        // A failing write (a sequence taken) keeps the op parked: nothing is lost.
        assertThrows(StoreException.class, () -> logs.applyParked(r.id(), intoStored, null, -1, 0, 4, "dup".getBytes()));
        assertEquals(List.of(intoStored), logs.parked(r.id(), 0, 10).stream().map(ParkedLogOp::id).toList());
        assertTrue(logs.dropParked(r.id(), intoStored));
        assertFalse(logs.dropParked(r.id(), intoStored));
        assertEquals(List.of(other.id()), logs.runsWithParkedOps(10));
        logs.markComplete(r.id());
        assertEquals(Map.of(), logs.parkedStepIds(r.id()), "forgotten with the complete log");
        assertEquals(1, logs.dropParked(other.id()));
        assertEquals(List.of(), logs.runsWithParkedOps(10));
    }

    @Test
    @DisplayName("a failing write fails alone: writes around it still commit")
    void failingWriteIsIsolated() throws Exception {
        RunRecord r = s.runs().insertTrigger(trigger("3k1", "a.yml"), 0).orElseThrow().get(0);
        s.logs().append(r.id(), 1, "one".getBytes());
        List<Thread> threads = new ArrayList<>();
        Set<Long> failed = ConcurrentHashMap.newKeySet();
        for (long seq = 1; seq <= 40; seq++) {
            long q = seq;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    s.logs().append(r.id(), q, ("line" + q).getBytes());
                } catch (StoreException e) {
                    failed.add(q);
                }
            }));
        }
        for (Thread t : threads) t.join();
        assertEquals(Set.of(1L), failed, "only the duplicate fails");
        assertEquals(40, s.logs().after(r.id(), 0, 100).size());
    }

    @Test
    @DisplayName("knot and network cursors only move forward")
    void cursors() {
        assertTrue(s.registry().knotCursor("k").isEmpty());
        s.registry().saveKnotCursor("k", 100);
        s.registry().saveKnotCursor("k", 50);
        assertEquals(100, s.registry().knotCursor("k").getAsLong());
        s.registry().saveNetworkCursor("jetstream", 9);
        s.registry().saveNetworkCursor("jetstream", 3);
        assertEquals(9, s.registry().networkCursor("jetstream").getAsLong());
        for (long c = 101; c <= 2000; c++) s.registry().saveKnotCursor("k2", c);
        restart();
        assertEquals(100, s.registry().knotCursor("k").getAsLong(), "a saved checkpoint is durable after close");
        assertEquals(2000, s.registry().knotCursor("k2").getAsLong(), "the newest of a burst is the one kept");
    }

    @Test
    @DisplayName("registrations persist with their source; members, repo records, collaborators and revs")
    void registry() {
        RepoKey k = new RepoKey("knot", "did:plc:x", "r");
        assertTrue(s.registry().addRepo(k, "static", Instant.EPOCH));
        assertFalse(s.registry().addRepo(k, "other", Instant.EPOCH));
        assertEquals("static", s.registry().repos().get(0).source());
        assertTrue(s.registry().removeRepo(k));
        assertFalse(s.registry().removeRepo(k));
        assertTrue(s.registry().repos().isEmpty());

        s.registry().putMember("m1", "did:plc:a", "at://o/m/m1", Instant.ofEpochMilli(5));
        s.registry().putMember("m1", "did:plc:a", "at://o/m/m1", Instant.ofEpochMilli(9));
        assertEquals(Instant.ofEpochMilli(5), s.registry().members().get(0).since(), "same subject keeps its time");
        assertTrue(s.registry().isMember("did:plc:a"));
        assertEquals("did:plc:a", s.registry().removeMember("m1").orElseThrow().subject());
        assertTrue(s.registry().removeMember("m1").isEmpty());

        RepoRef byKey = new RepoRef("knot", "did:plc:x", "r");
        s.registry().putRepoRecord("r1", byKey);
        assertEquals(byKey, s.registry().repoRecord("did:plc:x", "r1").orElseThrow());
        assertTrue(s.registry().repoRecordHolds(byKey));
        assertEquals(Map.of("r1", byKey), s.registry().repoRecordsOf("did:plc:x"));
        s.registry().removeRepoRecord("did:plc:x", "r1");
        assertFalse(s.registry().repoRecordHolds(byKey));

        s.registry().putCollaborator(new Collaborator("did:plc:x", "c1", "did:plc:b", "at://did:plc:x/sh.tangled.repo/r1", Instant.EPOCH));
        assertTrue(s.registry().isCollaborator("at://did:plc:x/sh.tangled.repo/r1", "did:plc:b"));
        assertEquals(1, s.registry().collaborators().size());
        assertTrue(s.registry().removeCollaborator("did:plc:x", "c1"));
        s.registry().putCollaborator(new Collaborator("did:plc:x", "c2", "did:plc:b", "at://u", Instant.EPOCH));
        s.registry().removeCollaboratorsBy("did:plc:x");
        assertTrue(s.registry().collaborators().isEmpty());

        s.registry().saveRecordRev("did:plc:x", "sh.tangled.repo", "r1", "rev1");
        s.registry().saveRecordRev("did:plc:x", "sh.tangled.repo", "r1", "rev2");
        assertEquals("rev2", s.registry().recordRev("did:plc:x", "sh.tangled.repo", "r1").orElseThrow());
    }

    @Test
    @DisplayName("repo-DID registrations: one per repo DID, apart from (knot, owner, name) ones, movable, survive a restart")
    void repoDidRegistrations() {
        RepoKey legacy = new RepoKey("knot", "did:plc:x", "r");
        RepoRef byDid = new RepoRef("knot", "did:plc:x", "r", "", "did:plc:repo1");
        assertTrue(s.registry().addRepo(legacy, "static", Instant.EPOCH));
        assertTrue(s.registry().addRepoDid(byDid, "at://did:plc:x/sh.tangled.repo/r", Instant.ofEpochMilli(7)),
                "the same (knot, owner, name) with a repo DID is another registration");
        assertFalse(s.registry().addRepoDid(new RepoRef("knot2", "did:plc:y", "z", "", "did:plc:repo1"), "static", Instant.EPOCH),
                "one registration per repo DID");
        assertThrows(IllegalArgumentException.class, () -> s.registry().addRepoDid(new RepoRef("k", "did:plc:x", "n"), "s", Instant.EPOCH));
        RegisteredRepo row = s.registry().repoByDid("did:plc:repo1").orElseThrow();
        assertEquals(new RegisteredRepo(legacy, "at://did:plc:x/sh.tangled.repo/r", Instant.ofEpochMilli(7), "did:plc:repo1"), row);
        assertEquals(byDid, row.ref());
        assertEquals(List.of("", "did:plc:repo1"), s.registry().repos().stream().map(RegisteredRepo::repoDid).toList());
        assertTrue(s.registry().repoByDid("did:plc:nope").isEmpty());

        RepoRef moved = new RepoRef("knot2", "did:plc:owner", "rkey2", "", "did:plc:repo1");
        assertTrue(s.registry().updateRepoDid(moved));
        assertFalse(s.registry().updateRepoDid(moved), "unchanged");
        assertFalse(s.registry().updateRepoDid(new RepoRef("k", "did:plc:x", "n", "", "did:plc:absent")));
        assertEquals(moved, s.registry().repoByDid("did:plc:repo1").orElseThrow().ref());
        assertEquals(Instant.ofEpochMilli(7), s.registry().repoByDid("did:plc:repo1").orElseThrow().since(), "a move keeps the time");

        s.registry().putRepoRecord("rk", moved);
        assertEquals(moved, s.registry().repoRecord("did:plc:owner", "rk").orElseThrow());
        assertTrue(s.registry().repoRecordHolds(moved));
        assertFalse(s.registry().repoRecordHolds(new RepoRef("knot2", "did:plc:owner", "rkey2")), "a key record is another");
        assertEquals(Map.of("rk", moved), s.registry().repoRecordsOf("did:plc:owner"));

        assertTrue(s.registry().addKnotCollaborator(new KnotCollaborator("did:plc:repo1", "did:plc:c", "knot2", Instant.ofEpochMilli(3))));
        assertFalse(s.registry().addKnotCollaborator(new KnotCollaborator("did:plc:repo1", "did:plc:c", "knot2", Instant.ofEpochMilli(4))));
        s.registry().putCollaborator(new Collaborator("did:plc:owner", "c1", "did:plc:d", "did:plc:repo1", Instant.EPOCH));
        assertTrue(s.registry().isCollaborator("did:plc:repo1", "did:plc:c"), "from the knot");
        assertTrue(s.registry().isCollaborator("did:plc:repo1", "did:plc:d"), "from a record naming the repo DID");
        assertFalse(s.registry().isCollaborator("did:plc:repo1", "did:plc:e"));
        assertEquals(List.of(new KnotCollaborator("did:plc:repo1", "did:plc:c", "knot2", Instant.ofEpochMilli(3))),
                s.registry().knotCollaborators());

        restart();
        assertEquals(moved, s.registry().repoByDid("did:plc:repo1").orElseThrow().ref());
        assertTrue(s.registry().isCollaborator("did:plc:repo1", "did:plc:c"));
        assertTrue(s.registry().removeKnotCollaborator("did:plc:repo1", "did:plc:c"));
        assertFalse(s.registry().removeKnotCollaborator("did:plc:repo1", "did:plc:c"));
        s.registry().addKnotCollaborator(new KnotCollaborator("did:plc:repo1", "did:plc:c", "knot2", Instant.EPOCH));

        assertFalse(s.registry().removeRepo(new RepoKey("knot2", "did:plc:owner", "rkey2")), "a key never removes a repo-DID registration");
        assertTrue(s.registry().removeRepoDid("did:plc:repo1"));
        assertFalse(s.registry().removeRepoDid("did:plc:repo1"));
        assertTrue(s.registry().knotCollaborators().isEmpty(), "the teardown forgets what the knot said");
        assertTrue(s.registry().isCollaborator("did:plc:repo1", "did:plc:d"), "records stay until their own delete");
        assertEquals(List.of(legacy), s.registry().repos().stream().map(RegisteredRepo::repo).toList());
    }

    @Test
    @DisplayName("secrets: one per key, listed by key, deleted once")
    void secrets() {
        StoredSecret a = new StoredSecret("did:plc:x", "r", "B", "at://u", new byte[]{1}, "kid", Instant.EPOCH, "did:plc:x");
        StoredSecret b = new StoredSecret("did:plc:x", "r", "A", "at://u", new byte[]{2}, "kid", Instant.EPOCH, "did:plc:x");
        assertTrue(s.secrets().insert(a));
        assertFalse(s.secrets().insert(a));
        assertTrue(s.secrets().insert(b));
        assertEquals(List.of("A", "B"), s.secrets().list("did:plc:x", "r").stream().map(StoredSecret::key).toList());
        assertTrue(s.secrets().delete("did:plc:x", "r", "A"));
        assertFalse(s.secrets().delete("did:plc:x", "r", "A"));
    }

    @Test
    @DisplayName("operator cancel requests: queued, listed while open, finished once")
    void cancelRequests() {
        WorkflowId w = new WorkflowId("knot", "3k1", "a.yml");
        long id = s.runs().requestCancel(w, Instant.ofEpochMilli(1));
        long id2 = s.runs().requestCancel(w, Instant.ofEpochMilli(2));
        assertEquals(List.of(id, id2), s.runs().openCancelRequests().stream().map(CancelRequest::id).toList());
        s.runs().finishCancelRequest(id, "REQUESTED", Instant.ofEpochMilli(3));
        assertEquals("REQUESTED", s.runs().cancelRequest(id).orElseThrow().outcome());
        assertEquals(List.of(id2), s.runs().openCancelRequests().stream().map(CancelRequest::id).toList());
        Set<Long> distinct = new HashSet<>(List.of(id, id2));
        assertEquals(2, distinct.size());
    }

    // ------------------------------------------------------------------ pipeline queries

    private static final Instant T0 = Instant.parse("2026-05-01T10:00:00Z");

    /** A push pipeline of {@code repo} at {@code sha}, received {@code second}s after T0. */
    public static Trigger push(String rkey, RepoRef repo, String sha, long second) {
        return new Trigger(new PipelineId(repo.knot(), rkey), repo, new TriggerKind.Push("refs/heads/main", sha, "0".repeat(40)),
                List.of(new Workflow("ci.yml", "stub", null, "engine: stub\n")), T0.plusSeconds(second));
    }

    private static final RepoRef BY_DID = new RepoRef("knot", "did:plc:owner", "3krepo", "", "did:plc:repo");
    private static final RepoRef LEGACY = new RepoRef("knot", "did:plc:owner", "3krepo");
    private static final RepoRef OTHER = new RepoRef("knot", "did:plc:owner", "other");

    private PipelineQueries.Page query(PipelineQueries.Legacy legacy, List<String> commits, List<String> kinds, int limit,
                                       PipelineQueries.Position after) {
        return s.pipelines().query(new PipelineQueries.Query("did:plc:repo", legacy, commits, kinds, limit,
                java.util.Optional.ofNullable(after)));
    }

    private static List<String> rkeys(PipelineQueries.Page p) {
        return p.pipelines().stream().map(x -> x.id().rkey()).toList();
    }

    @Test
    @DisplayName("pipelines of a repo: newest first, repo DID and legacy ones, a page at a time, total whatever the cursor")
    void queryPages() {
        s.runs().insertTrigger(push("p1", BY_DID, "a".repeat(40), 1), 0);
        s.runs().insertTrigger(push("p2", LEGACY, "b".repeat(40), 2), 0);
        s.runs().insertTrigger(push("p3", BY_DID, "c".repeat(40), 3), 0);
        s.runs().insertTrigger(push("p4", OTHER, "d".repeat(40), 4), 0);
        s.runs().insertTrigger(push("p5", BY_DID, "e".repeat(40), 3), 0); // same instant as p3: inserted later, so first

        var none = new PipelineQueries.Legacy.None();
        assertEquals(List.of("p5", "p3", "p1"), rkeys(query(none, List.of(), List.of(), 10, null)));
        var legacy = new PipelineQueries.Legacy.Repo(LEGACY.key());
        PipelineQueries.Page first = query(legacy, List.of(), List.of(), 2, null);
        assertEquals(List.of("p5", "p3"), rkeys(first));
        assertEquals(4, first.total());
        PipelineQueries.Page second = query(legacy, List.of(), List.of(), 2, first.next().orElseThrow());
        assertEquals(List.of("p2", "p1"), rkeys(second));
        assertEquals(4, second.total(), "total ignores the cursor");
        assertTrue(second.next().isEmpty(), "no next page after the last");
        // A cursor in upstream's form (created < N) skips every pipeline of that instant.
        var upstream = new PipelineQueries.Position(push("x", BY_DID, "", 3).receivedAt().getEpochSecond() * 1_000_000_000L, 0);
        assertEquals(List.of("p2", "p1"), rkeys(query(legacy, List.of(), List.of(), 10, upstream)));
        // Upstream's fallback: pipelines without a repo DID match on their owner's DID.
        var owner = s.pipelines().query(new PipelineQueries.Query("did:plc:owner", new PipelineQueries.Legacy.Owner("did:plc:owner"),
                List.of(), List.of(), 10, java.util.Optional.empty()));
        assertEquals(List.of("p4", "p2"), rkeys(owner));
        assertEquals(List.of(), rkeys(s.pipelines().query(new PipelineQueries.Query("did:plc:nobody", none, List.of(), List.of(), 10,
                java.util.Optional.empty()))));
    }

    @Test
    @DisplayName("pipelines by commit: the newest of each, each commit once, the cursor within; kinds filter")
    void queryCommits() {
        String a = "a".repeat(40);
        String b = "b".repeat(40);
        s.runs().insertTrigger(push("p1", BY_DID, a, 1), 0);
        s.runs().insertTrigger(push("p2", LEGACY, b, 2), 0);
        s.runs().insertTrigger(push("p3", BY_DID, a, 3), 0);
        s.runs().insertTrigger(push("p4", OTHER, b, 9), 0);
        s.runs().insertTrigger(new Trigger(new PipelineId("knot", "p5"), BY_DID,
                new TriggerKind.PullRequest("feature", "main", b, "opened"), List.of(), T0.plusSeconds(5)), 0);
        var legacy = new PipelineQueries.Legacy.Repo(LEGACY.key());
        PipelineQueries.Page all = query(legacy, List.of(a, b, a, "f".repeat(40)), List.of(), 10, null);
        assertEquals(List.of("p5", "p3"), rkeys(all));
        assertEquals(2, all.total());
        PipelineQueries.Page pushes = query(legacy, List.of(a, b), List.of("push"), 1, null);
        assertEquals(List.of("p3"), rkeys(pushes));
        assertEquals(2, pushes.total());
        PipelineQueries.Page rest = query(legacy, List.of(a, b), List.of("push"), 1, pushes.next().orElseThrow());
        assertEquals(List.of("p2"), rkeys(rest));
        assertTrue(rest.next().isEmpty());
        assertEquals(List.of("p5"), rkeys(query(legacy, List.of(), List.of("pull_request", "manual"), 10, null)));
        assertEquals(1, query(legacy, List.of(), List.of("pull_request"), 10, null).total());
    }

    @Test
    @DisplayName("a pipeline by record key: its trigger, and each workflow's state, start, finish and error")
    void pipelineByRkey() {
        Trigger t = push("3kpipe", BY_DID, "a".repeat(40), 1);
        t = new Trigger(t.pipeline(), t.repo(), t.kind(), List.of(new Workflow("a.yml", "stub", null, ""),
                new Workflow("b.yml", "stub", null, ""), new Workflow("c.yml", "stub", null, "")), t.receivedAt());
        List<RunRecord> runs = s.runs().insertTrigger(t, 0).orElseThrow();
        long started = Nanos.of(T0.plusSeconds(2));
        long finished = Nanos.of(T0.plusSeconds(70));
        s.runs().transition(runs.get(0).id(), new Status.Running(), 0, started);
        s.runs().transition(runs.get(0).id(), new Status.Failed("exit 2", 2), 0, finished);
        s.runs().transition(runs.get(1).id(), new Status.Running(), 0, started);

        PipelineQueries.Pipeline p = s.pipelines().pipeline("3kpipe").orElseThrow();
        assertEquals(t, p.trigger().orElseThrow());
        assertEquals(new PipelineId("knot", "3kpipe"), p.id());
        assertEquals(T0.plusSeconds(1), p.createdAt());
        assertEquals("did:plc:repo", p.repoDid());
        assertEquals("push", p.kind());
        assertEquals("a".repeat(40), p.commit());
        s.runs().attach(runs.get(0).id(), "build-1", "https://ci.example/builds/1");
        p = s.pipelines().pipeline("3kpipe").orElseThrow();
        assertEquals(List.of(
                new PipelineQueries.WorkflowRun("a.yml", RunState.FAILED, java.util.Optional.of(T0.plusSeconds(2)),
                        java.util.Optional.of(T0.plusSeconds(70)), "exit 2", runs.get(0).id(), "stub", "https://ci.example/builds/1"),
                new PipelineQueries.WorkflowRun("b.yml", RunState.RUNNING, java.util.Optional.of(T0.plusSeconds(2)),
                        java.util.Optional.empty(), "", runs.get(1).id(), "stub", ""),
                new PipelineQueries.WorkflowRun("c.yml", RunState.PENDING, java.util.Optional.empty(),
                        java.util.Optional.empty(), "", runs.get(2).id(), "stub", "")), p.workflows());
        assertTrue(s.pipelines().pipeline("3knothere").isEmpty());
        assertEquals(p, restart().pipelines().pipeline("3kpipe").orElseThrow(), "durable");
    }

    private PipelineQueries.Page recent(String repo, RunState state, String engine, int limit, Long before) {
        return s.pipelines().recent(new PipelineQueries.Recent(java.util.Optional.ofNullable(repo),
                java.util.Optional.ofNullable(state), java.util.Optional.ofNullable(engine), limit, java.util.Optional.ofNullable(before)));
    }

    @Test
    @DisplayName("recent pipelines across repositories: newest stored first, by repository, workflow state and engine, a page at a time")
    void recentPipelines() {
        List<RunRecord> r1 = s.runs().insertTrigger(push("p1", BY_DID, "a".repeat(40), 1), 0).orElseThrow();
        s.runs().insertTrigger(push("p2", LEGACY, "b".repeat(40), 2), 0);
        Trigger other = push("p3", OTHER, "c".repeat(40), 3);
        other = new Trigger(other.pipeline(), other.repo(), other.kind(), List.of(new Workflow("x.yml", "buildkite", null, "")),
                other.receivedAt());
        s.runs().insertTrigger(other, 0);
        s.runs().transition(r1.get(0).id(), new Status.Running(), 0, Nanos.of(T0.plusSeconds(5)));

        PipelineQueries.Page all = recent(null, null, null, 2, null);
        assertEquals(List.of("p3", "p2"), rkeys(all));
        assertEquals(List.of("p1"), rkeys(recent(null, null, null, 2, all.next().orElseThrow().seq())));
        assertTrue(recent(null, null, null, 3, null).next().isEmpty());
        assertEquals(List.of("p1"), rkeys(recent("did:plc:repo", null, null, 10, null)));
        assertEquals(List.of("p2"), rkeys(recent("knot/did:plc:owner/3krepo", null, null, 10, null)), "a legacy repository by its key");
        assertEquals(List.of("p1"), rkeys(recent(null, RunState.RUNNING, null, 10, null)));
        assertEquals(List.of("p3", "p2"), rkeys(recent(null, RunState.PENDING, null, 10, null)));
        assertEquals(List.of("p3"), rkeys(recent(null, null, "buildkite", 10, null)));
        assertEquals(List.of(), rkeys(recent(null, RunState.RUNNING, "buildkite", 10, null)), "one workflow must match both");
        assertEquals(List.of(), rkeys(recent("did:plc:nobody", null, null, 10, null)));

        List<PipelineQueries.Repository> repos = s.pipelines().repositories();
        assertEquals(List.of("did:plc:repo", "knot/did:plc:owner/3krepo", "knot/did:plc:owner/other"),
                repos.stream().map(PipelineQueries.Repository::filterValue).toList());
    }

    @Test
    @DisplayName("a lease is one holder's until it expires or is handed back; renewing moves its expiry")
    void leases() {
        LeaseStore l = s.leases();
        Instant t0 = Instant.ofEpochMilli(1_000_000);
        java.time.Duration ttl = java.time.Duration.ofSeconds(10);
        assertTrue(l.acquire("knot:k", "a#1", t0, ttl));
        assertFalse(l.acquire("knot:k", "b#1", t0.plusSeconds(9), ttl), "held and live: another holder is refused");
        assertEquals(new LeaseStore.Lease("knot:k", "a#1", t0.plusSeconds(10)), l.lease("knot:k").orElseThrow(),
                "a refused acquire writes nothing");
        assertTrue(l.acquire("knot:k", "a#1", t0.plusSeconds(5), ttl), "the holder renews");
        assertFalse(l.acquire("knot:k", "b#1", t0.plusSeconds(14), ttl), "renewed until t0+15s");
        assertTrue(l.acquire("knot:k", "b#1", t0.plusSeconds(15), ttl), "expired: taken over");
        assertEquals("b#1", l.lease("knot:k").orElseThrow().holder());
        assertFalse(l.release("knot:k", "a#1"), "only the holder hands back");
        assertTrue(l.release("knot:k", "b#1"));
        assertTrue(l.lease("knot:k").isEmpty());
        assertTrue(l.acquire("knot:k", "a#2", t0.plusSeconds(16), ttl), "free again at once");
        assertTrue(l.acquire("publisher", "a#2", t0, ttl));
        assertEquals(List.of("knot:k", "publisher"), l.leases().stream().map(LeaseStore.Lease::name).toList());
        assertTrue(restart().leases().lease("publisher").isPresent(), "durable");
    }

    @Test
    @DisplayName("two holders racing for one free lease: exactly one wins")
    void leaseRace() throws Exception {
        Instant t0 = Instant.ofEpochMilli(1_000_000);
        for (int round = 0; round < 20; round++) {
            String name = "race-" + round;
            assertEquals(1, raceOfFour(holder -> s.leases().acquire(name, holder, t0, java.time.Duration.ofSeconds(5))).size(), name);
        }
    }

    @Test
    @DisplayName("open runs of an owner without a live liveness lease are adopted once; live owners' and terminal runs stay")
    void adoptRuns() {
        LeaseStore l = s.leases();
        Instant t0 = Instant.ofEpochMilli(1_000_000);
        java.time.Duration ttl = java.time.Duration.ofSeconds(10);
        List<RunRecord> runs = s.runs().insertTrigger(trigger("3k1", "a.yml", "b.yml", "c.yml"), 0).orElseThrow();
        s.runs().transition(runs.get(2).id(), new Status.Failed("boom", 1), 0, 0);
        // Runs written without an owner (this store, or before V9) belong to whoever adopts them first.
        assertEquals(List.of(runs.get(0).id(), runs.get(1).id()), l.adoptRuns("a#1", t0));
        assertEquals(List.of(runs.get(0).id(), runs.get(1).id()), l.ownedRuns("a#1"));
        assertTrue(l.acquire("instance:a#1", "a#1", t0, ttl));
        assertEquals(List.of(), l.adoptRuns("b#1", t0.plusSeconds(9)), "a is alive");
        assertEquals(List.of(), l.adoptRuns("a#1", t0.plusSeconds(20)), "one's own runs are not adopted again");
        assertEquals(List.of(runs.get(0).id(), runs.get(1).id()), l.adoptRuns("b#1", t0.plusSeconds(10)), "a's lease expired");
        assertTrue(l.acquire("instance:b#1", "b#1", t0.plusSeconds(10), ttl));
        assertEquals(List.of(), l.adoptRuns("c#1", t0.plusSeconds(11)), "b is alive");
        assertTrue(l.release("instance:b#1", "b#1"));
        assertEquals(List.of(runs.get(0).id(), runs.get(1).id()), l.adoptRuns("c#1", t0.plusSeconds(11)),
                "b handed its liveness back (a clean stop): adopted at once");
    }

    @Test
    @DisplayName("a waiting build request is taken by its builder, by anyone when it has none, and from a builder that is no longer live")
    void takeBuildRequests() {
        BuildStore b = s.builds();
        LeaseStore l = s.leases();
        Instant t0 = Instant.ofEpochMilli(1_000_000);
        java.time.Duration ttl = java.time.Duration.ofSeconds(10);
        BuildRecord old = b.insertRequest("push:old", new PipelineId("knot", "3k1"), "did:plc:r", "{}", t0).orElseThrow();
        BuildRecord mine = b.insertRequest("push:mine", new PipelineId("knot", "3k2"), "did:plc:r", "{}", t0, "a#1").orElseThrow();
        assertEquals("", old.builder(), "a request written without a builder");
        assertEquals("a#1", b.request(new PipelineId("knot", "3k2")).orElseThrow().builder());
        assertTrue(l.acquire("instance:a#1", "a#1", t0, ttl));

        assertEquals(List.of(old.id()), ids(b.buildableRequests("b#1", t0.plusSeconds(1))), "a is alive: its request is not b's to take");
        assertEquals(List.of(old.id(), mine.id()), ids(b.buildableRequests("a#1", t0.plusSeconds(1))));
        assertFalse(b.takeRequest(mine.id(), "b#1", t0.plusSeconds(1)), "a live builder keeps its request");
        assertEquals("a#1", b.request(mine.pipeline()).orElseThrow().builder(), "a refused take writes nothing");
        assertTrue(b.takeRequest(mine.id(), "a#1", t0.plusSeconds(1)), "its builder takes it");
        assertTrue(b.takeRequest(old.id(), "b#1", t0.plusSeconds(1)), "nobody built it: anyone takes it");
        assertTrue(l.acquire("instance:b#1", "b#1", t0.plusSeconds(1), ttl));
        assertFalse(b.takeRequest(old.id(), "a#1", t0.plusSeconds(2)), "now b's, and b is alive");

        assertEquals(List.of(old.id(), mine.id()), ids(b.buildableRequests("b#1", t0.plusSeconds(10))),
                "its own, and a's now that a's lease expired");
        assertTrue(b.takeRequest(mine.id(), "b#1", t0.plusSeconds(10)), "a died: b takes its request");
        assertFalse(b.takeRequest(mine.id(), "a#1", t0.plusSeconds(10)));
        assertTrue(l.release("instance:b#1", "b#1"));
        assertEquals(List.of(old.id(), mine.id()), ids(b.buildableRequests("c#1", t0.plusSeconds(11))),
                "b handed its liveness back (a clean stop): at once");
        assertTrue(b.takeRequest(old.id(), "c#1", t0.plusSeconds(11)));

        b.finishRequest(old.id(), BuildRecord.State.BUILT, null, t0.plusSeconds(12));
        assertFalse(b.takeRequest(old.id(), "c#1", t0.plusSeconds(12)), "a finished request is taken by nobody");
        assertFalse(b.takeRequest(old.id(), "d#1", t0.plusSeconds(12)));
        assertEquals("c#1", b.request(old.pipeline()).orElseThrow().builder(), "its builder stays, for the record");
        assertEquals(List.of(mine.id()), ids(b.buildableRequests("d#1", t0.plusSeconds(12))));
    }

    @Test
    @DisplayName("live instances racing to take a dead builder's request: exactly one takes it")
    void takeBuildRequestRace() throws Exception {
        Instant t0 = Instant.ofEpochMilli(1_000_000);
        java.time.Duration ttl = java.time.Duration.ofSeconds(10);
        for (int i = 0; i < 4; i++) assertTrue(s.leases().acquire("instance:h" + i, "h" + i, t0, ttl));
        for (int round = 0; round < 20; round++) {
            BuildRecord r = s.builds().insertRequest("push:race-" + round, new PipelineId("knot", "3kr" + round),
                    "did:plc:r", "{}", t0, "dead#" + round).orElseThrow();
            List<String> winners = raceOfFour(holder -> s.builds().takeRequest(r.id(), holder, t0.plusSeconds(1)));
            assertEquals(1, winners.size(), "round " + round + ": " + winners);
            assertEquals(winners.get(0), s.builds().request(r.pipeline()).orElseThrow().builder());
        }
    }

    /** Live holders {@code h0}..{@code h3} call {@code take} at the same moment: those for whom it returned true. */
    private static List<String> raceOfFour(java.util.function.Predicate<String> take) throws Exception {
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        Map<String, java.util.concurrent.Future<Boolean>> got = new java.util.LinkedHashMap<>();
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 4; i++) {
                String holder = "h" + i;
                got.put(holder, pool.submit(() -> {
                    go.await();
                    return take.test(holder);
                }));
            }
            go.countDown();
            List<String> winners = new ArrayList<>();
            for (var e : got.entrySet()) if (e.getValue().get()) winners.add(e.getKey());
            return winners;
        }
    }

    @Test
    @DisplayName("an ended run's open log is taken by its owner, or by anyone once the owner is dead; never an open run's or a complete one")
    void takeLog() {
        LeaseStore l = s.leases();
        Instant t0 = Instant.ofEpochMilli(1_000_000);
        java.time.Duration ttl = java.time.Duration.ofSeconds(10);
        List<RunRecord> runs = s.runs().insertTrigger(trigger("3k1", "a.yml", "b.yml"), 0).orElseThrow();
        long open = runs.get(0).id();
        long ended = runs.get(1).id();
        assertEquals(List.of(open, ended), l.adoptRuns("a#1", t0));
        assertTrue(l.acquire("instance:a#1", "a#1", t0, ttl));
        assertTrue(s.runs().transition(ended, new Status.Failed("boom", 1), 0, 0));

        assertFalse(l.takeLog(open, "a#1", t0.plusSeconds(1)), "an open run's log is not taken");
        assertFalse(l.takeLog(ended, "b#1", t0.plusSeconds(1)), "its owner a is alive: its log is a's");
        assertTrue(l.takeLog(ended, "a#1", t0.plusSeconds(1)), "its owner takes it");
        assertFalse(l.takeLog(ended, "b#1", t0.plusSeconds(9)));
        assertTrue(l.takeLog(ended, "b#1", t0.plusSeconds(10)), "a's lease expired: b takes it");
        assertTrue(l.acquire("instance:b#1", "b#1", t0.plusSeconds(10), ttl));
        assertFalse(l.takeLog(ended, "a#1", t0.plusSeconds(11)), "now b's, and b is alive");
        assertTrue(l.release("instance:b#1", "b#1"));
        assertTrue(l.takeLog(ended, "c#1", t0.plusSeconds(11)), "b handed its liveness back: at once");
        s.logs().markComplete(ended);
        assertFalse(l.takeLog(ended, "c#1", t0.plusSeconds(12)), "a complete log is taken by nobody");
        assertEquals(List.of(open), l.ownedRuns("a#1"), "the open run stays a's");
    }

    @Test
    @DisplayName("orphaned logs: ended runs with an open log whose owner is gone, oldest first, bounded; never a live owner's, an open run's or a complete log")
    void orphanedLogs() {
        LeaseStore l = s.leases();
        Instant t0 = Instant.ofEpochMilli(1_000_000);
        java.time.Duration ttl = java.time.Duration.ofSeconds(10);
        List<Long> ids = s.runs().insertTrigger(trigger("3k1", "a.yml", "b.yml", "c.yml", "d.yml"), 0).orElseThrow()
                .stream().map(RunRecord::id).toList();
        long open = ids.get(0);
        long first = ids.get(1);
        long second = ids.get(2);
        long complete = ids.get(3);
        assertEquals(ids, l.adoptRuns("a#1", t0));
        assertTrue(l.acquire("instance:a#1", "a#1", t0, ttl));
        assertTrue(s.runs().transition(first, new Status.Failed("boom", 1), 0, 0));
        assertTrue(s.runs().transition(second, new Status.Cancelled("stop"), 0, 0));
        assertTrue(s.runs().transition(complete, new Status.Failed("boom", 1), 0, 0));
        s.logs().markComplete(complete);

        assertEquals(List.of(), l.orphanedLogs("b#1", t0.plusSeconds(9), 100), "their owner a is alive");
        assertEquals(List.of(first, second), l.orphanedLogs("b#1", t0.plusSeconds(10), 100),
                "a's lease expired: its ended runs with an open log, oldest first; not the open run, not the complete log");
        assertEquals(List.of(first), l.orphanedLogs("b#1", t0.plusSeconds(10), 1), "bounded");
        assertEquals(List.of(), l.orphanedLogs("a#1", t0.plusSeconds(10), 100), "never the asker's own");

        assertTrue(l.acquire("instance:b#1", "b#1", t0.plusSeconds(10), ttl));
        assertTrue(l.takeLog(second, "b#1", t0.plusSeconds(10)));
        assertEquals(List.of(first), l.orphanedLogs("c#1", t0.plusSeconds(11), 100), "b took the second and is alive");
        assertTrue(l.takeLog(first, "c#1", t0.plusSeconds(11)));
        s.logs().markComplete(first);
        assertTrue(l.release("instance:b#1", "b#1"));
        assertEquals(List.of(second), l.orphanedLogs("c#1", t0.plusSeconds(12), 100),
                "the first is complete; b handed its liveness back before completing the second");
        assertEquals(List.of(open), l.ownedRuns("a#1"), "looking moves nothing");
    }

    @Test
    @DisplayName("live instances racing to take the log of a dead owner's ended run: exactly one takes it")
    void takeLogRace() throws Exception {
        Instant t0 = Instant.ofEpochMilli(1_000_000);
        java.time.Duration ttl = java.time.Duration.ofSeconds(10);
        for (int i = 0; i < 4; i++) assertTrue(s.leases().acquire("instance:h" + i, "h" + i, t0, ttl));
        for (int round = 0; round < 20; round++) {
            RunRecord r = s.runs().insertTrigger(trigger("3kr" + round, "a.yml"), 0).orElseThrow().get(0);
            assertEquals(List.of(r.id()), s.leases().adoptRuns("dead#" + round, t0));
            assertTrue(s.runs().transition(r.id(), new Status.Failed("boom", 1), 0, 0));
            List<String> winners = raceOfFour(holder -> s.leases().takeLog(r.id(), holder, t0.plusSeconds(1)));
            assertEquals(1, winners.size(), "round " + round + ": " + winners);
        }
    }

    private static List<Long> ids(List<BuildRecord> requests) {
        return requests.stream().map(BuildRecord::id).toList();
    }

    @Test
    @DisplayName("a transition the stored state does not allow (another instance moved the run first) changes and queues nothing")
    void guardedTransition() {
        RunRecord r = s.runs().insertTrigger(trigger("3k1", "a.yml"), 0).orElseThrow().get(0);
        assertTrue(s.runs().transition(r.id(), new Status.Running(), 1, 1));
        assertTrue(s.runs().transition(r.id(), new Status.Success(), 2, 2));
        int queued = s.statuses().due(Long.MAX_VALUE, 100).size();
        assertFalse(s.runs().transition(r.id(), new Status.Success(), 3, 3), "a second end");
        assertFalse(s.runs().transition(r.id(), new Status.Running(), 3, 3), "back from an end");
        assertEquals(RunState.SUCCESS, s.runs().run(r.id()).orElseThrow().state());
        assertEquals(queued, s.statuses().due(Long.MAX_VALUE, 100).size(), "nothing more to publish");
        assertThrows(StoreException.class, () -> s.runs().transition(99_999, new Status.Running(), 0, 0));
    }

    @Test
    @DisplayName("concurrency queues: one member runs at a time in run order, per repository; an end leaves the queue")
    void concurrencyQueue() {
        ConcurrencyStore q = s.concurrency();
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        List<RunRecord> runs = s.runs().insertTrigger(trigger("3k1", "a.yml", "b.yml", "c.yml", "d.yml"), 0).orElseThrow();
        long a = runs.get(0).id(), b = runs.get(1).id(), c = runs.get(2).id(), other = runs.get(3).id();
        assertEquals(List.of(), q.join(a, "repo-1", "deploy", false, "3k1", t0));
        assertEquals(List.of(), q.join(b, "repo-1", "deploy", false, "3k1", t0.plusSeconds(1)));
        assertEquals(List.of(), q.join(other, "repo-2", "deploy", false, "3k1", t0), "another repository's group");
        assertEquals(List.of(), q.join(a, "repo-1", "deploy", true, "3k1", t0), "joining again changes nothing");
        assertEquals(dev.weft.model.QueueState.WAITING, q.take(b, t0.plusSeconds(2)).orElseThrow().state(), "a is ahead");
        QueueEntry started = q.take(a, t0.plusSeconds(3)).orElseThrow();
        assertEquals(dev.weft.model.QueueState.RUNNING, started.state());
        assertEquals(t0.plusSeconds(3), started.startedAt());
        assertEquals(new WorkflowId("knot", "3k1", "a.yml"), started.workflow());
        assertEquals(t0.plusSeconds(3), q.take(a, t0.plusSeconds(9)).orElseThrow().startedAt(), "taking again keeps the start");
        assertEquals(dev.weft.model.QueueState.RUNNING, q.take(other, t0).orElseThrow().state(), "groups are per repository");
        assertEquals(dev.weft.model.QueueState.WAITING, q.take(b, t0.plusSeconds(4)).orElseThrow().state(), "a runs");
        assertEquals(List.of(a, b), q.queue("repo-1", "deploy").stream().map(QueueEntry::runId).toList());
        assertEquals(2, q.queuesNamed("deploy").stream().map(QueueEntry::repo).distinct().count());

        // c replaces the group's older runs: both are marked, once.
        assertEquals(List.of(a, b), q.join(c, "repo-1", "deploy", true, "3k9", t0.plusSeconds(5)));
        assertEquals(List.of(a, b), q.superseded().stream().map(QueueEntry::runId).toList());
        assertEquals("3k9", q.entry(b).orElseThrow().supersededBy());
        assertNull(q.entry(c).orElseThrow().supersededBy());

        s.runs().transition(a, new Status.Running(), 0, 0);
        s.runs().transition(a, new Status.Cancelled("replaced"), 0, 0);
        assertTrue(q.entry(a).isEmpty(), "its end took it out of the queue");
        assertTrue(q.take(a, t0).isEmpty());
        assertEquals(dev.weft.model.QueueState.RUNNING, q.take(b, t0.plusSeconds(6)).orElseThrow().state(), "b is first now");
        assertEquals(dev.weft.model.QueueState.WAITING, q.take(c, t0.plusSeconds(6)).orElseThrow().state());
        s.runs().transition(b, new Status.Cancelled("replaced"), 0, 0);
        assertEquals(dev.weft.model.QueueState.RUNNING, q.take(c, t0.plusSeconds(7)).orElseThrow().state());
        assertEquals(List.of(c, other), q.all().stream().map(QueueEntry::runId).toList());
    }

    @Test
    @DisplayName("operator sessions: found until they expire or close; at most max live, the oldest dropped first")
    void operatorSessions() {
        OperatorSessionStore o = s.operatorSessions();
        o.open("h1", 1_000, 5_000, 2, 1_000);
        o.open("h2", 2_000, 9_000, 2, 2_000);
        assertEquals(java.util.OptionalLong.of(5_000), o.expiry("h1", 4_999));
        assertTrue(o.expiry("h1", 5_000).isEmpty(), "expired at its expiry");
        assertTrue(o.expiry("nope", 0).isEmpty());
        o.open("h3", 3_000, 30_000, 2, 3_000);
        assertTrue(o.expiry("h1", 3_000).isEmpty(), "the oldest went to make room");
        assertTrue(o.expiry("h2", 3_000).isPresent());
        o.close("h2");
        assertTrue(o.expiry("h2", 3_000).isEmpty(), "closed");
        o.close("h2");
        o.open("h4", 10_000, 20_000, 2, 10_000);
        assertTrue(o.expiry("h3", 8_000).isPresent() && o.expiry("h4", 10_000).isPresent());
        s.close();
        s = reopen();
        assertEquals(java.util.OptionalLong.of(20_000), s.operatorSessions().expiry("h4", 10_000), "durable");
    }
}
