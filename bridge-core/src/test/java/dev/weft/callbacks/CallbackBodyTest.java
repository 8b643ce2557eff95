package dev.weft.callbacks;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

class CallbackBodyTest {

    private static CallbackBody.Parsed parse(String json) {
        return CallbackBody.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("the issue's example reads as start, line, end; texts with newlines are several lines")
    void example() {
        var ok = assertInstanceOf(CallbackBody.Parsed.Ok.class, parse("""
                {"seq": 7, "events": [{"type": "step", "name": "deploy", "command": "./deploy.sh", "status": "start"},
                {"type": "line", "text": "uploading 3 files", "stream": "stdout"},
                {"type": "line", "text": "a\\r\\nb", "stream": "stderr", "step": "deploy"},
                {"type": "step", "name": "deploy", "status": "end"}]}"""));
        assertEquals(new CallbackBody(7, List.of(
                new CallbackEvent.StepStart("deploy", "./deploy.sh"),
                new CallbackEvent.Line("uploading 3 files", false, null),
                new CallbackEvent.Line("a", true, "deploy"),
                new CallbackEvent.Line("b", true, "deploy"),
                new CallbackEvent.StepEnd("deploy"))), ok.body());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "nope | body is not valid JSON: Unrecognized token 'nope': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
            "[] | body: expected a JSON object {\"seq\": ..., \"events\": [...]}",
            "{\"events\":[]} | seq: required (a number that grows with each callback of the run)",
            "{\"seq\":1} | events: required (an array, may be empty)",
            "{\"seq\":1,\"seq\":2,\"events\":[]} | body is not valid JSON: Duplicate field 'seq'",
            "{\"seq\":true,\"events\":[]} | seq: expected a whole number from 0 to 9223372036854775807, got true",
            "{\"seq\":99999999999999999999,\"events\":[]} | seq: expected a whole number from 0 to 9223372036854775807, got the number 99999999999999999999",
            "{\"seq\":1,\"events\":[],\"x\":1} | x: unknown key (known: seq, events)",
            "{\"seq\":1,\"events\":[]} {} | body: unexpected content after the JSON object",
            "{\"seq\":1,\"events\":[\"line\"]} | events[0]: expected an object, got a string",
            "{\"seq\":1,\"events\":[{\"text\":\"x\"}]} | events[0].type: required (step or line)",
            "{\"seq\":1,\"events\":[{\"type\":\"line\",\"text\":{\"a\":1}}]} | events[0].text: expected a string, got an object",
            "{\"seq\":1,\"events\":[{\"type\":\"line\",\"text\":\"x\",\"stream\":\"stdin\"}]} | events[0].stream: expected stdout or stderr, got \"stdin\"",
            "{\"seq\":1,\"events\":[{\"type\":\"line\",\"text\":\"x\",\"status\":\"end\"}]} | events[0].status: not a key of a line event",
            "{\"seq\":1,\"events\":[{\"type\":\"step\",\"name\":\"x\"}]} | events[0].status: expected start or end, got nothing",
            "{\"seq\":1,\"events\":[{\"type\":\"step\",\"name\":\" \",\"status\":\"start\"}]} | events[0].name: required (the step's title)",
            "{\"seq\":1,\"events\":[{\"type\":\"step\",\"name\":\"x\",\"status\":\"end\",\"command\":\"c\"}]} | events[0].command: only with status start",
            "{\"seq\":1,\"events\":[{\"type\":\"step\",\"name\":\"x\",\"status\":\"start\",\"color\":\"red\"}]} | events[0].color: unknown key",
    })
    @DisplayName("every refusal names what is wrong and where")
    void refusals(String json, String reason) {
        assertEquals(new CallbackBody.Parsed.Bad(reason), parse(json));
    }

    @Test
    @DisplayName("deep nesting and over-long names are refused, not parsed")
    void hostile() {
        assertInstanceOf(CallbackBody.Parsed.Bad.class, parse("{\"seq\":1,\"events\":[" + "[".repeat(5000) + "]}"));
        assertEquals(new CallbackBody.Parsed.Bad("events[0].name: longer than 256 characters"),
                parse("{\"seq\":1,\"events\":[{\"type\":\"step\",\"name\":\"" + "n".repeat(257) + "\",\"status\":\"start\"}]}"));
    }

    @Test
    @DisplayName("10,000 events or lines are accepted, one more is too many")
    void caps() {
        StringBuilder b = new StringBuilder("{\"seq\":0,\"events\":[");
        for (int i = 0; i < CallbackBody.MAX_EVENTS; i++) b.append(i == 0 ? "" : ",").append("{\"type\":\"line\",\"text\":\"\"}");
        assertInstanceOf(CallbackBody.Parsed.Ok.class, parse(b + "]}"));
        assertEquals(new CallbackBody.Parsed.TooMany("events: more than 10000 in one callback; send them in several"),
                parse(b + ",{\"type\":\"line\",\"text\":\"\"}]}"));
        String lines = "x\\n".repeat(CallbackBody.MAX_EVENTS - 1) + "x";
        assertInstanceOf(CallbackBody.Parsed.Ok.class, parse("{\"seq\":0,\"events\":[{\"type\":\"line\",\"text\":\"" + lines + "\"}]}"));
        assertInstanceOf(CallbackBody.Parsed.TooMany.class,
                parse("{\"seq\":0,\"events\":[{\"type\":\"line\",\"text\":\"" + lines + "\\n\"}]}"));
    }
}
