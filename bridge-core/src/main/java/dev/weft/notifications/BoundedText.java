package dev.weft.notifications;

/**
 * A {@link CharSequence} that stops a regular expression after a budget of character reads, so a
 * catastrophic pattern (nested quantifiers on a long line) costs a bounded amount of CPU instead of
 * hanging the caller. {@link java.util.regex.Matcher} reads its input only through
 * {@link #charAt}, so counting there bounds the whole match.
 */
final class BoundedText implements CharSequence {
    /** Thrown when the budget is spent; unchecked so it unwinds straight out of the matcher. */
    static final class BudgetExceeded extends RuntimeException {
        BudgetExceeded() {
            super("regular expression exceeded its budget", null, false, false);
        }
    }

    private final CharSequence text;
    private final long[] budget;

    /** {@code budget} is shared by every view of one evaluation (a one-element array, decremented). */
    BoundedText(CharSequence text, long[] budget) {
        this.text = text;
        this.budget = budget;
    }

    @Override
    public char charAt(int index) {
        if (--budget[0] < 0) throw new BudgetExceeded();
        return text.charAt(index);
    }

    @Override
    public int length() {
        return text.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return new BoundedText(text.subSequence(start, end), budget);
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
