"""Streamed ImageNet batches: shapes, labels, coverage, exact resume, determinism across threads, the views."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from benchmarks.datasets import imagenet_transforms as views
from benchmarks.datasets.imagenet_stream import StreamedImageBatches, imagenet_train_val_files
from benchmarks.errors import NashError
from tests.benchmarks.dataset_files import write_imagenet_folders

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


@pytest.fixture(autouse=True)
def one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def files(tmp_path):
    """3 classes x 7 train images (2 val each) of 48x36 flat colours (40c, 12k, 99), viewed at 16 px."""
    folder = write_imagenet_folders(tmp_path, classes=3, per_class=7, size=(48, 36))
    return imagenet_train_val_files(folder, resolution=16)


def stream(images, batch_size=4, seed=0, train=True, **kwargs) -> StreamedImageBatches:
    return StreamedImageBatches(images, batch_size, torch.device("cpu"), MEAN, STD, seed=seed, train=train, **kwargs)


def epochs(batches: StreamedImageBatches, count: int) -> list[list[tuple[torch.Tensor, torch.Tensor]]]:
    return [list(batches.epoch()) for _ in range(count)]


def assert_same(a, b) -> None:
    assert len(a) == len(b)
    for (xa, ya), (xb, yb) in zip(a, b, strict=True):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)


def test_batches_have_the_right_shapes_dtypes_and_labels(files):
    train, val = files
    assert (len(train), len(val), train.image_shape) == (21, 6, (16, 16, 3))
    batches = stream(train, batch_size=4)
    out = list(batches.epoch())
    assert len(batches) == len(out) == 6 and [len(y) for _, y in out] == [4, 4, 4, 4, 4, 1]
    for x, y in out:
        assert x.dtype == torch.float32 and x.shape[1:] == (3, 16, 16) and y.dtype == torch.int64
    assert sorted(torch.cat([y for _, y in out]).tolist()) == sorted(train.labels.tolist())
    # Test view: file order, and a flat colour (40c, 12k, 99) comes out as that colour, normalised.
    test = list(stream(val, batch_size=4, train=False).epoch())
    assert torch.cat([y for _, y in test]).tolist() == [0, 0, 1, 1, 2, 2]
    x = torch.cat([x for x, _ in test])
    pixel = x[:, :, 8, 8] * torch.tensor(STD).view(1, 3) + torch.tensor(MEAN).view(1, 3)
    expected = torch.tensor([[40 * c, 12 * k, 99] for c in range(3) for k in range(2)]) / 255
    assert (pixel - expected).abs().max() < 4 / 255  # JPEG is lossy


def test_every_image_once_per_epoch_in_a_new_order(files, monkeypatch):
    train, _ = files
    index = {path: i for i, path in enumerate(train.paths)}
    # Stand-in view that paints each image with its file index, to see which file landed where.
    monkeypatch.setattr(views, "train_view", lambda path, res, _draws: np.full((res, res, 3), index[path], np.uint8))
    batches = stream(train, batch_size=5)
    orders = []
    for epoch in epochs(batches, 3):
        x = torch.cat([x for x, _ in epoch])
        y = torch.cat([y for _, y in epoch])
        seen = torch.round((x[:, 0, 0, 0] * STD[0] + MEAN[0]) * 255).long().tolist()
        assert sorted(seen) == list(range(len(train)))  # each file exactly once
        assert y.tolist() == [int(train.labels[i]) for i in seen]  # each with its own label
        orders.append(seen)
    assert orders[0] != orders[1] != orders[2]


def test_resume_from_state_dict_gives_the_uninterrupted_batches(files):
    train, _ = files
    uninterrupted = epochs(stream(train, seed=3), 3)
    first = stream(train, seed=3)
    list(first.epoch())
    state = first.state_dict()
    list(first.epoch())  # the first iterator keeps going; the state taken before must not move
    resumed = stream(train, seed=3)
    resumed.load_state_dict(state)
    rest = epochs(resumed, 2)
    assert_same(rest[0], uninterrupted[1])
    assert_same(rest[1], uninterrupted[2])


def test_batches_depend_on_the_seed_not_on_threads_or_prefetch(files):
    train, val = files
    reference = epochs(stream(train, seed=5, workers=1, prefetch=0), 2)
    assert_same(sum(epochs(stream(train, seed=5, workers=4, prefetch=3), 2), []), sum(reference, []))
    other = list(stream(train, seed=6).epoch())
    assert not all(torch.equal(a[0], b[0]) for a, b in zip(other, reference[0], strict=True))
    # The augmentation really varies: two epochs of one stream draw different views of the same files.
    assert not torch.equal(
        torch.cat([x for x, _ in reference[0]]).sum(0), torch.cat([x for x, _ in reference[1]]).sum(0)
    )
    test = stream(val, train=False, workers=3)
    assert_same(*epochs(test, 2))  # the test view has no randomness


def test_early_stop_mid_epoch_and_a_broken_file(files):
    train, _ = files
    batches = stream(train, batch_size=2)
    iterator = batches.epoch()
    next(iterator)
    iterator.close()  # abandoning an epoch shuts its thread pool down
    train.paths[5].write_bytes(b"\xff\xd8 truncated")
    with pytest.raises(NashError, match=r"img_005\.JPEG is not a readable image"):
        list(stream(train, batch_size=2, train=False).epoch())


def test_resized_crop_box_respects_scale_and_ratio_and_falls_back_to_the_centre():
    rng = np.random.default_rng(0)
    for _ in range(200):
        width, height = int(rng.integers(20, 400)), int(rng.integers(20, 400))
        left, top, w, h = views.resized_crop_box(width, height, rng.random(views.DRAWS_PER_IMAGE))
        assert 0 <= left <= width - w and 0 <= top <= height - h and w > 0 and h > 0
        if (w, h) != (width, height):  # a try that fitted (not the fallback)
            assert 0.08 * 0.8 <= w * h / (width * height) <= 1.0 and 3 / 4 * 0.8 < w / h < 4 / 3 * 1.25
    # A 1000x10 strip fits no try: the centre crop, clipped to aspect ratio 4/3.
    assert views.resized_crop_box(1000, 10, np.full(views.DRAWS_PER_IMAGE, 0.5)) == (493, 0, 13, 10)
    # All-ones area and ratio draws on a 4:3 image ask for the whole image.
    assert views.resized_crop_box(40, 30, np.ones(views.DRAWS_PER_IMAGE) * 0.999999)[2:] == (40, 30)


def _draws(area=0.999999, ratio=0.999999, flip=0.9, factors=(0.5, 0.5, 0.5, 0.5)) -> np.ndarray:
    draws = np.full(views.DRAWS_PER_IMAGE, 0.5)
    draws[: views.CROP_TRIES] = area
    draws[views.CROP_TRIES : 2 * views.CROP_TRIES] = ratio
    draws[2 * views.CROP_TRIES + 2] = flip
    draws[2 * views.CROP_TRIES + 3 : 2 * views.CROP_TRIES + 7] = factors
    return draws


def test_train_view_flips_and_jitters(tmp_path):
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    image.paste((30, 30, 200), (20, 0, 40, 30))  # left red, right blue
    image.save(tmp_path / "halves.png")
    plain = views.train_view(tmp_path / "halves.png", 20, _draws())  # whole image, no flip, neutral jitter
    flipped = views.train_view(tmp_path / "halves.png", 20, _draws(flip=0.1))
    assert plain.shape == (20, 20, 3) and plain.dtype == np.uint8
    assert plain[:, :8, 0].min() > 180 and plain[:, 12:, 2].min() > 180  # red left, blue right
    np.testing.assert_allclose(flipped.astype(int), plain[:, ::-1].astype(int), atol=3)
    darker = views.train_view(tmp_path / "halves.png", 20, _draws(factors=(0.0, 0.5, 0.5, 0.5)))  # brightness 0.6
    assert darker.mean() == pytest.approx(0.6 * plain.mean(), rel=0.03)
    turned = views.train_view(tmp_path / "halves.png", 20, _draws(factors=(0.5, 0.5, 0.5, 1.0)))  # hue +0.2 turn
    assert turned[:, :8, 1].mean() > plain[:, :8, 1].mean() + 60  # red turns towards yellow-green


def test_jpeg_draft_decoding_crops_the_same_region(tmp_path):
    """A big JPEG is decoded at 1/2..1/8 size for a small view; the crop box must still match the PNG's."""
    xs, ys = np.meshgrid(np.linspace(0, 255, 640), np.linspace(0, 255, 480))
    pixels = np.stack([xs, ys, 255 - xs], axis=-1).astype(np.uint8)  # gradients: position is colour
    Image.fromarray(pixels).save(tmp_path / "big.JPEG", quality=95)
    Image.fromarray(pixels).save(tmp_path / "big.png")
    rng = np.random.default_rng(1)
    for _ in range(5):
        draws = rng.random(views.DRAWS_PER_IMAGE)
        draws[2 * views.CROP_TRIES + 3 : 2 * views.CROP_TRIES + 7] = 0.5  # neutral jitter
        from_jpeg = views.train_view(tmp_path / "big.JPEG", 16, draws).astype(int)
        from_png = views.train_view(tmp_path / "big.png", 16, draws).astype(int)
        assert np.abs(from_jpeg - from_png).mean() < 4


def test_centre_view_resizes_to_256_of_224_and_crops_the_centre(tmp_path):
    image = Image.new("RGB", (64, 32), (255, 0, 0))
    image.paste((0, 0, 255), (16, 0, 48, 32))  # blue middle half
    image.save(tmp_path / "wide.png")
    view = views.centre_view(tmp_path / "wide.png", 28)  # resized to 32 high, 64 wide; centre 28x28
    assert view.shape == (28, 28, 3) and math.isclose(view[..., 2].mean(), 255, abs_tol=3)
    np.testing.assert_array_equal(view, views.centre_view(tmp_path / "wide.png", 28))


def test_imagenets_odd_files_become_rgb_views(tmp_path):
    """ImageNet's train set holds some CMYK and greyscale JPEGs and a PNG named .JPEG; all must come out RGB."""
    Image.new("CMYK", (90, 60), (10, 200, 30, 0)).save(tmp_path / "cmyk.JPEG")
    Image.new("L", (90, 60), 120).save(tmp_path / "grey.JPEG")
    Image.new("RGBA", (90, 60), (200, 2, 3, 255)).save(tmp_path / "png.JPEG", format="PNG")
    draws = np.random.default_rng(0).random(views.DRAWS_PER_IMAGE)
    for name in ("cmyk", "grey", "png"):
        for view in (
            views.train_view(tmp_path / f"{name}.JPEG", 16, draws),
            views.centre_view(tmp_path / f"{name}.JPEG", 16),
        ):
            assert view.shape == (16, 16, 3) and view.dtype == np.uint8, name
    grey = views.centre_view(tmp_path / "grey.JPEG", 16)
    assert np.abs(grey[..., 0].astype(int) - grey[..., 2]).max() <= 1  # grey stays grey
