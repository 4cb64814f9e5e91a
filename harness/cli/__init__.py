"""The `nash` command line: one thin module per command over the other rooms."""
