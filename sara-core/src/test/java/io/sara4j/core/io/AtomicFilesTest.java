package io.sara4j.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    private Stream<Path> listing() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList().stream();
        }
    }

    @Test
    void writesANewFileAndReplacesAnOldOne() throws IOException {
        Path target = dir.resolve("report.txt");
        AtomicFiles.writeString(target, "first \u00e9");
        assertThat(Files.readString(target, StandardCharsets.UTF_8)).isEqualTo("first \u00e9");
        AtomicFiles.write(target, out -> {
            out.write("sec".getBytes(StandardCharsets.US_ASCII));
            out.write('o');
            out.write("nd".getBytes(StandardCharsets.US_ASCII), 0, 2);
            out.close(); // bodies may close "their" stream; the data must still be synced and kept
        });
        assertThat(Files.readString(target)).isEqualTo("second");
        assertThat(listing()).containsExactly(target);
    }

    @Test
    void keepsTheOldFileAndRemovesTheTemporaryFileWhenTheBodyThrows() throws IOException {
        Path target = dir.resolve("weights.safetensors");
        Files.writeString(target, "old content");
        IOException failure = new IOException("disk on fire");
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
            out.write(new byte[100_000]); // more than the stream's buffer: the temp file has real bytes
            throw failure;
        })).isSameAs(failure);
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
            out.write(1);
            throw new IllegalStateException("bug in the body");
        })).isInstanceOf(IllegalStateException.class);

        assertThat(Files.readString(target)).isEqualTo("old content");
        assertThat(listing()).containsExactly(target);
    }

    @Test
    void leavesNothingWhenTheBodyFailsOnTheFirstWrite() {
        Path target = dir.resolve("new.bin");
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
            throw new IOException("no data");
        })).hasMessage("no data");
        assertThat(target).doesNotExist();
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void refusesATargetInAMissingFolder() {
        Path target = dir.resolve("missing").resolve("x.txt");
        assertThatThrownBy(() -> AtomicFiles.writeString(target, "x"))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("does not exist");
    }
}
