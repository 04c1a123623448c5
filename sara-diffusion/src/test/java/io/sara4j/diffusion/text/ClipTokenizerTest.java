package io.sara4j.diffusion.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Engines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hand-made vocabulary in the real file format, with the expected symbols worked out by hand
 * from the merge rules below (ids are positions in {@link #SYMBOLS}).
 */
class ClipTokenizerTest {
    private static final List<String> SYMBOLS = List.of(
            "!", "!</w>", "'", ",</w>", "0</w>", "2</w>", "4</w>", "a", "c", "d</w>", "e", "f", "h", "i", "l",
            "o", "o</w>", "r", "s</w>", "t</w>", "w", "Ã", "©</w>", "he", "ll", "hell", "hello</w>", "wo", "wor",
            "worl", "world</w>", "!!</w>", "'s</w>", "it</w>", "<|startoftext|>", "<|endoftext|>");

    /** Rank order: the first rule is applied first wherever it occurs. */
    private static final List<String> MERGES = List.of(
            "h e", "l l", "he ll", "hell o</w>", "w o", "wo r", "wor l", "worl d</w>", "! !</w>", "' s</w>",
            "i t</w>");

    private static final int BOS = SYMBOLS.indexOf("<|startoftext|>");
    private static final int EOS = SYMBOLS.indexOf("<|endoftext|>");

    @TempDir
    Path folder;

    private ClipTokenizer tokenizer;

    @BeforeEach
    void writeFolder() throws IOException {
        writeVocabAndMerges(folder);
        tokenizer = ClipTokenizer.load(folder);
    }

    private static void writeVocabAndMerges(Path dir) throws IOException {
        String vocab = IntStream.range(0, SYMBOLS.size())
                .mapToObj(i -> "\"" + SYMBOLS.get(i).replace("\\", "\\\\").replace("\"", "\\\"") + "\": " + i)
                .collect(Collectors.joining(", ", "{", "}"));
        Files.writeString(dir.resolve("vocab.json"), vocab);
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n" + String.join("\n", MERGES) + "\n");
    }

    private static int id(String symbol) {
        int id = SYMBOLS.indexOf(symbol);
        assertThat(id).as("symbol %s in the test vocabulary", symbol).isNotNegative();
        return id;
    }

    @Test
    void mergesApplyInRankOrderAndLowerCase() {
        // h e l l o</w> -> he l l o</w> -> he ll o</w> -> hell o</w> -> hello</w>
        assertThat(tokenizer.tokenize("Hello WORLD")).containsExactly("hello</w>", "world</w>");
        assertThat(tokenizer.encode("Hello WORLD")).containsExactly(BOS, id("hello</w>"), id("world</w>"), EOS);
    }

    @Test
    void wordEndBlocksMergesThatOnlyExistInsideWords() {
        // "hell": h e l l</w>; "l l" does not match (l, l</w>), so merging stops at he l l</w>.
        assertThat(tokenizer.tokenize("hell")).containsExactly("he", "l", "l</w>");
        assertThat(tokenizer.encode("hell")).containsExactly(BOS, id("he"), id("l"), tokenizer.unkId(), EOS);
    }

    @Test
    void punctuationRunsAreOnePieceAndSeparateFromWords() {
        assertThat(tokenizer.tokenize("hello, world!!")).containsExactly("hello</w>", ",</w>", "world</w>", "!!</w>");
    }

    @Test
    void apostropheContractionsAreSplitOff() {
        assertThat(tokenizer.tokenize("IT'S")).containsExactly("it</w>", "'s</w>");
        assertThat(tokenizer.encode("it's")).containsExactly(BOS, id("it</w>"), id("'s</w>"), EOS);
    }

    @Test
    void digitsAreOneTokenEach() {
        assertThat(tokenizer.tokenize("2024")).containsExactly("2</w>", "0</w>", "2</w>", "4</w>");
        assertThat(tokenizer.encode("2024")).containsExactly(BOS, id("2</w>"), id("0</w>"), id("2</w>"), id("4</w>"), EOS);
    }

    @Test
    void accentsAreKeptAsUtf8BytesAndComposedFirst() {
        // é is C3 A9 in UTF-8; byte C3 stands for Ã, byte A9 for ©.
        List<String> expected = List.of("c", "a", "f", "Ã", "©</w>");
        assertThat(tokenizer.tokenize("CAFÉ")).containsExactlyElementsOf(expected);
        assertThat(tokenizer.tokenize("cafe\u0301")).containsExactlyElementsOf(expected);
        assertThat(tokenizer.encode("café")).containsExactly(BOS, id("c"), id("a"), id("f"), id("Ã"), id("©</w>"), EOS);
    }

    @Test
    void whitespaceAndControlCharactersOnlySeparate() {
        assertThat(tokenizer.tokenize("  hello\t\n world\u0007  ")).containsExactly("hello</w>", "world</w>");
        assertThat(tokenizer.tokenize("hel\u00ADlo")).containsExactly("hello</w>");
        assertThat(tokenizer.tokenize("")).isEmpty();
        assertThat(tokenizer.encode("")).containsExactly(BOS, EOS);
    }

    @Test
    void unknownSymbolsMapToUnk() {
        assertThat(tokenizer.tokenize("zebra")).containsExactly("z", "e", "b", "r", "a</w>");
        int unk = tokenizer.unkId();
        assertThat(unk).isEqualTo(EOS);
        assertThat(tokenizer.encode("zebra")).containsExactly(BOS, unk, id("e"), unk, id("r"), unk, EOS);
    }

    @Test
    void specialTokensInTheTextStayWhole() {
        assertThat(tokenizer.tokenize("hello<|endoftext|>world")).containsExactly("hello</w>", "<|endoftext|>", "world</w>");
        // Upper case is not the added token, but clean-up lower-cases it into CLIP's marker.
        assertThat(tokenizer.encode("<|ENDOFTEXT|>")).containsExactly(BOS, EOS, EOS);
    }

    @Test
    void paddingFillsToModelMaxLengthWithPadAndMask() {
        PaddedTokens padded = tokenizer.encodeWithMask("hello");
        assertThat(padded.inputIds()).hasSize(77);
        assertThat(padded.inputIds()[0]).isEqualTo(BOS);
        assertThat(padded.inputIds()[1]).isEqualTo(id("hello</w>"));
        assertThat(padded.inputIds()[2]).isEqualTo(EOS);
        for (int i = 3; i < 77; i++) {
            assertThat(padded.inputIds()[i]).isEqualTo(EOS);
            assertThat(padded.attentionMask()[i]).isZero();
        }
        assertThat(padded.attentionMask()[0] + padded.attentionMask()[1] + padded.attentionMask()[2]).isEqualTo(3);
        assertThat(padded.length()).isEqualTo(3);
    }

    @Test
    void longInputIsTruncatedKeepingEosLast() {
        String text = "hello ".repeat(100);
        assertThat(tokenizer.encode(text)).hasSize(102);
        int[] ids = tokenizer.encodePadded(text);
        assertThat(ids).hasSize(77);
        assertThat(ids[0]).isEqualTo(BOS);
        for (int i = 1; i <= 75; i++) {
            assertThat(ids[i]).isEqualTo(id("hello</w>"));
        }
        assertThat(ids[76]).isEqualTo(EOS);
        assertThat(tokenizer.encodeWithMask(text).attentionMask()).containsOnly(1);
    }

    @Test
    void sd2PadTokenIsSplitOutOfTheTextAndPads() throws IOException {
        Files.writeString(folder.resolve("special_tokens_map.json"), "{\"pad_token\": \"!\"}");
        ClipTokenizer sd2 = ClipTokenizer.load(folder);
        assertThat(sd2.padId()).isEqualTo(id("!"));
        assertThat(sd2.tokenize("hello!!")).containsExactly("hello</w>", "!", "!");
        assertThat(tokenizer.tokenize("hello!!")).containsExactly("hello</w>", "!!</w>");
        int[] ids = sd2.encodePadded("hello");
        assertThat(ids[2]).isEqualTo(EOS);
        assertThat(ids[3]).isEqualTo(id("!"));
        assertThat(ids[76]).isEqualTo(id("!"));
    }

    @Test
    void configFilesSetLengthAndTokensWithMapOverridingConfig() throws IOException {
        Files.writeString(folder.resolve("tokenizer_config.json"),
                "{\"model_max_length\": 6, \"pad_token\": {\"content\": \"!\", \"lstrip\": false}}");
        ClipTokenizer small = ClipTokenizer.load(folder);
        assertThat(small.maxLength()).isEqualTo(6);
        assertThat(small.encodePadded("hello world")).containsExactly(BOS, id("hello</w>"), id("world</w>"), EOS,
                id("!"), id("!"));
        assertThat(small.encodePadded("hello hello hello hello hello")).containsExactly(BOS, id("hello</w>"),
                id("hello</w>"), id("hello</w>"), id("hello</w>"), EOS);

        Files.writeString(folder.resolve("special_tokens_map.json"), "{\"pad_token\": \"<|endoftext|>\"}");
        assertThat(ClipTokenizer.load(folder).padId()).isEqualTo(EOS);
    }

    @Test
    void batchIsInt64OfShapeBatchByMaxLength() {
        try (NDManager manager = Engines.pytorch().newBaseManager()) {
            NDArray ids = tokenizer.encodeBatch(manager, List.of("hello", "hello world"));
            assertThat(ids.getShape()).isEqualTo(new Shape(2, 77));
            assertThat(ids.getDataType()).isEqualTo(DataType.INT64);
            long[] flat = ids.toLongArray();
            assertThat(flat[0]).isEqualTo(BOS);
            assertThat(flat[77 + 2]).isEqualTo(id("world</w>"));
            assertThat(flat[77 + 3]).isEqualTo(EOS);
        }
    }

    @Test
    void missingOrMalformedFilesAreNamed() throws IOException {
        Files.writeString(folder.resolve("merges.txt"), "#version: 0.2\nh e\nl l x\n");
        assertThatThrownBy(() -> ClipTokenizer.load(folder))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("merges.txt:3");

        Files.delete(folder.resolve("merges.txt"));
        assertThatThrownBy(() -> ClipTokenizer.load(folder))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("missing merges.txt");

        Files.writeString(folder.resolve("vocab.json"), "{\"a\": 0,");
        assertThatThrownBy(() -> ClipTokenizer.load(folder))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vocab.json is not valid JSON");

        Files.writeString(folder.resolve("vocab.json"), "{\"a\": \"zero\"}");
        assertThatThrownBy(() -> ClipTokenizer.load(folder))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vocab.json: id of symbol 'a'");
    }

    @Test
    void specialTokenMissingFromVocabularyIsReported() throws IOException {
        Files.writeString(folder.resolve("special_tokens_map.json"), "{\"pad_token\": \"<pad>\"}");
        assertThatThrownBy(() -> ClipTokenizer.load(folder))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'<pad>'");
    }
}
