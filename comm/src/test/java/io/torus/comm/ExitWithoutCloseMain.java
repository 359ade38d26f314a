package io.torus.comm;

import io.torus.autograd.Tensor;

import java.nio.file.Path;

/**
 * A worker that broadcasts once as root and exits at once, without closing its group, the way a
 * careless job's main method would. Args: rank, world size, rendezvous endpoint, job id.
 */
public final class ExitWithoutCloseMain {
    public static void main(String[] args) {
        ProcessGroup pg = ProcessGroups.join(new WorkerEnv(Integer.parseInt(args[0]), Integer.parseInt(args[1]), 0,
                args[2], args[3], Path.of("."), "cpu"));
        pg.broadcast(Tensor.of(new float[] {4, 5, 6}, 3), pg.rank());
        System.exit(0);
    }
}
