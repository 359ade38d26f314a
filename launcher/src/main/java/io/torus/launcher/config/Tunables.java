package io.torus.launcher.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every tunable Torus reads, with what its values may be. The defaults and their documentation
 * live in {@code conf/torus-defaults.properties}; a test checks that the file and this list name
 * the same keys, so a new key gets both a default and a validator.
 */
public final class Tunables {
    /** Keys only the launcher reads; every other key is handed to the worker JVMs as {@code -Dkey=value}. */
    public static final List<String> LAUNCHER_SECTIONS = List.of("torus.run.", "torus.worker.", "torus.agent.",
            "torus.spark-submit.");

    private static final Map<String, Tunable> ALL = new LinkedHashMap<>();

    static {
        add(Tunable.atLeast("torus.run.nproc-per-node", 1));
        add(Tunable.atLeast("torus.run.nnodes", 1));
        add(Tunable.atLeast("torus.run.node-rank", 0));
        add(Tunable.device("torus.run.device"));
        add(Tunable.atLeast("torus.run.max-restarts", 0));
        add(Tunable.nonBlank("torus.run.rdzv-host", "a host name or IP address"));
        add(Tunable.integer("torus.run.rdzv-port", 0, 65535));
        add(Tunable.nonBlank("torus.run.runs-dir", "a directory path without blanks"));
        add(Tunable.heap("torus.worker.heap"));
        add(new Tunable("torus.worker.young-gen", v -> v.matches("auto|g1|\\d+[kKmMgG]?"), "auto, g1 or a size such as 16m"));
        add(Tunable.oneOf("torus.worker.huge-pages", List.of("auto", "on", "off")));
        add(Tunable.text("torus.worker.jvm-opts", "JVM options separated by spaces"));
        add(Tunable.oneOf("torus.worker.cds", List.of("auto", "off")));
        add(Tunable.text("torus.worker.cds-dir", "a directory, or empty for ~/.cache/torus/cds"));
        add(Tunable.atLeast("torus.agent.kill-grace-ms", 0));
        add(Tunable.atLeast("torus.agent.log-tail-lines", 0));
        add(Tunable.nonBlank("torus.spark-submit.master", "a Spark master URL such as local[2] or spark://HOST:7077"));
        add(Tunable.atLeast("torus.spark-submit.num-workers", 1));
        add(Tunable.atLeast("torus.rdzv.timeout.seconds", 1));
        add(Tunable.atLeast("torus.rdzv.heartbeat.interval.seconds", 1));
        add(Tunable.atLeast("torus.rdzv.max.no.heartbeat.seconds", 1));
        add(Tunable.atLeast("torus.comm.connect.timeout.seconds", 1));
        add(Tunable.atLeast("torus.comm.receive.timeout.seconds", 1));
        add(Tunable.atLeast("torus.comm.io.threads", 1));
        add(Tunable.atLeast("torus.comm.stall.report.seconds", 0));
        add(Tunable.oneOf("torus.comm.transport", List.of("auto", "netty", "shm")));
        add(Tunable.powerOfTwo("torus.comm.shm.ring.bytes", 64 << 10, 1 << 30));
        add(Tunable.text("torus.comm.shm.dir", "a directory, or empty for /dev/shm (else java.io.tmpdir)"));
        add(Tunable.atLeast("torus.comm.shm.spill.after.millis", 0));
        add(Tunable.atLeast("torus.comm.shm.window.bytes", 0));
        add(Tunable.atLeast("torus.ddp.bucket.cap.bytes", 1));
        add(Tunable.atLeast("torus.intraop.threads", 1));
        add(Tunable.nonBlank("torus.blas.coretype", "auto, inherit or an OpenBLAS core name such as SkylakeX"));
        add(Tunable.bool("torus.blas.disable"));
        add(Tunable.bool("torus.blas.pinned"));
        add(Tunable.nonBlank("torus.blas.onednn", "auto, off or the path of a oneDNN library (libdnnl.so.2)"));
        add(Tunable.bool("torus.vector.disable"));
        add(Tunable.atLeast("torus.storage.pool.maxBytes", 0));
        add(Tunable.atLeast("torus.storage.pool.minBytes", 0));
    }

    private Tunables() {
    }

    private static void add(Tunable t) {
        ALL.put(t.key(), t);
    }

    /** The tunable named {@code key}, or null when Torus has no such key. */
    public static Tunable get(String key) {
        return ALL.get(key);
    }

    public static Set<String> keys() {
        return ALL.keySet();
    }

    /** Whether only the launcher reads {@code key} (it is not handed to workers). */
    public static boolean launcherOnly(String key) {
        return LAUNCHER_SECTIONS.stream().anyMatch(key::startsWith);
    }
}
