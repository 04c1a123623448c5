package io.sara4j.diffusion.text;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The 100 reference cases of {@code parity/tokenizer_cases.json} (transformers 4.34.0 slow
 * CLIPTokenizer without ftfy) on the 1,000-entry vocabulary of {@code parity/tokenizer_clip/}, for
 * the SD1 padding convention (pad {@code <|endoftext|>}) and the SD2 one (pad {@code !}).
 */
class ClipTokenizerParityTest {
    private static JsonNode fixture;
    private static ClipTokenizer sd1;
    private static ClipTokenizer sd2;

    @BeforeAll
    static void load(@TempDir Path tmp) throws IOException, URISyntaxException {
        try (InputStream in = ClipTokenizerParityTest.class.getResourceAsStream("/parity/tokenizer_cases.json")) {
            fixture = new ObjectMapper().readTree(in);
        }
        Path folder = Path.of(ClipTokenizerParityTest.class.getResource("/parity/tokenizer_clip/vocab.json").toURI())
                .getParent();
        sd1 = ClipTokenizer.load(folder);
        // An SD2 tokenizer folder: the same files, with "!" as pad token in special_tokens_map.json.
        for (String name : List.of("vocab.json", "merges.txt", "tokenizer_config.json")) {
            Files.copy(folder.resolve(name), tmp.resolve(name));
        }
        Files.writeString(tmp.resolve("special_tokens_map.json"), "{\"bos_token\": \"<|startoftext|>\","
                + " \"eos_token\": \"<|endoftext|>\", \"pad_token\": \"!\", \"unk_token\": \"<|endoftext|>\"}");
        sd2 = ClipTokenizer.load(tmp);
    }

    @Test
    void fixtureWasMadeWithoutFtfyAndMatchesTheLoadedSpecialTokens() {
        assertThat(fixture.get("ftfy_available").asBoolean()).isFalse();
        assertThat(fixture.get("text_cleanup_path").asText()).startsWith("BasicTokenizer(do_lower_case=True");
        assertThat(fixture.get("cases")).hasSize(100);
        assertThat(sd1.bosId()).isEqualTo(fixture.get("bos_token_id").asInt());
        assertThat(sd1.eosId()).isEqualTo(fixture.get("eos_token_id").asInt());
        assertThat(sd1.padId()).isEqualTo(fixture.at("/variants/sd1/pad_token_id").asInt());
        assertThat(sd2.padId()).isEqualTo(fixture.at("/variants/sd2/pad_token_id").asInt());
        assertThat(sd1.maxLength()).isEqualTo(fixture.at("/call/max_length").asInt());
        assertThat(sd1.vocabSize()).isEqualTo(fixture.get("vocab_size").asInt());
    }

    static Stream<Arguments> cases() throws IOException {
        JsonNode root;
        try (InputStream in = ClipTokenizerParityTest.class.getResourceAsStream("/parity/tokenizer_cases.json")) {
            root = new ObjectMapper().readTree(in);
        }
        List<Arguments> out = new ArrayList<>();
        int i = 0;
        for (JsonNode c : root.get("cases")) {
            out.add(Arguments.of(i++, c));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "case {0}")
    @MethodSource("cases")
    void sd1TokensIdsAndPaddedIdsMatchReference(int index, JsonNode c) {
        String text = c.get("text").asText();
        assertThat(sd1.tokenize(text)).as("tokens of %s", quote(text)).containsExactlyElementsOf(strings(c.get("tokens_sd1")));
        assertThat(sd1.encode(text)).as("ids of %s", quote(text)).containsExactly(ints(c.get("ids_untruncated_sd1")));
        PaddedTokens padded = sd1.encodeWithMask(text);
        assertThat(padded.inputIds()).as("input_ids_sd1 of %s", quote(text)).containsExactly(ints(c.get("input_ids_sd1")));
        assertThat(padded.attentionMask()).as("mask of %s", quote(text)).containsExactly(ints(c.get("attention_mask_sd1")));
    }

    @ParameterizedTest(name = "case {0}")
    @MethodSource("cases")
    void sd2TokensAndPaddedIdsMatchReference(int index, JsonNode c) {
        String text = c.get("text").asText();
        assertThat(sd2.tokenize(text)).as("tokens of %s", quote(text)).containsExactlyElementsOf(strings(c.get("tokens_sd2")));
        PaddedTokens padded = sd2.encodeWithMask(text);
        assertThat(padded.inputIds()).as("input_ids_sd2 of %s", quote(text)).containsExactly(ints(c.get("input_ids_sd2")));
        assertThat(padded.attentionMask()).as("mask of %s", quote(text)).containsExactly(ints(c.get("attention_mask_sd2")));
        assertThat(sd2.encodePadded(text)).containsExactly(padded.inputIds());
    }

    private static String quote(String text) {
        StringBuilder sb = new StringBuilder("\"");
        text.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp > 0x7E) {
                sb.append(String.format("\\u%04X", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.append('"').toString();
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
