"""The single-table store: PynamoDB models and the repository that owns every request."""
