package io.torus.comm;

import io.torus.tensor.Device;

import java.nio.file.Path;
import java.util.Optional;

/** What a {@link TrainingJob} is given by the host that runs it (the launcher or Spark). */
public interface JobContext {
    /** The group of all workers of this job, already joined. */
    ProcessGroup processGroup();

    default int rank() {
        return processGroup().rank();
    }

    default int worldSize() {
        return processGroup().worldSize();
    }

    /** Index of this worker among the workers on its machine. */
    int localRank();

    /** The job's own arguments (everything after the job name on the command line). */
    String[] args();

    /** A directory shared by the job's workers on one machine, for checkpoints and logs. */
    Path runDir();

    Device device();

    /**
     * Training rows provided by the host, sharded per rank and epoch (Spark's DataFrame
     * partitions); empty when the job is expected to load its own data (the launcher).
     */
    default Optional<HostedData> hostedData() {
        return Optional.empty();
    }
}
