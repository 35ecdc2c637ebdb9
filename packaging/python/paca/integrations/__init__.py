"""Callbacks for training frameworks: `paca.integrations.transformers` (Hugging Face Trainer)."""
