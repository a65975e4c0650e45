"""Celery workers and the training pipeline. Only worker processes import TensorFlow."""
