package dev.weft.server;

import dev.weft.logs.LogBackendException;
import dev.weft.logs.LogFeed;
import dev.weft.model.WorkflowId;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** An in-memory {@link LogFeed}. Thread-safe. */
final class TestLogFeed implements LogFeed {
    /** In the order added, as the store returns a pipeline's runs. */
    private final Map<WorkflowId, TestLog> logs = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>());
    final List<String> listed = new CopyOnWriteArrayList<>();
    private final Set<WorkflowId> broken = ConcurrentHashMap.newKeySet();
    final List<WorkflowId> opened = new CopyOnWriteArrayList<>();

    TestLog add(WorkflowId id) {
        TestLog log = new TestLog();
        logs.put(id, log);
        return log;
    }

    /** Makes {@link #open} fail for {@code id} as an unreachable provider backend would. */
    void breakBackend(WorkflowId id) {
        broken.add(id);
    }

    @Override
    public List<WorkflowId> workflows(String rkey) {
        listed.add(rkey);
        synchronized (logs) {
            return logs.keySet().stream().filter(w -> w.pipeline().rkey().equals(rkey)).toList();
        }
    }

    @Override
    public Optional<WorkflowLog> open(WorkflowId workflow) throws LogBackendException {
        opened.add(workflow);
        if (broken.contains(workflow)) throw new LogBackendException("backend down for " + workflow);
        return Optional.ofNullable(logs.get(workflow));
    }

    /** One workflow's lines; frames are whatever bytes the test appends. */
    static final class TestLog implements WorkflowLog {
        private final List<EncodedLine> lines = new ArrayList<>();
        private final List<Runnable> subscribers = new CopyOnWriteArrayList<>();
        private volatile boolean complete;
        private volatile long maxRead;

        static String line(int n) {
            return "{\"kind\":\"data\",\"content\":\"line " + n + "\",\"step_id\":0}";
        }

        /** Appends a frame and wakes subscribers. */
        TestLog append(byte[] frame) {
            synchronized (lines) {
                lines.add(new EncodedLine(lines.size() + 1, frame));
            }
            subscribers.forEach(Runnable::run);
            return this;
        }

        TestLog append(String frame) {
            return append(frame.getBytes(StandardCharsets.UTF_8));
        }

        /** Appends {@link #line(int)} for {@code from..to} inclusive. */
        TestLog appendLines(int from, int to) {
            for (int i = from; i <= to; i++) append(line(i));
            return this;
        }

        /** Marks the run terminal with its last line stored. */
        TestLog finish() {
            complete = true;
            subscribers.forEach(Runnable::run);
            return this;
        }

        int subscribers() {
            return subscribers.size();
        }

        /** The highest sequence any read has returned: how far weft read, whatever it sent. */
        long maxRead() {
            return maxRead;
        }

        @Override
        public List<EncodedLine> after(long afterSeq, int limit) {
            synchronized (lines) {
                int from = (int) Math.max(0, Math.min(afterSeq, lines.size()));
                int to = Math.min(lines.size(), from + limit);
                if (to > maxRead) maxRead = to;
                return List.copyOf(lines.subList(from, to));
            }
        }

        @Override
        public boolean complete() {
            return complete;
        }

        @Override
        public AutoCloseable subscribe(Runnable onAppend) {
            subscribers.add(onAppend);
            return () -> subscribers.remove(onAppend);
        }
    }
}
