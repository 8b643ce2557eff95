package dev.weft.git;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The regular files directly in {@code .tangled/workflows} at one commit, in name order. Empty when
 * the directory is absent: a repo without workflows is not an error (spec 2.5).
 *
 * @param commit the 40-hex commit they were read at
 * @param files one entry per file, sorted by name (git tree order, which is byte order for files)
 */
public record WorkflowFiles(String commit, List<File> files) {

    public WorkflowFiles {
        Objects.requireNonNull(commit, "commit");
        files = List.copyOf(files);
    }

    /** Whether the commit has no workflow files. */
    public boolean isEmpty() {
        return files.isEmpty();
    }

    /**
     * One workflow file. Its name (e.g. {@code ci.yml}) is the workflow name. Content is kept as raw
     * bytes: whether it is YAML, UTF-8 or binary is for the compiler to decide and report.
     */
    public record File(String name, byte[] content) {
        public File {
            Objects.requireNonNull(name, "name");
            // Copied in and out so a record shared between threads stays immutable.
            content = content.clone();
        }

        @Override
        public byte[] content() {
            return content.clone();
        }

        public int size() {
            return content.length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof File f && f.name.equals(name) && Arrays.equals(f.content, content);
        }

        @Override
        public int hashCode() {
            return 31 * name.hashCode() + Arrays.hashCode(content);
        }

        @Override
        public String toString() {
            return "File[" + name + ", " + content.length + " bytes]";
        }
    }
}
