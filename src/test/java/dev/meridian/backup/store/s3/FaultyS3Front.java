package dev.meridian.backup.store.s3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fault injected on purpose: a one-request-per-connection HTTP front on 127.0.0.1 for an S3 server that, while armed,
 * answers the next requests with 503 {@code SlowDown} / 500 {@code InternalError}, or drops the connection in the
 * middle of an upload's body (a TCP reset after some bytes); otherwise it forwards each request unchanged (the Host
 * header the client signed included) and the answer back.
 */
public final class FaultyS3Front implements AutoCloseable {
    private final ServerSocket listener;
    private final int upstreamPort;
    private final AtomicInteger errorsToAnswer = new AtomicInteger();
    private final AtomicInteger uploadsToDrop = new AtomicInteger();
    private final AtomicInteger errorsAnswered = new AtomicInteger();
    private final AtomicInteger uploadsDropped = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();

    public FaultyS3Front(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "faulty-s3-front");
        t.setDaemon(true);
        t.start();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + listener.getLocalPort();
    }

    /** The next {@code n} requests get 503 SlowDown and 500 InternalError, alternately. */
    public void failNext(int n) {
        errorsToAnswer.set(n);
    }

    /** The next {@code n} requests that carry a body (PUT, UploadPart) lose their connection mid-body. */
    public void dropNextUploads(int n) {
        uploadsToDrop.set(n);
    }

    public int errorsAnswered() {
        return errorsAnswered.get();
    }

    public int uploadsDropped() {
        return uploadsDropped.get();
    }

    public int requests() {
        return requests.get();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Thread t = new Thread(() -> serve(client), "faulty-s3-front-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            String head = readHead(in);
            if (head == null) {
                return;
            }
            requests.incrementAndGet();
            String lower = head.toLowerCase(Locale.ROOT);
            long length = contentLength(lower);
            int e = errorsToAnswer.getAndUpdate(v -> v > 0 ? v - 1 : 0);
            if (e > 0) {
                boolean slowDown = errorsAnswered.incrementAndGet() % 2 == 1;
                String body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + (slowDown ? "SlowDown" : "InternalError")
                        + "</Code><Message>injected</Message></Error>";
                String status = slowDown ? "503 Slow Down" : "500 Internal Server Error";
                client.getOutputStream().write(("HTTP/1.1 " + status + "\r\nContent-Type: application/xml\r\nContent-Length: "
                        + body.length() + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                client.getOutputStream().flush();
                return;
            }
            if (length > 0 && uploadsToDrop.getAndUpdate(v -> v > 0 ? v - 1 : 0) > 0) {
                uploadsDropped.incrementAndGet();
                if (lower.contains("expect: 100-continue")) {
                    client.getOutputStream().write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    client.getOutputStream().flush();
                }
                in.readNBytes((int) Math.min(length / 2, 4096));
                client.setSoLinger(true, 0); // a reset, as a dropped connection looks
                return;
            }
            try (Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort)) {
                OutputStream up = upstream.getOutputStream();
                up.write(forcedClose(head).getBytes(StandardCharsets.ISO_8859_1));
                up.flush();
                Thread body = new Thread(() -> {
                    try {
                        in.transferTo(up);
                    } catch (IOException ignored) {
                        // the exchange ended
                    }
                }, "faulty-s3-front-body");
                body.setDaemon(true);
                body.start();
                upstream.getInputStream().transferTo(client.getOutputStream());
            }
        } catch (IOException ignored) {
            // the client or upstream went away
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : (c == '\r' ? 1 : 0);
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    private static long contentLength(String lowerHead) {
        for (String line : lowerHead.split("\r\n")) {
            if (line.startsWith("content-length:")) {
                return Long.parseLong(line.substring("content-length:".length()).trim());
            }
        }
        return 0;
    }

    /** The head with {@code Connection: close}, so each connection carries one exchange and ends with it. */
    private static String forcedClose(String head) {
        StringBuilder out = new StringBuilder();
        for (String line : head.split("\r\n")) {
            if (!line.isEmpty() && !line.toLowerCase(Locale.ROOT).startsWith("connection:")) {
                out.append(line).append("\r\n");
            }
        }
        return out.append("Connection: close\r\n\r\n").toString();
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
