//! How the store keeps a record: the values of its table's columns that it holds, in column
//! order, and a bit per column saying which those are — no map, no key strings.
//!
//! A record as the ports pass it is a `BTreeMap<String, Value>`: a node with room for eleven
//! keys and values (over 600 bytes) and a heap string per key, for every record. As a row, a
//! record costs 32 bytes plus 32 per property it holds (a [`Value`]), and what its values own
//! (string bytes, a JSON tree). Properties that are no column (free-form models' extras, a
//! property a later version of the model added), and columns past the 64th, are kept beside,
//! by name.
//!
//! A table's columns are the properties of the model that created it, fixed from then on
//! ([`Columns`]): a row is read by name through them, so a model of the same storage name with
//! other properties or another order (a test's next version of a model) reads and writes the
//! same records by name, never another property's value.

use std::sync::Arc;

use portico_domain::{ModelDef, Record, Value};

/// The property names a table's rows keep by position.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Columns(Arc<[String]>);

impl Columns {
    /// The properties of `model`, in declaration order.
    pub(crate) fn of(model: &ModelDef) -> Columns {
        Columns(model.properties.iter().map(|p| p.name.clone()).collect())
    }

    /// The position of the column `name`, if a row keeps it by position.
    fn position(&self, name: &str) -> Option<usize> {
        self.0
            .iter()
            .position(|c| c == name)
            .filter(|i| *i < POSITIONS)
    }
}

/// The properties a row keeps by position: as many as `present` has bits.
const POSITIONS: usize = u64::BITS as usize;

/// One stored record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    /// Bit `i` set: the row holds the column at position `i`.
    present: u64,
    /// The values of the properties `present` names, by position.
    values: Box<[Value]>,
    /// Properties kept by name (undeclared, or past the 64th); `None` when there are none.
    by_name: Option<Box<Record>>,
}

impl Row {
    /// Keeps `record` as a row of a table of `columns`.
    pub(crate) fn new(columns: &Columns, record: Record) -> Row {
        let mut positioned = Vec::with_capacity(record.len());
        let mut by_name = Record::new();
        for (name, value) in record {
            match columns.position(&name) {
                Some(i) => positioned.push((i, value)),
                None => {
                    by_name.insert(name, value);
                }
            }
        }
        positioned.sort_unstable_by_key(|(i, _)| *i);
        Row {
            present: positioned.iter().fold(0, |bits, (i, _)| bits | 1 << i),
            values: positioned.into_iter().map(|(_, v)| v).collect(),
            by_name: (!by_name.is_empty()).then(|| Box::new(by_name)),
        }
    }

    /// The value of the property `name`, if the row holds it.
    pub(crate) fn get(&self, columns: &Columns, name: &str) -> Option<&Value> {
        match columns.position(name) {
            Some(i) if self.present & (1 << i) != 0 => {
                // Its index among the values: how many present properties come before it.
                let before = self.present & ((1 << i) - 1);
                self.values.get(before.count_ones() as usize)
            }
            Some(_) => None,
            None => self.by_name.as_ref().and_then(|r| r.get(name)),
        }
    }

    /// The positions of the values, in order.
    fn positions(&self) -> impl Iterator<Item = usize> + '_ {
        (0..POSITIONS).filter(|i| self.present & (1 << i) != 0)
    }

    /// The row as a record.
    pub(crate) fn to_record(&self, columns: &Columns) -> Record {
        let mut record = self.by_name.as_deref().cloned().unwrap_or_default();
        for (i, value) in self.positions().zip(self.values.iter()) {
            record.insert(columns.0[i].clone(), value.clone());
        }
        record
    }

    /// The row as a record of only these properties (those it holds).
    pub(crate) fn to_record_of(&self, columns: &Columns, names: &[String]) -> Record {
        names
            .iter()
            .filter_map(|n| self.get(columns, n).map(|v| (n.clone(), v.clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portico_domain::{ModelSettings, PropertyDef, PropertyType};

    fn model(strict: bool) -> ModelDef {
        let mut model = ModelDef::new("Note")
            .property(PropertyDef::new("id", PropertyType::Integer).id())
            .property(PropertyDef::new("title", PropertyType::String))
            .property(PropertyDef::new("body", PropertyType::String));
        model.settings = ModelSettings {
            strict,
            ..model.settings
        };
        model
    }

    #[test]
    fn a_row_gives_back_the_record_it_keeps() {
        let model = model(false);
        let record: Record = [
            ("title".to_owned(), Value::from("t")),
            ("id".to_owned(), Value::Int(7)),
            ("extra".to_owned(), Value::Bool(true)),
        ]
        .into_iter()
        .collect();
        let columns = Columns::of(&model);
        let row = Row::new(&columns, record.clone());
        assert_eq!(row.to_record(&columns), record);
        assert_eq!(row.get(&columns, "id"), Some(&Value::Int(7)));
        assert_eq!(row.get(&columns, "body"), None);
        assert_eq!(row.get(&columns, "extra"), Some(&Value::Bool(true)));
        assert_eq!(
            row.to_record_of(&columns, &["title".to_owned(), "body".to_owned()]),
            [("title".to_owned(), Value::from("t"))]
                .into_iter()
                .collect()
        );
    }

    #[test]
    fn a_row_of_declared_properties_is_its_values_and_a_word() {
        let model = model(true);
        let record: Record = [
            ("id".to_owned(), Value::Int(1)),
            ("body".to_owned(), Value::from("b")),
        ]
        .into_iter()
        .collect();
        let columns = Columns::of(&model);
        let row = Row::new(&columns, record.clone());
        assert!(row.by_name.is_none());
        assert_eq!(row.present, 0b101);
        assert_eq!(row.values.len(), 2);
        assert_eq!(row.get(&columns, "body"), Some(&Value::from("b")));
        assert_eq!(row.to_record(&columns), record);
        assert_eq!(std::mem::size_of::<Row>(), 32);
    }

    #[test]
    fn another_version_of_the_model_reads_and_writes_by_name() {
        let columns = Columns::of(&model(true));
        // The next version: a property in front, and one more.
        let next = ModelDef::new("Note")
            .property(PropertyDef::new("tag", PropertyType::String))
            .property(PropertyDef::new("id", PropertyType::Integer).id())
            .property(PropertyDef::new("title", PropertyType::String))
            .property(PropertyDef::new("body", PropertyType::String));
        let record: Record = [
            ("tag".to_owned(), Value::from("new")),
            ("id".to_owned(), Value::Int(3)),
            ("body".to_owned(), Value::from("b")),
        ]
        .into_iter()
        .collect();
        let row = Row::new(&columns, record.clone());
        assert_eq!(row.get(&columns, "tag"), Some(&Value::from("new")));
        assert_eq!(row.get(&columns, "id"), Some(&Value::Int(3)));
        assert_eq!(row.to_record(&columns), record);
        assert_ne!(Columns::of(&next), columns);
    }

    #[test]
    fn properties_past_the_64th_are_kept_by_name() {
        let mut model = ModelDef::new("Wide");
        for i in 0..70 {
            model = model.property(PropertyDef::new(format!("p{i}"), PropertyType::Integer));
        }
        let record: Record = (0..70).map(|i| (format!("p{i}"), Value::Int(i))).collect();
        let columns = Columns::of(&model);
        let row = Row::new(&columns, record.clone());
        assert_eq!(row.values.len(), 64);
        assert_eq!(row.by_name.as_ref().map(|r| r.len()), Some(6));
        assert_eq!(row.get(&columns, "p63"), Some(&Value::Int(63)));
        assert_eq!(row.get(&columns, "p69"), Some(&Value::Int(69)));
        assert_eq!(row.to_record(&columns), record);
    }
}
