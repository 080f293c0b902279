//! The schema agreement check: a store reads its migrated schema (SQLite's `pragma
//! table_info`, PostgreSQL's `information_schema`) and this module compares it with the
//! descriptions, so a column added to one store's migration and not the other's, or not to
//! the description, fails a test with a message naming it.

use super::{Column, ColumnType, JoinTable, SPECIAL_TABLES, TABLES, Table};
use std::collections::{BTreeMap, BTreeSet};

/// One column of a migrated schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActualColumn {
    /// The table.
    pub table: String,
    /// The column.
    pub name: String,
    /// Its declared type, as the database reports it.
    pub declared: String,
    /// Whether it may be NULL.
    pub nullable: bool,
}

/// Every way `actual` differs from the descriptions, one sentence each (empty when they agree).
/// `compatible(ty, declared)` says whether the store stores a neutral type in a declared type.
/// Tables that are neither described, join tables nor [`SPECIAL_TABLES`] are reported too;
/// a store leaves out its own bookkeeping tables (migration history) before calling.
pub fn schema_differences(
    actual: &[ActualColumn],
    compatible: impl Fn(ColumnType, &str) -> bool,
) -> Vec<String> {
    let mut tables: BTreeMap<&str, BTreeMap<&str, &ActualColumn>> = BTreeMap::new();
    for c in actual {
        tables.entry(c.table.as_str()).or_default().insert(c.name.as_str(), c);
    }
    let mut out = Vec::new();
    let mut known: BTreeSet<&str> = SPECIAL_TABLES.iter().copied().collect();
    for t in TABLES {
        known.insert(t.name);
        let expected: Vec<(&str, ColumnType, bool)> =
            t.stored().map(|c| (c.name, c.ty, c.nullable)).collect();
        compare(&mut out, t.name, &expected, tables.get(t.name), &compatible);
        for (_, j) in t.joins() {
            known.insert(j.table);
            let mut expected = vec![
                ("org_id", ColumnType::Uuid, false),
                (j.parent, ColumnType::Uuid, false),
                (j.item, ColumnType::Uuid, false),
                ("position", ColumnType::Int, false),
            ];
            expected.extend(copied_column(t, j).map(|c| (c.name, c.ty, c.nullable)));
            compare(&mut out, j.table, &expected, tables.get(j.table), &compatible);
        }
    }
    for name in tables.keys() {
        if !known.contains(name) {
            out.push(format!(
                "table {name} is in the migrated schema but no record describes it \
                 (add it to cmms_core::store::record)"
            ));
        }
    }
    out
}

/// The parent's column a join table copies ([`JoinTable::copied`]).
fn copied_column(parent: &'static Table, j: &JoinTable) -> Option<&'static Column> {
    let name = j.copied?;
    parent.columns.iter().find(|c| c.name == name)
}

fn compare(
    out: &mut Vec<String>,
    table: &str,
    expected: &[(&str, ColumnType, bool)],
    actual: Option<&BTreeMap<&str, &ActualColumn>>,
    compatible: &impl Fn(ColumnType, &str) -> bool,
) {
    let Some(actual) = actual else {
        out.push(format!("table {table} is described but missing from the migrated schema"));
        return;
    };
    for (name, ty, nullable) in expected {
        let Some(a) = actual.get(name) else {
            out.push(format!("column {table}.{name} is described but missing from the schema"));
            continue;
        };
        if !compatible(*ty, &a.declared) {
            out.push(format!(
                "column {table}.{name} is described as {ty} but declared {}",
                a.declared
            ));
        }
        if a.nullable != *nullable {
            let (d, s) =
                if *nullable { ("nullable", "NOT NULL") } else { ("NOT NULL", "nullable") };
            out.push(format!("column {table}.{name} is described {d} but the schema has it {s}"));
        }
    }
    for name in actual.keys() {
        if !expected.iter().any(|(n, ..)| n == name) {
            out.push(format!(
                "column {table}.{name} is in the migrated schema but not in the description"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Vec<ActualColumn> {
        let mut out = Vec::new();
        for t in TABLES {
            for c in t.stored() {
                out.push(ActualColumn {
                    table: t.name.into(),
                    name: c.name.into(),
                    declared: c.ty.as_str().into(),
                    nullable: c.nullable,
                });
            }
            for (_, j) in t.joins() {
                for (name, ty) in [
                    ("org_id", "uuid"),
                    (j.parent, "uuid"),
                    (j.item, "uuid"),
                    ("position", "integer"),
                ] {
                    out.push(ActualColumn {
                        table: j.table.into(),
                        name: name.into(),
                        declared: ty.into(),
                        nullable: false,
                    });
                }
                if let Some(c) = copied_column(t, j) {
                    out.push(ActualColumn {
                        table: j.table.into(),
                        name: c.name.into(),
                        declared: c.ty.as_str().into(),
                        nullable: c.nullable,
                    });
                }
            }
        }
        out
    }

    fn same(ty: ColumnType, declared: &str) -> bool {
        ty.as_str() == declared
    }

    #[test]
    fn copied_columns_name_a_column_of_their_parent() {
        for t in TABLES {
            for (_, j) in t.joins() {
                if let Some(name) = j.copied {
                    assert!(
                        copied_column(t, j).is_some(),
                        "{}.{name} is not in {}",
                        j.table,
                        t.name
                    );
                }
            }
        }
    }

    #[test]
    fn the_descriptions_agree_with_themselves() {
        assert_eq!(schema_differences(&schema(), same), Vec::<String>::new());
    }

    #[test]
    fn every_difference_is_named() {
        let mut s = schema();
        s.retain(|c| !(c.table == "sites" && c.name == "time_zone"));
        s.push(ActualColumn {
            table: "assets".into(),
            name: "colour".into(),
            declared: "text".into(),
            nullable: true,
        });
        for c in &mut s {
            if c.table == "users" && c.name == "email" {
                c.declared = "integer".into();
                c.nullable = true;
            }
        }
        s.push(ActualColumn {
            table: "stray".into(),
            name: "x".into(),
            declared: "text".into(),
            nullable: true,
        });
        let d = schema_differences(&s, same);
        assert_eq!(
            d,
            [
                "column sites.time_zone is described but missing from the schema",
                "column users.email is described as text but declared integer",
                "column users.email is described NOT NULL but the schema has it nullable",
                "column assets.colour is in the migrated schema but not in the description",
                "table stray is in the migrated schema but no record describes it \
                 (add it to cmms_core::store::record)",
            ]
        );
    }
}
