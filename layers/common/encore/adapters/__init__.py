"""Adapters to AWS services, each behind a small interface so tests can use fakes."""
