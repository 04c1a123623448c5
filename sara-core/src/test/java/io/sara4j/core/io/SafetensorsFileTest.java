package io.sara4j.core.io;

import static io.sara4j.core.io.Fixtures.f32;
import static io.sara4j.core.io.Fixtures.file;
import static io.sara4j.core.io.Fixtures.i16;
import static io.sara4j.core.io.Fixtures.i64;
import static io.sara4j.core.io.Fixtures.i8;
import static io.sara4j.core.io.Fixtures.padded;
import static io.sara4j.core.io.Fixtures.toArray;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Engines;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading files whose bytes are written by hand in the test, following the format spec. */
class SafetensorsFileTest {
    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = Engines.pytorch().newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** Two tensors listed in the opposite of data order, metadata with non-ASCII text, padded header. */
    private Path standardFile() {
        String header = padded("{\"__metadata__\":{\"format\":\"pt\",\"note\":\"h\u00e9llo\"},"
                + "\"b\":{\"dtype\":\"I8\",\"shape\":[3],\"data_offsets\":[8,11]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]}}");
        assertThat(header).endsWith(" ");
        return Fixtures.write(dir, "standard.safetensors", file(header, f32(1.5f, -2f), i8(-128, 0, 127)));
    }

    @Test
    void readsHeaderMetadataAndTensorsOfTheStandardLayout() throws IOException {
        Path path = standardFile();
        try (SafetensorsFile f = SafetensorsFile.open(path)) {
            assertThat(f.path()).isEqualTo(path);
            assertThat(f.names()).containsExactly("a", "b");
            assertThat(f.metadata()).containsExactly(Map.entry("format", "pt"), Map.entry("note", "h\u00e9llo"));
            assertThat(f.contains("a")).isTrue();
            assertThat(f.contains("__metadata__")).isFalse();
            assertThat(f.info("a")).isEqualTo(new TensorInfo("a", SafetensorsDType.F32, new long[] {2, 1}, 0, 8));
            assertThat(f.info("b").elementCount()).isEqualTo(3);
            assertThat(f.info("b").byteSize()).isEqualTo(3);
            assertThat(f.info("a").djlShape()).isEqualTo(new Shape(2, 1));

            ByteBuffer a = f.bytes("a");
            assertThat(a.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
            assertThat(a.isReadOnly()).isTrue();
            assertThat(a.getFloat(0)).isEqualTo(1.5f);
            assertThat(a.getFloat(4)).isEqualTo(-2f);
            assertThat(toArray(f.bytes("b"))).containsExactly(-128, 0, 127);

            NDArray la = f.load("a", manager);
            assertThat(la.getDataType()).isEqualTo(DataType.FLOAT32);
            assertThat(la.getShape()).isEqualTo(new Shape(2, 1));
            assertThat(la.toFloatArray()).containsExactly(1.5f, -2f);
            NDArray lb = f.load("b", manager);
            assertThat(lb.getDataType()).isEqualTo(DataType.INT8);
            assertThat(lb.toByteArray()).containsExactly(-128, 0, 127);
        }
    }

    @Test
    void readsAnUnpaddedHeaderAndTensorsAtUnalignedOffsets() throws IOException {
        // 108 header bytes (one trailing space, not padded to 8): "b" starts at file offset 117.
        String header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[1,13]}} ";
        assertThat((8 + header.length() + 1) % 4).isNotZero();
        Path path = Fixtures.write(dir, "odd.safetensors", file(header, i8(200), f32(0.1f, -0f, 3e38f)));
        try (SafetensorsFile f = SafetensorsFile.open(path)) {
            assertThat(f.load("a", manager).toUint8Array()).containsExactly(200);
            assertThat(f.load("b", manager).toFloatArray()).containsExactly(0.1f, -0f, 3e38f);
        }
    }

    @Test
    void readsScalarAndEmptyTensors() throws IOException {
        String header = padded("{\"scalar\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
                + "\"empty\":{\"dtype\":\"F16\",\"shape\":[0,3],\"data_offsets\":[8,8]}}");
        Path path = Fixtures.write(dir, "shapes.safetensors", file(header, i64(Long.MIN_VALUE)));
        try (SafetensorsFile f = SafetensorsFile.open(path)) {
            assertThat(f.names()).containsExactly("scalar", "empty");
            NDArray scalar = f.load("scalar", manager);
            assertThat(scalar.getShape()).isEqualTo(new Shape());
            assertThat(scalar.getLong()).isEqualTo(Long.MIN_VALUE);
            NDArray empty = f.load("empty", manager);
            assertThat(empty.getShape()).isEqualTo(new Shape(0, 3));
            assertThat(empty.getDataType()).isEqualTo(DataType.FLOAT16);
            assertThat(f.bytes("empty").remaining()).isZero();
        }
    }

    @Test
    void readsAnEmptyFile() throws IOException {
        Path path = Fixtures.write(dir, "empty.safetensors", file(padded("{}")));
        try (SafetensorsFile f = SafetensorsFile.open(path)) {
            assertThat(f.names()).isEmpty();
            assertThat(f.metadata()).isEmpty();
            assertThat(f.loadAll(manager, null)).isEmpty();
        }
    }

    @Test
    void widensBf16AndI16ExactlyBecauseTheEngineCannotHoldThem() throws IOException {
        // bf16: 1.0, -0.0, smallest subnormal, +inf, a signalling NaN with payload, -3.140625
        int[] bf16 = {0x3F80, 0x8000, 0x0001, 0x7F80, 0x7F81, 0xC049};
        String header = padded("{\"h\":{\"dtype\":\"BF16\",\"shape\":[6],\"data_offsets\":[0,12]},"
                + "\"s\":{\"dtype\":\"I16\",\"shape\":[2,2],\"data_offsets\":[12,20]}}");
        Path path = Fixtures.write(dir, "narrow.safetensors", file(header, i16(bf16), i16(-32768, 32767, -1, 0)));
        try (SafetensorsFile f = SafetensorsFile.open(path)) {
            NDArray h = f.load("h", manager);
            assertThat(h.getDataType()).isEqualTo(DataType.FLOAT32);
            ByteBuffer bits = h.toByteBuffer().order(ByteOrder.nativeOrder());
            for (int i = 0; i < bf16.length; i++) {
                assertThat(bits.getInt(i * 4)).as("element %d", i).isEqualTo(bf16[i] << 16);
            }
            NDArray s = f.load("s", manager);
            assertThat(s.getDataType()).isEqualTo(DataType.INT32);
            assertThat(s.getShape()).isEqualTo(new Shape(2, 2));
            assertThat(s.toIntArray()).containsExactly(-32768, 32767, -1, 0);

            // One rounding from the exact bf16 value: -3.140625 is exactly representable in f16.
            assertThat(f.load("h", manager, DataType.FLOAT16).toType(DataType.FLOAT32, false).getFloat(5))
                    .isEqualTo(-3.140625f);
            assertThatThrownBy(() -> f.load("h", manager, DataType.BFLOAT16))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(path.toString()).hasMessageContaining("'h'").hasMessageContaining("BFLOAT16");
            assertThatThrownBy(() -> f.loadAll(manager, DataType.INT16))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("INT16");
        }
    }

    @Test
    void convertsToATargetType() throws IOException {
        String header = padded("{\"w\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]}}");
        // f16: 1.0, -2.5, 65504 (max)
        Path path = Fixtures.write(dir, "half.safetensors", file(header, i16(0x3C00, 0xC100, 0x7BFF)));
        try (SafetensorsFile f = SafetensorsFile.open(path)) {
            NDArray w = f.load("w", manager, DataType.FLOAT32);
            assertThat(w.getDataType()).isEqualTo(DataType.FLOAT32);
            assertThat(w.toFloatArray()).containsExactly(1f, -2.5f, 65504f);
            assertThat(f.load("w", manager, DataType.FLOAT16).getDataType()).isEqualTo(DataType.FLOAT16);
            Map<String, NDArray> all = f.loadAll(manager, DataType.FLOAT64);
            assertThat(all.keySet()).containsExactly("w");
            assertThat(all.get("w").toDoubleArray()).containsExactly(1, -2.5, 65504);
        }
    }

    @Test
    void loadedArraysAreCopiesThatOutliveTheFile() throws IOException {
        Path path = standardFile();
        NDArray a;
        try (SafetensorsFile f = SafetensorsFile.open(path)) {
            a = f.load("a", manager);
        }
        // Zero tensor "a" (the first bytes of the data section) in the file itself.
        try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
            raf.seek(8 + Long.reverseBytes(raf.readLong()));
            raf.write(new byte[8]);
        }
        assertThat(a.toFloatArray()).containsExactly(1.5f, -2f);
        assertThat(a.add(1).toFloatArray()).containsExactly(2.5f, -1f);
    }

    @Test
    void namesTheFileAndTensorWhenATensorIsMissingOrTheFileIsClosed() throws IOException {
        Path path = standardFile();
        SafetensorsFile f = SafetensorsFile.open(path);
        assertThatThrownBy(() -> f.info("missing"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(path.toString()).hasMessageContaining("'missing'");
        assertThatThrownBy(() -> f.load("missing", manager)).isInstanceOf(IllegalArgumentException.class);
        f.close();
        assertThatThrownBy(() -> f.bytes("a"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> f.load("a", manager)).isInstanceOf(IllegalStateException.class);
        assertThat(f.names()).containsExactly("a", "b");
    }
}
