package io.sara4j.core.io;

import static io.sara4j.core.io.Fixtures.file;
import static io.sara4j.core.io.Fixtures.le8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every malformed file is refused at open() with a message naming the file and the problem. */
class SafetensorsValidationTest {
    @TempDir
    Path dir;

    private static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":["
                + begin + "," + end + "]}";
    }

    private static Arguments malformed(String problem, byte[] bytes, String... expectedInMessage) {
        return Arguments.of(problem, bytes, expectedInMessage);
    }

    static Stream<Arguments> malformedFiles() {
        byte[] eight = new byte[8];
        return Stream.of(
                malformed("shorter than 8 bytes", new byte[] {1, 0, 0, 0, 0}, "5 bytes", "8-byte header length"),
                malformed("header length beyond the file", concat(le8(1000), "{}".getBytes(StandardCharsets.UTF_8)),
                        "header length 1000", "runs past the end of the file"),
                malformed("header length above 2^63", concat(le8(-1), eight), "18446744073709551615"),
                malformed("malformed JSON", file("{\"a\":{\"dtype\":\"F32\","), "malformed JSON"),
                malformed("unquoted key", file("{a:1}"), "malformed JSON"),
                malformed("header not an object", file("[1,2]"), "not a JSON object", "0x5B"),
                malformed("empty header", file(""), "not a JSON object"),
                malformed("content after the object", file("{} {}"), "after its closing '}'"),
                malformed("entry not an object", file("{\"w\":[1]}"), "tensor 'w'", "must be an object"),
                malformed("unknown dtype", file("{" + entry("w", "F8_E4M3", "[1]", 0, 1) + "}", eight),
                        "tensor 'w'", "unsupported dtype 'F8_E4M3'", "supported: F64"),
                malformed("dtype not a string", file("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,1]}}"),
                        "tensor 'w'", "dtype must be a string"),
                malformed("negative dimension", file("{" + entry("w", "F32", "[2,-1]", 0, 8) + "}", eight),
                        "tensor 'w'", "shape [2, -1] has a negative dimension"),
                malformed("fractional dimension", file("{" + entry("w", "F32", "[2.0]", 0, 8) + "}", eight),
                        "tensor 'w'", "shape must hold integers"),
                malformed("dimension beyond 64 bits", file("{" + entry("w", "U8", "[18446744073709551616]", 0, 8)
                        + "}", eight), "tensor 'w'", "fit 64 bits"),
                malformed("element count overflows", file("{" + entry("w", "F32", "[4294967296,4294967296]", 0, 8)
                        + "}", eight), "tensor 'w'", "more bytes than a long can count"),
                malformed("byte size mismatch", file("{" + entry("w", "F32", "[2,3]", 0, 20) + "}", new byte[20]),
                        "tensor 'w'", "byte size mismatch", "needs 24 bytes", "hold 20"),
                malformed("offsets reversed", file("{" + entry("w", "U8", "[0]", 8, 0) + "}", eight),
                        "tensor 'w'", "0 <= begin <= end"),
                malformed("three offsets", file("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}}"),
                        "tensor 'w'", "data_offsets must be [begin, end]"),
                malformed("missing data_offsets", file("{\"w\":{\"dtype\":\"U8\",\"shape\":[1]}}"),
                        "tensor 'w'", "missing 'data_offsets'"),
                malformed("unexpected key", file("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],"
                        + "\"stride\":[1]}}", new byte[1]), "tensor 'w'", "unexpected key 'stride'"),
                malformed("overlapping offsets", file("{" + entry("a", "F32", "[2]", 0, 8) + ","
                        + entry("b", "F32", "[2]", 4, 12) + "}", new byte[12]),
                        "tensor 'b'", "overlap tensor 'a'"),
                malformed("gap between tensors", file("{" + entry("a", "F32", "[1]", 0, 4) + ","
                        + entry("b", "F32", "[1]", 8, 12) + "}", new byte[12]),
                        "gap in the data section", "bytes [4, 8)", "between tensor 'a' and tensor 'b'"),
                malformed("gap before the first tensor", file("{" + entry("a", "F32", "[1]", 4, 8) + "}", eight),
                        "bytes [0, 4) before the first tensor 'a'"),
                malformed("offsets past the end of the file", file("{" + entry("a", "F32", "[4]", 0, 16) + "}", eight),
                        "tensor 'a'", "run past the end of the file", "holds 8 bytes"),
                malformed("data section not fully covered", file("{" + entry("a", "F32", "[1]", 0, 4) + "}", eight),
                        "not fully covered", "bytes [4, 8) after tensor 'a'"),
                malformed("data but no tensors", file("{}", eight), "not fully covered", "bytes [0, 8)"),
                malformed("duplicate tensor name", file("{" + entry("w", "F32", "[1]", 0, 4) + ","
                        + entry("w", "F32", "[1]", 4, 8) + "}", eight), "duplicate tensor name 'w'"),
                malformed("duplicate key inside an entry", file("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F64\","
                        + "\"shape\":[1],\"data_offsets\":[0,8]}}", eight), "tensor 'w'", "duplicate key 'dtype'"),
                malformed("duplicate __metadata__", file("{\"__metadata__\":{},\"__metadata__\":{}}"),
                        "duplicate key '__metadata__'"),
                malformed("duplicate metadata key", file("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}"),
                        "duplicate key 'k' in __metadata__"),
                malformed("metadata value not a string", file("{\"__metadata__\":{\"steps\":100}}"),
                        "__metadata__ value of 'steps' must be a string", "100"),
                malformed("metadata not an object", file("{\"__metadata__\":\"x\"}"),
                        "__metadata__ must be an object"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedFiles")
    void refusesMalformedFilesNamingFileAndProblem(String problem, byte[] bytes, String[] expected) {
        Path path = Fixtures.write(dir, "bad.safetensors", bytes);
        assertThatThrownBy(() -> SafetensorsFile.open(path).close())
                .as(problem)
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageStartingWith(path + ": ")
                .hasMessageContainingAll(expected)
                .satisfies(e -> assertThat(((SafetensorsFormatException) e).file()).isEqualTo(path));
    }

    @Test
    void acceptsAZeroByteTensorAtTheEndOfTheData() throws Exception {
        byte[] bytes = file("{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("z", "F32", "[0]", 4, 4) + "}",
                new byte[4]);
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.write(dir, "ok.safetensors", bytes))) {
            assertThat(f.names()).containsExactly("a", "z");
        }
    }

    @Test
    void refusesAHeaderOverTheSizeLimitWithoutReadingIt() throws Exception {
        Path path = dir.resolve("huge-header.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
            raf.write(le8(SafetensorsHeader.MAX_HEADER_BYTES + 1));
            raf.setLength(8 + SafetensorsHeader.MAX_HEADER_BYTES + 1); // sparse: nothing else is written
        }
        assertThatThrownBy(() -> SafetensorsFile.open(path))
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("header length 100000001 exceeds the limit");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
