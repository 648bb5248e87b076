"""Prometheus metrics: SOAP calls counted where they are answered, everything else read from the database."""
