"""CSV import and export pages."""
