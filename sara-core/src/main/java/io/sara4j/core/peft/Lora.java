package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.io.SafetensorsWriter;
import io.sara4j.core.io.TensorInfo;
import io.sara4j.core.nn.Adaptation;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LoRA (Hu et al. 2021), SaRA's main baseline: for each targeted module's weight W (out, fanIn),
 * W_eff = W + (alpha/r)·B·A with A (r, fanIn) initialised like a Linear weight (peft's
 * kaiming-uniform) and B (out, r) zeros, so training starts from the base model. Conv weights
 * (out, in, k, k) are handled as (out, in·k·k).
 *
 * <p><b>Weight side, not activation side.</b> sara4j's single plug-in point is
 * {@link Parameter#value()}, so LoRA is an {@link Adaptation} that returns W + s·B·A. This costs,
 * per adapted layer and step, one weight-sized temporary (and its gradient in backward), where
 * peft's activation-side form x·Aᵀ·Bᵀ costs activations of width r but keeps an extra activation
 * per layer for backward (the memory the paper's Fig. 5 attributes to LoRA). For the attention
 * projections of the models here the weight is the smaller of the two once batch × tokens exceeds
 * fanIn; an activation-side path would need the layers themselves to know about LoRA, which the
 * one-point design avoids. Merged and unmerged outputs agree to rounding.
 *
 * <p><b>Dropout.</b> peft drops input features per example before A; on the weight side there is no
 * input, so {@code dropout} drops each of the r rank components per step (scaled by 1/(1−p)), the
 * rank dropout of LyCORIS. Off (0) by default, as in the paper's comparison.
 *
 * <p>The effective weight is computed on every forward pass, also outside training; its
 * temporaries belong to the tuner and are freed at each step (or by the caller's {@code NDScope}).
 * For sampling, {@link #merge()} first: inference then costs nothing extra.
 */
public final class Lora extends AdamWTuner {
    private static final Logger LOG = LoggerFactory.getLogger(Lora.class);
    /** Value of the {@code format} metadata key of LoRA files. */
    public static final String FORMAT = "sara4j.lora-adapter";

    private final LoraConfig config;
    private final List<LoraAdaptation> adapters = new ArrayList<>();
    private final BaseFingerprint fingerprint;

    /** One adapted weight: its two factors and the adaptation that adds their product. */
    private static final class LoraAdaptation implements Adaptation {
        final String module;
        final Parameter weight;
        final NDArray a;
        final NDArray b;
        final float scale;
        final double dropout;
        final Random random;
        NDManager forward;

        LoraAdaptation(String module, Parameter weight, NDArray a, NDArray b, double scale, double dropout, Random random,
                NDManager forward) {
            this.module = module;
            this.weight = weight;
            this.a = a;
            this.b = b;
            this.scale = (float) scale;
            this.dropout = dropout;
            this.random = random;
            this.forward = forward;
        }

        @Override
        public NDArray apply(NDArray base) {
            NDArray bs = b;
            NDArray mask = null;
            if (dropout > 0 && Autograd.isRecording()) {
                float[] keep = new float[(int) a.getShape().get(0)];
                for (int i = 0; i < keep.length; i++) {
                    keep[i] = random.nextDouble() < dropout ? 0f : (float) (1 / (1 - dropout));
                }
                mask = forward.create(keep);
                bs = b.mul(mask); // (out, r) with dropped columns
            }
            NDArray product = bs.matMul(a).muli(scale);                 // (out, fanIn)
            NDArray effective = base.add(product.reshape(base.getShape()));
            for (NDArray t : new NDArray[] {product, effective, mask, bs == b ? null : bs}) {
                if (t != null) {
                    t.attach(forward); // freed with the step, not with the model
                }
            }
            return effective;
        }

        long values() {
            return a.size() + b.size();
        }
    }

    private Lora(NDManager state, Map<String, Parameter> weights, LoraConfig config) {
        super(state, config.optimizer(), config.optimizer().schedule(LoraConfig.DEFAULT_LEARNING_RATE));
        this.config = config;
        Map<String, NDArray> data = new LinkedHashMap<>();
        weights.forEach((module, w) -> data.put(module + ".weight", w.data()));
        this.fingerprint = BaseFingerprint.of(data);
        Random random = new Random(config.seed());
        weights.forEach((module, w) -> {
            Shape s = w.shape();
            long out = s.get(0);
            long fanIn = s.size() / out;
            float bound = (float) (1 / Math.sqrt(fanIn));
            float[] init = new float[(int) (config.rank() * fanIn)];
            for (int i = 0; i < init.length; i++) {
                init[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
            }
            NDArray a = state.create(init, new Shape(config.rank(), fanIn));
            NDArray b = state.zeros(new Shape(out, config.rank()), w.dataType());
            NDScope.unregister(a, b);
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            optimizer.register(a);
            optimizer.register(b);
            LoraAdaptation adaptation = new LoraAdaptation(module, w, a, b, config.scale(), config.dropout(),
                    new Random(config.seed() + 1), state.newSubManager());
            w.setAdaptation(adaptation);
            adapters.add(adaptation);
        });
    }

    /**
     * Installs LoRA on every module of {@code module} whose path matches a target glob and that has
     * a 2-D or 4-D {@code weight}.
     *
     * @throws IllegalArgumentException if nothing matches
     */
    public static Lora attach(Module module, LoraConfig config) {
        Map<String, Parameter> weights = targetWeights(module, config.targets());
        NDManager state = weights.values().iterator().next().data().getManager().newSubManager();
        Lora lora = new Lora(state, weights, config);
        LOG.info("lora: rank {} alpha {} on {} weights, {} trainable values", config.rank(), config.alpha(), weights.size(),
                lora.trainableCount());
        return lora;
    }

    /** The weight of every module whose path matches a target, by module path. */
    static Map<String, Parameter> targetWeights(Module module, List<String> targets) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        module.namedModules().forEach((path, m) -> {
            Parameter w = m.localParameters().get("weight");
            boolean matched = !path.isEmpty() && targets.stream().anyMatch(t -> NameFilter.matchesSuffix(t, path));
            if (matched && w != null && (w.shape().dimension() == 2 || w.shape().dimension() == 4)) {
                if (w.adaptation() != null) {
                    throw new IllegalStateException("parameter '" + path + ".weight' already has an adaptation ("
                            + w.adaptation().getClass().getSimpleName() + "); close the other tuner first");
                }
                out.put(path, w);
            }
        });
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no module of " + module.getClass().getSimpleName()
                    + " with a 2-D or 4-D weight matches the LoRA targets " + targets);
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
            Autograd.zeroGradient(l.a);
            Autograd.zeroGradient(l.b);
            l.forward.close();
            l.forward = state.newSubManager();
        }
    }

    @Override
    public long trainableCount() {
        return adapters.stream().mapToLong(LoraAdaptation::values).sum();
    }

    @Override
    public long stateBytes() {
        requireOpen();
        long bytes = optimizer.stateBytes();
        for (LoraAdaptation l : adapters) {
            for (NDArray p : new NDArray[] {l.a, l.b}) {
                bytes += SparseAdaptation.bytes(p);
                if (Autograd.hasGradientBuffer(p)) {
                    bytes += SparseAdaptation.bytes(p);
                }
            }
        }
        return bytes;
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
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (LoraAdaptation l : adapters) {
            tensors.put(l.module + ".lora_A.weight", l.a);
            tensors.put(l.module + ".lora_B.weight", l.b);
        }
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
        meta.put("base_fingerprint", fingerprint.toJson());
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            Map<String, NDArray> detached = new LinkedHashMap<>();
            tensors.forEach((k, v) -> detached.put(k, v.stopGradient()));
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
            fingerprint.checkCompatible(BaseFingerprint.fromJson(f.metadata().get("base_fingerprint"), file.toString()),
                    file.toString());
            for (LoraAdaptation l : adapters) {
                for (String part : new String[] {"lora_A", "lora_B"}) {
                    NDArray target = part.equals("lora_A") ? l.a : l.b;
                    String key = l.module + "." + part + ".weight";
                    TensorInfo info = f.info(key);
                    if (!Arrays.equals(info.shape(), target.getShape().getShape())) {
                        throw new IllegalArgumentException(file + ": tensor '" + key + "' has shape "
                                + Arrays.toString(info.shape()) + ", this tuner needs " + target.getShape()
                                + " (different rank?)");
                    }
                    try (NDScope scope = new NDScope(); NDArray v = f.load(key, state, target.getDataType())) {
                        scope.suppressNotUsedWarning();
                        target.stopGradient().set(new ai.djl.ndarray.index.NDIndex("..."), v);
                    }
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
            Map<String, NDArray> base = new LinkedHashMap<>();
            Map<String, Parameter> params = module.namedParameters();
            fp.tensors().keySet().forEach(n -> {
                if (params.containsKey(n)) {
                    base.put(n, params.get(n).data());
                }
            });
            fp.check(base, "LoRA adapter " + file);
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

    /** W ← W + (alpha/r)·B·A in every adapted weight, then the adaptations are removed. */
    @Override
    public void merge() {
        requireOpen();
        for (LoraAdaptation l : adapters) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray product = l.b.stopGradient().matMul(l.a.stopGradient()).muli(l.scale);
                l.weight.data().addi(product.reshape(l.weight.shape()));
            }
        }
        detachAll();
        markMerged();
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
