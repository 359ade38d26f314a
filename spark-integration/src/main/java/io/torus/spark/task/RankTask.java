package io.torus.spark.task;

import io.torus.comm.HostedData;
import io.torus.comm.ProcessGroup;
import io.torus.comm.ProcessGroups;
import io.torus.comm.TrainingJob;
import io.torus.comm.transport.Transport;
import io.torus.comm.rendezvous.RendezvousInfo;
import io.torus.comm.rendezvous.RendezvousSpec;
import io.torus.comm.transport.netty.NettyTransport;
import io.torus.spark.data.PartitionedHostedData;
import io.torus.tensor.Device;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.BarrierTaskInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The body of one barrier task: one rank of a Torus training run inside a Spark executor.
 *
 * <h2>Note [Spark ranks]</h2>
 * Spark starts all {@code W} tasks of the barrier stage together (gang scheduling). Each task
 * <ol>
 *   <li>loads the job class by name (a missing class fails before anyone waits);</li>
 *   <li>binds a Netty transport on its executor's host (an ephemeral port);</li>
 *   <li>swaps {@code host:port}, its machine identity and a nonce ({@link RankHello}) with the
 *       others in a single {@link BarrierTaskContext#allGather}
 *       (about one second: Spark polls once a second), so rank r = partition id r learns every
 *       peer's address in rank order;</li>
 *   <li>connects the ring and runs the job; every gradient byte goes over shared memory (all
 *       ranks on one machine, as {@code torus run} decides) or Netty, never Spark.</li>
 * </ol>
 * Failure: the job's exception becomes a {@link RankFailure} naming the rank. Spark then fails the
 * whole stage and kills the other ranks; a watchdog aborts a killed rank's transport, so that a
 * rank blocked in a collective wakes up. The failed rank keeps its connections open for a short
 * while ({@code spark.torus.failureCloseDelay}) before aborting them, so that Spark hears of its
 * failure first and not of the "peer lost" errors that the abort causes in the other ranks.
 */
public final class RankTask extends AbstractFunction1<Iterator<Integer>, Iterator<byte[]>>
        implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RankTask.class);

    /** The {@link TaskSpec}, as a Kryo 5 control message ({@link ControlCodec}). */
    private final byte[] spec;

    public RankTask(TaskSpec spec) {
        this.spec = ControlCodec.encode(spec);
    }

    /** Runs the rank; its one output element is its {@link RankReport} as a control message. */
    @Override
    public Iterator<byte[]> apply(Iterator<Integer> ignored) {
        BarrierTaskContext ctx = BarrierTaskContext.get();
        return scala.collection.Iterator$.MODULE$.single(ControlCodec.encode(run(ctx,
                ControlCodec.decode(spec, TaskSpec.class))));
    }

    private RankReport run(BarrierTaskContext ctx, TaskSpec spec) {
        int rank = ctx.partitionId();
        BarrierTaskInfo[] infos = ctx.getTaskInfos();
        int world = infos.length;
        String job = spec.jobClass();
        long t0 = System.nanoTime();

        // 1. Everything that can fail without the other ranks: before anyone waits for anyone.
        TrainingJob instance;
        Path runDir;
        Device device;
        HostedData data;
        try {
            if (world != spec.numWorkers()) {
                throw new IllegalStateException("the barrier stage has " + world + " tasks, expected numWorkers="
                        + spec.numWorkers());
            }
            instance = instantiate(job);
            runDir = Files.createDirectories(Path.of(spec.runDir()));
            device = Device.parse(spec.device());
            data = spec.data() == null ? null : new PartitionedHostedData(spec.data(), rank, world, spec.dataSeed());
        } catch (Throwable e) {
            throw new RankFailure(rank, world, job, "to start", e);
        }

        // BarrierTaskInfo.address() is the executor's host:port (its RPC port, not ours).
        String host = spec.bindHost() != null ? spec.bindHost() : RankAddress.decode(infos[rank].address()).host();
        Transport transport = null;
        ProcessGroup group = null;
        Watchdog watchdog = null;
        String phase = "to connect for";
        RankFailure failure = null;
        try {
            // 2. Bind, swap addresses (and host identities) in the one allGather, connect the ring:
            //    over shared memory when every rank is on this machine, as torus run's workers.
            NettyTransport netty = NettyTransport.bind(host);
            transport = netty;
            RankAddress self = RankAddress.of(netty.localAddress());
            watchdog = new Watchdog(ctx, rank);
            watchdog.watch(null, transport);
            RankHello hello = new RankHello(self, ProcessGroups.localHostIdentity(), RendezvousSpec.newNonce());
            List<RankHello> all = new ArrayList<>(world);
            for (String a : ctx.allGather(hello.encode())) {
                all.add(RankHello.decode(a));
            }
            RendezvousInfo info = new RendezvousInfo(rank, world, ctx.stageAttemptNumber(),
                    all.stream().map(h -> h.address().toSocketAddress()).toList(),
                    all.stream().map(RankHello::hostId).toList(), all.get(0).nonce());
            transport = ProcessGroups.connect(netty, info, spec.runDir(), null);
            group = ProcessGroups.overTransport(transport);
            watchdog.watch(group, transport);
            int localRank = (int) all.subList(0, rank).stream().filter(a -> a.address().host().equals(self.host())).count();
            long t1 = System.nanoTime();
            LOG.info("rank {} of {}: connected at {} over {} (local rank {}) in {} ms; running {}", rank, world,
                    self.encode(), transport, localRank, (t1 - t0) / 1_000_000, job);

            // 3. Run the job.
            phase = "in";
            instance.run(new SparkJobContext(group, localRank, spec.jobArgs(), runDir, device, data));
            return new RankReport(rank, self.encode(), (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
        } catch (Throwable e) {
            failure = new RankFailure(rank, world, job, phase, e);
            throw failure;
        } finally {
            if (watchdog != null) {
                watchdog.stop();
            }
            shutDown(group, transport, rank, failure, spec.failureCloseDelayMillis());
        }
    }

    private static TrainingJob instantiate(String className) throws ReflectiveOperationException {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        Class<?> c = Class.forName(className, true, loader != null ? loader : RankTask.class.getClassLoader());
        if (!TrainingJob.class.isAssignableFrom(c)) {
            throw new IllegalArgumentException("job class " + className + " does not implement "
                    + TrainingJob.class.getName());
        }
        return (TrainingJob) c.getDeclaredConstructor().newInstance();
    }

    /**
     * Closes the group and the transport: at once after success; after a failure, first waits
     * {@code delayMillis} (Note [Spark ranks]) and then aborts the transport, so that peers blocked
     * on this rank fail with an error that names it.
     */
    private static void shutDown(ProcessGroup group, Transport transport, int rank, RankFailure failure,
                                 long delayMillis) {
        if (failure == null) {
            closeQuietly(group, rank);
            closeQuietly(transport, rank);
            return;
        }
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            abortAndClose(group, transport, rank, rank, failure.getMessage().lines().findFirst().orElse(""));
        }, "torus-rank-" + rank + "-closer");
        t.setDaemon(true);
        t.start();
    }

    static void abortAndClose(ProcessGroup group, Transport transport, int rank, int culprit, String reason) {
        if (transport != null) {
            try {
                transport.abort(culprit, reason);
            } catch (Throwable e) {
                LOG.debug("rank {}: aborting the transport failed", rank, e);
            }
        }
        closeQuietly(group, rank);
        closeQuietly(transport, rank);
    }

    static void closeQuietly(AutoCloseable c, int rank) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Throwable e) {
            LOG.debug("rank {}: closing {} failed", rank, c, e);
        }
    }

    /**
     * Closes the rank's group and transport when Spark marks the task killed (another rank failed,
     * or the job was cancelled), since a rank blocked in a collective does not poll Spark itself.
     */
    private static final class Watchdog {
        private final Thread thread;
        private volatile ProcessGroup group;
        private volatile Transport transport;
        private volatile boolean stopped;

        Watchdog(BarrierTaskContext ctx, int rank) {
            thread = new Thread(() -> {
                while (!stopped) {
                    if (ctx.isInterrupted()) {
                        LOG.warn("rank {}: task killed by Spark; closing its connections", rank);
                        String why = ctx.getKillReason().isDefined() ? ctx.getKillReason().get() : "";
                        int culprit = RankFailure.parseRank(why);  // the rank whose failure made Spark kill us
                        String reason = "Spark killed rank " + rank + "'s task"
                                + (culprit >= 0 ? " after rank " + culprit + " failed" : "");
                        abortAndClose(group, transport, rank, culprit >= 0 ? culprit : rank, reason);
                        return;
                    }
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "torus-rank-" + rank + "-watchdog");
            thread.setDaemon(true);
            thread.start();
        }

        void watch(ProcessGroup g, Transport t) {
            group = g;
            transport = t;
        }

        void stop() {
            stopped = true;
            thread.interrupt();
        }
    }
}
