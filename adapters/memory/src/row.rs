//! How the store keeps a record: the values of the model's declared properties that it holds,
//! in the order the model declares them, and a bit per property saying which those are — no
//! map, no key strings.
//!
//! A record as the ports pass it is a `BTreeMap<String, Value>`: a node with room for eleven
//! keys and values (over 600 bytes) and a heap string per key, for every record. As a row, a
//! record costs 32 bytes plus 32 per property it holds (a [`Value`]), and what its values own
//! (string bytes, a JSON tree). Properties the model does not declare (free-form models), and
//! declared ones past the 64th, are kept beside, by name.

use portico_domain::{ModelDef, Record, Value};

/// The properties a row keeps by position: as many as `present` has bits.
const POSITIONS: usize = u64::BITS as usize;

/// One stored record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    /// Bit `i` set: the row holds the property at position `i` of `model.properties`.
    present: u64,
    /// The values of the properties `present` names, by position.
    values: Box<[Value]>,
    /// Properties kept by name (undeclared, or past the 64th); `None` when there are none.
    by_name: Option<Box<Record>>,
}

/// The position of the declared property `name` in the model, if a row keeps it by position.
fn position(model: &ModelDef, name: &str) -> Option<usize> {
    model
        .properties
        .iter()
        .position(|p| p.name == name)
        .filter(|i| *i < POSITIONS)
}

impl Row {
    /// Keeps `record` as a row of `model`.
    pub(crate) fn new(model: &ModelDef, record: Record) -> Row {
        let mut positioned = Vec::with_capacity(record.len());
        let mut by_name = Record::new();
        for (name, value) in record {
            match position(model, &name) {
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
    pub(crate) fn get(&self, model: &ModelDef, name: &str) -> Option<&Value> {
        match position(model, name) {
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
    pub(crate) fn to_record(&self, model: &ModelDef) -> Record {
        let mut record = self.by_name.as_deref().cloned().unwrap_or_default();
        for (i, value) in self.positions().zip(self.values.iter()) {
            record.insert(model.properties[i].name.clone(), value.clone());
        }
        record
    }

    /// The row as a record of only these properties (those it holds).
    pub(crate) fn to_record_of(&self, model: &ModelDef, names: &[String]) -> Record {
        names
            .iter()
            .filter_map(|n| self.get(model, n).map(|v| (n.clone(), v.clone())))
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
        let row = Row::new(&model, record.clone());
        assert_eq!(row.to_record(&model), record);
        assert_eq!(row.get(&model, "id"), Some(&Value::Int(7)));
        assert_eq!(row.get(&model, "body"), None);
        assert_eq!(row.get(&model, "extra"), Some(&Value::Bool(true)));
        assert_eq!(
            row.to_record_of(&model, &["title".to_owned(), "body".to_owned()]),
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
        let row = Row::new(&model, record.clone());
        assert!(row.by_name.is_none());
        assert_eq!(row.present, 0b101);
        assert_eq!(row.values.len(), 2);
        assert_eq!(row.get(&model, "body"), Some(&Value::from("b")));
        assert_eq!(row.to_record(&model), record);
        assert_eq!(std::mem::size_of::<Row>(), 32);
    }

    #[test]
    fn properties_past_the_64th_are_kept_by_name() {
        let mut model = ModelDef::new("Wide");
        for i in 0..70 {
            model = model.property(PropertyDef::new(format!("p{i}"), PropertyType::Integer));
        }
        let record: Record = (0..70).map(|i| (format!("p{i}"), Value::Int(i))).collect();
        let row = Row::new(&model, record.clone());
        assert_eq!(row.values.len(), 64);
        assert_eq!(row.by_name.as_ref().map(|r| r.len()), Some(6));
        assert_eq!(row.get(&model, "p63"), Some(&Value::Int(63)));
        assert_eq!(row.get(&model, "p69"), Some(&Value::Int(69)));
        assert_eq!(row.to_record(&model), record);
    }
}
