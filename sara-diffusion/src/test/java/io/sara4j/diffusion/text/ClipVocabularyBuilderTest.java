package io.sara4j.diffusion.text;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sara4j.diffusion.testing.FixtureTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClipVocabularyBuilderTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void everyCorpusWordBecomesOneKnownToken() throws Exception {
        List<String> corpus = List.of("stripes style, ", "a red circle on a black background",
                "an orange triangle on a white background", "circles circle circ");
        int size = ClipVocabularyBuilder.write(dir, corpus);
        ClipTokenizer tokenizer = ClipTokenizer.load(dir);
        assertThat(tokenizer.vocabSize()).isEqualTo(size);
        for (String text : corpus) {
            for (String word : text.replace(",", " ,").trim().split("\\s+")) {
                List<String> tokens = tokenizer.tokenize(word);
                assertThat(tokens).as(word).containsExactly(word + "</w>");
                assertThat(tokenizer.tokenId(tokens.get(0))).as(word).isNotEqualTo(tokenizer.unkId());
            }
        }
        // words outside the corpus still encode, byte by byte at worst, never to the unknown id
        // (unk is <|endoftext|> as in SD, so look at the tokens, not at encode(), which ends with eos)
        List<String> unseen = tokenizer.tokenize("zebra!");
        assertThat(String.join("", unseen)).isEqualTo("zebra</w>!</w>");
        for (String token : unseen) {
            assertThat(tokenizer.tokenId(token)).as(token).isNotEqualTo(tokenizer.unkId());
        }
        int[] ids = tokenizer.encode("a red circle");
        assertThat(ids[0]).isEqualTo(tokenizer.bosId());
        assertThat(ids[ids.length - 1]).isEqualTo(tokenizer.eosId());
        assertThat(ids).hasSize(5);
    }

    @Test
    void theByteLevelBaseVocabularyMatchesRealClip() throws Exception {
        ClipVocabularyBuilder.write(dir, List.of("a red circle"));
        // the parity tokenizer was written by transformers from CLIP's own bytes_to_unicode table
        JsonNode reference = JSON.readTree(FixtureTensors.resource("parity/tokenizer_clip").resolve("vocab.json").toFile());
        JsonNode ours = JSON.readTree(dir.resolve("vocab.json").toFile());
        List<String> refOrder = new ArrayList<>();
        List<String> ourOrder = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> r = reference.fields();
        Iterator<Map.Entry<String, JsonNode>> o = ours.fields();
        for (int i = 0; i < 512; i++) {
            Map.Entry<String, JsonNode> re = r.next();
            Map.Entry<String, JsonNode> oe = o.next();
            assertThat(re.getValue().asInt()).isEqualTo(i);
            assertThat(oe.getValue().asInt()).isEqualTo(i);
            refOrder.add(re.getKey());
            ourOrder.add(oe.getKey());
        }
        assertThat(ourOrder).isEqualTo(refOrder);
        assertThat(ours.get("<|startoftext|>").asInt()).isEqualTo(ours.size() - 2);
        assertThat(ours.get("<|endoftext|>").asInt()).isEqualTo(ours.size() - 1);
        assertThat(Files.readAllLines(dir.resolve("merges.txt")).get(0)).isEqualTo("#version: 0.2");
        JsonNode config = JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
        assertThat(config.get("model_max_length").asInt()).isEqualTo(77);
        assertThat(config.get("added_tokens_decoder").get(String.valueOf(ours.size() - 1)).get("content").asText())
                .isEqualTo("<|endoftext|>");
    }
}
