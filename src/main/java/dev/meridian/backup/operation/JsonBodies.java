package dev.meridian.backup.operation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.Json;
import java.util.stream.Collectors;

/**
 * Strict parsing of request bodies: no unknown fields, no silent coercion ("5" is not a number, 5 is not a
 * string), and errors that name the field and the expected type.
 */
public final class JsonBodies {
    public static final ObjectMapper STRICT = strict();

    private JsonBodies() {}

    private static ObjectMapper strict() {
        ObjectMapper m = Json.MAPPER.copy();
        m.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        m.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        // A key given twice is ambiguous (which one wins differs between parsers): refuse it.
        m.enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        m.disable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY);
        for (LogicalType t : new LogicalType[] {LogicalType.Textual, LogicalType.Integer, LogicalType.Float, LogicalType.Boolean}) {
            m.coercionConfigFor(t)
                    .setCoercion(CoercionInputShape.Integer, t == LogicalType.Integer ? CoercionAction.TryConvert : CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, t == LogicalType.Float ? CoercionAction.TryConvert : CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.String, t == LogicalType.Textual ? CoercionAction.TryConvert : CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, t == LogicalType.Boolean ? CoercionAction.TryConvert : CoercionAction.Fail);
        }
        return m;
    }

    /**
     * A field that names a version and is often written as a number ({@code "schema_version": 7}): a JSON string,
     * or an integer taken as its decimal text ("7"). Fractions (7.5, 7.0: is that "7.0"?), booleans, arrays and
     * objects are refused with the field's name, as MCP's tools do for the same argument.
     */
    public static final class StringOrInteger extends com.fasterxml.jackson.databind.JsonDeserializer<String> {
        @Override
        public String deserialize(com.fasterxml.jackson.core.JsonParser p, com.fasterxml.jackson.databind.DeserializationContext ctxt)
                throws java.io.IOException {
            com.fasterxml.jackson.core.JsonToken t = p.currentToken();
            if (t == com.fasterxml.jackson.core.JsonToken.VALUE_STRING || t == com.fasterxml.jackson.core.JsonToken.VALUE_NUMBER_INT) {
                return p.getText();
            }
            String field = p.currentName() == null ? "value" : p.currentName();
            String got = t == com.fasterxml.jackson.core.JsonToken.VALUE_NUMBER_FLOAT
                    ? "the number " + p.getText() + "; write a value that is not a whole number as a string, e.g. \"" + p.getText() + "\""
                    : t == com.fasterxml.jackson.core.JsonToken.START_OBJECT ? "an object"
                    : t == com.fasterxml.jackson.core.JsonToken.START_ARRAY ? "an array" : p.getText();
            throw BackupException.invalid("field '" + field + "' must be a string or an integer, got " + got);
        }
    }

    /** Parses {@code body} (empty means "{}") into {@code type}, or throws an invalid-argument error. */
    public static <T> T parse(String body, Class<T> type) {
        String text = body == null || body.isBlank() ? "{}" : body;
        T parsed;
        try {
            parsed = STRICT.readValue(text, type);
        } catch (UnrecognizedPropertyException e) {
            String allowed = e.getKnownPropertyIds() == null || e.getKnownPropertyIds().isEmpty()
                    ? "this request takes no fields"
                    : "allowed fields: " + e.getKnownPropertyIds().stream().map(Object::toString).sorted().collect(Collectors.joining(", "));
            throw BackupException.invalid("unknown field '" + e.getPropertyName() + "'; " + allowed);
        } catch (InvalidFormatException e) {
            throw BackupException.invalid("field '" + path(e) + "' has an invalid value " + e.getValue()
                    + "; expected " + typeName(e.getTargetType()));
        } catch (MismatchedInputException e) {
            String p = path(e);
            if (p.isEmpty()) {
                throw BackupException.invalid("request body must be a JSON object");
            }
            throw BackupException.invalid("field '" + p + "' has the wrong type; expected " + typeName(e.getTargetType()));
        } catch (JsonMappingException e) {
            Throwable c = e.getCause();
            if (c instanceof BackupException be) {
                throw be;
            }
            if (c instanceof StreamReadException sre) {
                throw notJson(sre);
            }
            throw BackupException.invalid("request body is not acceptable: " + clean(e.getOriginalMessage()));
        } catch (StreamReadException e) {
            throw notJson(e);
        } catch (JsonProcessingException e) {
            throw BackupException.invalid("request body is not acceptable: " + clean(e.getOriginalMessage()));
        }
        if (parsed == null) {
            throw BackupException.invalid("request body must be a JSON object, got null; send {} for the defaults");
        }
        return parsed;
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    private static String typeName(Class<?> c) {
        if (c == null) {
            return "another type";
        }
        if (c == String.class) {
            return "a string";
        }
        if (c == Boolean.class || c == boolean.class) {
            return "true or false";
        }
        if (Number.class.isAssignableFrom(c) || c.isPrimitive()) {
            return "a number";
        }
        if (java.util.List.class.isAssignableFrom(c)) {
            return "a list";
        }
        return "a JSON object";
    }

    private static BackupException notJson(StreamReadException e) {
        String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
        return BackupException.invalid("request body is not valid JSON: " + clean(e.getOriginalMessage()) + where);
    }

    /** Jackson's messages carry source excerpts and marker positions; keep the first clause. */
    private static String clean(String s) {
        if (s == null) {
            return "";
        }
        String out = s;
        for (String cut : new String[] {"\n", " at [Source", " (start marker", " (for "}) {
            int i = out.indexOf(cut);
            if (i > 0) {
                out = out.substring(0, i);
            }
        }
        return out;
    }
}
