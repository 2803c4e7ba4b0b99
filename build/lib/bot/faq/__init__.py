"""FAQ matching and urgent-symptom triage: pure logic, no Telegram."""
