"""leadscore pipelines package."""
