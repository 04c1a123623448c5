package io.sara4j.core.io;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files so that readers see either the old content or the complete new content, never a
 * partial file, even if the process dies or the body throws half-way.
 *
 * <p>The body writes to a temporary file in the target's own folder (a rename is only atomic
 * within one file system); the data is flushed and fsync'ed, then the file is renamed over the
 * target with {@link StandardCopyOption#ATOMIC_MOVE} (falling back to a plain replacing move where
 * the file system cannot do it atomically), and finally the folder is fsync'ed so that the rename
 * itself survives a crash. On any failure the temporary file is deleted and the target is untouched.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes what {@code body} produces to {@code target}, atomically (see the class comment). */
    public static void write(Path target, IOConsumer<OutputStream> body) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path folder = absolute.getParent();
        if (folder == null || !Files.isDirectory(folder)) {
            throw new NoSuchFileException(String.valueOf(folder), null, "folder of " + target + " does not exist");
        }
        Path temp = createTemp(folder, absolute.getFileName().toString());
        try {
            try (FileOutputStream file = new FileOutputStream(temp.toFile());
                    BufferedOutputStream out = new BufferedOutputStream(file, 1 << 16)) {
                body.accept(new KeepOpen(out));
                out.flush();
                file.getChannel().force(true);
            }
            move(temp, absolute);
        } catch (Throwable failure) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
            throw failure;
        }
        syncFolder(folder);
    }

    /** Writes {@code text} as UTF-8 to {@code target}, atomically. */
    public static void writeString(Path target, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        write(target, out -> out.write(bytes));
    }

    /** A consumer that may throw IOException, for bodies that write to a stream. */
    @FunctionalInterface
    public interface IOConsumer<T> {
        /** Consumes {@code t}. */
        void accept(T t) throws IOException;
    }

    /** A hidden file next to the target; a random part keeps concurrent writers apart. */
    private static Path createTemp(Path folder, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong());
            Path temp = folder.resolve("." + name + "." + suffix + ".tmp");
            try {
                // Created empty here (not by createTempFile) so it gets the usual permissions,
                // not 0600: the final file should look like any other file the user writes.
                return Files.createFile(temp);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    /**
     * Deletes {@code folder} and everything in it, deepest first; does nothing if it does not
     * exist. Used to clear staging folders that were never renamed into place.
     */
    public static void deleteRecursively(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (var paths = Files.walk(folder)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void move(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void syncFolder(Path folder) {
        try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Some platforms (Windows) cannot open or sync a folder; the file itself is already
            // complete and renamed, so only crash-durability of the rename is lost there.
        }
    }

    /** Lets the body close "its" stream without closing ours before the fsync. */
    private static final class KeepOpen extends FilterOutputStream {
        KeepOpen(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len); // FilterOutputStream would write byte by byte
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
