"""From images to batches: the image-set container, split protocols, augmentation, the paired loader."""
