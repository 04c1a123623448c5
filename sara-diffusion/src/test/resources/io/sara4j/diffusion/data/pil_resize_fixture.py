"""Generates pil_resize.json: Pillow's Image.resize outputs that ImageResizeTest must match exactly.

torchvision's transforms.Resize(R, BILINEAR) on a PIL image (what the SaRA / diffusers training
script runs) calls Image.resize((new_w, new_h), Image.BILINEAR) with the shorter side set to R and
the longer side to int(R * long / short); the same is recorded here for BICUBIC.

Run with Pillow installed:  python3 pil_resize_fixture.py > pil_resize.json
"""
import json

import PIL
from PIL import Image


def pixels(width, height, seed):
    # A small LCG so the input is reproducible without numpy; values cover 0..255.
    state = seed
    out = []
    for _ in range(width * height):
        rgb = []
        for _ in range(3):
            state = (state * 1103515245 + 12345) % (1 << 31)
            rgb.append((state >> 16) % 256)
        out.append(tuple(rgb))
    return out


def resized_size(width, height, resolution):
    # torchvision.transforms.functional._compute_resized_output_size for an int size
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = resolution, int(resolution * long / short)
    return (new_short, new_long) if width <= height else (new_long, new_short)


def main():
    cases = []
    for width, height, seed in [(7, 5, 1), (5, 9, 2), (16, 12, 3)]:
        data = pixels(width, height, seed)
        image = Image.new("RGB", (width, height))
        image.putdata(data)
        for resolution in [2, 3, 4, 8, 13]:
            new_w, new_h = resized_size(width, height, resolution)
            for name, mode in [("BILINEAR", Image.BILINEAR), ("BICUBIC", Image.BICUBIC)]:
                out = image.resize((new_w, new_h), mode)
                cases.append({
                    "width": width, "height": height,
                    "input": [(r << 16) | (g << 8) | b for r, g, b in data],
                    "resolution": resolution, "interpolation": name,
                    "out_width": new_w, "out_height": new_h,
                    "output": [(r << 16) | (g << 8) | b for r, g, b in out.get_flattened_data()],
                })
    print(json.dumps({"pillow": PIL.__version__, "cases": cases}))


if __name__ == "__main__":
    main()
