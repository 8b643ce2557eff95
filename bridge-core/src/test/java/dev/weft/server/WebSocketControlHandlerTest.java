package dev.weft.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("WebSocket control and idle ping handlers")
class WebSocketControlHandlerTest {

    /** Records user events that pass the handler. */
    private static final class Events extends ChannelInboundHandlerAdapter {
        final List<Object> seen = new ArrayList<>();

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            seen.add(evt);
        }
    }

    @Test
    @DisplayName("a ping is answered with a pong carrying the same payload")
    void ping() {
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocketControlHandler());
        ch.writeInbound(new PingWebSocketFrame(Unpooled.copiedBuffer("abc", StandardCharsets.UTF_8)));
        PongWebSocketFrame pong = ch.readOutbound();
        assertEquals("abc", pong.content().toString(StandardCharsets.UTF_8));
        pong.release();
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    @DisplayName("no pong is queued for a client that does not read")
    void pingWhileStalled() {
        StallableChannel ch = new StallableChannel(8, 16);
        ch.pipeline().addLast(new WebSocketControlHandler());
        ch.stall();
        ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[64]));
        assertFalse(ch.isWritable());
        long before = ch.pendingBytes();
        PingWebSocketFrame ping = new PingWebSocketFrame(Unpooled.copiedBuffer("abc", StandardCharsets.UTF_8));
        ch.writeInbound(ping);
        assertEquals(0, ping.refCnt(), "released");
        assertEquals(before, ch.pendingBytes(), "nothing added");
        ch.finishAndReleaseAll();
    }

    @Test
    @DisplayName("client text and binary frames are dropped and released")
    void dataIgnored() {
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocketControlHandler());
        TextWebSocketFrame text = new TextWebSocketFrame("hi");
        ch.writeInbound(text);
        assertEquals(0, text.refCnt());
        assertNull(ch.readInbound());
        assertNull(ch.readOutbound());
        assertTrue(ch.isOpen());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    @DisplayName("a client close is echoed with its code, announced to the streamer, and ends the connection")
    void clientClose() {
        Events events = new Events();
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocketControlHandler(), events);
        ch.writeInbound(new CloseWebSocketFrame(1001, "bye"));
        CloseWebSocketFrame echo = ch.readOutbound();
        assertEquals(1001, echo.statusCode());
        echo.release();
        assertTrue(events.seen.contains(WebSocketControlHandler.PEER_CLOSING));
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    @DisplayName("the client's answer to our close ends the connection without another close frame")
    void answerToOurClose() {
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocketControlHandler());
        ch.attr(WebSocketControlHandler.CLOSE_SENT).set(Boolean.TRUE);
        ch.writeInbound(new CloseWebSocketFrame(1000, ""));
        assertNull(ch.readOutbound());
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    /** A channel with a 30 s ping interval on a clock the test moves. */
    private static EmbeddedChannel pinging(MockTicker ticker) {
        return EmbeddedChannel.builder().ticker(ticker).handlers(new IdlePingHandler(Duration.ofSeconds(30))).build();
    }

    @Test
    @DisplayName("a ping after the interval with nothing written; every write, a ping too, starts the interval again")
    void idlePing() {
        MockTicker ticker = Ticker.newMockTicker();
        EmbeddedChannel ch = pinging(ticker);
        ticker.advance(29, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertNull(ch.readOutbound(), "not idle for 30 s yet");
        ticker.advance(1, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertInstanceOf(PingWebSocketFrame.class, ch.<Object>readOutbound());

        ticker.advance(20, TimeUnit.SECONDS);
        ch.writeOutbound(new BinaryWebSocketFrame());
        assertInstanceOf(BinaryWebSocketFrame.class, ch.<Object>readOutbound());
        ticker.advance(10, TimeUnit.SECONDS); // 30 s after the ping, 10 s after the frame
        ch.runScheduledPendingTasks();
        assertNull(ch.readOutbound(), "the frame reset the interval");
        ticker.advance(20, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertInstanceOf(PingWebSocketFrame.class, ch.<Object>readOutbound());
        ch.finishAndReleaseAll();
    }

    @Test
    @DisplayName("no ping once the channel is closed: the timer goes with it")
    void idlePingStopsWithChannel() {
        MockTicker ticker = Ticker.newMockTicker();
        EmbeddedChannel ch = pinging(ticker);
        ch.close();
        ticker.advance(60, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertNull(ch.readOutbound());
        ch.finishAndReleaseAll();
    }
}
