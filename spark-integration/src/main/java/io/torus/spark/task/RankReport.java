package io.torus.spark.task;

import java.io.Serializable;

/**
 * What a rank tells the driver when its job returned normally.
 *
 * @param rank        the rank (= barrier partition id)
 * @param address     {@code host:port} of the rank's transport
 * @param setupMillis binding, address exchange and connecting
 * @param runMillis   {@code TrainingJob.run}
 */
public record RankReport(int rank, String address, long setupMillis, long runMillis) implements Serializable {
}
