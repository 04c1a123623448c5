package io.sara4j.diffusion.pretrain;

import ai.djl.ndarray.NDManager;
import io.sara4j.core.io.AtomicFiles;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.peft.FullFineTune;
import io.sara4j.core.peft.LearningRateSchedule;
import io.sara4j.core.peft.NameFilter;
import io.sara4j.core.peft.OptimizerConfig;
import io.sara4j.diffusion.data.SplitMix64;
import io.sara4j.diffusion.data.shapes.ShapesDataset;
import io.sara4j.diffusion.data.shapes.ShapesOptions;
import io.sara4j.diffusion.data.shapes.ShapesTrainingSet;
import io.sara4j.diffusion.data.shapes.Split;
import io.sara4j.diffusion.data.shapes.Style;
import io.sara4j.diffusion.eval.Evaluator;
import io.sara4j.diffusion.loading.BundledFolders;
import io.sara4j.diffusion.loading.ConfigJson;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.scheduler.SchedulerConfig;
import io.sara4j.diffusion.text.ClipTextConfig;
import io.sara4j.diffusion.text.ClipTextModel;
import io.sara4j.diffusion.text.ClipTokenizer;
import io.sara4j.diffusion.text.ClipVocabularyBuilder;
import io.sara4j.diffusion.training.Trainer;
import io.sara4j.diffusion.training.TrainingConfig;
import io.sara4j.diffusion.training.TrainingListener;
import io.sara4j.diffusion.training.TrainingResult;
import io.sara4j.diffusion.unet.UNet2DConditionConfig;
import io.sara4j.diffusion.unet.UNet2DConditionModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pretrains a pixel-space Stable Diffusion model from nothing on the shapes benchmark and writes it
 * as a diffusers folder: the recipe of the bundled {@code models/shapes-base}.
 *
 * <ol>
 *   <li>Tokenizer: {@link ClipVocabularyBuilder} over every caption of the benchmark (all
 *       (shape, colour, background) combinations) and every style prefix, unseen styles included,
 *       so a fine-tuning prompt never meets an unknown word.
 *   <li>Models: text encoder, then UNet, initialised with PyTorch's default initialisation from the
 *       engine generator seeded with the run's seed.
 *   <li>Data: {@link ShapesTrainingSet} over the trained styles, split ALL: the base model knows
 *       every content in its styles; the held-out split only matters to the fine-tuning sets.
 *   <li>Training: {@link Trainer} with {@link FullFineTune} on the UNet (AdamW, cosine schedule with
 *       warm-up, gradient clipping at norm 1, no weight decay). The text encoder stays at its seeded
 *       random initialisation: {@code Trainer} runs it unrecorded, and a fixed random CLIP maps
 *       distinct prompts to distinct embeddings, which is all a model of this size needs.
 *   <li>Output: the pipeline saved into {@code <run>/model}, with {@code losses.csv} and
 *       {@code training.json}, then renamed to {@code out}: the folder appears complete or not at all.
 * </ol>
 *
 * <p>The run folder {@code <out>.run/} (a sibling of {@code out}) holds the checkpoint; running again
 * with the same settings continues from it bit for bit, and it is deleted once {@code out} exists.
 */
public final class Pretrainer {
    /** Where the bundled base model lives, relative to the repository root. */
    public static final Path BUNDLED = Path.of("models", "shapes-base");

    private final PretrainSettings settings;

    /** A pretrainer for {@code settings}. */
    public Pretrainer(PretrainSettings settings) {
        this.settings = settings;
    }

    /**
     * The shipped {@code models/shapes-base} (found as {@link BundledFolders#find} describes).
     *
     * @throws IllegalArgumentException when it is not found, saying where it looked
     */
    public static Path bundledFolder() {
        return BundledFolders.find(BUNDLED, "model_index.json", "the shipped base model");
    }

    /** The run folder used for {@code out}: {@code <out>.run} next to it. */
    public static Path runFolder(Path out) {
        Path target = out.toAbsolutePath().normalize();
        return target.resolveSibling(target.getFileName() + ".run");
    }

    /** Every text the tokenizer must cover: each benchmark caption after each style prefix. */
    public static List<String> corpus() {
        List<String> texts = new ArrayList<>();
        for (Style style : Style.values()) {
            texts.add(Evaluator.stylePrefix(style));
        }
        texts.addAll(ShapesDataset.prompts(ShapesOptions.builder().optSplit(Split.ALL).build()));
        return texts;
    }

    /**
     * Trains (or resumes) and writes the model folder {@code out}; {@code provenance} (command,
     * machine) is written into {@code training.json} with the settings and the run's figures.
     *
     * @throws IllegalArgumentException if {@code out} already exists, or the run folder's checkpoint
     *     was made with other settings (naming the setting)
     */
    public TrainingResult run(Path out, Map<String, Object> provenance, TrainingListener listener) throws IOException {
        Path target = out.toAbsolutePath().normalize();
        if (Files.exists(target)) {
            throw new IllegalArgumentException(target + ": already exists; choose a new output folder");
        }
        Path run = Files.createDirectories(runFolder(target));
        Path tokenizerFolder = run.resolve("tokenizer");
        ClipVocabularyBuilder.write(tokenizerFolder, corpus());
        ClipTokenizer tokenizer = ClipTokenizer.load(tokenizerFolder);
        BaseModelArchitecture a = settings.architecture();
        try (NDManager manager = Engines.pytorch().newBaseManager()) {
            Engines.pytorch().setRandomSeed((int) SplitMix64.forKey(settings.seed(), 3).nextLong());
            ClipTextModel text = new ClipTextModel(manager, ClipTextConfig.parse(
                    a.textConfigJson(tokenizer.vocabSize(), tokenizer.bosId(), tokenizer.eosId()), "text_encoder/config.json"));
            UNet2DConditionModel unet = new UNet2DConditionModel(manager, UNet2DConditionConfig.parse(a.unetConfigJson()));
            StableDiffusionPipeline pipeline = new StableDiffusionPipeline(unet, null, text, tokenizer,
                    SchedulerConfig.fromJson(BaseModelArchitecture.schedulerConfigJson()));
            Map<Style, String> prefixes = new LinkedHashMap<>();
            settings.styles().forEach(s -> prefixes.put(s, Evaluator.stylePrefix(s)));
            ShapesTrainingSet data = ShapesTrainingSet.of(prefixes, settings.imagesPerStyle(), settings.seed(),
                    ShapesOptions.builder().optSplit(Split.ALL).build(), settings.emptyCaptionFraction(), a.imageSize());
            OptimizerConfig optimizer = OptimizerConfig.defaults().withLearningRate(settings.learningRate())
                    .withSchedule(LearningRateSchedule.Kind.COSINE).withWarmupSteps(settings.warmupSteps())
                    .withTotalSteps(settings.steps()).withWeightDecay(PretrainSettings.WEIGHT_DECAY)
                    .withMaxGradNorm(PretrainSettings.MAX_GRAD_NORM);
            TrainingConfig loop = new TrainingConfig(settings.steps(), settings.batchSize(), settings.seed(),
                    settings.checkpointEvery(), settings.logEvery());
            TrainingResult result;
            try (FullFineTune tuner = FullFineTune.attach(unet, NameFilter.all(), optimizer)) {
                result = new Trainer(pipeline, tuner, data, loop).run(run, listener);
                tuner.merge();
            }
            Path staged = run.resolve("model");
            AtomicFiles.deleteRecursively(staged); // left by a run killed while saving
            pipeline.save(staged);
            Files.copy(run.resolve("losses.csv"), staged.resolve("losses.csv"), StandardCopyOption.REPLACE_EXISTING);
            Map<String, Object> report = new LinkedHashMap<>(provenance);
            report.put("settings", settings.describe());
            report.put("unet_parameters", unet.parameterCount());
            report.put("text_encoder_parameters", text.parameterCount());
            report.put("training_examples", data.size());
            report.put("resumed_from_step", result.resumedFrom());
            report.put("training_seconds_this_invocation", Math.round(result.seconds() * 10) / 10.0);
            report.put("losses", LossSummary.of(staged.resolve("losses.csv")).describe());
            AtomicFiles.writeString(staged.resolve("training.json"), ConfigJson.write(report));
            Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.deleteRecursively(run);
            return result;
        }
    }
}
