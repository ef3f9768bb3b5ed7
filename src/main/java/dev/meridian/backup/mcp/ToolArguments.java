package dev.meridian.backup.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.Validation;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A call's arguments, checked against the tool's declared params: no unknown names, the declared JSON types, and
 * every required one present. A JSON null counts as "not given". Failures are {@link BackupException}s, so they
 * reach the agent as tool errors it can correct; the values themselves are checked by the handlers, with the same
 * validators REST uses.
 */
final class ToolArguments {
    private final ObjectNode values;

    private ToolArguments(ObjectNode values) {
        this.values = values;
    }

    static ToolArguments check(String tool, List<Tool.Param> params, ObjectNode args) {
        Iterator<Map.Entry<String, JsonNode>> fields = args.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            Tool.Param p = params.stream().filter(x -> x.name().equals(f.getKey())).findFirst().orElseThrow(() ->
                    BackupException.invalid("unknown argument '" + Validation.printable(f.getKey()) + "' for " + tool
                            + "; it takes: " + params.stream().map(Tool.Param::name).collect(Collectors.joining(", "))));
            JsonNode v = f.getValue();
            if (!v.isNull() && !fits(p.type(), v)) {
                String hint = p.type() == Tool.Param.Type.STRING_OR_INTEGER && v.isNumber()
                        ? "; write a value that is not a whole number as a string, e.g. \"" + Validation.printable(v.asText()) + "\""
                        : "";
                throw BackupException.invalid("argument '" + p.name() + "' of " + tool + " must be " + p.type().expected
                        + ", got " + JsonRpc.kind(v) + " " + Validation.printable(v.toString()) + hint);
            }
        }
        for (Tool.Param p : params) {
            if (p.required() && (!args.has(p.name()) || args.get(p.name()).isNull())) {
                throw BackupException.invalid("missing required argument '" + p.name() + "' (" + p.type().expected
                        + ") for " + tool + ": " + p.schema().path("description").asText());
            }
        }
        return new ToolArguments(args);
    }

    private static boolean fits(Tool.Param.Type type, JsonNode v) {
        switch (type) {
            case STRING:
                return v.isTextual();
            case BOOLEAN:
                return v.isBoolean();
            case STRING_OR_INTEGER:
                // 7 but not 7.0 or 7.5: a version written 7.0 may mean "7.0", so it has to be sent as that string.
                return v.isTextual() || v.isIntegralNumber();
            case INTEGER:
                return v.isIntegralNumber() || (v.isFloatingPointNumber() && v.asDouble() == Math.rint(v.asDouble()));
            case STRING_LIST:
                if (!v.isArray()) {
                    return false;
                }
                for (JsonNode item : v) {
                    if (!item.isTextual()) {
                        return false;
                    }
                }
                return true;
            default:
                throw new IllegalStateException("unhandled argument type " + type);
        }
    }

    private JsonNode given(String name) {
        JsonNode v = values.get(name);
        return v == null || v.isNull() ? null : v;
    }

    /** The argument's text; an integer (a STRING_OR_INTEGER argument) becomes its decimal digits, e.g. 7 -> "7". */
    String string(String name) {
        JsonNode v = given(name);
        return v == null ? null : v.asText();
    }

    Boolean bool(String name) {
        JsonNode v = given(name);
        return v == null ? null : v.asBoolean();
    }

    /** Integers beyond the int range are reported as out of range rather than wrapped. */
    Integer integer(String name) {
        JsonNode v = given(name);
        if (v == null) {
            return null;
        }
        double d = v.asDouble();
        if (d > Integer.MAX_VALUE || d < Integer.MIN_VALUE) {
            throw BackupException.invalid("argument '" + name + "' = " + v + " is out of range");
        }
        return v.asInt();
    }

    List<String> strings(String name) {
        JsonNode v = given(name);
        if (v == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        v.forEach(item -> out.add(item.asText()));
        return out;
    }
}
