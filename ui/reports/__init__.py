"""What leads take away: the export dialog and the PDF report."""
