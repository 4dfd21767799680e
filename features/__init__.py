"""leadscore features package."""
