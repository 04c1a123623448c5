package io.sara4j.diffusion.vae;

import ai.djl.ndarray.NDArray;
import io.sara4j.diffusion.testing.Ref64;
import java.util.List;
import java.util.Map;

/**
 * A float64 AutoencoderKL written from diffusers' description, reading weights by key from a
 * state dict: the independent reference the Java modules are checked against.
 */
final class VaeReference {
    private static final double EPS = 1e-6;
    private final Map<String, NDArray> state;
    private final int groups;

    VaeReference(Map<String, NDArray> state, int groups) {
        this.state = state;
        this.groups = groups;
    }

    Ref64 w(String key) {
        NDArray a = state.get(key);
        if (a == null) {
            throw new AssertionError("reference needs missing key " + key);
        }
        return Ref64.of(a);
    }

    Ref64 conv(String prefix, Ref64 x, int stride, int pad) {
        return Ref64.conv2d(x, w(prefix + ".weight"), w(prefix + ".bias"), stride, pad);
    }

    Ref64 norm(String prefix, Ref64 x) {
        return Ref64.groupNorm(x, groups, w(prefix + ".weight"), w(prefix + ".bias"), EPS);
    }

    Ref64 resnet(String p, Ref64 x) {
        Ref64 h = norm(p + ".norm1", x).map(Ref64::silu);
        h = conv(p + ".conv1", h, 1, 1);
        h = norm(p + ".norm2", h).map(Ref64::silu);
        h = conv(p + ".conv2", h, 1, 1);
        Ref64 shortcut = state.containsKey(p + ".conv_shortcut.weight") ? conv(p + ".conv_shortcut", x, 1, 0) : x;
        return shortcut.add(h);
    }

    /**
     * Spatial self-attention with group norm and residual ({@code heads} heads; the VAE has one),
     * keys under {@code p} ("" for a bare attention module).
     */
    Ref64 attention(String p, Ref64 x, int heads) {
        String at = p.isEmpty() ? "" : p + ".";
        Ref64 t = Ref64.toTokens(norm(at + "group_norm", x)); // (N, HW, C)
        Ref64 q = Ref64.linear(t, w(at + "to_q.weight"), w(at + "to_q.bias"));
        Ref64 k = Ref64.linear(t, w(at + "to_k.weight"), w(at + "to_k.bias"));
        Ref64 v = Ref64.linear(t, w(at + "to_v.weight"), w(at + "to_v.bias"));
        Ref64 a = Ref64.attention(q, k, v, heads, 1 / Math.sqrt((double) x.dim(1) / heads), false);
        Ref64 o = Ref64.linear(a, w(at + "to_out.0.weight"), w(at + "to_out.0.bias"));
        return Ref64.fromTokens(o, x.dim(2), x.dim(3)).add(x);
    }

    Ref64 midBlock(String p, Ref64 x) {
        Ref64 h = resnet(p + ".resnets.0", x);
        h = attention(p + ".attentions.0", h, 1);
        return resnet(p + ".resnets.1", h);
    }

    Ref64 encoder(Ref64 x, List<Integer> channels, int layersPerBlock) {
        Ref64 h = conv("encoder.conv_in", x, 1, 1);
        for (int i = 0; i < channels.size(); i++) {
            for (int j = 0; j < layersPerBlock; j++) {
                h = resnet("encoder.down_blocks." + i + ".resnets." + j, h);
            }
            if (i < channels.size() - 1) {
                String c = "encoder.down_blocks." + i + ".downsamplers.0.conv";
                h = Ref64.conv2d(h, w(c + ".weight"), w(c + ".bias"), 2, 0, 1); // pad bottom/right only
            }
        }
        h = midBlock("encoder.mid_block", h);
        h = norm("encoder.conv_norm_out", h).map(Ref64::silu);
        return conv("encoder.conv_out", h, 1, 1);
    }

    Ref64 decoder(Ref64 z, List<Integer> channels, int layersPerBlock) {
        Ref64 h = conv("decoder.conv_in", z, 1, 1);
        h = midBlock("decoder.mid_block", h);
        for (int i = 0; i < channels.size(); i++) {
            for (int j = 0; j <= layersPerBlock; j++) {
                h = resnet("decoder.up_blocks." + i + ".resnets." + j, h);
            }
            if (i < channels.size() - 1) {
                Ref64 doubled = Ref64.nearest(h, 2 * h.dim(2), 2 * h.dim(3));
                h = conv("decoder.up_blocks." + i + ".upsamplers.0.conv", doubled, 1, 1);
            }
        }
        h = norm("decoder.conv_norm_out", h).map(Ref64::silu);
        return conv("decoder.conv_out", h, 1, 1);
    }
}
