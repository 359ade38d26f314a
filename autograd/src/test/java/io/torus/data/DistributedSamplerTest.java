package io.torus.data;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DistributedSamplerTest {

    @ParameterizedTest
    @CsvSource({"10,3", "12,4", "7,2", "100,8", "5,5", "3,4"})
    void ranks_coverDatasetAndShareEqualCounts(int size, int replicas) {
        Set<Integer> seen = new HashSet<>();
        for (int r = 0; r < replicas; r++) {
            DistributedSampler s = new DistributedSampler(size, replicas, r, true, 7, false);
            s.setEpoch(3);
            assertEquals((size + replicas - 1) / replicas, s.indices().length);
            Arrays.stream(s.indices()).forEach(seen::add);
        }
        assertEquals(size, seen.size());
    }

    @ParameterizedTest
    @CsvSource({"10,3", "12,4", "7,2", "100,8"})
    void dropLast_noOverlap(int size, int replicas) {
        Set<Integer> seen = new HashSet<>();
        int total = 0;
        for (int r = 0; r < replicas; r++) {
            int[] idx = new DistributedSampler(size, replicas, r, true, 7, true).indices();
            total += idx.length;
            Arrays.stream(idx).forEach(seen::add);
        }
        assertEquals(total, seen.size());
        assertTrue(total > size - replicas);
    }

    @ParameterizedTest
    @CsvSource({"100,2"})
    void epoch_sameSeedSameOrderNewEpochNewOrder(int size, int replicas) {
        DistributedSampler a = new DistributedSampler(size, replicas, 0, true, 1, false);
        DistributedSampler b = new DistributedSampler(size, replicas, 0, true, 1, false);
        a.setEpoch(1);
        b.setEpoch(1);
        assertEquals(Arrays.toString(a.indices()), Arrays.toString(b.indices()));
        b.setEpoch(2);
        assertFalse(Arrays.equals(a.indices(), b.indices()));
    }
}
