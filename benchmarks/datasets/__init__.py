"""Dataset readers, split protocols and batch augmentation (no torchvision)."""
