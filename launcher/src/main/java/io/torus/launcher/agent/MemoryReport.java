package io.torus.launcher.agent;

import com.sun.management.GarbageCollectionNotificationInfo;

import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How much heap a worker needed, written when its job ends to the file named by the system
 * property {@value WorkerMain#MEMORY_REPORT} (any worker: {@code TORUS_JAVA_OPTS=-Dtorus.worker.memory-report=F}
 * reaches them through the agent, {@code {rank}} in F standing for the worker's rank;
 * {@code torus bench train} uses it). A properties file:
 * <ul>
 *   <li>{@code heap_peak_used}: the sum of every heap pool's peak usage (eden, survivor, old):
 *       what the heap held at most, garbage included, an upper bound;</li>
 *   <li>{@code heap_peak_live}: the most the heap held right after a collection, over all
 *       collections: the peak live set, what the job itself needed (0 if no GC ran);</li>
 *   <li>{@code heap_max}: {@code -Xmx}; {@code gc_count}, {@code gc_millis}: collections and their time.</li>
 * </ul>
 */
final class MemoryReport {
    private final Path file;
    private final AtomicLong peakLive = new AtomicLong();

    private MemoryReport(Path file) {
        this.file = file;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener((n, handback) -> {
                    if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
                        var info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                        long after = info.getGcInfo().getMemoryUsageAfterGc().entrySet().stream()
                                .filter(e -> isHeap(e.getKey())).mapToLong(e -> e.getValue().getUsed()).sum();
                        peakLive.accumulateAndGet(after, Math::max);
                    }
                }, null, null);
            }
        }
    }

    /**
     * A report that {@link #write}s to the file the system property names ({@code {rank}} in it
     * replaced by this worker's rank), or null when it names none.
     */
    static MemoryReport fromSystemProperty(int rank) {
        String f = System.getProperty(WorkerMain.MEMORY_REPORT);
        return f == null || f.isBlank() ? null : new MemoryReport(Path.of(f.replace("{rank}", Integer.toString(rank))));
    }

    private static boolean isHeap(String pool) {
        return ManagementFactory.getMemoryPoolMXBeans().stream()
                .anyMatch(p -> p.getName().equals(pool) && p.getType() == MemoryType.HEAP);
    }

    void write() throws IOException {
        long peakUsed = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                MemoryUsage peak = p.getPeakUsage();
                peakUsed += peak == null ? 0 : peak.getUsed();
            }
        }
        long count = 0;
        long millis = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, gc.getCollectionCount());
            millis += Math.max(0, gc.getCollectionTime());
        }
        String text = String.format(Locale.ROOT, "heap_peak_used=%d%nheap_peak_live=%d%nheap_max=%d%ngc_count=%d%ngc_millis=%d%n",
                peakUsed, peakLive.get(), Runtime.getRuntime().maxMemory(), count, millis);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
