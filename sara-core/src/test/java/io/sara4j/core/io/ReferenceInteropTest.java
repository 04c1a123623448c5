package io.sara4j.core.io;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Engines;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interoperability with the reference implementation (huggingface/safetensors 0.8.0):
 * {@code io/reference.safetensors} was written by it ({@code io/make_reference.py} beside it).
 */
class ReferenceInteropTest {
    private static final double[] FLOATS = {-5.5, -4.5, -3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5};
    private static final double[] INTS = {-5, -4, -3, -2, -1, 0, 0, 1, 2, 3, 4, 5};
    private static final double[] ABS = {5, 4, 3, 2, 1, 0, 0, 1, 2, 3, 4, 5};
    private static final double[] POSITIVE = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1};

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

    private static Path reference() throws URISyntaxException {
        return Path.of(ReferenceInteropTest.class.getResource("/io/reference.safetensors").toURI());
    }

    @Test
    void readsAFileWrittenByTheReferenceImplementation() throws Exception {
        try (SafetensorsFile f = SafetensorsFile.open(reference())) {
            assertThat(f.metadata()).containsExactly(Map.entry("format", "pt"));
            assertThat(f.names()).containsExactly("x.i64", "x.f64", "scalar", "x.f32", "x.i32", "x.bf16",
                    "empty", "x.f16", "x.i16", "x.i8", "x.u8", "x.bool");
            for (String name : new String[] {"x.f64", "x.f32", "x.f16", "x.bf16"}) {
                assertThat(f.load(name, manager, DataType.FLOAT64).toDoubleArray()).as(name).containsExactly(FLOATS);
            }
            for (String name : new String[] {"x.i64", "x.i32", "x.i16", "x.i8"}) {
                assertThat(f.load(name, manager, DataType.FLOAT64).toDoubleArray()).as(name).containsExactly(INTS);
            }
            assertThat(f.load("x.u8", manager, DataType.FLOAT64).toDoubleArray()).containsExactly(ABS);
            NDArray bool = f.load("x.bool", manager);
            assertThat(bool.getDataType()).isEqualTo(DataType.BOOLEAN);
            assertThat(bool.toType(DataType.FLOAT64, false).toDoubleArray()).containsExactly(POSITIVE);
            assertThat(f.load("scalar", manager).getShape()).isEqualTo(new Shape());
            assertThat(f.load("scalar", manager).getFloat()).isEqualTo(2.5f);
            assertThat(f.load("empty", manager).getShape()).isEqualTo(new Shape(0, 3));
        }
    }

    @Test
    void writesTheSameBytesAsTheReferenceImplementation() throws Exception {
        NDArray base = manager.arange(12f).sub(5.5f).reshape(3, 4);
        Map<String, RawTensor> tensors = new LinkedHashMap<>();
        for (SafetensorsDType t : SafetensorsDType.values()) {
            if (t != SafetensorsDType.U8 && t != SafetensorsDType.BOOL) {
                tensors.put("x." + t.name().toLowerCase(java.util.Locale.ROOT), RawTensor.of(base, t));
            }
        }
        tensors.put("x.u8", RawTensor.of(base.abs(), SafetensorsDType.U8));
        tensors.put("x.bool", RawTensor.of(base.gt(0)));
        tensors.put("scalar", RawTensor.of(manager.create(2.5f)));
        tensors.put("empty", RawTensor.of(manager.create(new Shape(0, 3), DataType.FLOAT16)));
        Path ours = dir.resolve("ours.safetensors");
        SafetensorsWriter.writeRaw(ours, tensors, Map.of("format", "pt"));
        assertThat(Files.readAllBytes(ours)).isEqualTo(Files.readAllBytes(reference()));
    }

    @Test
    void writesTheSameBytesFromNDArraysOfEngineTypes() throws IOException, URISyntaxException {
        // Same file minus BF16 and I16 (no engine arrays of those): compare tensor by tensor.
        NDArray base = manager.arange(12f).sub(5.5f).reshape(3, 4);
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        arrays.put("x.f64", base.toType(DataType.FLOAT64, false));
        arrays.put("x.f16", base.toType(DataType.FLOAT16, false));
        arrays.put("x.i8", base.toType(DataType.INT8, false));
        arrays.put("x.bool", base.gt(0));
        Path ours = dir.resolve("arrays.safetensors");
        SafetensorsWriter.write(ours, arrays, Map.of());
        try (SafetensorsFile mine = SafetensorsFile.open(ours); SafetensorsFile ref = SafetensorsFile.open(reference())) {
            assertThat(mine.names()).containsExactly("x.f64", "x.f16", "x.i8", "x.bool");
            for (String name : mine.names()) {
                assertThat(mine.bytes(name)).as(name).isEqualTo(ref.bytes(name));
            }
        }
    }
}
