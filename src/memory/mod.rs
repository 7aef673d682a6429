//! The SQLite file: schema, migrations, the memory API, search, backup and export.
