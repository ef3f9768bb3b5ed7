/**
 * The REST gateway: {@code /api/v1}, {@code /healthz}, {@code /metrics} on one pekko-http server
 * ({@code HttpServer}), every route behind one {@code OriginPolicy} (Host and Origin allow-lists, CORS preflights,
 * JSON-only POSTs). {@code ApiRoutes} binds each route to an entry of the operation table; {@code EventStreams} turns
 * progress into server-sent events; {@code Responses} writes JSON answers; {@code JsonParsingErrorHandler} answers
 * requests too malformed to reach a route with the same JSON error body.
 *
 * <p>Layer 10 (gateways). May import: {@code operation}, {@code engine}, {@code model}, {@code config},
 * {@code runtime}; Pekko, pekko-http, Jackson. Never {@code mcp}, a job, {@code database}, {@code repository} or
 * {@code rocks}.
 */
package dev.meridian.backup.http;
