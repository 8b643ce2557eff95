package dev.weft.provider.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.model.WorkflowId;
import dev.weft.spi.CancelReason;
import dev.weft.spi.IllegalTransitionException;
import dev.weft.spi.Run;
import dev.weft.spi.RunLog;
import dev.weft.spi.StatusReporter;
import dev.weft.spi.Step;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** An in-memory {@link Run} for driving provider parts without the runtime; records what they write. */
final class MemoryRun implements Run {
    record Line(int step, String text, boolean stderr, Instant at) {
    }

    final long id;
    final String yaml;
    final List<Status> statuses = new CopyOnWriteArrayList<>();
    final List<MemoryStep> steps = new CopyOnWriteArrayList<>();
    final List<Line> lines = new CopyOnWriteArrayList<>();
    final Map<String, String> attributes = new ConcurrentHashMap<>();
    volatile String externalId;
    volatile String webUrl;
    volatile RunState state = RunState.PENDING;

    MemoryRun(long id, String yaml) {
        this.id = id;
        this.yaml = yaml;
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public WorkflowId workflowId() {
        return new WorkflowId("knot", "rkey", "ci.yml");
    }

    @Override
    public Trigger trigger() {
        return new Trigger(new PipelineId("knot", "rkey"), new RepoRef("knot", "did:plc:x", "repo"),
                new TriggerKind.Push("refs/heads/main", FakeGitHub.ProviderHarnessSha.SHA, ""), List.of(workflow()), Instant.EPOCH);
    }

    @Override
    public Workflow workflow() {
        return new Workflow("ci.yml", "github", null, yaml);
    }

    @Override
    public JsonNode spec() {
        try {
            return new ObjectMapper(new YAMLFactory()).readTree(yaml);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public JsonNode block() {
        return spec().path("github");
    }

    @Override
    public Map<String, String> variables() {
        return Map.of();
    }

    @Override
    public Instant createdAt() {
        return Instant.EPOCH;
    }

    @Override
    public RunState state() {
        return state;
    }

    @Override
    public void attach(String externalId, String webUrl) {
        this.externalId = externalId;
        this.webUrl = webUrl;
    }

    @Override
    public Optional<String> externalId() {
        return Optional.ofNullable(externalId);
    }

    @Override
    public Optional<String> webUrl() {
        return Optional.ofNullable(webUrl);
    }

    @Override
    public Optional<String> attribute(String key) {
        return Optional.ofNullable(attributes.get(key));
    }

    @Override
    public void attribute(String key, String value) {
        attributes.put(key, value);
    }

    @Override
    public StatusReporter status() {
        return new StatusReporter() {
            @Override
            public RunState current() {
                return state;
            }

            @Override
            public synchronized void report(Status status) {
                if (status.state() == state) return;
                if (!state.canMoveTo(status.state())) {
                    throw new IllegalTransitionException(state + " -> " + status.state());
                }
                state = status.state();
                statuses.add(status);
            }

            @Override
            public boolean offer(Status status) {
                try {
                    report(status);
                    return true;
                } catch (IllegalTransitionException e) {
                    return false;
                }
            }
        };
    }

    @Override
    public RunLog log() {
        return new RunLog() {
            @Override
            public Step startStep(String name, String command, boolean system, Instant at) {
                MemoryStep s = new MemoryStep(steps.size(), name, system);
                steps.add(s);
                return s;
            }

            @Override
            public List<Step> steps() {
                return new ArrayList<>(steps);
            }
        };
    }

    @Override
    public boolean cancelRequested() {
        return false;
    }

    @Override
    public Optional<CancelReason> cancelReason() {
        return Optional.empty();
    }

    @Override
    public boolean awaitCancel(Duration timeout) {
        try {
            Thread.sleep(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    List<String> texts() {
        return lines.stream().map(Line::text).toList();
    }

    final class MemoryStep implements Step {
        final int id;
        final String name;
        final boolean system;
        volatile boolean ended;

        MemoryStep(int id, String name, boolean system) {
            this.id = id;
            this.name = name;
            this.system = system;
        }

        @Override
        public int id() {
            return id;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public boolean ended() {
            return ended;
        }

        @Override
        public void line(boolean stderr, String text, Instant at) {
            if (ended) throw new IllegalStateException("step " + name + " ended");
            lines.add(new Line(id, text, stderr, at));
        }

        @Override
        public void end(Instant at) {
            ended = true;
        }
    }
}
