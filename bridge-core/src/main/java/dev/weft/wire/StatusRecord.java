package dev.weft.wire;

/**
 * The {@code sh.tangled.pipeline.status} record exactly as upstream's Go struct holds it, so that
 * {@link GoJson#statusRecord(StatusRecord)} can reproduce its JSON. {@code error} and
 * {@code exitCode} are pointers upstream: null means absent, while an empty string or 0 is present
 * and written. The other fields are plain Go strings, whose zero value is {@code ""}; a null here
 * is treated as that zero value (a vector without {@code $type} encodes {@code "$type":""}).
 *
 * @param type      {@code $type}; upstream leaves it empty
 * @param createdAt RFC 3339 text, written verbatim
 * @param error     error message, or null for absent
 * @param exitCode  exit code, or null for absent
 * @param pipeline  the pipeline's AT-URI
 * @param status    the state's wire name
 * @param workflow  the workflow's file name
 */
public record StatusRecord(String type, String createdAt, String error, Long exitCode,
                           String pipeline, String status, String workflow) {
    public StatusRecord {
        type = type == null ? "" : type;
        createdAt = createdAt == null ? "" : createdAt;
        pipeline = pipeline == null ? "" : pipeline;
        status = status == null ? "" : status;
        workflow = workflow == null ? "" : workflow;
    }
}
