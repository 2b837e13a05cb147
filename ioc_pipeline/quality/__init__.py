"""Data-quality checks on the marts (Great Expectations), with results kept in schema `dq`."""
