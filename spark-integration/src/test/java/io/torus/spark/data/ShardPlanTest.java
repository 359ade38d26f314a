package io.torus.spark.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardPlanTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(new long[] {4, 3, 5, 2}, 3),
                Arguments.of(new long[] {10}, 1),
                Arguments.of(new long[] {10}, 4),
                Arguments.of(new long[] {0, 7, 0, 0, 9, 1}, 2),
                Arguments.of(new long[] {1, 1, 1, 1, 1, 1, 1, 1}, 8),
                Arguments.of(new long[] {3, 3}, 5),
                Arguments.of(new long[] {7500, 7500, 7500, 7500, 7500, 7500, 7500, 7500}, 2),
                Arguments.of(new long[] {1000, 1, 999, 17, 0, 250, 250, 33, 64, 2}, 7),
                Arguments.of(new long[] {}, 3),
                Arguments.of(new long[] {5, 0, 0}, 5));
    }

    /** Global row id of (partition, row): rows numbered partition by partition in id order. */
    private static long[] partitionBase(long[] rows) {
        long[] base = new long[rows.length];
        for (int p = 1; p < rows.length; p++) {
            base[p] = base[p - 1] + rows[p - 1];
        }
        return base;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void shard_everyRowExactlyOncePerEpochAndBalanced(long[] rows, int workers) {
        ShardPlan plan = ShardPlan.of(rows, workers, 42);
        long total = Arrays.stream(rows).sum();
        long[] base = partitionBase(rows);
        for (int epoch = 0; epoch < 5; epoch++) {
            int[] seen = new int[(int) total];
            long min = Long.MAX_VALUE;
            long max = Long.MIN_VALUE;
            for (int r = 0; r < workers; r++) {
                long size = 0;
                for (ShardPlan.Segment s : plan.shard(epoch, r)) {
                    assertTrue(s.rows() > 0, "empty segment " + s);
                    assertTrue(s.toRow() <= rows[s.partition()], "segment past its partition " + s);
                    for (long i = s.fromRow(); i < s.toRow(); i++) {
                        seen[(int) (base[s.partition()] + i)]++;
                    }
                    size += s.rows();
                }
                assertEquals(plan.shardRows(r), size, "rank " + r + " epoch " + epoch);
                min = Math.min(min, size);
                max = Math.max(max, size);
            }
            for (int i = 0; i < total; i++) {
                assertEquals(1, seen[i], "row " + i + " in epoch " + epoch);
            }
            assertTrue(max - min <= 1, "shard sizes " + min + ".." + max);
            assertEquals(total / workers, min);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void partitionOrder_isAPermutationAndDeterministic(long[] rows, int workers) {
        ShardPlan a = ShardPlan.of(rows, workers, 7);
        ShardPlan b = ShardPlan.of(rows, workers, 7);
        for (int epoch = 0; epoch < 4; epoch++) {
            int[] order = a.partitionOrder(epoch);
            int[] sorted = order.clone();
            Arrays.sort(sorted);
            for (int i = 0; i < sorted.length; i++) {
                assertEquals(i, sorted[i]);
            }
            assertArrayEquals(order, b.partitionOrder(epoch));
            for (int r = 0; r < workers; r++) {
                assertEquals(a.shard(epoch, r), b.shard(epoch, r));
            }
        }
    }

    /** Random plans (seeded): every row exactly once per epoch, balanced, and the assignment moves. */
    @Test
    void shard_randomPlans_exactlyOnceBalancedAndChanging() {
        java.util.Random random = new java.util.Random(2026);
        int changed = 0;
        int plans = 300;
        for (int c = 0; c < plans; c++) {
            long[] rows = new long[1 + random.nextInt(24)];
            for (int p = 0; p < rows.length; p++) {
                rows[p] = random.nextInt(4) == 0 ? 0 : random.nextInt(50);
            }
            int workers = 1 + random.nextInt(6);
            ShardPlan plan = ShardPlan.of(rows, workers, random.nextLong());
            long total = Arrays.stream(rows).sum();
            long[] base = partitionBase(rows);
            List<List<ShardPlan.Segment>> previous = null;
            for (int epoch = 0; epoch < 3; epoch++) {
                int[] seen = new int[(int) total];
                List<List<ShardPlan.Segment>> now = new ArrayList<>();
                for (int r = 0; r < workers; r++) {
                    List<ShardPlan.Segment> shard = plan.shard(epoch, r);
                    now.add(shard);
                    long size = 0;
                    for (ShardPlan.Segment s : shard) {
                        for (long i = s.fromRow(); i < s.toRow(); i++) {
                            seen[(int) (base[s.partition()] + i)]++;
                        }
                        size += s.rows();
                    }
                    assertTrue(size == total / workers || size == total / workers + 1,
                            Arrays.toString(rows) + " on " + workers + ": rank " + r + " got " + size);
                }
                for (int i = 0; i < total; i++) {
                    assertEquals(1, seen[i], Arrays.toString(rows) + " on " + workers + ": row " + i + " epoch " + epoch);
                }
                if (previous != null && !previous.equals(now)) {
                    changed++;
                }
                previous = now;
            }
        }
        // Plans with one non-empty partition or one worker cannot change; most others must.
        assertTrue(changed > plans, "the assignment changed in only " + changed + " of " + 2 * plans
                + " epoch transitions");
    }

    @Test
    void shard_changesBetweenEpochs() {
        long[] rows = {100, 90, 80, 70, 60, 50, 40, 30};
        ShardPlan plan = ShardPlan.of(rows, 2, 0);
        Set<List<List<ShardPlan.Segment>>> assignments = new HashSet<>();
        for (int epoch = 0; epoch < 3; epoch++) {
            List<List<ShardPlan.Segment>> all = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                all.add(plan.shard(epoch, r));
            }
            assignments.add(all);
        }
        assertEquals(3, assignments.size(), "epochs 0..2 should assign rows differently");
    }

    /** Over many epochs a rank's row set rarely repeats from one epoch to the next. */
    @Test
    void shard_rankRowsRarelyRepeatInConsecutiveEpochs() {
        long[] rows = new long[8];
        Arrays.fill(rows, 10);
        ShardPlan plan = ShardPlan.of(rows, 2, 123);
        int repeats = 0;
        Set<Integer> previous = partitionsOf(plan.shard(0, 0));
        for (int epoch = 1; epoch <= 200; epoch++) {
            Set<Integer> now = partitionsOf(plan.shard(epoch, 0));
            if (now.equals(previous)) {
                repeats++;
            }
            previous = now;
        }
        // A random half of 8 partitions equals the previous half with probability 1/70.
        assertTrue(repeats <= 12, "rank 0's partitions repeated in " + repeats + " of 200 epochs");
    }

    private static Set<Integer> partitionsOf(List<ShardPlan.Segment> segments) {
        Set<Integer> s = new HashSet<>();
        segments.forEach(seg -> s.add(seg.partition()));
        return s;
    }

    @Test
    void shard_differentSeedsGiveDifferentOrders() {
        long[] rows = new long[10];
        Arrays.fill(rows, 1);
        assertFalse(Arrays.equals(ShardPlan.of(rows, 2, 1).partitionOrder(0),
                ShardPlan.of(rows, 2, 2).partitionOrder(0)));
    }

    @Test
    void shard_exampleFromTheNote() {
        // Note [Epoch shards]: sizes 5, 5, 4 of 14 rows.
        ShardPlan plan = ShardPlan.of(new long[] {4, 3, 5, 2}, 3, 0);
        assertEquals(5, plan.shardRows(0));
        assertEquals(5, plan.shardRows(1));
        assertEquals(4, plan.shardRows(2));
        assertEquals(14, plan.totalRows());
    }

    @Test
    void of_rejectsBadArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ShardPlan.of(new long[] {1}, 0, 0));
        assertTrue(e.getMessage().contains("numWorkers=0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ShardPlan.of(new long[] {1, -2}, 1, 0));
        assertTrue(e.getMessage().contains("partition 1"), e.getMessage());
        ShardPlan plan = ShardPlan.of(new long[] {3}, 2, 0);
        e = assertThrows(IllegalArgumentException.class, () -> plan.shard(0, 2));
        assertTrue(e.getMessage().contains("rank=2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> plan.shard(-1, 0));
        assertNotEquals(null, plan.toString());
    }
}
