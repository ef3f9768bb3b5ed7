package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.meridian.backup.model.BackupException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The destructive-tool policy's settings: confirm by default, and bad values refused at startup in one line. */
class McpSettingsTest {
    static Config with(String hocon) {
        return ConfigFactory.parseString(hocon).withFallback(ConfigFactory.parseResources("application.conf")).resolve();
    }

    @Test
    void destructiveToolsAskFirstByDefault() {
        McpSettings s = McpSettings.from(with(""));
        assertEquals(McpSettings.Destructive.CONFIRM, s.destructive());
        assertFalse(s.readOnly());
        assertEquals(Duration.ofMinutes(5), s.confirmationTtl());
        assertEquals(McpSettings.Destructive.DENY, McpSettings.from(with("meridian.mcp.destructive = DENY")).destructive());
    }

    @Test
    void badPolicyValuesAreRefusedWithWhatToWrite() {
        String m = assertThrows(BackupException.class, () -> McpSettings.from(with("meridian.mcp.destructive = ask"))).getMessage();
        assertTrue(m.startsWith("meridian.mcp.destructive 'ask' is not known; use allow"), m);
        m = assertThrows(BackupException.class, () -> McpSettings.from(with("meridian.mcp.confirmation-ttl = 2s"))).getMessage();
        assertEquals("meridian.mcp.confirmation-ttl must be between 10s and 1h, got PT2S", m);
        m = assertThrows(BackupException.class, () -> McpSettings.from(with("meridian.mcp.read-only = maybe"))).getMessage();
        assertTrue(m.contains("read-only"), m);
    }
}
