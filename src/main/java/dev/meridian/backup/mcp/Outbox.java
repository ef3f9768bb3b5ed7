package dev.meridian.backup.mcp;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Where a call's notifications go before its result: the POST's SSE stream, or stdout. Must not block. */
@FunctionalInterface
interface Outbox {
    void send(ObjectNode message);
}
