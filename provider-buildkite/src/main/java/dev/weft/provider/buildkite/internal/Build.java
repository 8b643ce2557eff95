package dev.weft.provider.buildkite.internal;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The parts of a Buildkite build weft reads. Missing fields become null/empty; nothing here throws
 * on an unexpected shape, because the API's sets of states and job types are open.
 *
 * @param jobs empty when the build was read with {@code exclude_jobs} or is a webhook payload
 */
public record Build(String uuid, long number, String state, boolean blocked, String webUrl,
                    String url, Instant createdAt, Map<String, String> metaData, List<Job> jobs) {

    public static Build parse(JsonNode n) {
        Map<String, String> meta = new TreeMap<>();
        JsonNode md = n.path("meta_data");
        if (md.isObject()) md.fields().forEachRemaining(e -> meta.put(e.getKey(), e.getValue().asText()));
        List<Job> jobs = new ArrayList<>();
        for (JsonNode j : n.path("jobs")) jobs.add(Job.parse(j));
        return new Build(text(n, "id"), n.path("number").asLong(-1), text(n, "state"),
                n.path("blocked").asBoolean(false), text(n, "web_url"), text(n, "url"), time(n, "created_at"), meta,
                List.copyOf(jobs));
    }

    /** One of {@code jobs[]}. Only {@code script} jobs run commands and have logs. */
    public record Job(String id, String type, String name, String stepKey, String command, String state,
                      Long exitStatus, boolean softFailed, Instant startedAt, Instant finishedAt,
                      String rawLogUrl, String logUrl) {

        static Job parse(JsonNode j) {
            JsonNode exit = j.path("exit_status");
            Long code = null;
            if (exit.isIntegralNumber()) code = exit.asLong();
            else if (exit.isTextual() && exit.asText().matches("-?\\d{1,18}")) code = Long.valueOf(exit.asText());
            return new Job(text(j, "id"), text(j, "type"), text(j, "name"), text(j, "step_key"),
                    text(j, "command"), text(j, "state"), code, j.path("soft_failed").asBoolean(false),
                    time(j, "started_at"), time(j, "finished_at"), text(j, "raw_log_url"), text(j, "log_url"));
        }

        public boolean isScript() {
            return "script".equals(type);
        }

        /** What the appview shows for the job: its label, else its step key, else its command. */
        public String displayName() {
            if (name != null && !name.isBlank()) return name.strip();
            if (stepKey != null && !stepKey.isBlank()) return stepKey.strip();
            if (command != null && !command.isBlank()) {
                String first = command.strip().lines().findFirst().orElse("");
                return first.length() > 60 ? first.substring(0, 60) + "\u2026" : first;
            }
            return "job " + (id == null ? "?" : id.substring(0, Math.min(8, id.length())));
        }

        /** Whether the job will write no more log: it has finished or reached a final state. */
        public boolean finished() {
            return finishedAt != null || (state != null && switch (state) {
                case "passed", "failed", "canceled", "timed_out", "skipped", "broken", "expired", "finished" -> true;
                default -> false;
            });
        }

        public boolean started() {
            return startedAt != null || finished();
        }
    }

    public Optional<Job> job(String id) {
        return jobs.stream().filter(j -> id.equals(j.id())).findFirst();
    }

    static String text(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() ? null : v.asText();
    }

    static Instant time(JsonNode n, String key) {
        String s = text(n, key);
        if (s == null || s.isBlank()) return null;
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            try {
                return java.time.OffsetDateTime.parse(s).toInstant();
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }
}
