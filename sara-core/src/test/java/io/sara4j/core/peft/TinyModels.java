package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.Linear;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.testing.Tensors;
import java.util.Map;
import java.util.Random;

/** Small models with weights drawn on the Java side, so two copies are bit-identical. */
final class TinyModels {
    private TinyModels() {}

    /** in → hidden → out with a SiLU between; keys {@code fc1.weight, fc1.bias, fc2.weight, fc2.bias}. */
    static final class Mlp extends Module {
        final Linear fc1;
        final Linear fc2;

        Mlp(NDManager m, int in, int hidden, int out) {
            fc1 = registerModule("fc1", new Linear(m, in, hidden, true));
            fc2 = registerModule("fc2", new Linear(m, hidden, out, true));
        }

        NDArray forward(NDArray x) {
            return fc2.forward(Activations.silu(fc1.forward(x)));
        }
    }

    /** An MLP whose weights are uniform in [-scale, scale) from {@code seed}. */
    static Mlp mlp(NDManager m, int in, int hidden, int out, double scale, long seed) {
        Mlp net = new Mlp(m, in, hidden, out);
        fill(net, scale, seed);
        return net;
    }

    /** Overwrites every parameter with uniform values in [-scale, scale) drawn from {@code seed}. */
    static void fill(Module module, double scale, long seed) {
        Random r = new Random(seed);
        for (Parameter p : module.namedParameters().values()) {
            Shape s = p.shape();
            p.copyFrom(Tensors.float32(p.data().getManager(), Tensors.uniform(r, (int) s.size(), scale), s));
        }
    }

    /** Copies every stored tensor of {@code from} into {@code to} (same architecture; no shared storage). */
    static void copy(Module from, Module to) {
        Map<String, Parameter> target = to.namedParameters();
        from.namedParameters().forEach((name, p) -> target.get(name).copyFrom(p.data().duplicate()));
    }

    /** Uniform input of shape {@code shape} from {@code seed}. */
    static NDArray input(NDManager m, long seed, long... shape) {
        Shape s = new Shape(shape);
        return Tensors.float32(m, Tensors.uniform(new Random(seed), (int) s.size(), 1.0), s);
    }
}
