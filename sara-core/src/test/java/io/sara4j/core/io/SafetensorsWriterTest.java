package io.sara4j.core.io;

import static io.sara4j.core.io.Fixtures.f32;
import static io.sara4j.core.io.Fixtures.f64;
import static io.sara4j.core.io.Fixtures.file;
import static io.sara4j.core.io.Fixtures.i16;
import static io.sara4j.core.io.Fixtures.i32;
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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {
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

    /** Edge values of each type, as little-endian bytes: NaN payloads, -0, subnormals, extremes. */
    private static Map<SafetensorsDType, byte[]> edgeValues() {
        Map<SafetensorsDType, byte[]> v = new LinkedHashMap<>();
        v.put(SafetensorsDType.F64, i64(0x7FF0_0000_0000_0001L, 0xFFF8_0000_0000_BEEFL, 0x8000_0000_0000_0000L,
                Double.doubleToRawLongBits(Double.MIN_VALUE), Double.doubleToRawLongBits(Double.MAX_VALUE),
                Double.doubleToRawLongBits(Double.NEGATIVE_INFINITY)));
        v.put(SafetensorsDType.F32, i32(0x7F80_0001, 0xFFC0_BEEF, 0x8000_0000, 0x0000_0001,
                Float.floatToRawIntBits(Float.MAX_VALUE), Float.floatToRawIntBits(Float.POSITIVE_INFINITY)));
        v.put(SafetensorsDType.F16, i16(0x7C01, 0xFE3F, 0x8000, 0x0001, 0x7BFF, 0xFC00));
        v.put(SafetensorsDType.BF16, i16(0x7F81, 0xFFC1, 0x8000, 0x0001, 0x7F7F, 0xFF80));
        v.put(SafetensorsDType.I64, i64(Long.MIN_VALUE, Long.MAX_VALUE, -1, 0, 1, 42));
        v.put(SafetensorsDType.I32, i32(Integer.MIN_VALUE, Integer.MAX_VALUE, -1, 0, 1, 42));
        v.put(SafetensorsDType.I16, i16(Short.MIN_VALUE, Short.MAX_VALUE, -1, 0, 1, 42));
        v.put(SafetensorsDType.I8, i8(-128, 127, -1, 0, 1, 42));
        v.put(SafetensorsDType.U8, i8(0, 255, 128, 127, 1, 42));
        v.put(SafetensorsDType.BOOL, i8(0, 1, 1, 0, 0, 1));
        return v;
    }

    /** An engine array holding exactly these little-endian bytes. */
    private NDArray array(byte[] bytes, Shape shape, DataType type) {
        ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length).order(ByteOrder.nativeOrder());
        direct.put(bytes).flip();
        return manager.create(direct, shape, type);
    }

    @Test
    void roundTripsEveryEngineTypeBitExactFromNDArrays() throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        edgeValues().forEach((dtype, bytes) -> {
            if (dtype != SafetensorsDType.BF16 && dtype != SafetensorsDType.I16) {
                tensors.put("t." + dtype, array(bytes, new Shape(2, 3), dtype.toDataType()));
            }
        });
        assertThat(tensors).hasSize(8);
        Path path = dir.resolve("all.safetensors");
        SafetensorsWriter.write(path, tensors, Map.of("format", "pt"));

        try (SafetensorsFile f = SafetensorsFile.open(path)) {
            assertThat(f.metadata()).containsExactly(Map.entry("format", "pt"));
            assertThat(f.names()).containsExactlyInAnyOrderElementsOf(tensors.keySet());
            edgeValues().forEach((dtype, bytes) -> {
                String name = "t." + dtype;
                if (!tensors.containsKey(name)) {
                    return;
                }
                assertThat(f.info(name).dtype()).isEqualTo(dtype);
                assertThat(f.info(name).shape()).containsExactly(2, 3);
                assertThat(toArray(f.bytes(name))).as(name).containsExactly(bytes);
                NDArray loaded = f.load(name, manager);
                assertThat(loaded.getDataType()).isEqualTo(dtype.toDataType());
                assertThat(loaded.getShape()).isEqualTo(new Shape(2, 3));
                assertThat(loaded.toByteArray()).as(name).containsExactly(bytes);
            });
        }
    }

    @Test
    void roundTripsBf16AndI16BitExactThroughRawTensorsAndTheWidenedArrays() throws IOException {
        byte[] bf16 = edgeValues().get(SafetensorsDType.BF16);
        byte[] int16 = edgeValues().get(SafetensorsDType.I16);
        Path path = dir.resolve("narrow.safetensors");
        SafetensorsWriter.writeRaw(path, Map.of(
                "h", new RawTensor(SafetensorsDType.BF16, new long[] {6}, ByteBuffer.wrap(bf16)),
                "s", new RawTensor(SafetensorsDType.I16, new long[] {3, 2}, ByteBuffer.wrap(int16))), Map.of());

        Path copy = dir.resolve("copy.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(path)) {
            assertThat(toArray(f.bytes("h"))).containsExactly(bf16);
            assertThat(toArray(f.bytes("s"))).containsExactly(int16);
            NDArray h = f.load("h", manager);
            NDArray s = f.load("s", manager);
            assertThat(s.toIntArray()).containsExactly(-32768, 32767, -1, 0, 1, 42);
            // Narrowing the widened arrays back reproduces the stored bits, NaN payloads included.
            SafetensorsWriter.writeRaw(copy, Map.of(
                    "h", RawTensor.of(h, SafetensorsDType.BF16),
                    "s", RawTensor.of(s, SafetensorsDType.I16)), Map.of());
        }
        assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(path));
    }

    @Test
    void roundsFloat32ToBf16ToNearestEven() {
        int[] f32Bits = {
            0x3F80_8000, // 1 + 2^-8: a tie, rounds down to the even 1.0 (0x3F80)
            0x3F81_8000, // a tie that rounds up to the even 0x3F82
            0x3F80_8001, // just above the tie: up
            0xBF80_7FFF, // just below the tie, negative: down (magnitude)
            Float.floatToRawIntBits(Float.MAX_VALUE), // overflows to +inf
            0x7F80_0001, // NaN whose payload lies only in the dropped bits: stays NaN (quiet)
            0xFF81_2345, // NaN keeps sign and upper payload
            0x0000_0001, // smallest subnormal: rounds to +0
        };
        short[] expected = {0x3F80, 0x3F82, 0x3F81, (short) 0xBF80, 0x7F80, 0x7FC0, (short) 0xFF81, 0};
        NDArray a = array(i32(f32Bits), new Shape(f32Bits.length), DataType.FLOAT32);
        ByteBuffer out = RawTensor.of(a, SafetensorsDType.BF16).data();
        for (int i = 0; i < expected.length; i++) {
            assertThat(out.getShort(i * 2)).as("element %d", i).isEqualTo(expected[i]);
        }
    }

    @Test
    void convertsWithTheEngineWhereItCan() {
        NDArray a = manager.create(new float[] {1.5f, -2f, 65504f});
        RawTensor half = RawTensor.of(a, SafetensorsDType.F16);
        assertThat(toArray(half.data())).containsExactly(i16(0x3E00, 0xC000, 0x7BFF));
        RawTensor same = RawTensor.of(a, SafetensorsDType.F32);
        assertThat(toArray(same.data())).containsExactly(f32(1.5f, -2f, 65504f));
        assertThatThrownBy(() -> RawTensor.of(manager.create(new int[] {1, 40000}), SafetensorsDType.I16))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("40000").hasMessageContaining("flat index 1");
    }

    @Test
    void writesNonContiguousArraysInRowMajorOrder() throws IOException {
        NDArray transposed = manager.arange(6f).reshape(2, 3).transpose(); // [[0,3],[1,4],[2,5]]
        Path path = dir.resolve("t.safetensors");
        SafetensorsWriter.write(path, Map.of("t", transposed), Map.of());
        try (SafetensorsFile f = SafetensorsFile.open(path)) {
            assertThat(f.info("t").shape()).containsExactly(3, 2);
            assertThat(toArray(f.bytes("t"))).containsExactly(f32(0, 3, 1, 4, 2, 5));
        }
    }

    @Test
    void writesTheReferenceLayoutByteForByte() throws IOException {
        Map<String, RawTensor> tensors = new LinkedHashMap<>();
        tensors.put("b", new RawTensor(SafetensorsDType.F32, new long[] {2}, ByteBuffer.wrap(f32(1f, 2f))));
        tensors.put("a", new RawTensor(SafetensorsDType.I8, new long[] {3}, ByteBuffer.wrap(i8(1, 2, 3))));
        tensors.put("c", new RawTensor(SafetensorsDType.F64, new long[] {}, ByteBuffer.wrap(f64(0.5))));
        tensors.put("d", new RawTensor(SafetensorsDType.F32, new long[] {0, 4}, ByteBuffer.allocate(0)));
        Path path = dir.resolve("layout.safetensors");
        SafetensorsWriter.writeRaw(path, tensors, Map.of("k", "v\u00e9"));

        // Widest element first, then by name; metadata first; compact JSON padded with spaces.
        String header = padded("{\"__metadata__\":{\"k\":\"v\u00e9\"},"
                + "\"c\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                + "\"d\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[16,16]},"
                + "\"a\":{\"dtype\":\"I8\",\"shape\":[3],\"data_offsets\":[16,19]}}");
        byte[] expected = file(header, f64(0.5), f32(1f, 2f), i8(1, 2, 3));
        byte[] actual = Files.readAllBytes(path);
        assertThat(new String(actual, 8, actual.length - 8 - 19, StandardCharsets.UTF_8))
                .isEqualTo(header);
        assertThat(actual).isEqualTo(expected);
        assertThat((actual.length - 19) % 8).isZero();
    }

    @Test
    void refusesInvalidInputBeforeCreatingAnyFile() throws IOException {
        NDArray a = manager.create(new float[] {1f});
        Path path = dir.resolve("never.safetensors");
        assertThatThrownBy(() -> SafetensorsWriter.write(path, Map.of("__metadata__", a), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved");
        Map<String, String> nullValue = new LinkedHashMap<>();
        nullValue.put("k", null);
        assertThatThrownBy(() -> SafetensorsWriter.write(path, Map.of("a", a), nullValue))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("metadata");
        NDArray strings = manager.create(new String[] {"x"});
        assertThatThrownBy(() -> SafetensorsWriter.write(path, Map.of("s", strings), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tensor 's'").hasMessageContaining("STRING");
        assertThatThrownBy(() -> new RawTensor(SafetensorsDType.F32, new long[] {3}, ByteBuffer.allocate(8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 12 bytes");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void replacesAnExistingFileAndLeavesNoTemporaryFile() throws IOException {
        Path path = dir.resolve("w.safetensors");
        SafetensorsWriter.write(path, Map.of("a", manager.create(new float[] {1f})), Map.of());
        SafetensorsWriter.write(path, Map.of("b", manager.create(new int[] {7, 8})), Map.of("v", "2"));
        try (SafetensorsFile f = SafetensorsFile.open(path)) {
            assertThat(f.names()).containsExactly("b");
            assertThat(f.load("b", manager).toIntArray()).containsExactly(7, 8);
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(path);
        }
    }
}
