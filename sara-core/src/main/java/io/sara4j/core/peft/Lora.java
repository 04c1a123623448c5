package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.io.SafetensorsWriter;
import io.sara4j.core.io.TensorInfo;
import io.sara4j.core.nn.Autograd;
import io.sara4j.core.nn.Conv2d;
import io.sara4j.core.nn.Conv2dAdaptation;
import io.sara4j.core.nn.GradientCheckpointing;
import io.sara4j.core.nn.HostArrays;
import io.sara4j.core.nn.Linear;
import io.sara4j.core.nn.LinearAdaptation;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.nn.Scalars;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LoRA (Hu et al. 2021), SaRA's main baseline, in peft's form: for each targeted {@link Linear}
 * (weight W (out, in)) the layer computes
 * <pre>
 *   y = x·Wᵀ + b + s·(dropout(x)·Aᵀ)·Bᵀ,    s = alpha/r
 * </pre>
 * with A (r, in) initialised like a Linear weight (kaiming-uniform with a = √5, i.e.
 * U(−1/√in, 1/√in), drawn from the config's seed) and B (out, r) zeros, so training starts from the
 * base model. For a targeted {@link Conv2d} (weight (out, in, k, k), groups 1) the branch is a
 * convolution with A viewed as (r, in, k, k) (the layer's stride, padding and dilation) followed by
 * a 1×1 convolution with B viewed as (out, r, 1, 1), as peft does; the files hold A as (r, in·k·k).
 *
 * <p><b>Activation side.</b> The adaptation implements {@link LinearAdaptation} and
 * {@link Conv2dAdaptation}, so the layers hand it their input and W + s·B·A is never formed in
 * training. Backward then computes only dA and dB (B·L·r·(in + out) multiply-adds per layer) and
 * keeps the activation x·Aᵀ (width r) for it; the frozen weight gets no gradient and no weight-shaped
 * gradient is computed. This is the LoRA whose memory and time the paper compares SaRA with (Fig. 5).
 * The adaptation's {@code apply(W)} still returns W + s·B·A (no dropout) for whatever needs
 * the effective weight, and {@link #merge()} writes it into the stored weight.
 *
 * <p><b>Dropout</b> ({@code lora_dropout}) acts on the LoRA branch's input only, element-wise, with
 * survivors scaled by 1/(1 − p), and only while the layer is in training mode
 * ({@code module.setTraining(true)}; modules start in eval mode). The mask of the c-th training-mode
 * call of adapted layer ℓ during step t is drawn from a generator seeded with (seed, t, ℓ, c)
 * ({@link StepRandom}), so the same seed gives the same masks, and a resumed run draws exactly the
 * masks of an uninterrupted one. The call counter restarts after each step.
 *
 * <p>Training state ({@link #saveState}): {@code <module>.lora_A.weight}, {@code <module>.lora_B.weight}
 * and their moments ({@code .exp_avg}, {@code .exp_avg_sq}).
 */
public final class Lora extends AdamWTuner {
    private static final Logger LOG = LoggerFactory.getLogger(Lora.class);
    /** Value of the {@code format} metadata key of LoRA files. */
    public static final String FORMAT = "sara4j.lora-adapter";

    private final LoraConfig config;
    private final List<LoraAdaptation> adapters = new ArrayList<>();

    /** One adapted layer: its two factors, the activation-side forward and the effective weight. */
    private final class LoraAdaptation implements LinearAdaptation, Conv2dAdaptation {
        final String module;
        final int layer;
        final Parameter weight;
        final NDArray a;          // (r, fanIn)
        final NDArray b;          // (out, r)
        final float scale;
        int calls;                // training-mode forward calls since the last step (dropout stream)
        NDManager forward;        // owns effective weights built by apply(), freed after each step

        LoraAdaptation(String module, int layer, Parameter weight, NDArray a, NDArray b) {
            this.module = module;
            this.layer = layer;
            this.weight = weight;
            this.a = a;
            this.b = b;
            this.scale = (float) config.scale();
            this.forward = state.newSubManager();
        }

        /** W + s·B·A, the merged weight (no dropout). */
        @Override
        public NDArray apply(NDArray base) {
            NDArray product = Scalars.mul(b.matMul(a), scale);                 // (out, fanIn)
            NDArray effective = base.add(product.reshape(base.getShape()));
            product.attach(forward); // results of ops on the factors or the stored weight would live as
            effective.attach(forward); // long as the model; they are freed with the step instead
            return effective;
        }

        @Override
        public NDArray linear(NDArray x, NDArray baseWeight, NDArray bias, boolean training) {
            NDArray y = Linear.linear(x, baseWeight, bias);             // (..., out)
            NDArray h = Linear.linear(dropped(x, training), a, null);  // (..., r): the activation LoRA keeps
            return y.add(Scalars.mul(Linear.linear(h, b, null), scale));        // + s·h·Bᵀ
        }

        @Override
        public NDArray conv2d(NDArray x, NDArray baseWeight, NDArray bias, int stride, int padding, int dilation,
                int groups, boolean training) {
            Shape w = baseWeight.getShape();                           // (out, in, k, k)
            NDArray a4 = a.reshape(a.getShape().get(0), w.get(1), w.get(2), w.get(3)); // (r, in, k, k), a view
            NDArray b4 = b.reshape(w.get(0), b.getShape().get(1), 1, 1);               // (out, r, 1, 1), a view
            a4.attach(x.getManager()); // views of the factors: temporaries of this forward pass
            b4.attach(x.getManager());
            NDArray y = Conv2d.conv2d(x, baseWeight, bias, stride, padding, dilation, groups);
            NDArray h = Conv2d.conv2d(dropped(x, training), a4, null, stride, padding, dilation, 1); // (N, r, H', W')
            return y.add(Scalars.mul(Conv2d.conv2d(h, b4, null, 1, 0, 1, 1), scale));
        }

        /** x with each element zeroed with probability p and the rest scaled by 1/(1 − p), in training only. */
        private NDArray dropped(NDArray x, boolean training) {
            double p = config.dropout();
            if (!training || p == 0) {
                return x;
            }
            GradientCheckpointing.requireDeterministic("LoRA dropout on '" + module + "' (p = " + p + ")");
            if (x.size() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("LoRA dropout on '" + module + "': input of " + x.size()
                        + " elements exceeds the 2^31 a mask can hold; split the batch");
            }
            SplittableRandom random = StepRandom.of(config.seed(), StepRandom.LORA_DROPOUT, steps(), layer, calls++);
            float keep = (float) (1 / (1 - p));
            float[] mask = new float[(int) x.size()];
            for (int i = 0; i < mask.length; i++) {
                mask[i] = random.nextDouble() < p ? 0f : keep;
            }
            NDArray m = HostArrays.of(x.getManager(), mask, x.getShape());
            return x.mul(m.getDataType() == x.getDataType() ? m : m.toType(x.getDataType(), false));
        }

        /** Forgets the per-step work: effective weights built by apply() and the dropout call count. */
        void endStep() {
            calls = 0;
            forward.close();
            forward = state.newSubManager();
        }

        long values() {
            return a.size() + b.size();
        }
    }

    private Lora(NDManager state, Map<String, Parameter> weights, LoraConfig config) {
        super(state, config.optimizer(), config.optimizer().schedule(LoraConfig.DEFAULT_LEARNING_RATE), "lora",
                config.toJson(), baseWeights(weights));
        this.config = config;
        Random random = new Random(config.seed());
        weights.forEach((module, w) -> {
            Shape s = w.shape();
            long out = s.get(0);
            long fanIn = s.size() / out;
            float bound = (float) (1 / Math.sqrt(fanIn)); // kaiming_uniform_(a=√5): U(−1/√fanIn, 1/√fanIn)
            float[] init = new float[(int) (config.rank() * fanIn)];
            for (int i = 0; i < init.length; i++) {
                init[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
            }
            NDArray a = HostArrays.of(state, init, new Shape(config.rank(), fanIn));
            NDArray b = state.zeros(new Shape(out, config.rank()), w.dataType());
            NDScope.unregister(a, b);
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            optimizer.register(a);
            optimizer.register(b);
            LoraAdaptation adaptation = new LoraAdaptation(module, adapters.size(), w, a, b);
            w.setAdaptation(adaptation);
            adapters.add(adaptation);
        });
    }

    /** The adapted weights by parameter name ({@code <module>.weight}), what the base fingerprint covers. */
    private static Map<String, NDArray> baseWeights(Map<String, Parameter> weights) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        weights.forEach((module, w) -> out.put(module + ".weight", w.data()));
        return out;
    }

    /**
     * Installs LoRA on every {@link Linear} and {@link Conv2d} of {@code module} whose path matches a
     * target glob.
     *
     * @throws IllegalArgumentException if nothing matches
     */
    public static Lora attach(Module module, LoraConfig config) {
        Map<String, Parameter> weights = targetWeights(module, config.targets());
        NDManager state = TunedParameters.stateManager(weights);
        Lora lora = new Lora(state, weights, config);
        LOG.info("lora: rank {} alpha {} on {} weights, {} trainable values", config.rank(), config.alpha(), weights.size(),
                lora.trainableCount());
        return lora;
    }

    /**
     * The weight of every {@link Linear} and {@link Conv2d} whose path matches a target, by module
     * path; other modules (and containers) that match are passed over.
     *
     * @throws IllegalArgumentException if nothing matches, or a matched convolution has groups &gt; 1
     */
    static Map<String, Parameter> targetWeights(Module module, List<String> targets) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        module.namedModules().forEach((path, m) -> {
            boolean matched = !path.isEmpty() && targets.stream().anyMatch(t -> NameFilter.matchesSuffix(t, path));
            if (!matched || !(m instanceof Linear || m instanceof Conv2d)) {
                return;
            }
            if (m instanceof Conv2d conv && conv.groups() != 1) {
                throw new IllegalArgumentException("LoRA target '" + path + "' is a convolution with groups=" + conv.groups()
                        + "; only groups=1 is supported (Stable Diffusion has no grouped convolutions)");
            }
            Parameter w = m.localParameters().get("weight");
            TunedParameters.requireNoAdaptation(path + ".weight", w);
            out.put(path, w);
        });
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no Linear or Conv2d module of " + module.getClass().getSimpleName()
                    + " matches the LoRA targets " + targets);
        }
        return out;
    }

    /**
     * The rank whose trainable count, r·Σ(out + fanIn) over the targets, comes closest to
     * {@code count} (at least 1): LoRA at SaRA's budget (the paper compares at equal counts).
     */
    public static int rankForCount(Module module, List<String> targets, long count) {
        long perRank = 0;
        for (Parameter w : targetWeights(module, targets).values()) {
            perRank += w.shape().get(0) + w.shape().size() / w.shape().get(0);
        }
        return (int) Math.max(1, Math.round((double) count / perRank));
    }

    /** {@code config} with the rank chosen by {@link #rankForCount} (alpha scaled along, keeping alpha/r). */
    public static LoraConfig matchParams(Module module, LoraConfig config, long count) {
        int r = rankForCount(module, config.targets(), count);
        return config.withRank(r).withAlpha(config.scale() * r);
    }

    @Override
    protected List<AdamW.Leaf> collectGradients() {
        List<AdamW.Leaf> leaves = new ArrayList<>();
        for (LoraAdaptation l : adapters) {
            for (NDArray p : new NDArray[] {l.a, l.b}) {
                NDArray g = Autograd.gradient(p);
                if (g != null) {
                    leaves.add(new AdamW.Leaf(p, g, null));
                }
            }
        }
        return leaves;
    }

    @Override
    protected void afterUpdate() {
        for (LoraAdaptation l : adapters) {
            l.endStep();
        }
    }

    @Override
    public long trainableCount() {
        return adapters.stream().mapToLong(LoraAdaptation::values).sum();
    }

    @Override
    protected long ownStateBytes() {
        return adapters.stream().mapToLong(l -> SparseAdaptation.bytes(l.a) + SparseAdaptation.bytes(l.b)).sum();
    }

    /** The factors in order A₁, B₁, A₂, B₂, ... (for tests in this package). */
    List<NDArray> optimizerLeaves() {
        List<NDArray> out = new ArrayList<>();
        adapters.forEach(l -> {
            out.add(l.a);
            out.add(l.b);
        });
        return out;
    }

    /** The configuration. */
    public LoraConfig config() {
        return config;
    }

    /**
     * Writes {@code <module>.lora_A.weight} (r, fanIn) and {@code <module>.lora_B.weight} (out, r)
     * per adapted module, with metadata (format, version, rank, alpha, targets, steps, base fingerprint).
     */
    @Override
    public void save(Path file) {
        requireOpen();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("format_version", "1");
        meta.put("method", "lora");
        meta.put("rank", Integer.toString(config.rank()));
        meta.put("alpha", Double.toString(config.alpha()));
        try {
            meta.put("targets", new ObjectMapper().writeValueAsString(config.targets()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        meta.put("steps", Long.toString(steps()));
        meta.put("base_fingerprint", fingerprint().toJson());
        runMetadata().forEach(meta::putIfAbsent);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            Map<String, NDArray> detached = new LinkedHashMap<>();
            namedLeaves().forEach((k, v) -> detached.put(k, v.stopGradient()));
            SafetensorsWriter.write(file, detached, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write LoRA adapter " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads factors saved by {@link #save} for the same base and targets into this tuner. */
    @Override
    public void load(Path file) {
        requireOpen();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            checkFormat(f, file);
            fingerprint().checkCompatible(BaseFingerprint.fromJson(f.metadata().get("base_fingerprint"), file.toString()),
                    file.toString());
            for (Map.Entry<String, NDArray> factor : namedLeaves().entrySet()) { // A then B of each module
                String key = factor.getKey();
                NDArray target = factor.getValue();
                TensorInfo info = f.info(key);
                if (!Arrays.equals(info.shape(), target.getShape().getShape())) {
                    throw new IllegalArgumentException(file + ": tensor '" + key + "' has shape "
                            + Arrays.toString(info.shape()) + ", this tuner needs " + target.getShape()
                            + " (different rank?)");
                }
                try (NDScope scope = new NDScope(); NDArray v = f.load(key, state, target.getDataType())) {
                    scope.suppressNotUsedWarning();
                    target.stopGradient().set(new NDIndex("..."), v);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read LoRA adapter " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Applies a LoRA file to a model without training: checks the base, then
     * W ← W + alpha·(file alpha / r)·B·A for each adapted module.
     */
    public static void applyFile(Module module, Path file, double alpha) {
        Map<String, Module> modules = module.namedModules();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            checkFormat(f, file);
            BaseFingerprint fp = BaseFingerprint.fromJson(f.metadata().get("base_fingerprint"), file.toString());
            fp.check(module, "LoRA adapter " + file);
            double scale = alpha * Double.parseDouble(f.metadata().get("alpha")) / Integer.parseInt(f.metadata().get("rank"));
            for (String weightName : fp.tensors().keySet()) {
                String path = weightName.substring(0, weightName.length() - ".weight".length());
                Parameter w = modules.get(path).localParameters().get("weight");
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray a = f.load(path + ".lora_A.weight", w.data().getManager(), w.dataType());
                    NDArray b = f.load(path + ".lora_B.weight", w.data().getManager(), w.dataType());
                    w.data().addi(b.matMul(a).muli((float) scale).reshape(w.shape()));
                    a.close();
                    b.close();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read LoRA adapter " + file + ": " + e.getMessage(), e);
        }
    }

    private static void checkFormat(SafetensorsFile f, Path file) {
        String format = f.metadata().get("format");
        if (!FORMAT.equals(format)) {
            throw new IllegalArgumentException(file + ": not a sara4j LoRA adapter (metadata \"format\" is "
                    + (format == null ? "missing" : "'" + format + "'") + ", expected '" + FORMAT + "')");
        }
        for (String key : new String[] {"rank", "alpha", "base_fingerprint"}) {
            if (!f.metadata().containsKey(key)) {
                throw new IllegalArgumentException(file + ": LoRA adapter metadata lacks \"" + key + "\"");
            }
        }
    }

    /**
     * The factors by their file names, {@code <module>.lora_A.weight} and {@code <module>.lora_B.weight}:
     * the same names in the adapter and the training state, where they are saved whole.
     */
    @Override
    protected Map<String, NDArray> namedLeaves() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (LoraAdaptation l : adapters) {
            out.put(l.module + ".lora_A.weight", l.a);
            out.put(l.module + ".lora_B.weight", l.b);
        }
        return out;
    }

    @Override
    protected void afterStateLoaded() {
        adapters.forEach(LoraAdaptation::endStep);
    }

    @Override
    protected void afterValuesReplaced() {
        adapters.forEach(LoraAdaptation::endStep); // effective weights built from the old factors are stale
    }

    /** W ← W + (alpha/r)·B·A in every adapted weight (the adaptations are removed after). */
    @Override
    protected void writeMerged() {
        for (LoraAdaptation l : adapters) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray product = l.b.stopGradient().matMul(l.a.stopGradient()).muli(l.scale);
                l.weight.data().addi(product.reshape(l.weight.shape()));
            }
        }
    }

    @Override
    protected void detachAll() {
        for (LoraAdaptation l : adapters) {
            if (l.weight.adaptation() == l) {
                l.weight.setAdaptation(null);
            }
        }
    }
}
