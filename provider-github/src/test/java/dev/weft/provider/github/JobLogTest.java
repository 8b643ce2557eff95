package dev.weft.provider.github;

import dev.weft.provider.github.logs.JobLogParser;
import dev.weft.provider.github.logs.JobLogSplitter;
import dev.weft.provider.github.logs.LogEntry;
import dev.weft.provider.github.rest.JobStep;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class JobLogTest {
    static OffsetDateTime at(int s) {
        return OffsetDateTime.of(2026, 2, 3, 10, 0, s, 0, ZoneOffset.UTC);
    }

    static JobStep step(int n, String name, int start, int end, String conclusion) {
        return new JobStep(name, "completed", conclusion, n, at(start), at(end));
    }

    @Test
    void parsesTimestampsMarkersBomAndCrlf() {
        String log = "\uFEFF2022-06-20T09:28:05.8714453Z ##[group]Run echo hi\r\n"
                + "2022-06-20T09:28:05.8714453Z echo hi\r\n"
                + "2022-06-20T09:28:05.9000000Z ##[endgroup]\r\n"
                + "continuation without a timestamp\n"
                + "2022-06-20T09:28:06.0000000Z ##[error]boom\n"
                + "2022-06-20T09:28:06.0000000Z ##[warning]careful\n"
                + "2022-06-20T09:28:06.0000000Z ##[notice]fyi\n"
                + "2022-06-20T09:28:06.0000000Z ##[debug]details\n"
                + "2022-06-20T09:28:06.0000000Z ##[command]/bin/true\n"
                + "2022-06-20T09:28:06.1000000Z \n"
                + "2022-06-20T09:28:06.2000000Z ##[unknown]kept\n";
        List<LogEntry> e = JobLogParser.parse(log);
        Instant t = Instant.parse("2022-06-20T09:28:05.8714453Z");
        assertEquals(new LogEntry(t, false, "Run echo hi", true), e.get(0));
        assertEquals(new LogEntry(t, false, "echo hi", false), e.get(1));
        assertEquals(new LogEntry(Instant.parse("2022-06-20T09:28:05.9Z"), false, "continuation without a timestamp", false), e.get(2));
        Instant t6 = Instant.parse("2022-06-20T09:28:06Z");
        assertEquals(new LogEntry(t6, true, "Error: boom", false), e.get(3));
        assertEquals(new LogEntry(t6, false, "Warning: careful", false), e.get(4));
        assertEquals(new LogEntry(t6, false, "Notice: fyi", false), e.get(5));
        assertEquals(new LogEntry(t6, false, "Debug: details", false), e.get(6));
        assertEquals(new LogEntry(t6, false, "/bin/true", false), e.get(7));
        assertEquals("", e.get(8).text());
        assertEquals("##[unknown]kept", e.get(9).text());
        assertEquals(10, e.size());
    }

    @Test
    void firstLinesWithoutTimeHaveNone() {
        List<LogEntry> e = JobLogParser.parse("plain\n");
        assertNull(e.get(0).time());
        assertEquals("plain", e.get(0).text());
    }

    @Test
    void splitsOntoStepsByGroupsAndRunnerLines() {
        List<JobStep> steps = List.of(
                step(1, "Set up job", 0, 1, "success"),
                step(2, "Run actions/checkout@v4", 1, 1, "success"),
                step(3, "Build", 1, 3, "failure"),
                step(4, "Run actions/upload@v4", 3, 3, "skipped"),
                step(5, "Post Run actions/checkout@v4", 3, 4, "success"),
                step(6, "Complete job", 4, 4, "success"));
        String log = """
                2026-02-03T10:00:00.1000000Z runner
                2026-02-03T10:00:00.2000000Z ##[group]Operating System
                2026-02-03T10:00:01.2000000Z ##[group]Run actions/checkout@v4
                2026-02-03T10:00:01.3000000Z ##[group]Getting Git version info
                2026-02-03T10:00:01.9000000Z ##[group]Run make
                2026-02-03T10:00:03.6000000Z ##[error]exit 1
                2026-02-03T10:00:03.8000000Z Post job cleanup.
                2026-02-03T10:00:04.1000000Z Cleaning up orphan processes
                """;
        Map<Integer, List<LogEntry>> split = JobLogSplitter.split(steps, JobLogParser.parse(log));
        assertEquals(List.of("runner", "Operating System"), texts(split.get(1)));
        assertEquals(List.of("Run actions/checkout@v4", "Getting Git version info"), texts(split.get(2)));
        assertEquals(List.of("Run make", "Error: exit 1"), texts(split.get(3)));
        assertEquals(List.of(), texts(split.get(4)));
        assertEquals(List.of("Post job cleanup."), texts(split.get(5)));
        assertEquals(List.of("Cleaning up orphan processes"), texts(split.get(6)));
    }

    @Test
    void linesWellPastAStepsEndMoveOn() {
        List<JobStep> steps = List.of(step(1, "Set up job", 0, 1, "success"), step(2, "Tests", 1, 9, "success"));
        String log = """
                2026-02-03T10:00:00.5000000Z setting up
                2026-02-03T10:00:05.0000000Z printed by a step with a renamed header
                """;
        Map<Integer, List<LogEntry>> split = JobLogSplitter.split(steps, JobLogParser.parse(log));
        assertEquals(List.of("setting up"), texts(split.get(1)));
        assertEquals(List.of("printed by a step with a renamed header"), texts(split.get(2)));
    }

    @Test
    void aJobWithoutStepsKeepsItsLinesTogether() {
        Map<Integer, List<LogEntry>> split = JobLogSplitter.split(List.of(), JobLogParser.parse("2026-02-03T10:00:00.5000000Z x\n"));
        assertEquals(List.of("x"), texts(split.get(JobLogSplitter.NO_STEP)));
    }

    static List<String> texts(List<LogEntry> e) {
        return e.stream().map(LogEntry::text).toList();
    }
}
