"""Tooling for the Neodyme monorepo (never imported by a chapter)."""
