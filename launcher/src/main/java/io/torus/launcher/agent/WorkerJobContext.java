package io.torus.launcher.agent;

import io.torus.comm.JobContext;
import io.torus.comm.ProcessGroup;
import io.torus.tensor.Device;

import java.nio.file.Path;

/** The {@link JobContext} a worker started by {@code torus run} gives its job. */
record WorkerJobContext(ProcessGroup processGroup, int localRank, String[] args, Path runDir, Device device)
        implements JobContext {

    WorkerJobContext {
        args = args.clone();
    }

    @Override
    public String[] args() {
        return args.clone();
    }
}
