package dev.weft.notifications.slack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.notifications.HttpDelivery;
import dev.weft.notify.Delivery;
import dev.weft.notify.Event;
import dev.weft.notify.Notification;
import dev.weft.notify.Notifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Slack, in one of two modes (a closed set, {@link Mode}):
 * <ul>
 *   <li>{@link Mode.IncomingWebhook}: one Block Kit message per notification;</li>
 *   <li>{@link Mode.Bot}: {@code chat.postMessage} for an incident's first notification, then
 *       {@code chat.update} of that same message ({@code ts}) for each later one, and on the fix
 *       also a reply in its thread.</li>
 * </ul>
 */
public final class SlackNotifier implements Notifier {
    private static final Logger log = LoggerFactory.getLogger(SlackNotifier.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Slack API errors that no retry will fix: the operator must change the token or the channel. */
    private static final Set<String> FATAL = Set.of("invalid_auth", "not_authed", "account_inactive", "token_revoked",
            "channel_not_found", "not_in_channel", "is_archived", "missing_scope", "invalid_blocks", "msg_too_long",
            "no_text", "restricted_action", "invalid_arguments");

    /** How the notifier reaches Slack. */
    public sealed interface Mode {
        record IncomingWebhook(URI url) implements Mode {
        }

        /** {@code api} without a trailing slash, such as {@code https://slack.com/api}. */
        record Bot(String token, String channel, String api) implements Mode {
        }
    }

    private final Mode mode;
    private final HttpDelivery http;

    public SlackNotifier(Mode mode, Duration timeout) {
        this.mode = mode;
        this.http = new HttpDelivery(timeout);
    }

    @Override
    public String name() {
        return "slack";
    }

    @Override
    public boolean updatesInPlace() {
        return mode instanceof Mode.Bot;
    }

    @Override
    public Delivery deliver(Notification n, Optional<String> incidentRef) {
        return switch (mode) {
            case Mode.IncomingWebhook w -> switch (http.post(w.url(), "application/json", SlackMessage.of(n).toString(), Map.of())) {
                case HttpDelivery.Result.Ok ok -> new Delivery.Sent(null);
                case HttpDelivery.Result.Failed f -> f.outcome();
            };
            case Mode.Bot b -> bot(b, n, incidentRef);
        };
    }

    /** The incident's message: its {@code <channel id> <ts>} ref comes back with each later notification. */
    private Delivery bot(Mode.Bot b, Notification n, Optional<String> ref) {
        ObjectNode msg = SlackMessage.of(n);
        if (ref.isPresent()) {
            String[] parts = ref.get().split(" ", 2);
            if (parts.length == 2) {
                ObjectNode update = msg.deepCopy();
                update.put("channel", parts[0]);
                update.put("ts", parts[1]);
                Call c = call(b, "chat.update", update);
                if (c instanceof Call.Failed f && !"message_not_found".equals(f.slackError())) return f.outcome();
                if (!(c instanceof Call.Failed)) {
                    if (n.event() == Event.FIXED) {
                        ObjectNode reply = SlackMessage.fixedReply(n);
                        reply.put("channel", parts[0]);
                        reply.put("thread_ts", parts[1]);
                        if (call(b, "chat.postMessage", reply) instanceof Call.Failed f) return f.outcome();
                    }
                    return new Delivery.Sent(ref.get());
                }
                // The message was deleted: post a new one and let it stand for the incident.
            }
        }
        msg.put("channel", b.channel());
        return switch (call(b, "chat.postMessage", msg)) {
            case Call.Ok ok when !ok.answer().path("ts").asText("").isEmpty() ->
                    new Delivery.Sent(ok.answer().path("channel").asText(b.channel()) + " " + ok.answer().path("ts").asText());
            case Call.Ok ok -> {
                log.warn("Slack chat.postMessage answered ok without a ts: counted as sent; "
                        + "this incident's next notification posts a new message");
                yield new Delivery.Sent(null);
            }
            // Without a ts there is no message to update: the incident's next notification posts a
            // new one, which beats posting this one twice now.
            case Call.Unreadable u -> new Delivery.Sent(null);
            case Call.Failed f -> f.outcome();
        };
    }

    /** One Web API call's outcome: Slack answers 200 with {@code ok:false} for most errors. */
    private sealed interface Call {
        record Ok(JsonNode answer) implements Call {
        }

        record Failed(Delivery outcome, String slackError) implements Call {
        }

        /**
         * A 2xx whose body is not Slack's JSON (cut short, a proxy's page): Slack most likely did
         * what was asked, so the call is not retried (a retried post would appear twice).
         */
        record Unreadable() implements Call {
        }
    }

    private Call call(Mode.Bot b, String method, ObjectNode body) {
        HttpDelivery.Result r = http.post(URI.create(b.api() + "/" + method), "application/json; charset=utf-8",
                body.toString(), Map.of("Authorization", "Bearer " + b.token()));
        if (r instanceof HttpDelivery.Result.Failed f) return new Call.Failed(f.outcome(), "");
        HttpDelivery.Answer ok = ((HttpDelivery.Result.Ok) r).answer();
        JsonNode answer;
        try {
            answer = JSON.readTree(ok.body());
        } catch (IOException e) {
            answer = null;
        }
        if (answer == null || !answer.isObject()) {
            log.warn("Slack {} answered HTTP {} with a body that is not Slack's JSON ({}): counted as done, not retried, "
                    + "since Slack most likely did it", method, ok.status(), HttpDelivery.abbreviate(ok.body()));
            return new Call.Unreadable();
        }
        if (answer.path("ok").asBoolean(false)) return new Call.Ok(answer);
        String error = answer.path("error").asText("");
        String why = "Slack " + method + ": " + (error.isEmpty() ? "not ok" : error);
        if (FATAL.contains(error)) return new Call.Failed(new Delivery.Rejected(why), error);
        return new Call.Failed(new Delivery.Retry(why), error);
    }

    @Override
    public void close() {
        http.close();
    }
}
