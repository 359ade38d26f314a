package io.torus.launcher.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.torus.launcher.BuiltinJobs;
import io.torus.launcher.LaunchConfig;
import io.torus.launcher.TestSupport;
import io.torus.launcher.TestSupport.Lines;
import io.torus.launcher.testjobs.HaltMidRunJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code torus run --timeline}: two real workers train mnist-mlp on the committed subset with two
 * DDP buckets; the merged file must be a Chrome trace with both ranks' forward, backward,
 * optimizer and bucket all-reduce spans, the all-reduces inside their backward.
 */
class TimelineTest {
    private static final Path SUBSET = TestSupport.projectRoot().resolve("testdata/mnist-small");

    @TempDir
    Path tmp;

    private record Event(int pid, int tid, String name, double ts, double dur) {
        double end() {
            return ts + dur;
        }
    }

    @Test
    void run_twoWorkersWithTimeline_writesChromeTraceWithNestedSpans() throws Exception {
        Lines console = new Lines(null);
        Lines messages = new Lines(null);
        Agent agent = new Agent(AgentSettings.fromDefaults().withWorkerHeap("384m")
                .withExtraJvmFlags("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
                .withKillGrace(Duration.ofSeconds(3)).withOutput(console.stream, messages.stream));
        Path file = tmp.resolve("out/trace.json");
        // 256 KiB buckets split the MLP's gradients in two: the first layer's weight, and the rest.
        LaunchConfig c = LaunchConfig.builder("mnist-mlp").jobClass(BuiltinJobs.className("mnist-mlp")).nprocPerNode(2)
                .runDir(tmp.resolve("run")).timeline(file)
                .jobArgs("--data", SUBSET.toString(), "--epochs", "1", "--batch-size", "64", "--bucket-kb", "256").build();
        int code = assertTimeoutPreemptively(Duration.ofSeconds(180), () -> agent.run(c));
        assertEquals(0, code, messages.text() + console.text());

        JsonNode root = new ObjectMapper().readTree(file.toFile());
        List<Event> spans = new ArrayList<>();
        Set<String> laneNames = new TreeSet<>();
        for (JsonNode e : root.get("traceEvents")) {
            String ph = e.get("ph").asText();
            if (ph.equals("M") && e.get("name").asText().equals("thread_name")) {
                laneNames.add(e.get("pid").asInt() + ":" + e.get("args").get("name").asText());
            } else if (ph.equals("X")) {
                spans.add(new Event(e.get("pid").asInt(), e.get("tid").asInt(), e.get("name").asText(),
                        e.get("ts").asDouble(), e.get("dur").asDouble()));
            }
        }
        assertTrue(laneNames.containsAll(Set.of("0:compute", "0:comm", "1:compute", "1:comm")), laneNames.toString());
        // 1000 examples per rank, batch 64: 15 full steps and a last one of 40 rows
        int steps = 16;
        for (int rank = 0; rank < 2; rank++) {
            for (String name : List.of("step", "forward", "backward", "optimizer step", "ddp wait",
                    "allReduce bucket 0", "allReduce bucket 1")) {
                assertEquals(steps, count(spans, rank, name), "rank " + rank + ": " + name + " spans");
            }
            List<Event> backward = select(spans, rank, "backward");
            for (Event ar : spans) {
                if (ar.pid() != rank || !ar.name().startsWith("allReduce bucket")) {
                    continue;
                }
                // launched by backward's gradient hooks, awaited before backward returns (1 us: the printed precision)
                assertTrue(backward.stream().anyMatch(bw -> bw.ts() <= ar.ts() && ar.end() <= bw.end() + 1),
                        "rank " + rank + ": " + ar + " is not inside a backward");
            }
            for (Event f : select(spans, rank, "forward")) {
                assertTrue(select(spans, rank, "step").stream().anyMatch(s -> s.ts() <= f.ts() && f.end() <= s.end() + 1),
                        "rank " + rank + ": " + f + " is not inside a step");
            }
        }
        String report = messages.text();
        assertTrue(report.contains("timeline of ranks [0, 1] ("), report);
        assertTrue(report.contains("timeline: allReduce bucket 0: 32 all-reduces"), report);
        assertTrue(report.contains("timeline: allReduce bucket 1: 32 all-reduces"), report);
        assertFalse(report.contains("outside any backward"), report);
    }

    @Test
    void run_workerHalts_timelineMergedFromTheStoppedRank() throws Exception {
        Lines console = new Lines(null);
        Lines messages = new Lines(null);
        Agent agent = new Agent(AgentSettings.fromDefaults().withWorkerHeap("384m")
                .withExtraJvmFlags("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
                .withKillGrace(Duration.ofSeconds(3)).withOutput(console.stream, messages.stream));
        Path file = tmp.resolve("trace.json");
        LaunchConfig c = LaunchConfig.builder(HaltMidRunJob.class.getName()).jobClass(HaltMidRunJob.class.getName())
                .nprocPerNode(2).runDir(tmp.resolve("run")).timeline(file).build();
        try {
            assertEquals(Agent.EXIT_FAILED, assertTimeoutPreemptively(Duration.ofSeconds(120), () -> agent.run(c)));
        } finally {
            // rank 0's sleep child: the agent reaps it, this is the safety net of a failed test
            Path child = c.runDir().resolve("child-0.pid");
            if (java.nio.file.Files.exists(child)) {
                ProcessHandle.of(io.torus.launcher.testjobs.JobFiles.readPid(child)).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        // rank 1 halted (no shutdown hooks, so no file); rank 0 was stopped with SIGTERM and wrote its part
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        boolean rank0AllReduce = false;
        for (JsonNode e : root.get("traceEvents")) {
            assertEquals(0, e.get("pid").asInt(), e.toString());
            rank0AllReduce |= e.get("ph").asText().equals("X") && e.get("name").asText().equals("allReduce");
        }
        assertTrue(rank0AllReduce, root.toString());
        assertTrue(messages.text().contains("timeline of rank [0] (") && messages.text().contains("no timeline from rank(s) [1]"),
                messages.text());
    }

    private static List<Event> select(List<Event> spans, int rank, String name) {
        return spans.stream().filter(e -> e.pid() == rank && e.name().equals(name)).toList();
    }

    private static long count(List<Event> spans, int rank, String name) {
        return select(spans, rank, name).size();
    }
}
