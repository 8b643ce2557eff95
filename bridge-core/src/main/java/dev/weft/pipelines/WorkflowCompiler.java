package dev.weft.pipelines;

import dev.weft.model.Workflow;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Decides which of a commit's workflow files run for a trigger, as the rewritten upstream spindle
 * does (spec tangled-ci 2.6), with one difference: a file that cannot be read is not dropped but
 * reported in every pipeline of that commit, since its {@code when} cannot say it should not run.
 *
 * <p>Pure: no I/O, no clock, no shared state; safe from any thread. Nothing here throws for bad
 * files, and hostile input is bounded: at most {@link #MAX_FILES} files, each at most
 * {@link #MAX_FILE_BYTES} bytes of UTF-8; YAML nesting at most 64 levels, at most 50 aliases to
 * collections and 10,000 nodes visited once aliases are expanded; globs as {@link Glob} bounds them.
 */
public final class WorkflowCompiler {
    /** More files than this and the commit is refused as a whole rather than read one by one. */
    public static final int MAX_FILES = 500;
    /** Each file's size limit in bytes; a larger file is reported invalid. */
    public static final int MAX_FILE_BYTES = WorkflowReader.MAX_BYTES;

    /**
     * File names in UTF-8 byte order, which is how git lists a tree and how Go sorts strings; Java's
     * {@code String} order differs for characters beyond the Basic Multilingual Plane.
     */
    public static final Comparator<String> FILE_NAME_ORDER = (a, b) ->
            Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    private WorkflowCompiler() {
    }

    /**
     * Compiles {@code files} (file name to contents: every regular file directly in
     * {@code .tangled/workflows} at the commit) for {@code trigger}.
     *
     * @return the workflows that run and the invalid files, or {@link CompiledPipeline.Refused} when
     *         there are more than {@link #MAX_FILES} files
     */
    public static CompiledPipeline compile(Map<String, byte[]> files, WorkflowTrigger trigger) {
        Objects.requireNonNull(files, "files");
        Objects.requireNonNull(trigger, "trigger");
        if (files.size() > MAX_FILES) {
            return new CompiledPipeline.Refused("too many workflow files in .tangled/workflows: "
                    + files.size() + ", at most " + MAX_FILES);
        }
        Optional<Set<String>> only = trigger.nameFilter();
        List<String> names = files.keySet().stream()
                .filter(n -> only.map(s -> s.contains(n)).orElse(true))
                .sorted(FILE_NAME_ORDER)
                .toList();
        List<Workflow> run = new ArrayList<>();
        List<InvalidWorkflow> invalid = new ArrayList<>();
        for (String name : names) {
            switch (WorkflowReader.read(name, Objects.requireNonNull(files.get(name), name))) {
                case WorkflowFile.Readable r -> {
                    if (Constraint.matches(r.when(), trigger)) run.add(r.workflow());
                }
                case WorkflowFile.Unreadable u -> invalid.add(u.invalid());
            }
        }
        return new CompiledPipeline.Workflows(run, invalid);
    }
}
