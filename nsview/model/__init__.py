"""Records and pure logic. No I/O, no rich, no psutil: everything here is testable from text."""
