package dev.meridian.backup.model;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.function.Function;

/** The one JSON mapping: snake_case fields, ISO-8601 UTC timestamps with milliseconds, ids and hashes as strings. */
public final class Json {
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    public static final ObjectMapper MAPPER = build(false);
    /** Sorted keys, no indentation: the form a manifest's hash is computed over. */
    public static final ObjectMapper CANONICAL = build(true);

    private Json() {}

    public static String timestamp(Instant instant) {
        return instant == null ? null : TIMESTAMP.format(instant);
    }

    public static Instant parseTimestamp(String s) {
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            throw BackupException.invalid("invalid timestamp '" + Validation.printable(s) + "': use ISO-8601 UTC like 2026-11-26T02:19:48.123Z");
        }
    }

    private static ObjectMapper build(boolean canonical) {
        SimpleModule module = new SimpleModule("meridian");
        module.addSerializer(Instant.class, stringSerializer(Json::timestamp));
        module.addDeserializer(Instant.class, stringDeserializer(Json::parseTimestamp));
        module.addSerializer(BackupId.class, stringSerializer(BackupId::value));
        module.addDeserializer(BackupId.class, stringDeserializer(BackupId::new));
        module.addSerializer(Hash.class, stringSerializer(Hash::hex));
        module.addDeserializer(Hash.class, stringDeserializer(Hash::new));
        module.addSerializer(BackupType.class, stringSerializer(BackupType::wireName));
        module.addDeserializer(BackupType.class, stringDeserializer(BackupType::parse));
        JsonMapper.Builder b = JsonMapper.builder()
                .addModule(module)
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
        if (canonical) {
            b.enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY);
        }
        return b.build();
    }

    private static <T> JsonSerializer<T> stringSerializer(Function<T, String> f) {
        return new JsonSerializer<>() {
            @Override
            public void serialize(T value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
                gen.writeString(f.apply(value));
            }
        };
    }

    private static <T> JsonDeserializer<T> stringDeserializer(Function<String, T> f) {
        return new JsonDeserializer<>() {
            @Override
            public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                return f.apply(p.getValueAsString());
            }
        };
    }
}
