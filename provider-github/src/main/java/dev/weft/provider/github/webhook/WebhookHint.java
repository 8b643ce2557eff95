package dev.weft.provider.github.webhook;

/**
 * What a {@code workflow_run} or {@code workflow_job} delivery says, reduced to what weft acts on:
 * which run it concerns and the state it claims. {@code action} is kept for logs only: state is read
 * from {@code status}/{@code conclusion} (and, for real, from the API).
 *
 * @param event        {@code workflow_run} or {@code workflow_job}
 * @param runId        the workflow run's id
 * @param runAttempt   the attempt the delivery describes (1 when absent)
 * @param status       {@code status} as sent
 * @param conclusion   {@code conclusion} as sent, or null
 * @param displayTitle the run's title (workflow_run only), for finding runs still being correlated
 * @param action       {@code action} as sent; informational
 */
public record WebhookHint(String event, long runId, int runAttempt, String status, String conclusion,
                          String displayTitle, String action) {
}
