"""QR encoding and badge artwork."""
