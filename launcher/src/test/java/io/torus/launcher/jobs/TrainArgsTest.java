package io.torus.launcher.jobs;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainArgsTest {
    private static final TrainArgs.Defaults D = new TrainArgs.Defaults(3, 64, 0.05, 0.9, TrainArgs.Schedule.CONSTANT);

    @Test
    void parse_noArguments_takesTheJobsDefaults() {
        TrainArgs a = TrainArgs.parse("job", new String[0], D);
        assertEquals(3, a.epochs());
        assertEquals(64, a.batchSize());
        assertEquals(0.05, a.lr());
        assertEquals(0.9, a.momentum());
        assertEquals(42, a.seed());
        assertFalse(a.resume());
        assertFalse(a.saveAllRanks());
        assertEquals(0, a.bucketKb(), "DDP's own default");
    }

    @Test
    void parse_valuesAndFlags_anyOrder() {
        TrainArgs a = TrainArgs.parse("job", new String[] {"--resume", "--epochs", "7", "--data", "/d", "--lr", "0.2",
            "--save-all-ranks", "--batch-size", "10", "--seed", "3", "--momentum", "0", "--schedule", "Cosine", "--bucket-kb", "64"}, D);
        assertEquals(new TrainArgs(Path.of("/d"), 7, 10, 0.2, 0, TrainArgs.Schedule.COSINE, 3, true, true, 64), a);
    }

    @Test
    void parse_unknownArgument_listsTheKnownOnes() {
        String msg = assertThrows(IllegalArgumentException.class,
                () -> TrainArgs.parse("mnist-cnn", new String[] {"--epoch", "2"}, D)).getMessage();
        assertTrue(msg.startsWith("mnist-cnn: unknown argument '--epoch' (expected one of --batch-size, --bucket-kb, --data, --epochs"), msg);
        assertTrue(msg.contains("--resume"), msg);
    }

    @Test
    void parse_badValues_nameTheArgumentAndWhatWasExpected() {
        assertEquals("job: --epochs 0: expected an integer >= 1", assertThrows(IllegalArgumentException.class,
                () -> TrainArgs.parse("job", new String[] {"--epochs", "0"}, D)).getMessage());
        assertEquals("job: --lr -1: expected a finite number >= 0", assertThrows(IllegalArgumentException.class,
                () -> TrainArgs.parse("job", new String[] {"--lr", "-1"}, D)).getMessage());
        assertEquals("job: --schedule step: expected constant or cosine", assertThrows(IllegalArgumentException.class,
                () -> TrainArgs.parse("job", new String[] {"--schedule", "step"}, D)).getMessage());
        assertEquals("job: argument --seed needs a value", assertThrows(IllegalArgumentException.class,
                () -> TrainArgs.parse("job", new String[] {"--seed"}, D)).getMessage());
    }

    @Test
    void read_extraKeys_reachTheJob() {
        JobArgs raw = TrainArgs.read("logreg", new String[] {"--digits", "1,7", "--epochs", "2"}, "digits");
        assertEquals("1,7", raw.stringArg("digits", "3,8"));
        assertEquals(2, TrainArgs.from(raw, D).epochs());
        assertThrows(IllegalArgumentException.class, () -> TrainArgs.parse("job", new String[] {"--digits", "1,7"}, D));
    }
}
