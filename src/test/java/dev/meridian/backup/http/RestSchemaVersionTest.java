package dev.meridian.backup.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.TestEnv.Reply;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** schema_version is a label that is often a number: REST takes a string or an integer, like the MCP tool (issue 7). */
class RestSchemaVersionTest {
    @TempDir
    static Path dir;
    static TestEnv env;

    @BeforeAll
    static void start() throws Exception {
        env = TestEnv.start(dir, List.of("orders"), "");
    }

    @AfterAll
    static void stop() throws Exception {
        env.close();
    }

    /** The input: "schema_version": 7 as a JSON number was refused "must be a string". */
    @Test
    void anIntegerSchemaVersionIsRecordedAsItsDecimalText() throws Exception {
        for (String given : List.of("7", "\"7\"", "20261130")) {
            Reply r = env.request("POST", "/api/v1/databases/orders/backups", "{\"type\":\"pre_migration\",\"schema_version\":" + given + "}");
            assertEquals(201, r.status(), r.raw().body());
            assertEquals(given.replace("\"", ""), r.json().path("schema_version").asText());
        }
    }

    /** Fractions, booleans and structures are refused with the field's name, and no backup is taken. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "7.5|must be a string or an integer, got the number 7.5; write a value that is not a whole number as a string",
        "7.0|\"7.0\"",
        "true|must be a string or an integer, got true",
        "{\"v\":7}|got an object",
        "[7]|got an array",
    })
    void otherJsonTypesAreRefusedNamingTheField(String given, String fragment) throws Exception {
        int before = env.request("GET", "/api/v1/backups?database=orders", null).json().path("total_count").asInt();
        Reply r = env.request("POST", "/api/v1/databases/orders/backups", "{\"type\":\"pre_migration\",\"schema_version\":" + given + "}");
        assertEquals(400, r.status(), r.raw().body());
        JsonNode error = r.json().path("error");
        assertEquals("invalid_argument", error.path("code").asText());
        String message = error.path("message").asText();
        assertTrue(message.contains("schema_version") && message.contains(fragment), message);
        assertEquals(before, env.request("GET", "/api/v1/backups?database=orders", null).json().path("total_count").asInt());
    }
}
