//! What differs between the three SQL dialects: quoting, placeholders, column types, and how
//! each filter operator is spelled so that it keeps the documented semantics.

use portico_domain::{IndexKind, PropertyDef, PropertyType};

/// A SQL dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL.
    Postgres,
    /// MySQL 8 and MariaDB.
    MySql,
    /// SQLite 3.
    Sqlite,
}

/// The collation MySQL/MariaDB string columns get: binary and without trailing-space padding,
/// so `=`, `LIKE`, `<` and `ORDER BY` compare code points exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MySqlFlavor {
    MySql,
    MariaDb,
}

impl Dialect {
    /// Quotes an identifier.
    pub(crate) fn quote(self, ident: &str) -> String {
        match self {
            Dialect::MySql => format!("`{}`", ident.replace('`', "``")),
            Dialect::Postgres | Dialect::Sqlite => format!("\"{}\"", ident.replace('"', "\"\"")),
        }
    }

    /// Appends a quoted identifier to `out`, without a temporary string.
    pub(crate) fn quote_into(self, out: &mut String, ident: &str) {
        let q = match self {
            Dialect::MySql => '`',
            Dialect::Postgres | Dialect::Sqlite => '"',
        };
        out.push(q);
        if ident.contains(q) {
            for c in ident.chars() {
                if c == q {
                    out.push(q);
                }
                out.push(c);
            }
        } else {
            out.push_str(ident);
        }
        out.push(q);
    }

    /// Appends the `n`-th (1-based) bind placeholder to `out`.
    pub(crate) fn placeholder_into(self, out: &mut String, n: usize) {
        match self {
            Dialect::Postgres => {
                use std::fmt::Write as _;
                let _ = write!(out, "${n}");
            }
            Dialect::MySql | Dialect::Sqlite => out.push('?'),
        }
    }

    /// The column type of a property (`NOT NULL`, keys and checks are added by migration).
    pub(crate) fn column_type(self, p: &PropertyDef, flavor: Option<MySqlFlavor>) -> String {
        let indexed = p.id || p.index != IndexKind::None;
        match (self, &p.ty) {
            (Dialect::Postgres, PropertyType::String | PropertyType::Enum(_)) => "TEXT".into(),
            (Dialect::Postgres, PropertyType::Integer) => "BIGINT".into(),
            (Dialect::Postgres, PropertyType::Number) => "DOUBLE PRECISION".into(),
            (Dialect::Postgres, PropertyType::Boolean) => "BOOLEAN".into(),
            (Dialect::Postgres, PropertyType::DateTime) => "TIMESTAMPTZ(3)".into(),
            (Dialect::Postgres, PropertyType::Date) => "DATE".into(),
            (Dialect::Postgres, PropertyType::Decimal { precision, scale }) => {
                format!("NUMERIC({precision},{scale})")
            }
            (Dialect::Postgres, PropertyType::Bytes) => "BYTEA".into(),
            (Dialect::Postgres, PropertyType::Uuid) => "UUID".into(),
            (
                Dialect::Postgres,
                PropertyType::Json | PropertyType::Array(_) | PropertyType::Object(_),
            ) => "JSONB".into(),
            (Dialect::MySql, PropertyType::String) => {
                // Indexed strings need a bounded type; 768 characters fit InnoDB's key limit.
                let ty = match (indexed, p.constraints.max_length) {
                    (true, Some(max)) if max <= 768 => format!("VARCHAR({max})"),
                    (true, _) => "VARCHAR(768)".to_owned(),
                    (false, _) => "LONGTEXT".to_owned(),
                };
                mysql_text(&ty, flavor)
            }
            (Dialect::MySql, PropertyType::Enum(values)) => {
                let longest = values.iter().map(|v| v.chars().count()).max().unwrap_or(0);
                mysql_text(&format!("VARCHAR({})", longest.max(1)), flavor)
            }
            (Dialect::MySql, PropertyType::Integer) => "BIGINT".into(),
            (Dialect::MySql, PropertyType::Number) => "DOUBLE".into(),
            (Dialect::MySql, PropertyType::Boolean) => "BOOLEAN".into(),
            (Dialect::MySql, PropertyType::DateTime) => "DATETIME(3)".into(),
            (Dialect::MySql, PropertyType::Date) => "DATE".into(),
            (Dialect::MySql, PropertyType::Decimal { precision, scale }) => {
                format!("DECIMAL({precision},{scale})")
            }
            (Dialect::MySql, PropertyType::Bytes) => "LONGBLOB".into(),
            (Dialect::MySql, PropertyType::Uuid) => {
                "CHAR(36) CHARACTER SET ascii COLLATE ascii_bin".into()
            }
            (
                Dialect::MySql,
                PropertyType::Json | PropertyType::Array(_) | PropertyType::Object(_),
            ) => "JSON".into(),
            (Dialect::Sqlite, PropertyType::Integer | PropertyType::Boolean) => "INTEGER".into(),
            // Decimals are their value times 10^scale: exact, and ordered (precision <= 18, which
            // migration checks, fits 64 bits).
            (Dialect::Sqlite, PropertyType::Decimal { .. }) => "INTEGER".into(),
            (Dialect::Sqlite, PropertyType::Number) => "REAL".into(),
            (Dialect::Sqlite, PropertyType::Bytes) => "BLOB".into(),
            // Date-times are fixed-width ISO 8601 text (`…T…:…:….mmmZ`), which sorts in time
            // order, dates `YYYY-MM-DD`; JSON is text.
            (
                Dialect::Sqlite,
                PropertyType::String
                | PropertyType::Enum(_)
                | PropertyType::DateTime
                | PropertyType::Date
                | PropertyType::Uuid
                | PropertyType::Json
                | PropertyType::Array(_)
                | PropertyType::Object(_),
            ) => "TEXT".into(),
        }
    }

    /// A string literal (an enum's allowed values in a `CHECK`).
    pub(crate) fn string_literal(self, value: &str) -> String {
        let escaped = value.replace('\'', "''");
        match self {
            // MySQL's default SQL mode reads backslash escapes in literals too.
            Dialect::MySql => format!("'{}'", escaped.replace('\\', "\\\\")),
            Dialect::Postgres | Dialect::Sqlite => format!("'{escaped}'"),
        }
    }

    /// The definition of a store-generated integer id column.
    pub(crate) fn generated_id(self) -> &'static str {
        match self {
            Dialect::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            Dialect::MySql => "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
            // AUTOINCREMENT: ids are never reused, as on the other backends.
            Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        }
    }
}

/// A MySQL/MariaDB text type with the binary, no-pad collation (see [`MySqlFlavor`]).
fn mysql_text(ty: &str, flavor: Option<MySqlFlavor>) -> String {
    let collation = match flavor {
        Some(MySqlFlavor::MySql) => "utf8mb4_0900_bin",
        _ => "utf8mb4_nopad_bin",
    };
    format!("{ty} CHARACTER SET utf8mb4 COLLATE {collation}")
}
