package io.torus.spark;

import io.torus.autograd.Tensor;
import io.torus.comm.HostedData;
import io.torus.comm.JobContext;
import io.torus.comm.ReduceOp;
import io.torus.comm.TrainingJob;
import io.torus.data.TensorDataset;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Test job: for epochs 0..2 writes the row ids (labels) of its shard to
 * {@code ids-rank<r>-epoch<e>.txt} in the run directory, checks each row's first feature equals
 * its id, and all-reduces {@code [rank + 1, 10]}, expecting {@code [W(W+1)/2, 10W]}.
 */
public class ShardRecordingJob implements TrainingJob {
    @Override
    public void run(JobContext ctx) throws Exception {
        HostedData data = ctx.hostedData().orElseThrow(() -> new IllegalStateException("no hosted data"));
        int w = ctx.worldSize();
        for (int epoch = 0; epoch < 3; epoch++) {
            TensorDataset shard = data.shard(epoch);
            long[] ids = shard.targets().toLongArray();
            float[] x = shard.inputs().toFloatArray();
            int d = shard.inputs().shape()[1];
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < ids.length; i++) {
                if (x[i * d] != ids[i] || x[i * d + 1] != 2 * ids[i]) {
                    throw new IllegalStateException("row " + i + ": features " + x[i * d] + ", " + x[i * d + 1]
                            + " do not match id " + ids[i]);
                }
                lines.add(Long.toString(ids[i]));
            }
            Files.write(ctx.runDir().resolve("ids-rank" + ctx.rank() + "-epoch" + epoch + ".txt"), lines);

            Tensor t = Tensor.of(new float[] {ctx.rank() + 1, 10}, 2);
            ctx.processGroup().allReduce(t, ReduceOp.SUM);
            float[] expected = {w * (w + 1) / 2f, 10f * w};
            if (!Arrays.equals(t.toFloatArray(), expected)) {
                throw new IllegalStateException("allReduce gave " + Arrays.toString(t.toFloatArray()) + ", expected "
                        + Arrays.toString(expected));
            }
        }
        Files.writeString(ctx.runDir().resolve("done-rank" + ctx.rank() + ".txt"),
                "worldSize=" + w + " localRank=" + ctx.localRank() + " totalRows=" + data.totalRows() + " args="
                        + String.join(",", ctx.args()) + " device=" + ctx.device());
    }
}
