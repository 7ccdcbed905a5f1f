//! Schema migration from model metadata (LoopBack's autoupdate): create missing tables, add
//! missing columns, create indexes and unique indexes. Idempotent; never drops anything.

use portico_domain::{IdStrategy, IndexKind, ModelDef, PropertyDef};

use crate::dialect::{Dialect, MySqlFlavor};

/// The name of a property's index: `ux_<table>_<column>` for unique ones, `ix_…` otherwise,
/// shortened with a hash past PostgreSQL's 63-byte identifier limit.
pub(crate) fn index_name(model: &ModelDef, p: &PropertyDef) -> String {
    let prefix = if p.index == IndexKind::Unique {
        "ux"
    } else {
        "ix"
    };
    let name = format!("{prefix}_{}_{}", model.storage_name(), p.column());
    if name.len() <= 60 {
        return name;
    }
    // FNV-1a: stable across runs and platforms, unlike the std hasher.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut short: String = name.chars().take(43).collect();
    short.push_str(&format!("_{hash:016x}"));
    short
}

fn column_definition(
    dialect: Dialect,
    flavor: Option<MySqlFlavor>,
    model: &ModelDef,
    p: &PropertyDef,
    new_table: bool,
) -> String {
    let column = dialect.quote(p.column());
    if p.id && model.id_strategy() == IdStrategy::StoreInteger {
        return format!("{column} {}", dialect.generated_id());
    }
    let mut definition = format!("{column} {}", dialect.column_type(p, flavor));
    if p.id {
        definition.push_str(" NOT NULL PRIMARY KEY");
    } else if p.required && new_table {
        // Only on new tables: existing rows have no value for a column added later.
        definition.push_str(" NOT NULL");
    }
    definition
}

/// `CREATE TABLE IF NOT EXISTS` with every property.
pub(crate) fn create_table(
    dialect: Dialect,
    flavor: Option<MySqlFlavor>,
    model: &ModelDef,
) -> String {
    let columns: Vec<String> = model
        .properties
        .iter()
        .map(|p| column_definition(dialect, flavor, model, p, true))
        .collect();
    let suffix = if dialect == Dialect::MySql {
        " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
    } else {
        ""
    };
    format!(
        "CREATE TABLE IF NOT EXISTS {} ({}){suffix}",
        dialect.quote(model.storage_name()),
        columns.join(", ")
    )
}

/// `ALTER TABLE … ADD COLUMN …` for a property the table lacks (always nullable).
pub(crate) fn add_column(
    dialect: Dialect,
    flavor: Option<MySqlFlavor>,
    model: &ModelDef,
    p: &PropertyDef,
) -> String {
    format!(
        "ALTER TABLE {} ADD COLUMN {}",
        dialect.quote(model.storage_name()),
        column_definition(dialect, flavor, model, p, false)
    )
}

/// `CREATE [UNIQUE] INDEX` for an indexed property. MySQL has no `IF NOT EXISTS` here, so the
/// caller checks first there.
pub(crate) fn create_index(dialect: Dialect, model: &ModelDef, p: &PropertyDef) -> String {
    let unique = if p.index == IndexKind::Unique {
        "UNIQUE "
    } else {
        ""
    };
    let if_not_exists = if dialect == Dialect::MySql {
        ""
    } else {
        "IF NOT EXISTS "
    };
    format!(
        "CREATE {unique}INDEX {if_not_exists}{} ON {} ({})",
        dialect.quote(&index_name(model, p)),
        dialect.quote(model.storage_name()),
        dialect.quote(p.column())
    )
}

/// The query listing a table's column names (one bind: the table name).
pub(crate) fn columns_query(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => {
            "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1"
        }
        Dialect::MySql => {
            "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?"
        }
        Dialect::Sqlite => "SELECT name FROM pragma_table_info(?)",
    }
}

/// MySQL: does this index exist? (binds: table, index).
pub(crate) const MYSQL_INDEX_EXISTS: &str = "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ?";

/// The properties that need an index.
pub(crate) fn indexed(model: &ModelDef) -> impl Iterator<Item = &PropertyDef> {
    model
        .properties
        .iter()
        .filter(|p| !p.id && p.index != IndexKind::None)
}
