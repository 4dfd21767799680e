"""leadscore rules package."""
