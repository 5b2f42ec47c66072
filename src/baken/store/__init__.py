"""The only place with SQL: tables, repositories, the message writer and migrations."""
