package dev.weft.runs;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.logs.LogHub;
import dev.weft.logs.LogInbox;
import dev.weft.logs.RunLogWriter;
import dev.weft.model.Trigger;
import dev.weft.model.Workflow;
import dev.weft.secrets.SecretMask;
import dev.weft.spi.RunLog;
import dev.weft.store.RunRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.function.LongFunction;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Turns a stored run into its {@link RunHandle}: the workflow out of its trigger, the parsed spec,
 * the Tangled variables and those weft adds (the callback URL and token), the repository's secrets
 * and a log writer whose lines are masked.
 */
final class RunLoader {
    private static final Logger log = LoggerFactory.getLogger(RunLoader.class);

    private final LogHub logs;
    private final boolean dev;
    private final RunHandle.Wiring wiring;
    private final ParsedSpecs specs = new ParsedSpecs();
    private volatile Function<Long, UnaryOperator<String>> logFilters = id -> UnaryOperator.identity();
    private volatile RunManager.SecretSource secretSource = repo -> Map.of();
    private volatile LongFunction<Map<String, String>> added = id -> Map.of();
    private volatile Set<String> credentials = Set.of();
    /** Set when several instances share the store: where writes for runs driven elsewhere wait. */
    private volatile LogInbox inbox;

    RunLoader(LogHub logs, RunOptions options, RunHandle.Wiring wiring) {
        this.logs = logs;
        this.dev = options.dev();
        this.wiring = wiring;
    }

    void logFilters(Function<Long, UnaryOperator<String>> filters) {
        this.logFilters = filters;
    }

    void secrets(RunManager.SecretSource source) {
        this.secretSource = source;
    }

    void addedVariables(LongFunction<Map<String, String>> variables, Set<String> credentials) {
        this.added = variables;
        this.credentials = Set.copyOf(credentials);
    }

    /** Several instances share the store: {@link #loadFound} parks log writes in {@code inbox}. */
    void parkLogs(LogInbox inbox) {
        this.inbox = inbox;
    }

    /** A handle for stored run {@code r} of trigger {@code t}; {@code lastScheduled} paces its next status. */
    RunHandle load(RunRecord r, Trigger t, long lastScheduled) {
        return load(r, t, lastScheduled, secretsOf(t), false, false);
    }

    /**
     * A handle for a run this instance does not hold (a webhook's, a poller's, a viewer's): as
     * {@link #load}, but when the store is shared and the run is open, so another instance drives
     * it (or will, adopting it), its provider's log writes are parked for that instance.
     */
    RunHandle loadFound(RunRecord r, Trigger t, long lastScheduled) {
        return load(r, t, lastScheduled, secretsOf(t), false, inbox != null && !r.state().isTerminal());
    }

    /**
     * Handles for the runs a trigger just created, on the knot consumer's thread: the trigger's
     * secrets are read once for all of them, and their logs start empty, so nothing else is read.
     */
    List<RunHandle> loadNew(List<RunRecord> runs, Trigger t, long lastScheduled) {
        RunHandle.Secrets secrets = secretsOf(t);
        List<RunHandle> out = new ArrayList<>(runs.size());
        for (RunRecord r : runs) out.add(load(r, t, lastScheduled, secrets, true, false));
        return out;
    }

    private RunHandle load(RunRecord r, Trigger t, long lastScheduled, RunHandle.Secrets secrets, boolean fresh,
                           boolean park) {
        Workflow wf = t.workflows().stream().filter(w -> w.name().equals(r.workflow().name())).findFirst()
                .orElseThrow(() -> new IllegalStateException("workflow " + r.workflow() + " not in its trigger"));
        Map<String, String> extra = added.apply(r.id());
        Map<String, String> variables = TangledVariables.of(t, dev);
        if (!extra.isEmpty()) {
            Map<String, String> all = new LinkedHashMap<>(variables);
            all.putAll(extra);
            variables = Collections.unmodifiableMap(all);
            secrets = withCredentials(secrets, extra);
        }
        UnaryOperator<String> filter = filter(r.id(), secrets);
        Supplier<RunLogWriter> writer = fresh ? () -> logs.newWriter(r.id(), filter) : () -> logs.writer(r.id(), filter);
        RunLog parked = park ? inbox.parked(r.id(), filter) : null;
        return new RunHandle(wiring, r, t, wf, parsedOnce(wf.raw()), variables, writer, parked, lastScheduled, secrets);
    }

    /**
     * The run's mask extended by the credentials weft itself hands the run (its callback token): a
     * job that prints its environment must not publish them in the log. The values handed to the
     * provider as repository secrets stay as they are.
     */
    private RunHandle.Secrets withCredentials(RunHandle.Secrets secrets, Map<String, String> extra) {
        List<String> masked = new ArrayList<>();
        for (String name : credentials) {
            String v = extra.get(name);
            if (v != null) masked.add(v);
        }
        if (masked.isEmpty()) return secrets;
        return new RunHandle.Secrets(secrets.values(), secrets.mask().plusLiterals(masked), secrets.error());
    }

    /** The workflow's YAML, parsed by whoever first asks (the run's thread), once; missing when it does not parse. */
    private Supplier<JsonNode> parsedOnce(String raw) {
        return new Supplier<>() {
            private JsonNode parsed;

            @Override
            public synchronized JsonNode get() {
                if (parsed == null) parsed = specs.spec(raw);
                return parsed;
            }
        };
    }

    private RunHandle.Secrets secretsOf(Trigger t) {
        // Code from another repository (a fork) must not see this repository's secrets.
        if (t.untrusted()) return RunHandle.Secrets.NONE;
        try {
            Map<String, String> values = secretSource.secretsFor(t.repo().key());
            if (values == null || values.isEmpty()) return RunHandle.Secrets.NONE;
            return new RunHandle.Secrets(Map.copyOf(values), SecretMask.of(values.values()), null);
        } catch (Exception e) {
            log.error("cannot read the secrets of {}: {}", t.repo().key(), e.getMessage());
            return new RunHandle.Secrets(Map.of(), SecretMask.none(),
                    "cannot read the repository's secrets: " + e.getMessage());
        }
    }

    /** The run's data-line filter: its secret mask first, then any {@link #logFilters} filter. */
    private UnaryOperator<String> filter(long runId, RunHandle.Secrets secrets) {
        UnaryOperator<String> extra = logFilters.apply(runId);
        SecretMask mask = secrets.mask();
        return mask.isEmpty() ? extra : text -> extra.apply(mask.apply(text));
    }
}
