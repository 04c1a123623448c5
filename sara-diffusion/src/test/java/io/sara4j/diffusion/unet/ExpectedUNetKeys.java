package io.sara4j.diffusion.unet;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state-dict keys and shapes of a diffusers UNet2DConditionModel, derived on paper from the
 * architecture rules and key naming of diffusers (not from the Java modules), so the model can be
 * checked against it and it can itself be checked against published facts about real checkpoints
 * (key count and parameter count of SD1.5/SD2.1) without allocating them.
 */
final class ExpectedUNetKeys {
    private final Map<String, long[]> keys = new LinkedHashMap<>();
    private final UNet2DConditionConfig c;
    private final int temb;

    private ExpectedUNetKeys(UNet2DConditionConfig config) {
        this.c = config;
        this.temb = config.blockOutChannels().get(0) * 4;
    }

    /** Key → shape, in diffusers' listing order. */
    static Map<String, long[]> derive(UNet2DConditionConfig config) {
        ExpectedUNetKeys e = new ExpectedUNetKeys(config);
        e.build();
        return e.keys;
    }

    /** Sum of the products of the shapes. */
    static long parameterCount(Map<String, long[]> keys) {
        long total = 0;
        for (long[] shape : keys.values()) {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            total += n;
        }
        return total;
    }

    private void build() {
        List<Integer> ch = c.blockOutChannels();
        int n = ch.size();
        int k = c.convInKernel();
        put("conv_in.weight", ch.get(0), c.inChannels(), k, k);
        put("conv_in.bias", ch.get(0));
        put("time_embedding.linear_1.weight", temb, ch.get(0));
        put("time_embedding.linear_1.bias", temb);
        put("time_embedding.linear_2.weight", temb, temb);
        put("time_embedding.linear_2.bias", temb);

        for (int i = 0; i < n; i++) {
            String p = "down_blocks." + i + ".";
            int out = ch.get(i);
            int in = i == 0 ? ch.get(0) : ch.get(i - 1);
            boolean cross = c.downBlockTypes().get(i).equals("CrossAttnDownBlock2D");
            if (cross) {
                for (int j = 0; j < c.layersPerBlock().get(i); j++) {
                    transformer(p + "attentions." + j + ".", out, i);
                }
            }
            for (int j = 0; j < c.layersPerBlock().get(i); j++) {
                resnet(p + "resnets." + j + ".", j == 0 ? in : out, out);
            }
            if (i < n - 1) {
                put(p + "downsamplers.0.conv.weight", out, out, 3, 3);
                put(p + "downsamplers.0.conv.bias", out);
            }
        }

        for (int i = 0; i < n; i++) {
            String p = "up_blocks." + i + ".";
            int level = n - 1 - i;
            int out = ch.get(level);
            int prev = i == 0 ? ch.get(n - 1) : ch.get(level + 1);
            int skipOfLast = ch.get(Math.max(level - 1, 0));
            int resnets = c.layersPerBlock().get(level) + 1;
            if (c.upBlockTypes().get(i).equals("CrossAttnUpBlock2D")) {
                for (int j = 0; j < resnets; j++) {
                    transformer(p + "attentions." + j + ".", out, level);
                }
            }
            for (int j = 0; j < resnets; j++) {
                int hiddenIn = j == 0 ? prev : out;
                int skip = j == resnets - 1 ? skipOfLast : out;
                resnet(p + "resnets." + j + ".", hiddenIn + skip, out);
            }
            if (i < n - 1) {
                put(p + "upsamplers.0.conv.weight", out, out, 3, 3);
                put(p + "upsamplers.0.conv.bias", out);
            }
        }

        if (c.midBlockType() != null) {
            int mid = ch.get(n - 1);
            transformer("mid_block.attentions.0.", mid, n - 1);
            resnet("mid_block.resnets.0.", mid, mid);
            resnet("mid_block.resnets.1.", mid, mid);
        }

        put("conv_norm_out.weight", ch.get(0));
        put("conv_norm_out.bias", ch.get(0));
        int ko = c.convOutKernel();
        put("conv_out.weight", c.outChannels(), ch.get(0), ko, ko);
        put("conv_out.bias", c.outChannels());
    }

    private void resnet(String p, int in, int out) {
        put(p + "norm1.weight", in);
        put(p + "norm1.bias", in);
        put(p + "conv1.weight", out, in, 3, 3);
        put(p + "conv1.bias", out);
        put(p + "time_emb_proj.weight", out, temb);
        put(p + "time_emb_proj.bias", out);
        put(p + "norm2.weight", out);
        put(p + "norm2.bias", out);
        put(p + "conv2.weight", out, out, 3, 3);
        put(p + "conv2.bias", out);
        if (in != out) {
            put(p + "conv_shortcut.weight", out, in, 1, 1);
            put(p + "conv_shortcut.bias", out);
        }
    }

    private void transformer(String p, int dim, int level) {
        int cross = c.crossAttentionDim().get(level);
        boolean linear = c.useLinearProjection();
        put(p + "norm.weight", dim);
        put(p + "norm.bias", dim);
        if (linear) {
            put(p + "proj_in.weight", dim, dim);
        } else {
            put(p + "proj_in.weight", dim, dim, 1, 1);
        }
        put(p + "proj_in.bias", dim);
        for (int b = 0; b < c.transformerLayersPerBlock().get(level); b++) {
            String t = p + "transformer_blocks." + b + ".";
            put(t + "norm1.weight", dim);
            put(t + "norm1.bias", dim);
            int selfKeys = c.onlyCrossAttention().get(level) ? cross : dim;
            attention(t + "attn1.", dim, selfKeys);
            put(t + "norm2.weight", dim);
            put(t + "norm2.bias", dim);
            attention(t + "attn2.", dim, cross);
            put(t + "norm3.weight", dim);
            put(t + "norm3.bias", dim);
            put(t + "ff.net.0.proj.weight", 8 * dim, dim);
            put(t + "ff.net.0.proj.bias", 8 * dim);
            put(t + "ff.net.2.weight", dim, 4 * dim);
            put(t + "ff.net.2.bias", dim);
        }
        if (linear) {
            put(p + "proj_out.weight", dim, dim);
        } else {
            put(p + "proj_out.weight", dim, dim, 1, 1);
        }
        put(p + "proj_out.bias", dim);
    }

    private void attention(String p, int dim, int keyDim) {
        put(p + "to_q.weight", dim, dim);
        put(p + "to_k.weight", dim, keyDim);
        put(p + "to_v.weight", dim, keyDim);
        put(p + "to_out.0.weight", dim, dim);
        put(p + "to_out.0.bias", dim);
    }

    private void put(String key, long... shape) {
        if (keys.put(key, shape) != null) {
            throw new IllegalStateException("duplicate key " + key);
        }
    }
}
