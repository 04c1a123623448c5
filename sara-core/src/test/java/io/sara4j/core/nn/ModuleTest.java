package io.sara4j.core.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.sara4j.core.testing.Tensors;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ModuleTest {
    /** Two linear layers in a list plus a direct parameter: keys mirror torch naming. */
    static final class Net extends Module {
        final Parameter scale;
        final ModuleList<Linear> layers;

        Net(NDManager m) {
            scale = registerParameter("scale", m.ones(new Shape(3)));
            layers = registerModule("layers", new ModuleList<>());
            layers.add(new Linear(m, 3, 4, true));
            layers.add(new Linear(m, 4, 2, false));
        }
    }

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = Engines.pytorch().newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void parameterPathsFollowTorchNaming() {
        Net net = new Net(manager);
        assertThat(net.namedParameters().keySet()).containsExactly(
                "scale", "layers.0.weight", "layers.0.bias", "layers.1.weight");
        assertThat(net.namedModules().keySet()).containsExactly("", "layers", "layers.0", "layers.1");
        assertThat(net.parameterCount()).isEqualTo(3 + 12 + 4 + 8);
        assertThat(net.stateDict().get("layers.0.weight").getShape()).isEqualTo(new Shape(4, 3));
    }

    @Test
    void loadStateDictCopiesValuesAndConvertsType() {
        Net a = new Net(manager);
        Net b = new Net(manager);
        Map<String, NDArray> state = new LinkedHashMap<>();
        a.stateDict().forEach((k, v) -> state.put(k, v.toType(ai.djl.ndarray.types.DataType.FLOAT64, true)));
        b.loadStateDict(state, true);
        b.stateDict().forEach((k, v) -> {
            assertThat(v.getDataType()).isEqualTo(ai.djl.ndarray.types.DataType.FLOAT32);
            assertThat(v.toFloatArray()).containsExactly(a.stateDict().get(k).toFloatArray());
        });
    }

    @Test
    void copyFromKeepsNoLinkToTheSourceArray() {
        // Same data type: DJL's toType(type, true) would hand back the source's storage, which for
        // an array made from Java data is a direct buffer freed when the source's handle is collected.
        Parameter p = new Linear(manager, 2, 2, false).weight();
        NDArray source = manager.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
        p.copyFrom(source);
        source.addi(10f);
        source.close();
        assertThat(p.data().toFloatArray()).containsExactly(1, 2, 3, 4);
    }

    @Test
    void loadStateDictReportsEveryProblemAtOnce() {
        Net net = new Net(manager);
        Map<String, NDArray> state = new LinkedHashMap<>(net.stateDict());
        state.remove("scale");
        state.remove("layers.1.weight");
        state.put("layers.0.weight", manager.zeros(new Shape(3, 4)));
        state.put("layers.2.bias", manager.zeros(new Shape(2)));
        NDArray before = net.layers.get(0).bias().data().duplicate();
        assertThatThrownBy(() -> net.loadStateDict(state, true, "weights.safetensors"))
                .isInstanceOfSatisfying(StateDictMismatchException.class, e -> {
                    assertThat(e.missing()).containsExactly("scale", "layers.1.weight");
                    assertThat(e.unexpected()).containsExactly("layers.2.bias");
                    assertThat(e.shapeMismatches()).containsExactly("layers.0.weight: expected (4, 3), found (3, 4)");
                    assertThat(e.getMessage()).contains("weights.safetensors", "scale", "layers.2.bias",
                            "layers.0.weight: expected (4, 3), found (3, 4)");
                });
        // nothing was copied by the failed load
        assertThat(net.layers.get(0).bias().data().toFloatArray()).containsExactly(before.toFloatArray());
    }

    @Test
    void nonStrictLoadIgnoresMissingButNotShapes() {
        Net net = new Net(manager);
        Map<String, NDArray> partial = Map.of("scale", manager.create(new float[] {5, 6, 7}));
        net.loadStateDict(partial, false);
        assertThat(net.scale.data().toFloatArray()).containsExactly(5, 6, 7);
        assertThatThrownBy(() -> net.loadStateDict(Map.of("scale", manager.zeros(new Shape(2))), false))
                .isInstanceOf(StateDictMismatchException.class).hasMessageContaining("scale: expected (3), found (2)");
    }

    @Test
    void adaptationIsTheOnlyWayLayersSeeWeights() {
        Linear layer = new Linear(manager, 2, 2, false);
        layer.weight().copyFrom(manager.create(new float[] {1, 2, 3, 4}, new Shape(2, 2)));
        NDArray x = manager.create(new float[] {1, 1}, new Shape(1, 2));
        assertThat(layer.forward(x).toFloatArray()).containsExactly(3, 7);
        layer.weight().setAdaptation(base -> base.mul(10));
        assertThat(layer.forward(x).toFloatArray()).containsExactly(30, 70);
        assertThat(layer.weight().data().toFloatArray()).containsExactly(1, 2, 3, 4);
    }

    @Test
    void linearMatchesFloat64ReferenceWithGradients() {
        Random r = new Random(1);
        int batch = 3, in = 5, out = 4;
        double[] x = Tensors.normal(r, batch * in);
        double[] w = Tensors.normal(r, out * in);
        double[] b = Tensors.normal(r, out);
        Linear layer = new Linear(manager, in, out, true);
        layer.weight().copyFrom(Tensors.float32(manager, w, new Shape(out, in)));
        layer.bias().copyFrom(Tensors.float32(manager, b, new Shape(out)));
        layer.weight().data().setRequiresGradient(true);
        layer.bias().data().setRequiresGradient(true);
        NDArray xs = Tensors.float32(manager, x, new Shape(batch, in));
        xs.setRequiresGradient(true);
        // loss = sum(y * c) with fixed c, so dL/dy = c
        double[] c = Tensors.normal(r, batch * out);
        NDArray y;
        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            y = layer.forward(xs);
            gc.backward(y.mul(Tensors.float32(manager, c, new Shape(batch, out))).sum());
        }
        double[] yRef = new double[batch * out];
        double[] gx = new double[batch * in];
        double[] gw = new double[out * in];
        double[] gb = new double[out];
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int i = 0; i < in; i++) {
                    s += x[n * in + i] * w[o * in + i];
                    gx[n * in + i] += c[n * out + o] * w[o * in + i];
                    gw[o * in + i] += c[n * out + o] * x[n * in + i];
                }
                yRef[n * out + o] = s;
                gb[o] += c[n * out + o];
            }
        }
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(y), yRef)).isLessThan(1e-5);
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(xs.getGradient()), gx)).isLessThan(1e-4);
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(layer.weight().data().getGradient()), gw)).isLessThan(1e-4);
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(layer.bias().data().getGradient()), gb)).isLessThan(1e-4);
        assertThat(List.of(in, out)).containsExactly(layer.inFeatures(), layer.outFeatures());
    }

    @Test
    void parametersOutliveTheScopesTheyAreBuiltAndLoadedIn() {
        // NDScope closes every array created while it is open, whatever its manager: a model built
        // or loaded inside a step scope must still own live weights when the scope closes
        Linear layer;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            layer = new Linear(manager, 2, 2, true);
            layer.weight().copyFrom(manager.create(new float[] {1, 2, 3, 4}, new Shape(2, 2)));
            layer.bias().convertTo(ai.djl.ndarray.types.DataType.FLOAT64);
            layer.bias().convertTo(ai.djl.ndarray.types.DataType.FLOAT32);
        }
        assertThat(layer.weight().data().toFloatArray()).containsExactly(1, 2, 3, 4);
        assertThat(layer.bias().data().toFloatArray()).hasSize(2);
    }

    @Test
    void convertToKeepsGradientTracking() {
        Linear layer = new Linear(manager, 2, 2, false);
        layer.weight().data().setRequiresGradient(true);
        layer.convertTo(ai.djl.ndarray.types.DataType.FLOAT64);
        assertThat(layer.weight().data().hasGradient()).isTrue();
        assertThat(layer.weight().dataType()).isEqualTo(ai.djl.ndarray.types.DataType.FLOAT64);
    }

    @Test
    void layersAttachResultsToTheirInputsManager() {
        // the memory rule: model code works in the step's manager, parameters live in the model's
        Linear linear = new Linear(manager, 4, 4, true);
        Conv2d conv = new Conv2d(manager, 2, 2, 3, 1, 1);
        GroupNorm groupNorm = new GroupNorm(manager, 1, 2, 1e-5f);
        LayerNorm layerNorm = new LayerNorm(manager, 4, 1e-5f, true);
        Embedding embedding = new Embedding(manager, 3, 4);
        Attention attention = new Attention(manager, 4, 4, 2, 2, 0f, false, false);
        try (NDManager step = manager.newSubManager()) {
            NDArray seq = step.randomNormal(new Shape(1, 3, 4));
            NDArray image = step.randomNormal(new Shape(1, 2, 4, 4));
            for (NDArray out : new NDArray[] {
                linear.forward(seq), layerNorm.forward(seq), attention.forward(seq, null, null),
                embedding.forward(step.create(new long[] {0, 2})), conv.forward(image), groupNorm.forward(image),
                Resampling.upsampleNearest2x(image), Resampling.avgPool2x(image),
                Activations.GELU.apply(seq), Activations.SILU.apply(seq)}) {
                assertThat(out.getManager()).isSameAs(step);
            }
        }
        assertThat(linear.weight().data().isReleased()).isFalse();
    }
}
