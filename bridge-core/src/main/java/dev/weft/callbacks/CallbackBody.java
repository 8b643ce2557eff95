package dev.weft.callbacks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A callback's body, {@code {"seq": 7, "events": [...]}}, read with a streaming parser that stops
 * at the first problem, so a hostile body costs no more than its own bytes (which the server caps
 * before this sees them). Every refusal names what is wrong and where ({@code "events[3].status:
 * expected start or end"}).
 *
 * @param seq    the sender's sequence number: a body whose seq is not above the last accepted one
 *               is a repeat
 * @param events in order; a {@code line} event's text is already split into single lines
 */
record CallbackBody(long seq, List<CallbackEvent> events) {
    /** Most events, and most lines once texts are split on newlines, in one body. */
    static final int MAX_EVENTS = 10_000;
    /** Longest step name (the appview's step title). */
    static final int MAX_NAME = 256;

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8).build())
            .build();

    CallbackBody {
        events = List.copyOf(events);
    }

    /** The outcome of {@link #parse}. */
    sealed interface Parsed {
        record Ok(CallbackBody body) implements Parsed {
        }

        /** Too many events or lines: the sender should split the body (answered 413). */
        record TooMany(String reason) implements Parsed {
        }

        /** Anything else wrong (answered 400 with the reason). */
        record Bad(String reason) implements Parsed {
        }
    }

    private static final class Refusal extends Exception {
        final boolean tooMany;

        Refusal(String reason, boolean tooMany) {
            super(reason, null, false, false);
            this.tooMany = tooMany;
        }
    }

    static Parsed parse(byte[] body) {
        try (JsonParser p = JSON.createParser(body)) {
            return new Parsed.Ok(read(p));
        } catch (Refusal r) {
            return r.tooMany ? new Parsed.TooMany(r.getMessage()) : new Parsed.Bad(r.getMessage());
        } catch (JsonProcessingException e) {
            return new Parsed.Bad("body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            return new Parsed.Bad("body could not be read: " + e.getMessage());
        }
    }

    private static CallbackBody read(JsonParser p) throws IOException, Refusal {
        if (p.nextToken() != JsonToken.START_OBJECT) throw bad("body: expected a JSON object {\"seq\": ..., \"events\": [...]}");
        Long seq = null;
        List<CallbackEvent> events = null;
        int[] lines = {0};
        for (String field = p.nextFieldName(); field != null; field = p.nextFieldName()) {
            JsonToken t = p.nextToken();
            switch (field) {
                case "seq" -> {
                    if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                            || p.getLongValue() < 0) {
                        throw bad("seq: expected a whole number from 0 to " + Long.MAX_VALUE + ", got " + shown(p, t));
                    }
                    seq = p.getLongValue();
                }
                case "events" -> {
                    if (t != JsonToken.START_ARRAY) throw bad("events: expected an array, got " + shown(p, t));
                    events = new ArrayList<>();
                    for (int i = 0; p.nextToken() != JsonToken.END_ARRAY; i++) {
                        if (i >= MAX_EVENTS) {
                            throw new Refusal("events: more than " + MAX_EVENTS + " in one callback; send them in several", true);
                        }
                        event(p, i, events, lines);
                    }
                }
                default -> throw bad(field + ": unknown key (known: seq, events)");
            }
        }
        if (p.nextToken() != null) throw bad("body: unexpected content after the JSON object");
        if (seq == null) throw bad("seq: required (a number that grows with each callback of the run)");
        if (events == null) throw bad("events: required (an array, may be empty)");
        return new CallbackBody(seq, events);
    }

    /** Reads events[i], whose START_OBJECT is the current token, into {@code out}. */
    private static void event(JsonParser p, int i, List<CallbackEvent> out, int[] lines) throws IOException, Refusal {
        String at = "events[" + i + "]";
        if (p.currentToken() != JsonToken.START_OBJECT) throw bad(at + ": expected an object, got " + shown(p, p.currentToken()));
        String type = null;
        String name = null;
        String command = null;
        String status = null;
        String text = null;
        String stream = null;
        String step = null;
        for (String field = p.nextFieldName(); field != null; field = p.nextFieldName()) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.VALUE_STRING) throw bad(at + "." + field + ": expected a string, got " + shown(p, t));
            String v = p.getText();
            switch (field) {
                case "type" -> type = v;
                case "name" -> name = v;
                case "command" -> command = v;
                case "status" -> status = v;
                case "text" -> text = v;
                case "stream" -> stream = v;
                case "step" -> step = v;
                default -> throw bad(at + "." + field + ": unknown key");
            }
        }
        if (type == null) throw bad(at + ".type: required (step or line)");
        switch (type) {
            case "step" -> {
                only(at, "step", text, "text", stream, "stream", step, "step");
                if (name == null || name.isBlank()) throw bad(at + ".name: required (the step's title)");
                if (name.length() > MAX_NAME) throw bad(at + ".name: longer than " + MAX_NAME + " characters");
                if (name.indexOf('\n') >= 0 || name.indexOf('\r') >= 0) throw bad(at + ".name: must be one line");
                if ("start".equals(status)) {
                    out.add(new CallbackEvent.StepStart(name, command == null ? "" : command));
                } else if ("end".equals(status)) {
                    if (command != null) throw bad(at + ".command: only with status start");
                    out.add(new CallbackEvent.StepEnd(name));
                } else {
                    throw bad(at + ".status: expected start or end, got " + (status == null ? "nothing" : quoted(status)));
                }
            }
            case "line" -> {
                only(at, "line", name, "name", command, "command", status, "status");
                if (text == null) throw bad(at + ".text: required");
                boolean stderr;
                if (stream == null || stream.equals("stdout")) stderr = false;
                else if (stream.equals("stderr")) stderr = true;
                else throw bad(at + ".stream: expected stdout or stderr, got " + quoted(stream));
                // A line is one line: a text with newlines is several, and each counts.
                for (String l : text.split("\r?\n", -1)) {
                    if (++lines[0] > MAX_EVENTS) {
                        throw new Refusal(at + ".text: more than " + MAX_EVENTS + " lines in one callback; send them in several", true);
                    }
                    out.add(new CallbackEvent.Line(l, stderr, step));
                }
            }
            default -> throw bad(at + ".type: unknown event type " + quoted(type) + " (known: step, line)");
        }
    }

    /** Refuses keys that belong to the other event type. */
    private static void only(String at, String type, String a, String aName, String b, String bName, String c, String cName)
            throws Refusal {
        String wrong = a != null ? aName : b != null ? bName : c != null ? cName : null;
        if (wrong != null) throw bad(at + "." + wrong + ": not a key of a " + type + " event");
    }

    private static Refusal bad(String reason) {
        return new Refusal(reason, false);
    }

    private static String shown(JsonParser p, JsonToken t) throws IOException {
        if (t == null) return "nothing";
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "the number " + clip(p.getText());
            case VALUE_TRUE, VALUE_FALSE -> p.getText();
            case VALUE_NULL -> "null";
            default -> t.asString() == null ? t.name() : t.asString();
        };
    }

    private static String quoted(String s) {
        return "\"" + clip(s) + "\"";
    }

    /** Echoes at most a little of what the sender wrote. */
    private static String clip(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
