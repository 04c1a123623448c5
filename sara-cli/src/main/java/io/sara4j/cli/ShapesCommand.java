package io.sara4j.cli;

import io.sara4j.diffusion.data.shapes.ShapesDataset;
import io.sara4j.diffusion.data.shapes.ShapesOptions;
import io.sara4j.diffusion.data.shapes.Split;
import io.sara4j.diffusion.data.shapes.Style;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sara shapes}: writes a training folder of the generated shapes benchmark (images plus
 * {@code metadata.jsonl}, the format {@code sara train} reads), so that every command can be tried
 * on the bundled model without data from elsewhere. See docs/data.md.
 */
@Command(name = "shapes", description = "Generate an image folder of the shapes benchmark (metadata.jsonl), e.g. a style to"
        + " fine-tune on.")
final class ShapesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder to create (must not exist or be empty).")
    Path out;

    @Option(names = "--style", required = true, split = ",", paramLabel = "STYLE", converter = EvalCommand.StyleConverter.class,
            description = "Style(s) to render: plain, outline, stripes, dots, checker, gradient, speckle.")
    List<Style> styles;

    @Option(names = "--count", defaultValue = "256", description = "Images per style (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of shapes, colours and positions (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--size", defaultValue = "32", description = "Image side in pixels (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--split", defaultValue = "train", paramLabel = "SPLIT",
            description = "train (the held-out shape/colour pairs left out), held-out (only those) or all (default: ${DEFAULT-VALUE}).")
    String split;

    @Override
    public Integer call() throws Exception {
        ShapesOptions options = ShapesOptions.builder().optImageSize(size).optSplit(split(split)).build();
        int written = ShapesDataset.generate(out, styles, count, seed, options).size();
        spec.commandLine().getOut().printf("sara: wrote %d images (%s) and metadata.jsonl to %s%n", written,
                String.join(", ", styles.stream().map(Style::label).toList()), out);
        spec.commandLine().getOut().flush();
        return 0;
    }

    private static Split split(String name) {
        return switch (name) {
            case "train" -> Split.TRAIN;
            case "held-out" -> Split.HELD_OUT;
            case "all" -> Split.ALL;
            default -> throw new IllegalArgumentException("--split: unsupported value '" + name
                    + "' (supported: train, held-out, all)");
        };
    }
}
