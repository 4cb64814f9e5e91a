"""Per-image ImageNet views on Pillow: the DARTS / PC-DARTS training recipe and the usual test crop.

Training (as torchvision's RandomResizedCrop(224) → RandomHorizontalFlip → ColorJitter(0.4, 0.4, 0.4,
0.2) on PIL images, which the DARTS ImageNet code uses): a crop of 8–100% of the image area with
aspect ratio in [3/4, 4/3] (10 tries, else the centre crop clipped to that ratio) resized to
`resolution` bilinearly, mirrored with p=0.5, then brightness, contrast and saturation factors in
[0.6, 1.4] and a hue shift in [-0.2, 0.2] of the colour circle, applied in a random order.
Test: shorter side resized to 256/224 · `resolution` (256 for 224), centre `resolution` crop.

Every random choice of an image is read from a row of `DRAWS_PER_IMAGE` uniforms in [0, 1) that the
caller draws from a seeded generator, so a view is a pure function of (file, row): decoding can run
in any thread, in any order, and give the same pixels. JPEGs are decoded with libjpeg's DCT scaling
(`Image.draft`) at the smallest 1/1–1/8 size that still gives the crop at least `resolution` pixels
per side: much faster for small crops and small resolutions, and the crop is still downsampled, never
upsampled, from a finer decode.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

from benchmarks.datasets.imagenet import decode_image
from benchmarks.errors import NashError, error_reason

CROP_SCALE = (0.08, 1.0)
CROP_RATIO = (3 / 4, 4 / 3)
CROP_TRIES = 10
JITTER = 0.4  # brightness, contrast, saturation factors in [1 - 0.4, 1 + 0.4]
HUE = 0.2  # hue shift in [-0.2, 0.2] of a full turn
TEST_RESIZE = 256 / 224  # resize the shorter side to 256 before the centre 224 crop

# Columns of one image's row of uniforms.
_AREA = slice(0, CROP_TRIES)  # crop area fraction of each try
_RATIO = slice(CROP_TRIES, 2 * CROP_TRIES)  # log aspect ratio of each try
_TOP, _LEFT, _FLIP = 2 * CROP_TRIES, 2 * CROP_TRIES + 1, 2 * CROP_TRIES + 2
_FACTORS = slice(2 * CROP_TRIES + 3, 2 * CROP_TRIES + 7)  # brightness, contrast, saturation, hue
_ORDER = slice(2 * CROP_TRIES + 7, 2 * CROP_TRIES + 11)  # the argsort of these orders the 4 jitters
DRAWS_PER_IMAGE = 2 * CROP_TRIES + 11


def resized_crop_box(width: int, height: int, draws: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, crop width, crop height) of the random-resized crop of a width x height image."""
    area = width * height
    log_low, log_high = math.log(CROP_RATIO[0]), math.log(CROP_RATIO[1])
    for area_u, ratio_u in zip(draws[_AREA], draws[_RATIO], strict=True):
        target = area * (CROP_SCALE[0] + (CROP_SCALE[1] - CROP_SCALE[0]) * float(area_u))
        ratio = math.exp(log_low + (log_high - log_low) * float(ratio_u))
        w, h = round(math.sqrt(target * ratio)), round(math.sqrt(target / ratio))
        if 0 < w <= width and 0 < h <= height:
            left = min(int(float(draws[_LEFT]) * (width - w + 1)), width - w)
            top = min(int(float(draws[_TOP]) * (height - h + 1)), height - h)
            return left, top, w, h
    # No try fitted (very elongated images): the centre crop, clipped to the allowed aspect ratios.
    if width / height < CROP_RATIO[0]:
        w, h = width, round(width / CROP_RATIO[0])
    elif width / height > CROP_RATIO[1]:
        w, h = round(height * CROP_RATIO[1]), height
    else:
        w, h = width, height
    return (width - w) // 2, (height - h) // 2, w, h


def color_jitter(image: Image.Image, draws: np.ndarray) -> Image.Image:
    """Brightness, contrast, saturation and hue changes in the order the row's draws give."""
    brightness, contrast, saturation, hue_u = (float(u) for u in draws[_FACTORS])
    for step in np.argsort(draws[_ORDER], kind="stable"):
        if step == 0:
            image = ImageEnhance.Brightness(image).enhance(1.0 + JITTER * (2.0 * brightness - 1.0))
        elif step == 1:
            image = ImageEnhance.Contrast(image).enhance(1.0 + JITTER * (2.0 * contrast - 1.0))
        elif step == 2:
            image = ImageEnhance.Color(image).enhance(1.0 + JITTER * (2.0 * saturation - 1.0))
        else:
            image = shift_hue(image, HUE * (2.0 * hue_u - 1.0))
    return image


def shift_hue(image: Image.Image, turns: float) -> Image.Image:
    """Rotate the hue of an RGB image by `turns` of the colour circle (HSV hue is 0–255 in Pillow)."""
    hue, saturation, value = image.convert("HSV").split()
    shifted = (np.asarray(hue, dtype=np.int16) + round(turns * 255)) % 256
    return Image.merge("HSV", (Image.fromarray(shifted.astype(np.uint8), "L"), saturation, value)).convert("RGB")


def train_view(path: Path, resolution: int, draws: np.ndarray) -> np.ndarray:
    """(resolution, resolution, 3) uint8: random-resized crop, flip, colour jitter of the image at `path`."""
    try:
        with Image.open(path) as im:
            width, height = im.size
            left, top, w, h = resized_crop_box(width, height, draws)
            im.draft("RGB", (math.ceil(width * resolution / w), math.ceil(height * resolution / h)))
            scale_x, scale_y = im.size[0] / width, im.size[1] / height  # < 1 when the JPEG was decoded smaller
            box = (left * scale_x, top * scale_y, (left + w) * scale_x, (top + h) * scale_y)
            view = im.convert("RGB").resize((resolution, resolution), Image.Resampling.BILINEAR, box=box)
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError... for broken images
        raise NashError(f"{path} is not a readable image ({error_reason(exc)}); re-copy it or delete it") from None
    if draws[_FLIP] < 0.5:
        view = view.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return np.asarray(color_jitter(view, draws))


def centre_view(path: Path, resolution: int) -> np.ndarray:
    """(resolution, resolution, 3) uint8: shorter side resized to 256/224 · resolution, centre crop."""
    resized = decode_image(path, round(resolution * TEST_RESIZE))  # the centre square of the resized image
    start = (resized.shape[0] - resolution) // 2
    return resized[start : start + resolution, start : start + resolution]
