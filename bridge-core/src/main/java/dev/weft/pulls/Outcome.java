package dev.weft.pulls;

/** What became of one commit: the {@code outcome} tag of the {@code weft.pulls} counter. */
enum Outcome {
    TRIGGERED("triggered"),
    NOT_LIVE("not_live"),
    OTHER_COLLECTION("other_collection"),
    IGNORED_OPERATION("ignored_operation"),
    MALFORMED("malformed"),
    NO_TARGET("no_target"),
    PATCH_BASED("patch_based"),
    FORK("fork"),
    UNREGISTERED("unregistered"),
    UNAUTHORISED("unauthorised"),
    UNKNOWN_STATUS("unknown_status"),
    PULL_NOT_FOUND("pull_not_found"),
    FETCH_FAILED(PatchException.Reason.UNREACHABLE.outcome()),
    REFUSED_ADDRESS(PatchException.Reason.REFUSED_ADDRESS.outcome()),
    TOO_LARGE(PatchException.Reason.TOO_LARGE.outcome()),
    NOT_GZIP(PatchException.Reason.NOT_GZIP.outcome()),
    NOT_A_PATCH(PatchException.Reason.NOT_A_PATCH.outcome());

    final String tag;

    Outcome(String tag) {
        this.tag = tag;
    }

    static Outcome of(PatchException.Reason r) {
        return switch (r) {
            case UNREACHABLE -> FETCH_FAILED;
            case REFUSED_ADDRESS -> REFUSED_ADDRESS;
            case TOO_LARGE -> TOO_LARGE;
            case NOT_GZIP -> NOT_GZIP;
            case NOT_A_PATCH -> NOT_A_PATCH;
        };
    }
}
