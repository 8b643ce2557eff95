package dev.weft.provider.github.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import okhttp3.Headers;

import java.io.IOException;

/** A GitHub answer, read whole: status code, headers and body text. */
public record ApiResponse(int code, Headers headers, String body) {

    public boolean ok() {
        return code >= 200 && code < 300;
    }

    public boolean serverError() {
        return code >= 500;
    }

    /** The body as JSON; a {@code MissingNode} when it is empty or not JSON. */
    public JsonNode json() {
        if (body == null || body.isBlank()) return MissingNode.getInstance();
        try {
            return GitHubJson.MAPPER.readTree(body);
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }

    public <T> T as(Class<T> type) throws IOException {
        return GitHubJson.MAPPER.readValue(body, type);
    }

    /** GitHub's {@code message} (and any {@code errors}), or the start of the body. */
    public String message() {
        return GitHubRest.message(body);
    }

    /** {@code HTTP 422: <message>}, for error texts. */
    public String describe() {
        String m = message();
        return "HTTP " + code + (m.isEmpty() ? "" : ": " + m);
    }
}
