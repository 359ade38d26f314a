package io.torus.launcher.agent;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How the agent splits a worker's output into lines and status lines, and shows them. */
class WorkerOutputTest {

    private static List<String> split(String output) throws Exception {
        List<String> events = new ArrayList<>();
        Worker.copy(new StringReader(output), new Worker.Sink() {
            @Override
            public void line(String line) {
                events.add("line:" + line);
            }

            @Override
            public void status(String line) {
                events.add("status:" + line);
            }
        });
        return events;
    }

    @Test
    void copy_newlinesAndCrLf_areLines_lastLineWithoutNewlineToo() throws Exception {
        assertEquals(List.of("line:a", "line:", "line:b"), split("a\n\nb\n"));
        assertEquals(List.of("status:a", "line:a", "line:tail"), split("a\r\ntail"));
    }

    @Test
    void copy_textEndedByCarriageReturn_isAStatusLine() throws Exception {
        assertEquals(List.of("status:10%", "status:50%", "status:   ", "line:epoch 1 done"),
                split("10%\r50%\r   \repoch 1 done\n"));
        assertEquals(List.of("status:", "status:x"), split("\r\r\rx\r"));
    }

    @Test
    void console_onATerminal_keepsTheStatusBelowNewLines() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AgentConsole c = new AgentConsole(new PrintStream(bytes, true, StandardCharsets.UTF_8), true);
        Object rank0 = new Object();
        Object rank1 = new Object();
        c.status(rank0, "[rank 0] 10%");
        c.line("[rank 1] hello");
        c.status(rank1, "");         // not rank 1's status: stays
        c.status(rank0, "");
        c.line("[rank 0] done");
        assertEquals("\r\033[K[rank 0] 10%" + "\r\033[K[rank 1] hello\n[rank 0] 10%" + "\r\033[K" + "[rank 0] done\n",
                bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void console_offATerminal_dropsStatusLines() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AgentConsole c = new AgentConsole(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
        c.status(this, "[rank 0] 10%");
        c.line("[rank 0] done");
        assertEquals("[rank 0] done" + System.lineSeparator(), bytes.toString(StandardCharsets.UTF_8));
    }
}
