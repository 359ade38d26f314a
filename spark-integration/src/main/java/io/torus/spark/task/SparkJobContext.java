package io.torus.spark.task;

import io.torus.comm.HostedData;
import io.torus.comm.JobContext;
import io.torus.comm.ProcessGroup;
import io.torus.tensor.Device;

import java.nio.file.Path;
import java.util.Optional;

/** The {@link JobContext} a Spark barrier task hands to its {@code TrainingJob}. */
record SparkJobContext(ProcessGroup processGroup, int localRank, String[] args, Path runDir, Device device,
                       HostedData data) implements JobContext {

    @Override
    public String[] args() {
        return args.clone();
    }

    @Override
    public Optional<HostedData> hostedData() {
        return Optional.ofNullable(data);
    }
}
