"""Code shared by the API and the workers that imports nothing of the training stack."""
