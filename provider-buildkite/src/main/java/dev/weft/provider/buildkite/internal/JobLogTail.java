package dev.weft.provider.buildkite.internal;

import okhttp3.HttpUrl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Live tail of one job log. Buildkite serves only suffix ranges, so each {@link #poll} reads the
 * size ({@code HEAD}) and fetches the new bytes as {@code Range: bytes=-N}; when the log grew between
 * the two requests the answer's {@code Content-Range} shows a gap and the suffix is fetched again,
 * larger. Bytes go through a {@link LogDecoder} into a {@link JobLogWriter}.
 */
public final class JobLogTail {
    private static final Logger log = LoggerFactory.getLogger(JobLogTail.class);
    private static final int MAX_REFETCH = 4;

    private final BuildkiteClient client;
    private final String org;
    private final HttpUrl url;
    private final LogDecoder decoder = new LogDecoder();
    private final JobLogWriter writer;
    private long fetched;
    private boolean warnedShrink;

    /** @param offset where to start: the committed offset of an earlier tail, else 0 */
    public JobLogTail(BuildkiteClient client, String org, HttpUrl url, long offset, JobLogWriter writer) {
        this.client = client;
        this.org = org;
        this.url = url;
        this.fetched = offset;
        this.writer = writer;
    }

    /** Fetches and writes what is new; returns whether anything was read. */
    public boolean poll() throws BuildkiteException, InterruptedException {
        OptionalLong size = client.logSize(org, url);
        if (size.isEmpty()) return false;
        if (size.getAsLong() < fetched) {
            if (!warnedShrink) log.warn("job log {} shrank from {} to {} bytes; ignoring", url, fetched, size.getAsLong());
            warnedShrink = true;
            return false;
        }
        long need = size.getAsLong() - fetched;
        if (need == 0) return false;
        for (int attempt = 0; attempt < MAX_REFETCH; attempt++) {
            Optional<BuildkiteClient.LogChunk> got = client.logSuffix(org, url, need);
            if (got.isEmpty()) return false;
            BuildkiteClient.LogChunk c = got.get();
            byte[] bytes = c.bytes();
            long start = c.start() >= 0 ? c.start() : size.getAsLong() - bytes.length;
            if (start > fetched) {
                need = (c.total() >= 0 ? c.total() : start + bytes.length) - fetched;
                continue;
            }
            long skip = fetched - start;
            if (skip >= bytes.length) return false;
            int from = (int) skip;
            writer.accept(decoder.feed(bytes, from, bytes.length - from));
            fetched += bytes.length - from;
            return true;
        }
        log.warn("job log {} keeps growing faster than it can be fetched; trying again later", url);
        return false;
    }

    /** The job ended and its log was read: writes a last unterminated line and ends the step. */
    public void finish(Instant finishedAt) {
        writer.accept(decoder.finish());
        writer.finish(finishedAt);
    }

    /** The offset up to which every byte has been written as a complete line. */
    public long committedOffset() {
        return fetched - decoder.pendingBytes();
    }

    public JobLogWriter writer() {
        return writer;
    }
}
