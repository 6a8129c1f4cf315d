"""Pure domain rules: values in, values out. No I/O, no platform, no SQL, no Babel."""
