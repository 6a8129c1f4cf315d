"""Transports: each turns platform updates into Inbound and renders Reply in its idiom."""
