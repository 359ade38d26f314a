package io.torus.tensor.backend.cpu;

import io.torus.tensor.backend.cpu.BlasCoreType.Action;
import io.torus.tensor.backend.cpu.BlasCoreType.Decision;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static io.torus.tensor.backend.cpu.BlasCoreType.decide;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlasCoreTypeTest {
    private static final Set<String> AVX512 = Set.of("fma", "avx2", "avx512f", "avx512cd", "avx512bw", "avx512dq",
            "avx512vl", "avx512_bf16");
    private static final Set<String> AVX2 = Set.of("fma", "avx", "avx2");
    private static final Set<String> UNKNOWN = Set.of();

    @Test
    void decide_unsetIsLeftToOpenBlasDetection() {
        assertEquals(Action.KEEP, decide(null, null, AVX512).action());
        assertEquals(Action.KEEP, decide("auto", "  ", AVX2).action());
    }

    @Test
    void decide_olderCoreOnAvx512CpuBecomesSkylakeX() {
        for (String env : new String[] {"Haswell", "haswell", "ZEN", "Sandybridge", "Prescott"}) {
            Decision d = decide("auto", env, AVX512);
            assertEquals(Action.SET, d.action(), env);
            assertEquals("SkylakeX", d.value());
            assertTrue(d.reason().contains(env) && d.reason().contains("AVX-512"), d.reason());
            assertTrue(d.forWorkers().endsWith("workers get OPENBLAS_CORETYPE=SkylakeX"), d.forWorkers());
        }
    }

    @Test
    void decide_avx512CoreOnAvx512CpuIsKept() {
        for (String env : new String[] {"SkylakeX", "COOPERLAKE", "SapphireRapids"}) {
            assertEquals(Action.KEEP, decide("auto", env, AVX512).action(), env);
        }
    }

    @Test
    void decide_avx512CoreOnCpuWithoutItIsUnset() {
        Decision d = decide("auto", "SkylakeX", AVX2);
        assertEquals(Action.UNSET, d.action());
        assertTrue(d.reason().contains("lacks AVX-512"), d.reason());
        assertTrue(d.forWorkers().endsWith("workers start without OPENBLAS_CORETYPE"), d.forWorkers());
        // avx512f alone is not enough for the SkylakeX kernels (Knights Landing has no BW/DQ/VL)
        Decision partial = decide("auto", "Cooperlake", Set.of("avx2", "avx512f", "avx512cd"));
        assertEquals(Action.UNSET, partial.action());
        assertEquals(Action.KEEP, decide("auto", "Haswell", Set.of("avx2", "avx512f", "avx512cd")).action());
    }

    @Test
    void decide_unknownCpuOrUnknownNameIsKept() {
        assertEquals(Action.KEEP, decide("auto", "SkylakeX", UNKNOWN).action());
        assertEquals(Action.KEEP, decide("auto", "Haswell", UNKNOWN).action());
        assertEquals(Action.KEEP, decide("auto", "NotACore", AVX512).action());
        assertEquals(Action.KEEP, decide("auto", "Haswell", AVX2).action());
    }

    @Test
    void decide_inheritNeverTouchesTheEnvironment() {
        assertEquals(Action.KEEP, decide("inherit", "Haswell", AVX512).action());
        assertEquals(Action.KEEP, decide("INHERIT", "SkylakeX", AVX2).action());
    }

    @Test
    void decide_explicitNameIsForced() {
        Decision d = decide("Cooperlake", "Haswell", AVX2);
        assertEquals(Action.SET, d.action());
        assertEquals("Cooperlake", d.value());
        assertEquals(Action.SET, decide("Haswell", null, AVX512).action());
        assertEquals(Action.KEEP, decide("haswell", "Haswell", AVX512).action());
    }

    @Test
    void applyTo_setsRemovesOrKeepsTheVariable() {
        Map<String, String> env = new HashMap<>(Map.of("OPENBLAS_CORETYPE", "Haswell", "PATH", "/bin"));
        decide("auto", env.get("OPENBLAS_CORETYPE"), AVX512).applyTo(env);
        assertEquals("SkylakeX", env.get("OPENBLAS_CORETYPE"));
        decide("auto", env.get("OPENBLAS_CORETYPE"), AVX2).applyTo(env);
        assertFalse(env.containsKey("OPENBLAS_CORETYPE"));
        decide("auto", null, AVX2).applyTo(env);
        assertEquals(Map.of("PATH", "/bin"), env);
    }

    @Test
    void parseCpuFlags_readsTheFirstFlagsLine() {
        String cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse avx2 avx512f AVX512BW\n"
                + "bugs\t\t: sysret_ss_attrs\n\nprocessor\t: 1\nflags\t\t: fpu\n";
        assertEquals(Set.of("fpu", "sse", "avx2", "avx512f", "avx512bw"), BlasCoreType.parseCpuFlags(cpuinfo));
        assertEquals(Set.of(), BlasCoreType.parseCpuFlags("Features\t: fp asimd\n"));
        assertEquals(Set.of(), BlasCoreType.parseCpuFlags(""));
    }
}
