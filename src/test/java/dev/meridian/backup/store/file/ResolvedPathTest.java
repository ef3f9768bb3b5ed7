package dev.meridian.backup.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ResolvedPath} against real symlinks: as {@code realpath -m}, dangling links followed, each link recorded. */
class ResolvedPathTest {
    @TempDir
    Path dir;

    @Test
    void anExistingPathResolvesAsToRealPathDoes() throws Exception {
        Path real = Files.createDirectories(dir.resolve("vol").resolve("orders"));
        Path link = Files.createSymbolicLink(Files.createDirectories(dir.resolve("app")).resolve("orders"), Path.of("..", "vol", "orders"));
        ResolvedPath r = ResolvedPath.of(link);
        assertEquals(real.toRealPath(), r.real());
        assertEquals(List.of(new ResolvedPath.Link(link, real)), r.links());
        assertEquals(Optional.empty(), r.dangling());
        assertEquals("through the symlink " + link + " -> " + real, r.through());
        Path plain = dir.resolve("vol");
        assertEquals(plain.toRealPath(), ResolvedPath.of(plain).real());
        assertEquals("", ResolvedPath.of(plain).through());
    }

    @Test
    void aDanglingSymlinkIsFollowedToItsMissingTarget() throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("db"), dir.resolve("mnt").resolve("disk").resolve("db"));
        ResolvedPath r = ResolvedPath.of(link);
        assertEquals(dir.resolve("mnt/disk/db"), r.real());
        assertEquals(Optional.of(new ResolvedPath.Link(link, dir.resolve("mnt/disk/db"))), r.dangling());
        assertEquals(dir.resolve("mnt"), r.firstMissing(), "the shallowest missing directory: where a volume is not mounted");
        // Through a dangling directory link, and on below it: still followed, and ".." is taken after the link.
        Path app = Files.createSymbolicLink(dir.resolve("app"), dir.resolve("gone"));
        ResolvedPath under = ResolvedPath.of(app.resolve("sub").resolve("..").resolve("x"));
        assertEquals(dir.resolve("gone").resolve("x"), under.real());
        assertEquals(app, under.dangling().orElseThrow().link());
    }

    @Test
    void aChainIsRecordedInOrderAndTheLastDanglingLinkIsNamed() throws Exception {
        Path c = dir.resolve("c");
        Path b = Files.createSymbolicLink(dir.resolve("b"), Path.of("c"));
        Path a = Files.createSymbolicLink(dir.resolve("a"), Path.of("b"));
        ResolvedPath r = ResolvedPath.of(a);
        assertEquals(c, r.real());
        assertEquals(List.of(a, b), r.links().stream().map(ResolvedPath.Link::link).toList());
        assertEquals(b, r.dangling().orElseThrow().link(), "b is the link whose target is missing");
        assertTrue(r.through().startsWith("through the symlinks " + a + " -> " + b + ", "), r.through());
        Files.createDirectory(c);
        assertEquals(Optional.empty(), ResolvedPath.of(a).dangling());
    }

    @Test
    void aSymlinkLoopIsAnErrorNotAHang() throws Exception {
        Files.createSymbolicLink(dir.resolve("x"), Path.of("y"));
        Files.createSymbolicLink(dir.resolve("y"), Path.of("x"));
        IOException e = assertThrows(IOException.class, () -> ResolvedPath.of(dir.resolve("x").resolve("db")));
        assertTrue(e.getMessage().contains("symlink loop"), e.getMessage());
    }
}
