"""Residents: accounts with a mobile number and one-time codes, anonymous reports with tracking
codes, and the public pages of reports."""
