"""A run's configuration: the resolved RunConfig, its range checks, and TOML config files."""
