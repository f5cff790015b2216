"""Word-Frequency Analyzer: TF and TF-IDF over a folder of text files."""

from __future__ import annotations

from word_frequency.analysis import Analysis, DocumentResult, analyze, read_folder

__all__ = ["Analysis", "DocumentResult", "analyze", "read_folder"]
