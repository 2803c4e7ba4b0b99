"""When each subscriber's tip is due (zones, DST) and which tip comes next: pure logic."""
