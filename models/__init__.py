"""leadscore models package."""
