package io.sara4j.core.io;

import static io.sara4j.core.io.Fixtures.f32;
import static io.sara4j.core.io.Fixtures.le8;
import static io.sara4j.core.io.Fixtures.padded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Engines;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 3 GiB file, created sparse (only the header and the last tensor are written), opens and its
 * last tensor loads without the file passing through the heap.
 */
class LargeFileTest {
    private static final long FILLER = 3L << 30;
    private static final int LAST = 1024;

    @TempDir
    Path dir;

    @Test
    void readsTheLastTensorOfAThreeGibFileWithoutReadingTheFile() throws IOException {
        String header = padded("{\"filler\":{\"dtype\":\"U8\",\"shape\":[" + FILLER + "],\"data_offsets\":[0,"
                + FILLER + "]},\"last\":{\"dtype\":\"F32\",\"shape\":[4,256],\"data_offsets\":[" + FILLER + ","
                + (FILLER + 4L * LAST) + "]}}");
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        float[] values = new float[LAST];
        for (int i = 0; i < LAST; i++) {
            values[i] = i * 0.25f - 100f;
        }
        long dataStart = 8 + json.length;
        Path path = dir.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
            raf.write(le8(json.length));
            raf.write(json);
            raf.setLength(dataStart + FILLER + 4L * LAST);
            raf.seek(dataStart + FILLER);
            raf.write(f32(values));
        }
        assertThat(Files.size(path)).isGreaterThan(3L << 30);

        long heapBefore = usedHeap();
        try (SafetensorsFile f = SafetensorsFile.open(path);
                NDManager manager = Engines.pytorch().newBaseManager()) {
            assertThat(f.names()).containsExactly("filler", "last");
            assertThat(f.info("filler").byteSize()).isEqualTo(FILLER);
            NDArray last = f.load("last", manager);
            assertThat(last.getShape()).isEqualTo(new Shape(4, 256));
            assertThat(last.toFloatArray()).containsExactly(values);
            assertThat(f.bytes("last").getFloat(4 * (LAST - 1))).isEqualTo(values[LAST - 1]);

            // A single tensor of 2 GiB or more cannot be one ByteBuffer: refused, naming it.
            assertThatThrownBy(() -> f.bytes("filler"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'filler'").hasMessageContaining(String.valueOf(FILLER))
                    .hasMessageContaining("2 GiB");
            assertThatThrownBy(() -> f.load("filler", manager, DataType.FLOAT32))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 GiB");
            assertThat(usedHeap() - heapBefore).isLessThan(256L << 20);
        }
    }

    private static long usedHeap() {
        System.gc();
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }
}
