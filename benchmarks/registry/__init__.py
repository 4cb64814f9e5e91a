"""The benchmarks nash knows: spaces, profiles and the NB201 / DARTS-family catalogues."""
