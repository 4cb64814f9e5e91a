"""Training a derived DARTS-family cell from scratch: its protocol, data and loop."""
