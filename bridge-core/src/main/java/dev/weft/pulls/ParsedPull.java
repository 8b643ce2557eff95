package dev.weft.pulls;

/** What parsing a pull record gives: a {@link PullShape} to trigger on, or why there is none. */
sealed interface ParsedPull permits PullShape, ParsedPull.Dropped {

    /** A parse that did not yield a triggerable PR: why, for the counter and the log line. */
    record Dropped(Outcome outcome, String why) implements ParsedPull {
    }
}
