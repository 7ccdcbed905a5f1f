//! Bad input never panics: the filter parsers and the check stage answer arbitrary JSON and
//! arbitrary query strings with `Ok` or a structured error, and so does body validation.

use std::sync::Arc;

use portico_domain::{
    Capabilities, CheckOptions, Error, Filter, ModelDef, ObjectDef, PropertyDef, PropertyType,
    Where, WriteMode,
};
use proptest::prelude::*;
use serde_json::Value as J;

fn model() -> ModelDef {
    ModelDef::new("Todo")
        .property(
            PropertyDef::new("id", PropertyType::Integer)
                .id()
                .generated(),
        )
        .property(PropertyDef::new("title", PropertyType::String).required())
        .property(PropertyDef::new("done", PropertyType::Boolean))
        .property(PropertyDef::new("due", PropertyType::DateTime))
        .property(PropertyDef::new("price", PropertyType::Number))
        .property(PropertyDef::new("ref", PropertyType::Uuid))
        .property(PropertyDef::new("tag", PropertyType::Json))
        .property(PropertyDef::new("secret", PropertyType::String).hidden())
        .property(PropertyDef::new("day", PropertyType::Date))
        .property(PropertyDef::new(
            "amount",
            PropertyType::Decimal {
                precision: 10,
                scale: 2,
            },
        ))
        .property(PropertyDef::new(
            "level",
            PropertyType::Enum(vec!["low".into(), "high".into()]),
        ))
        .property(PropertyDef::new("blob", PropertyType::Bytes))
        .property(PropertyDef::new(
            "place",
            PropertyType::Object(Arc::new(ObjectDef {
                name: "Place".into(),
                properties: vec![
                    PropertyDef::new("city", PropertyType::String).required(),
                    PropertyDef::new(
                        "amount",
                        PropertyType::Decimal {
                            precision: 4,
                            scale: 4,
                        },
                    ),
                ],
            })),
        ))
}

/// Keys that mean something to the parser, mixed with noise.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("where".to_owned()),
        Just("fields".to_owned()),
        Just("order".to_owned()),
        Just("limit".to_owned()),
        Just("skip".to_owned()),
        Just("offset".to_owned()),
        Just("include".to_owned()),
        Just("and".to_owned()),
        Just("or".to_owned()),
        Just("relation".to_owned()),
        Just("scope".to_owned()),
        Just("title".to_owned()),
        Just("done".to_owned()),
        Just("due".to_owned()),
        Just("price".to_owned()),
        Just("ref".to_owned()),
        Just("tag".to_owned()),
        Just("secret".to_owned()),
        Just("day".to_owned()),
        Just("amount".to_owned()),
        Just("level".to_owned()),
        Just("blob".to_owned()),
        Just("place".to_owned()),
        Just("place.city".to_owned()),
        Just("place.amount".to_owned()),
        Just("city".to_owned()),
        Just("id".to_owned()),
        prop::sample::select(vec![
            "eq", "neq", "gt", "gte", "lt", "lte", "between", "inq", "nin", "exists", "like",
            "nlike", "ilike", "nilike", "regexp",
        ])
        .prop_map(str::to_owned),
        "[a-z_~/]{0,6}",
    ]
}

fn leaf() -> impl Strategy<Value = J> {
    prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(J::from),
        any::<f64>().prop_map(J::from),
        prop::sample::select(vec![
            "/^a/i",
            "/(/",
            "%a_\\",
            "2024-05-01",
            "title DESC",
            "x ASC, y",
            "1",
            "true",
            "[",
            "abc",
            "2023-02-31",
            "99999999999999999999999999999999.5",
            "0.0000000000000000000000000000001",
            "-0.001",
            "1e400",
            "aGk=",
            "low",
        ])
        .prop_map(|s| J::String(s.to_owned())),
        ".{0,12}".prop_map(J::String),
    ]
}

fn json() -> impl Strategy<Value = J> {
    leaf().prop_recursive(6, 96, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(J::Array),
            prop::collection::vec((key(), inner), 0..5)
                .prop_map(|kv| J::Object(kv.into_iter().collect())),
        ]
    })
}

fn query() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just("filter".to_owned()),
        Just("where".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("[]".to_owned()),
        Just("=".to_owned()),
        Just("&".to_owned()),
        Just("%".to_owned()),
        Just("%7B".to_owned()),
        Just("%22".to_owned()),
        Just("+".to_owned()),
        key(),
        "[0-9]{1,6}",
        ".{0,4}",
    ];
    prop::collection::vec(fragment, 0..24).prop_map(|parts| parts.concat())
}

fn assert_structured(result: portico_domain::Result<impl Sized>) {
    match result {
        Ok(_) | Err(Error::Unsupported(_)) => {}
        Err(Error::InvalidFilter(errors)) => {
            assert!(!errors.0.is_empty(), "an invalid filter names its problems")
        }
        Err(other) => panic!("unexpected error kind: {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn json_filters_parse_and_check_without_panicking(input in json()) {
        let options = CheckOptions::new(Capabilities::all_operators());
        match Filter::from_json(&input) {
            Ok(filter) => assert_structured(filter.check(&model(), &options)),
            Err(errors) => prop_assert!(!errors.0.is_empty()),
        }
        if let Ok(clause) = Where::from_json(&input) {
            assert_structured(clause.check(&model(), &options));
        }
    }

    #[test]
    fn bodies_validate_without_panicking(input in json()) {
        for mode in [WriteMode::Create, WriteMode::Replace, WriteMode::Patch] {
            if let Err(errors) = model().record_from_json(&input, mode) {
                prop_assert!(!errors.details.is_empty());
            }
        }
    }

    #[test]
    fn query_strings_parse_without_panicking(input in query()) {
        let options = CheckOptions::new(Capabilities::minimal());
        match Filter::from_query(&input, "filter") {
            Ok(Some(filter)) => assert_structured(filter.check(&model(), &options)),
            Ok(None) => {}
            Err(errors) => prop_assert!(!errors.0.is_empty()),
        }
        let _ = Where::from_query(&input, "where");
    }
}
