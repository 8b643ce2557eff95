package dev.weft.git;

import dev.weft.git.WorkflowFetchException.Failure;
import dev.weft.git.WorkflowFetchException.Limit;
import dev.weft.git.WorkflowFetcher.Limits;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

/**
 * The rules for what a commit's {@code .tangled/workflows} tree yields, shared by the two ways its
 * objects arrive (a pack read in memory, a cached repository on disk): only regular and executable
 * files count (no symlinks, submodules or subdirectories), in tree order, and {@link Limits} are
 * checked against sizes before any content is loaded.
 */
final class WorkflowDirectory {
    /** One candidate file: its name and blob. */
    record Entry(String name, ObjectId blob) {}

    /** Where blob sizes and contents come from. */
    interface Blobs {
        /** The blob's size, or -1 when it was left on the knot by a size filter (so too large). */
        long size(ObjectId blob) throws IOException;

        byte[] load(ObjectId blob, int maxBytes) throws IOException;
    }

    private WorkflowDirectory() {
    }

    /** The files of the directory tree {@code dir}, at most {@code limits.maxFiles()} of them. */
    static List<Entry> entries(CanonicalTreeParser dir, Limits limits, String commit) throws WorkflowFetchException {
        List<Entry> entries = new ArrayList<>();
        for (; !dir.eof(); dir.next()) {
            FileMode mode = dir.getEntryFileMode();
            if (!FileMode.REGULAR_FILE.equals(mode) && !FileMode.EXECUTABLE_FILE.equals(mode)) continue;
            if (entries.size() >= limits.maxFiles()) {
                throw new WorkflowFetchException(new Failure.LimitExceeded(Limit.FILE_COUNT, limits.maxFiles(),
                        entries.size() + 1L, WorkflowFetcher.WORKFLOW_DIR + " at " + commit + " has more than "
                        + limits.maxFiles() + " files"), null);
            }
            entries.add(new Entry(dir.getEntryPathString(), dir.getEntryObjectId()));
        }
        return entries;
    }

    /** Checks every size first, then loads the files. */
    static List<WorkflowFiles.File> read(List<Entry> entries, Limits limits, String commit, Blobs blobs)
            throws IOException, WorkflowFetchException {
        long total = 0;
        for (Entry e : entries) {
            long size = blobs.size(e.blob());
            if (size < 0) {
                throw new WorkflowFetchException(new Failure.LimitExceeded(Limit.FILE_SIZE, limits.maxFileBytes(), -1,
                        WorkflowFetcher.WORKFLOW_DIR + "/" + e.name() + " at " + commit + " is larger than "
                                + limits.maxFileBytes() + " bytes (not downloaded)"), null);
            }
            if (size > limits.maxFileBytes()) {
                throw new WorkflowFetchException(new Failure.LimitExceeded(Limit.FILE_SIZE, limits.maxFileBytes(), size,
                        WorkflowFetcher.WORKFLOW_DIR + "/" + e.name() + " at " + commit + " is " + size + " bytes"), null);
            }
            total += size;
            if (total > limits.maxTotalBytes()) {
                throw new WorkflowFetchException(new Failure.LimitExceeded(Limit.TOTAL_SIZE, limits.maxTotalBytes(), total,
                        WorkflowFetcher.WORKFLOW_DIR + " at " + commit + " holds more than " + limits.maxTotalBytes()
                                + " bytes (reached at " + e.name() + ")"), null);
            }
        }
        List<WorkflowFiles.File> files = new ArrayList<>(entries.size());
        for (Entry e : entries) files.add(new WorkflowFiles.File(e.name(), blobs.load(e.blob(), (int) limits.maxFileBytes())));
        return files;
    }
}
