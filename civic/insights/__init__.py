"""Insights: pure functions over plain data (no Flask, no database), tested on real data."""
