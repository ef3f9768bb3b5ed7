package dev.meridian.backup.store.file;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * A path with every symlink along it resolved, as {@code realpath -m} (GNU coreutils) resolves it: components that
 * do not exist are kept as written, a symlink whose target is missing (a dangling symlink) is still followed to that
 * target, and {@code ..} is taken after the symlinks before it. Unlike {@link Path#toRealPath} it never fails on a
 * missing component, so a dangling symlink cannot hide where a path really leads. Each symlink met is recorded, so
 * an error can name it and its target.
 *
 * @param given the path as given (absolute or relative to the working directory)
 * @param real  the absolute path it resolves to, with no symlink left in it
 * @param links the symlinks met, in order: each with its own path (its directory resolved) and its target
 */
public record ResolvedPath(Path given, Path real, List<Link> links) {
    /** Linux's limit on symlinks followed in one lookup (ELOOP). */
    private static final int MAX_LINKS = 40;

    /**
     * One symlink on the way.
     *
     * @param link   the symlink, as an absolute path whose directory is real
     * @param target where it points, absolute and normalized (relative targets taken from the link's directory)
     */
    public record Link(Path link, Path target) {
        @Override
        public String toString() {
            return link + " -> " + target;
        }
    }

    /**
     * Resolves {@code given}. Blocking (file system calls).
     *
     * @throws IOException when more than 40 symlinks are met (a symlink loop), or a symlink cannot be read
     */
    public static ResolvedPath of(Path given) throws IOException {
        Path abs = given.toAbsolutePath();
        Deque<String> todo = new ArrayDeque<>();
        abs.forEach(n -> todo.addLast(n.toString()));
        Path cur = abs.getRoot();
        List<Link> links = new ArrayList<>();
        while (!todo.isEmpty()) {
            String name = todo.pollFirst();
            if (name.isEmpty() || name.equals(".")) {
                continue;
            }
            if (name.equals("..")) {
                cur = cur.getParent() == null ? cur : cur.getParent();
                continue;
            }
            Path next = cur.resolve(name);
            if (!Files.isSymbolicLink(next)) {
                cur = next;
                continue;
            }
            if (links.size() >= MAX_LINKS) {
                throw new IOException("path " + given + " meets more than " + MAX_LINKS + " symlinks (a symlink loop?) at "
                        + next + "; fix the symlinks along it");
            }
            Path target = Files.readSymbolicLink(next);
            links.add(new Link(next, cur.resolve(target).normalize()));
            List<String> parts = new ArrayList<>();
            target.forEach(n -> parts.add(n.toString()));
            for (int i = parts.size() - 1; i >= 0; i--) {
                todo.addFirst(parts.get(i));
            }
            if (target.isAbsolute()) {
                cur = target.getRoot();
            }
        }
        return new ResolvedPath(given, cur, List.copyOf(links));
    }

    /**
     * The symlink that makes {@code given} missing: when {@link #real} does not exist, the last symlink met whose
     * target does not exist. Empty when the path exists, or is missing with no dangling symlink on the way.
     */
    public Optional<Link> dangling() {
        if (Files.exists(real)) {
            return Optional.empty();
        }
        for (int i = links.size() - 1; i >= 0; i--) {
            Link l = links.get(i);
            if (Files.isSymbolicLink(l.link()) && !Files.exists(l.link())) {
                return Optional.of(l);
            }
        }
        return Optional.empty();
    }

    /** The shallowest directory on the way to {@link #real} that does not exist (real itself when only it is missing). */
    public Path firstMissing() {
        Path missing = real;
        for (Path p = real.getParent(); p != null && !Files.exists(p); p = p.getParent()) {
            missing = p;
        }
        return missing;
    }

    /** "through the symlink A -> B" (or "symlinks", comma-separated); empty when no symlink was met. */
    public String through() {
        if (links.isEmpty()) {
            return "";
        }
        List<String> each = new ArrayList<>();
        links.forEach(l -> each.add(l.toString()));
        return "through the symlink" + (links.size() > 1 ? "s " : " ") + String.join(", ", each);
    }
}
