package io.sara4j.core.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds safetensors files byte by byte, independently of the writer under test. */
final class Fixtures {
    private Fixtures() {}

    /** 8-byte little-endian length of {@code header}, the header's UTF-8 bytes, then {@code data}. */
    static byte[] file(String header, byte[]... data) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(le8(json.length));
        out.writeBytes(json);
        for (byte[] d : data) {
            out.writeBytes(d);
        }
        return out.toByteArray();
    }

    /** {@code header} followed by spaces up to a length that is a multiple of 8, as writers pad it. */
    static String padded(String header) {
        int length = header.getBytes(StandardCharsets.UTF_8).length;
        return header + " ".repeat((8 - length % 8) % 8);
    }

    static Path write(Path dir, String name, byte[] bytes) {
        try {
            return Files.write(dir.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] le8(long v) {
        return buffer(8).putLong(v).array();
    }

    static byte[] f64(double... values) {
        ByteBuffer b = buffer(values.length * 8);
        for (double v : values) {
            b.putDouble(v);
        }
        return b.array();
    }

    static byte[] f32(float... values) {
        ByteBuffer b = buffer(values.length * 4);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    /** Raw 32-bit patterns (float bits or int32 values). */
    static byte[] i32(int... values) {
        ByteBuffer b = buffer(values.length * 4);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }

    static byte[] i64(long... values) {
        ByteBuffer b = buffer(values.length * 8);
        for (long v : values) {
            b.putLong(v);
        }
        return b.array();
    }

    /** Raw 16-bit patterns (F16, BF16 bits or int16 values). */
    static byte[] i16(int... values) {
        ByteBuffer b = buffer(values.length * 2);
        for (int v : values) {
            b.putShort((short) v);
        }
        return b.array();
    }

    static byte[] i8(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    static byte[] toArray(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static ByteBuffer buffer(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
