package dev.weft.notifications.webhook;

import dev.weft.notify.Notifier;
import dev.weft.notify.NotifierConfigException;
import dev.weft.notify.NotifierContext;
import dev.weft.notify.NotifierFactory;

import java.net.URI;
import java.util.Optional;

/** {@code WEFT_NOTIFY_WEBHOOK_URL} (required to enable) and {@code WEFT_NOTIFY_WEBHOOK_SECRET} (signs the body). */
public final class WebhookNotifierFactory implements NotifierFactory {
    public static final String URL = "WEFT_NOTIFY_WEBHOOK_URL";
    public static final String SECRET = "WEFT_NOTIFY_WEBHOOK_SECRET";

    @Override
    public String name() {
        return "webhook";
    }

    @Override
    public Optional<Notifier> create(NotifierContext c) throws NotifierConfigException {
        Optional<String> url = c.get(URL);
        if (url.isEmpty()) {
            if (c.get(SECRET).isPresent()) throw new NotifierConfigException(SECRET + " is set but " + URL + " is not");
            return Optional.empty();
        }
        return Optional.of(new WebhookNotifier(httpUri(URL, url.get()), c.get(SECRET).orElse(null), c.requestTimeout()));
    }

    /** An absolute http(s) URL, or a message naming the variable. */
    public static URI httpUri(String variable, String value) throws NotifierConfigException {
        try {
            URI u = URI.create(value);
            if ((!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) || u.getHost() == null) {
                throw new NotifierConfigException(variable + ": must be an absolute http(s) URL, got '" + value + "'");
            }
            return u;
        } catch (IllegalArgumentException e) {
            throw new NotifierConfigException(variable + ": not a URL: " + e.getMessage());
        }
    }
}
