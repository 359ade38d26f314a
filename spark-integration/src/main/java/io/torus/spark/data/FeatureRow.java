package io.torus.spark.data;

import java.io.Serializable;

/**
 * One training row as Spark's bean encoder decodes it: {@code features} straight into a
 * {@code float[]} (no boxing), {@code label} as a {@code long}. The driver selects and casts the
 * user's columns to {@code features array<float>} and {@code label bigint} before decoding.
 */
public final class FeatureRow implements Serializable {
    private float[] features;
    private long label;

    public FeatureRow() {
    }

    public float[] getFeatures() {
        return features;
    }

    public void setFeatures(float[] features) {
        this.features = features;
    }

    public long getLabel() {
        return label;
    }

    public void setLabel(long label) {
        this.label = label;
    }
}
