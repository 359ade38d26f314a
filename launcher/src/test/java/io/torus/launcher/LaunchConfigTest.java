package io.torus.launcher;

import io.torus.launcher.testjobs.AllReduceJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LaunchConfigTest {
    private static final String JOB = AllReduceJob.class.getName();

    @TempDir
    Path tmp;

    private LaunchConfig.Builder valid() {
        return LaunchConfig.builder(JOB).runDir(tmp.resolve("run"));
    }

    private static String error(LaunchConfig.Builder b) {
        return assertThrows(IllegalArgumentException.class, b::build).getMessage();
    }

    @Test
    void nprocPerNode_zero_rejectedNamingValue() {
        assertEquals("--nproc-per-node 0: expected an integer >= 1", error(valid().nprocPerNode(0)));
    }

    @Test
    void nnodes_negative_rejected() {
        assertEquals("--nnodes -1: expected an integer >= 1", error(valid().nnodes(-1)));
    }

    @Test
    void nodeRank_outOfRange_rejectedWithRange() {
        String msg = error(valid().nnodes(2).nodeRank(2).rdzvEndpoint("node0:29400"));
        assertEquals("--node-rank 2: expected 0..1 (--nnodes 2)", msg);
    }

    @Test
    void rdzvEndpoint_malformed_rejected() {
        assertEquals("--rdzv-endpoint 'localhost': expected HOST:PORT with PORT in 1..65535",
                error(valid().rdzvEndpoint("localhost")));
        assertEquals("--rdzv-endpoint 'h:70000': expected HOST:PORT with PORT in 1..65535",
                error(valid().rdzvEndpoint("h:70000")));
    }

    @Test
    void device_unknown_rejected() {
        assertEquals("--device 'gpu': expected cpu, cuda or cuda:N", error(valid().device("gpu")));
    }

    @Test
    void device_bareCuda_givesEachLocalRankItsOwnDevice() {
        LaunchConfig c = valid().nprocPerNode(2).device("cuda").build();
        assertEquals("cuda:0", c.deviceFor(0));
        assertEquals("cuda:1", c.deviceFor(1));
        assertEquals("cuda:3", valid().device("CUDA:3").build().deviceFor(1));
    }

    @Test
    void jar_missing_rejected() {
        Path jar = tmp.resolve("nope.jar");
        assertEquals("--jar " + jar + ": no such file: expected a jar file", error(valid().jar(jar)));
    }

    @Test
    void nnodesAboveOne_withoutEndpoint_rejected() {
        assertTrue(error(valid().nnodes(2)).startsWith("--rdzv-endpoint is missing: expected HOST:PORT"));
    }

    @Test
    void maxRestarts_withSeveralNodes_rejected() {
        String msg = error(valid().nnodes(2).rdzvEndpoint("node0:29400").maxRestarts(1));
        assertTrue(msg.startsWith("--max-restarts 1 with --nnodes 2"), msg);
    }

    @Test
    void jobId_withSpace_rejected() {
        assertEquals("--job-id 'a b': expected letters, digits, '.', '_' or '-'", error(valid().jobId("a b")));
    }

    @Test
    void runDir_isAFile_rejected() throws Exception {
        Path file = Files.createFile(tmp.resolve("file"));
        assertEquals("--run-dir " + file + ": exists and is not a directory", error(valid().runDir(file)));
    }

    @Test
    void build_badFlagAndUnknownJob_reportsFlagFirst() {
        String msg = error(LaunchConfig.builder("no-such-job").nprocPerNode(0));
        assertEquals("--nproc-per-node 0: expected an integer >= 1", msg);
    }

    @Test
    void build_singleNodeDefaults_pickFreeLocalEndpointAndUniqueJobId() {
        LaunchConfig a = LaunchConfig.builder(JOB).build();
        LaunchConfig b = LaunchConfig.builder(JOB).build();
        assertTrue(a.rdzvEndpoint().matches("127\\.0\\.0\\.1:\\d+"), a.rdzvEndpoint());
        assertTrue(a.jobId().startsWith("allreducejob-"), a.jobId());
        assertNotEquals(a.jobId(), b.jobId());
        assertTrue(a.runDir().isAbsolute());
        assertTrue(a.runDir().getFileName().toString().startsWith("allreducejob-"), a.runDir().toString());
        assertEquals(1, a.nprocPerNode());
        assertEquals("cpu", a.device());
        assertEquals(JOB, a.jobClass());
    }

    @Test
    void build_severalNodes_jobIdSameOnEveryNode() {
        LaunchConfig n0 = valid().nnodes(2).nodeRank(0).rdzvEndpoint("10.0.0.1:29400").build();
        LaunchConfig n1 = valid().nnodes(2).nodeRank(1).rdzvEndpoint("10.0.0.1:29400").build();
        assertEquals(n0.jobId(), n1.jobId());
    }

    @Test
    void globalRank_secondNode_offsetByNprocPerNode() {
        LaunchConfig c = valid().nprocPerNode(3).nnodes(2).nodeRank(1).rdzvEndpoint("h:1").build();
        assertEquals(6, c.worldSize());
        assertEquals(3, c.globalRank(0));
        assertEquals(5, c.globalRank(2));
    }

    @Test
    void jobArgs_areCopied() {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("a"));
        LaunchConfig c = valid().jobArgs(args).build();
        args.add("b");
        assertEquals(java.util.List.of("a"), c.jobArgs());
    }
}
