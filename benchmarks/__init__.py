"""`python -m benchmarks`: what the server itself costs per record, per round trip and per company, measured."""
