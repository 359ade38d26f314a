package io.torus.comm.algo;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkPlanTest {

    @Test
    void chunks_tenIntoFourPutsTheExtraElementsFirst() {
        ChunkPlan plan = new ChunkPlan(10, 4);
        assertEquals(0, plan.offset(0));
        assertEquals(3, plan.offset(1));
        assertEquals(6, plan.offset(2));
        assertEquals(8, plan.offset(3));
        assertEquals(3, plan.length(0));
        assertEquals(3, plan.length(1));
        assertEquals(2, plan.length(2));
        assertEquals(2, plan.length(3));
        assertEquals(10, plan.end(3));
        assertEquals(3, plan.maxLength());
    }

    @Test
    void chunks_fewerElementsThanPartsLeavesTrailingChunksEmpty() {
        ChunkPlan plan = new ChunkPlan(2, 4);
        int[] offsets = {0, 1, 2, 2};
        int[] lengths = {1, 1, 0, 0};
        for (int c = 0; c < 4; c++) {
            assertEquals(offsets[c], plan.offset(c), "offset of chunk " + c);
            assertEquals(lengths[c], plan.length(c), "length of chunk " + c);
        }
    }

    @Test
    void chunks_tileTheRangeEvenlyForManySizes() {
        for (int parts = 1; parts <= 9; parts++) {
            for (int count = 0; count <= 40; count++) {
                ChunkPlan plan = new ChunkPlan(count, parts);
                int expectedOffset = 0;
                for (int c = 0; c < parts; c++) {
                    assertEquals(expectedOffset, plan.offset(c), plan + " chunk " + c);
                    assertTrue(plan.length(c) == count / parts || plan.length(c) == count / parts + 1, plan + " chunk " + c);
                    assertTrue(c == 0 || plan.length(c) <= plan.length(c - 1), plan + " lengths must not grow");
                    expectedOffset = plan.end(c);
                }
                assertEquals(count, expectedOffset, plan + " must end at count");
            }
        }
    }

    @Test
    void chunks_hugeCountDoesNotOverflow() {
        ChunkPlan plan = new ChunkPlan(Integer.MAX_VALUE, 7);
        assertEquals(Integer.MAX_VALUE, plan.end(6));
        assertEquals(Integer.MAX_VALUE / 7 + 1, plan.maxLength());
    }

    @Test
    void ofMaxLength_usesTheFewestChunksThatFit() {
        assertEquals(1, ChunkPlan.ofMaxLength(0, 4).parts());
        assertEquals(1, ChunkPlan.ofMaxLength(4, 4).parts());
        assertEquals(2, ChunkPlan.ofMaxLength(5, 4).parts());
        assertEquals(3, ChunkPlan.ofMaxLength(9, 4).parts());
        assertEquals(3, ChunkPlan.ofMaxLength(9, 4).maxLength());
        assertEquals(512, ChunkPlan.ofMaxLength(Integer.MAX_VALUE, 1 << 22).parts());
    }

    @Test
    void plan_rejectsBadArgumentsNamingThem() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ChunkPlan(-1, 2)).getMessage().contains("count -1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ChunkPlan(5, 0)).getMessage().contains("parts 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ChunkPlan.ofMaxLength(5, 0)).getMessage()
                .contains("max length 0"));
        assertTrue(assertThrows(IndexOutOfBoundsException.class, () -> new ChunkPlan(5, 2).offset(2)).getMessage()
                .contains("chunk 2"));
    }
}
