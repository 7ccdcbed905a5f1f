//! Schema migration from model metadata (LoopBack's autoupdate): create missing tables, add
//! missing columns, create indexes and unique indexes. Idempotent; never drops anything.

use portico_domain::{IdStrategy, IndexKind, ModelDef, PropertyDef, PropertyType};

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
    if let PropertyType::Enum(values) = &p.ty {
        // An enum without values holds nothing but NULL.
        let allowed = if values.is_empty() {
            "IS NULL".to_owned()
        } else {
            let literals: Vec<String> = values.iter().map(|v| dialect.string_literal(v)).collect();
            format!("IN ({})", literals.join(", "))
        };
        definition.push_str(&format!(" CHECK ({column} {allowed})"));
    }
    definition
}

/// The largest decimal precision SQLite holds: its decimals are 64-bit integers (the value
/// times 10^scale).
pub(crate) const SQLITE_MAX_PRECISION: u8 = 18;

/// Why the dialect cannot store the model's properties, if it cannot (a decimal too precise
/// for SQLite's integers).
pub(crate) fn unsupported(dialect: Dialect, model: &ModelDef) -> Option<String> {
    if dialect != Dialect::Sqlite {
        return None;
    }
    model.properties.iter().find_map(|p| match p.ty {
        PropertyType::Decimal { precision, scale } if precision > SQLITE_MAX_PRECISION => {
            Some(format!(
                "{}.{} is decimal({precision}, {scale}); SQLite stores decimals of at most {SQLITE_MAX_PRECISION} digits",
                model.name, p.name
            ))
        }
        _ => None,
    })
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
///
/// PostgreSQL's index keeps nulls first: queries order ascending with nulls first (the
/// reference's order, `NULLS FIRST` in the statement), which an index of the default order
/// (nulls last) cannot give, so a sorted page would sort every matching row instead of reading
/// the index in order (scanned backwards, it gives descending with nulls last, the other
/// order). MySQL and SQLite put nulls first ascending anyway.
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
    let order = if dialect == Dialect::Postgres {
        " NULLS FIRST"
    } else {
        ""
    };
    format!(
        "CREATE {unique}INDEX {if_not_exists}{} ON {} ({}{order})",
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use expect_test::expect;
    use portico_domain::{ObjectDef, PropertyType as T};

    use super::*;

    /// A model with every type beyond the scalars.
    fn book() -> ModelDef {
        let publisher = ObjectDef {
            name: "Publisher".into(),
            properties: vec![
                PropertyDef::new("name", T::String).required(),
                PropertyDef::new("founded", T::Date),
            ],
        };
        let binding = T::Enum(vec![
            "hardcover".into(),
            "paperback".into(),
            "e-book".into(),
        ]);
        ModelDef::new("Book")
            .property(PropertyDef::new("id", T::Integer).id().generated())
            .property(PropertyDef::new("published", T::Date).required())
            .property(PropertyDef::new(
                "price",
                T::Decimal {
                    precision: 10,
                    scale: 2,
                },
            ))
            .property(PropertyDef::new("binding", binding.clone()).index(IndexKind::Plain))
            .property(PropertyDef::new(
                "odd",
                T::Enum(vec!["it's".into(), "a\\b".into()]),
            ))
            .property(PropertyDef::new("bindings", T::Array(Box::new(binding))))
            .property(PropertyDef::new(
                "publisher",
                T::Object(Arc::new(publisher)),
            ))
            .property(PropertyDef::new("cover", T::Bytes))
    }

    fn ddl(model: &ModelDef) -> String {
        let added = model.get("binding").unwrap();
        [
            (Dialect::Postgres, None),
            (Dialect::MySql, Some(MySqlFlavor::MariaDb)),
            (Dialect::MySql, Some(MySqlFlavor::MySql)),
            (Dialect::Sqlite, None),
        ]
        .into_iter()
        .flat_map(|(d, flavor)| {
            [
                create_table(d, flavor, model),
                add_column(d, flavor, model, added),
            ]
        })
        .collect::<Vec<_>>()
        .join("\n")
    }

    #[test]
    fn new_types_per_dialect() {
        expect![[r#"
            CREATE TABLE IF NOT EXISTS "Book" ("id" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "published" DATE NOT NULL, "price" NUMERIC(10,2), "binding" TEXT CHECK ("binding" IN ('hardcover', 'paperback', 'e-book')), "odd" TEXT CHECK ("odd" IN ('it''s', 'a\b')), "bindings" JSONB, "publisher" JSONB, "cover" BYTEA)
            ALTER TABLE "Book" ADD COLUMN "binding" TEXT CHECK ("binding" IN ('hardcover', 'paperback', 'e-book'))
            CREATE TABLE IF NOT EXISTS `Book` (`id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, `published` DATE NOT NULL, `price` DECIMAL(10,2), `binding` VARCHAR(9) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin CHECK (`binding` IN ('hardcover', 'paperback', 'e-book')), `odd` VARCHAR(4) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin CHECK (`odd` IN ('it''s', 'a\\b')), `bindings` JSON, `publisher` JSON, `cover` LONGBLOB) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
            ALTER TABLE `Book` ADD COLUMN `binding` VARCHAR(9) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin CHECK (`binding` IN ('hardcover', 'paperback', 'e-book'))
            CREATE TABLE IF NOT EXISTS `Book` (`id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, `published` DATE NOT NULL, `price` DECIMAL(10,2), `binding` VARCHAR(9) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_bin CHECK (`binding` IN ('hardcover', 'paperback', 'e-book')), `odd` VARCHAR(4) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_bin CHECK (`odd` IN ('it''s', 'a\\b')), `bindings` JSON, `publisher` JSON, `cover` LONGBLOB) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
            ALTER TABLE `Book` ADD COLUMN `binding` VARCHAR(9) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_bin CHECK (`binding` IN ('hardcover', 'paperback', 'e-book'))
            CREATE TABLE IF NOT EXISTS "Book" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "published" TEXT NOT NULL, "price" INTEGER, "binding" TEXT CHECK ("binding" IN ('hardcover', 'paperback', 'e-book')), "odd" TEXT CHECK ("odd" IN ('it''s', 'a\b')), "bindings" TEXT, "publisher" TEXT, "cover" BLOB)
            ALTER TABLE "Book" ADD COLUMN "binding" TEXT CHECK ("binding" IN ('hardcover', 'paperback', 'e-book'))"#]].assert_eq(&ddl(&book()));
    }

    #[test]
    fn sqlite_refuses_decimals_past_18_digits() {
        let fits = |precision| {
            let model = ModelDef::new("M")
                .property(PropertyDef::new("id", T::Integer).id())
                .property(PropertyDef::new(
                    "d",
                    T::Decimal {
                        precision,
                        scale: 4,
                    },
                ));
            unsupported(Dialect::Sqlite, &model)
        };
        assert_eq!(fits(18), None);
        expect![[r#"
            Some(
                "M.d is decimal(19, 4); SQLite stores decimals of at most 18 digits",
            )
        "#]]
        .assert_debug_eq(&fits(19));
        let model = ModelDef::new("M").property(PropertyDef::new(
            "d",
            T::Decimal {
                precision: 28,
                scale: 0,
            },
        ));
        assert_eq!(unsupported(Dialect::Postgres, &model), None);
        assert_eq!(unsupported(Dialect::MySql, &model), None);
    }
}
