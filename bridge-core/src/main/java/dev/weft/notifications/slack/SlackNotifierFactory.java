package dev.weft.notifications.slack;

import dev.weft.notifications.webhook.WebhookNotifierFactory;
import dev.weft.notify.Notifier;
import dev.weft.notify.NotifierConfigException;
import dev.weft.notify.NotifierContext;
import dev.weft.notify.NotifierFactory;

import java.util.Optional;

/**
 * Slack from {@code WEFT_NOTIFY_SLACK_WEBHOOK_URL} (incoming webhook), or from
 * {@code WEFT_NOTIFY_SLACK_TOKEN} and {@code WEFT_NOTIFY_SLACK_CHANNEL} (bot; API at
 * {@code WEFT_NOTIFY_SLACK_API}, default {@code https://slack.com/api}). Both at once is an error:
 * the operator would not know which one speaks.
 */
public final class SlackNotifierFactory implements NotifierFactory {
    public static final String WEBHOOK_URL = "WEFT_NOTIFY_SLACK_WEBHOOK_URL";
    public static final String TOKEN = "WEFT_NOTIFY_SLACK_TOKEN";
    public static final String CHANNEL = "WEFT_NOTIFY_SLACK_CHANNEL";
    public static final String API = "WEFT_NOTIFY_SLACK_API";
    public static final String DEFAULT_API = "https://slack.com/api";

    @Override
    public String name() {
        return "slack";
    }

    @Override
    public Optional<Notifier> create(NotifierContext c) throws NotifierConfigException {
        Optional<String> hook = c.get(WEBHOOK_URL);
        Optional<String> token = c.get(TOKEN);
        Optional<String> channel = c.get(CHANNEL);
        if (hook.isPresent() && (token.isPresent() || channel.isPresent())) {
            throw new NotifierConfigException(WEBHOOK_URL + " and " + TOKEN + "/" + CHANNEL + " are both set: choose one Slack mode");
        }
        if (hook.isPresent()) {
            return Optional.of(new SlackNotifier(new SlackNotifier.Mode.IncomingWebhook(
                    WebhookNotifierFactory.httpUri(WEBHOOK_URL, hook.get())), c.requestTimeout()));
        }
        if (token.isEmpty() && channel.isEmpty()) return Optional.empty();
        if (token.isEmpty()) throw new NotifierConfigException(CHANNEL + " is set but " + TOKEN + " is not");
        if (channel.isEmpty()) throw new NotifierConfigException(TOKEN + " is set but " + CHANNEL + " is not");
        String api = WebhookNotifierFactory.httpUri(API, c.get(API).orElse(DEFAULT_API)).toString();
        while (api.endsWith("/")) api = api.substring(0, api.length() - 1);
        return Optional.of(new SlackNotifier(new SlackNotifier.Mode.Bot(token.get(), channel.get(), api), c.requestTimeout()));
    }
}
