"""Clients for outside systems that answer over HTTP, each with a local fake for tests."""
