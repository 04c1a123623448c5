package io.sara4j.cli;

import io.sara4j.core.nn.Engines;
import io.sara4j.diffusion.data.shapes.Style;
import io.sara4j.diffusion.pretrain.BaseModelArchitecture;
import io.sara4j.diffusion.pretrain.LossSummary;
import io.sara4j.diffusion.pretrain.PretrainSettings;
import io.sara4j.diffusion.pretrain.Pretrainer;
import io.sara4j.diffusion.training.TrainingResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sara pretrain}: trains a small pixel-space Stable Diffusion model from nothing on the
 * generated shapes benchmark (data rendered in memory, seeded) and writes it as a diffusers folder
 * with {@code training.json} and {@code losses.csv}. The defaults reproduce the bundled
 * {@code models/shapes-base}; a killed run started again with the same {@code --out} continues from
 * its last checkpoint in {@code <out>.run/}.
 *
 * <p>The shipped model was made with {@code sara pretrain --out models/shapes-base} (the defaults)
 * on an otherwise idle 2-core machine in 60 minutes. On a machine shared with other jobs set
 * {@code OMP_NUM_THREADS=1}: PyTorch's OpenMP threads spin-wait for each other when the cores are
 * busy, which can make a step several times slower.
 */
@Command(name = "pretrain",
        description = "Pretrain a small base model on the shapes benchmark (reproduces models/shapes-base).")
final class PretrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Model folder to write (must not exist).")
    Path out;

    @Option(names = "--steps", description = "Optimizer steps (default: 5000).")
    Integer steps;

    @Option(names = "--batch-size", description = "Images per step (default: 16).")
    Integer batchSize;

    @Option(names = "--lr", description = "Peak learning rate of the cosine schedule (default: 2e-3).")
    Double learningRate;

    @Option(names = "--warmup", description = "Warm-up steps (default: 50).")
    Integer warmup;

    @Option(names = "--seed", description = "Seed of initialisation, data, noise and timesteps (default: 0).")
    Long seed;

    @Option(names = "--styles", split = ",", paramLabel = "STYLE", converter = EvalCommand.StyleConverter.class,
            description = "Styles to learn (default: plain,outline,checker,gradient; the rest stay unseen).")
    List<Style> styles;

    @Option(names = "--images-per-style", description = "Distinct examples per style (default: 2048).")
    Integer imagesPerStyle;

    @Option(names = "--channels", split = ",", paramLabel = "N",
            description = "UNet channels per level (default: 32,64,64).")
    List<Integer> channels;

    @Option(names = "--text-width", description = "CLIP hidden size = cross-attention width (default: 64).")
    Integer textWidth;

    @Option(names = "--checkpoint-every", description = "Checkpoint interval in steps; 0: only at the end (default: 250).")
    Integer checkpointEvery;

    @Option(names = "--log-every", description = "Progress line interval in steps (default: 25).")
    Integer logEvery;

    @Override
    public Integer call() throws Exception {
        PrintWriter log = spec.commandLine().getErr();
        PretrainSettings settings = settings();
        Pretrainer pretrainer = new Pretrainer(settings);
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("command", command());
        provenance.put("machine", machine());
        log.printf(Locale.ROOT, "sara: pretraining %s on %s, %d steps of %d images; run folder %s%n",
                settings.architecture().blockOutChannels(), settings.styles(), settings.steps(), settings.batchSize(),
                Pretrainer.runFolder(out));
        log.flush();
        long started = System.nanoTime();
        TrainingResult result = pretrainer.run(out, provenance, TrainingProgress.lines(log));
        // the whole run's curve, also when this invocation only resumed its end
        LossSummary losses = LossSummary.of(out.resolve("losses.csv"));
        List<Double> tenths = losses.meanByTenth();
        log.printf(Locale.ROOT, "sara: done in %.1f s (wall %.1f s); loss %.4f at step 1, mean %.4f over the last tenth"
                + " of %d steps; wrote %s%n", result.seconds(), (System.nanoTime() - started) / 1e9, losses.firstLoss(),
                tenths.get(tenths.size() - 1), losses.steps(), out);
        log.flush();
        return 0;
    }

    private PretrainSettings settings() {
        PretrainSettings d = PretrainSettings.shapesBase();
        BaseModelArchitecture a = d.architecture();
        BaseModelArchitecture architecture = new BaseModelArchitecture(a.imageSize(),
                channels == null ? a.blockOutChannels() : channels, a.layersPerBlock(), a.attentionHeadDim(),
                a.normGroups(), textWidth == null ? a.textWidth() : textWidth, a.textLayers(), a.textHeads());
        return new PretrainSettings(architecture, styles == null ? d.styles() : styles,
                imagesPerStyle == null ? d.imagesPerStyle() : imagesPerStyle, d.emptyCaptionFraction(),
                steps == null ? d.steps() : steps, batchSize == null ? d.batchSize() : batchSize,
                learningRate == null ? d.learningRate() : learningRate, warmup == null ? d.warmupSteps() : warmup,
                seed == null ? d.seed() : seed, checkpointEvery == null ? d.checkpointEvery() : checkpointEvery,
                logEvery == null ? d.logEvery() : logEvery);
    }

    /** The command line as given (the options that differ from the defaults). */
    private String command() {
        List<String> args = new ArrayList<>(List.of("sara")); // originalArgs starts with the subcommand
        args.addAll(spec.commandLine().getParseResult().originalArgs());
        return String.join(" ", args);
    }

    /** Where the run happened: processors, CPU model, PyTorch's thread counts, OMP_NUM_THREADS. */
    static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("nproc", Runtime.getRuntime().availableProcessors());
        m.put("cpu_model", cpuModel());
        Engines.pytorch(); // loads the native library the two calls below need
        // The only direct engine call of the CLI: DJL's NDManager API does not expose thread counts.
        m.put("torch_threads", ai.djl.pytorch.jni.JniUtils.getNumThreads());
        m.put("torch_interop_threads", ai.djl.pytorch.jni.JniUtils.getNumInteropThreads());
        m.put("omp_num_threads", System.getenv("OMP_NUM_THREADS"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        m.put("java", System.getProperty("java.version"));
        return m;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }
}
