package io.torus.launcher.jobs;

import io.torus.nn.Module;
import io.torus.optim.Optimizer;

import java.nio.file.Path;

/** STUB until issue5-optim's TrainingCheckpoint is merged. */
record TrainingState(int epochsDone, long step) {
    static Path file(Path runDir) {
        return runDir.resolve("checkpoint.safetensors");
    }

    static TrainingState load(Path file, Module model, Optimizer opt) {
        throw new UnsupportedOperationException("--resume needs TrainingCheckpoint");
    }

    void save(Path file, Module model, Optimizer opt) {
    }
}
