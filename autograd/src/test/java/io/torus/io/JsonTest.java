package io.torus.io;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {

    @Test
    void parse_valuesOfEveryKind() {
        Map<String, Object> want = new LinkedHashMap<>();
        want.put("s", "a\"b\\c\n\u00e9\u20ac/");
        want.put("i", -12L);
        want.put("d", 2.5e-3);
        want.put("l", Arrays.asList(1L, true, false, null));
        want.put("o", Map.of());
        assertEquals(want, Json.parse(" {\"s\":\"a\\\"b\\\\c\\n\\u00e9€\\/\", \"i\" : -12, \"d\":2.5e-3,"
                + "\"l\":[1,true,false,null],\"o\":{}} "));
        assertNull(Json.parse("null"));
    }

    @Test
    void quote_roundTripsThroughParse() {
        String s = "tab\tquote\"back\\slash\u0001 ünï";
        assertEquals(s, Json.parse(Json.quote(s)));
    }

    @Test
    void parse_errorsNameTheOffset() {
        assertMessage("{\"a\":1,\"a\":2}", "duplicate key \"a\" at offset 7");
        assertMessage("{\"a\":1", "unexpected end of text at offset 6");
        assertMessage("[1 2]", "expected ',' or ']' at offset 3");
        assertMessage("{\"a\":1} x", "after the end of the value at offset 8");
        assertMessage("\"\\q\"", "bad escape");
    }

    private static void assertMessage(String text, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(text));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
