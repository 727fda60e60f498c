"""Benchmarks run by scripts/bench: medians and ratios against baselines in the same run."""
