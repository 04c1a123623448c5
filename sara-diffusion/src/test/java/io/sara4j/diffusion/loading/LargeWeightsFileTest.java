package io.sara4j.diffusion.loading;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.FixtureTensors;
import io.sara4j.diffusion.text.ClipTextModel;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opening a multi-gigabyte weights file does not copy it into the heap: a text encoder folder whose
 * {@code model.safetensors} is over 3 GiB loads through the production path
 * ({@link ClipTextModel#load} → {@link WeightFiles} → core's strict loader) while the heap grows
 * by a few megabytes at most.
 *
 * <p>The file is the tiny fixture model's own tensors placed behind a 3 GiB
 * {@code text_model.embeddings.position_ids} tensor: the buffer older transformers checkpoints
 * store, which the text encoder's load is told to ignore. The file is created sparse (only the
 * header and the real tensors are written), so the test needs no disk space to speak of; every
 * weight the model reads lies beyond the 3 GiB offset, and the outputs show they were read right.
 */
class LargeWeightsFileTest extends EngineTestBase {
    private static final long FILLER = 3L << 30;
    private static final long MAX_HEAP_GROWTH = 64L << 20;
    /** The buffer transformers < 4.31 saved with CLIP text encoders; ClipTextModel.load ignores it. */
    private static final String POSITION_IDS = "text_model.embeddings.position_ids";

    @TempDir
    Path dir;

    @Test
    void aThreeGibTextEncoderFileLoadsWithoutPassingThroughTheHeap() throws IOException {
        Path fixture = FixtureTensors.resource("parity/clip_text_tiny");
        ClipTextModel original = ClipTextModel.load(fixture, manager, DataType.FLOAT32);
        Path folder = dir.resolve("text_encoder");
        Files.createDirectories(folder);
        Files.copy(fixture.resolve("config.json"), folder.resolve("config.json"));
        Path weights = folder.resolve("model.safetensors");
        writeBehindFiller(fixture.resolve("model.safetensors"), weights);
        assertThat(Files.size(weights)).isGreaterThan(FILLER);

        long before = usedHeap();
        ClipTextModel loaded = ClipTextModel.load(folder, manager, DataType.FLOAT32);
        long growth = usedHeap() - before;
        System.out.printf("heap growth loading a %.2f GiB weights file: %.2f MiB%n",
                Files.size(weights) / (double) (1L << 30), growth / (double) (1L << 20));
        assertThat(growth).isLessThan(MAX_HEAP_GROWTH);

        NDArray ids = FixtureTensors.read(fixture.resolve("io.safetensors"), manager).get("in.input_ids");
        assertThat(loaded.forward(ids).lastHiddenState().toFloatArray())
                .containsExactly(original.forward(ids).lastHiddenState().toFloatArray());
    }

    /**
     * Copies the safetensors file {@code source} to {@code target} with a {@code FILLER}-byte I64
     * {@code position_ids} tensor in front of its data: the header gains that entry and every other
     * offset moves by {@code FILLER}; the filler's bytes are never written (a hole in a sparse file).
     */
    private static void writeBehindFiller(Path source, Path target) throws IOException {
        byte[] file = Files.readAllBytes(source);
        int headerLength = (int) ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = (ObjectNode) json.readTree(new String(file, 8, headerLength, StandardCharsets.UTF_8));

        ObjectNode moved = json.createObjectNode();
        ObjectNode filler = moved.putObject(POSITION_IDS);
        filler.put("dtype", "I64");
        filler.putArray("shape").add(1).add(FILLER / 8);
        filler.putArray("data_offsets").add(0L).add(FILLER);
        for (Map.Entry<String, JsonNode> e : header.properties()) {
            ObjectNode entry = e.getValue().deepCopy();
            if (entry.has("data_offsets")) {
                long begin = entry.get("data_offsets").get(0).asLong();
                long end = entry.get("data_offsets").get(1).asLong();
                entry.putArray("data_offsets").add(FILLER + begin).add(FILLER + end);
            }
            moved.set(e.getKey(), entry);
        }
        byte[] newHeader = padTo8(json.writeValueAsString(moved)).getBytes(StandardCharsets.UTF_8);
        int dataStart = 8 + headerLength;
        long newDataStart = 8L + newHeader.length;
        try (RandomAccessFile out = new RandomAccessFile(target.toFile(), "rw")) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(newHeader.length).array());
            out.write(newHeader);
            out.setLength(newDataStart + FILLER + (file.length - dataStart));
            out.seek(newDataStart + FILLER);
            out.write(file, dataStart, file.length - dataStart);
        }
    }

    private static String padTo8(String header) {
        int length = header.getBytes(StandardCharsets.UTF_8).length;
        return header + " ".repeat((8 - length % 8) % 8);
    }

    private static long usedHeap() {
        System.gc();
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }
}
