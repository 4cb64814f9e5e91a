"""The DARTS cell space (Liu et al., ICLR 2019) and its RobustDARTS variants S0–S4."""
