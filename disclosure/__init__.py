"""What the region discloses: the bulletin (通报) and the public disclosure page."""
