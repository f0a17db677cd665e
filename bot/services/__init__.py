"""Domain operations: plain async functions that take a session, testable without Telegram."""
