package dev.weft.pipelines;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The fingerprint {@code sh.tangled.ci.describeWorkflowDefinition} returns (spec tangled-ci 3.6):
 * one SHA-256 over the workflow files in name order, each fed as
 * {@code name || 0x00 || uint64_le(len(contents)) || contents}, written {@code sha256:<lower hex>}.
 * The separator and the length keep {@code ["fo","o"]} and {@code ["f","oo"]} apart. Every file
 * counts, readable or not, as upstream hashes what it loaded; no files hash nothing.
 */
public final class WorkflowDefinitionHash {
    private WorkflowDefinitionHash() {
    }

    /** The hash of {@code files} (file name to contents), e.g. {@code sha256:e3b0c442...} for none. */
    public static String of(Map<String, byte[]> files) {
        Objects.requireNonNull(files, "files");
        MessageDigest sha = sha256();
        ByteBuffer len = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        List<String> names = files.keySet().stream().sorted(WorkflowCompiler.FILE_NAME_ORDER).toList();
        for (String name : names) {
            byte[] contents = Objects.requireNonNull(files.get(name), name);
            sha.update(name.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(len.clear().putLong(contents.length).array());
            sha.update(contents);
        }
        return "sha256:" + HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e); // required by the Java SE spec
        }
    }
}
