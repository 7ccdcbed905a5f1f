//! The value types beyond the scalars as the pure core sees them: JSON bodies (strict), the
//! query form (coerced), validation details with paths, and the derives.

use portico_domain::{
    Decimal, Embedded, Entity, FieldValue, Filter, NaiveDate, PropertyEnum, PropertyType,
    TypeMismatch, Value, WriteMode,
};
use serde_json::{Value as J, json};

#[derive(PropertyEnum, Clone, Copy, Debug, PartialEq)]
#[portico(rename_all = "kebab-case")]
enum Priority {
    Low,
    VeryHigh,
    #[portico(rename = "urgent!")]
    Urgent,
}

#[derive(Embedded, Clone, Debug, PartialEq)]
struct Address {
    city: String,
    #[portico(length(max = 5))]
    zip: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
struct Even(i64);

impl FieldValue for Even {
    fn property_type() -> PropertyType {
        PropertyType::Integer
    }
    fn into_value(self) -> Value {
        Value::Int(self.0)
    }
    fn from_value(value: Value) -> Result<Self, TypeMismatch> {
        match value {
            Value::Int(i) if i % 2 == 0 => Ok(Even(i)),
            _ => Err(TypeMismatch::new("an even integer")),
        }
    }
}

#[derive(Entity, Clone, Debug, PartialEq)]
struct Author {
    #[portico(id, generated)]
    id: Option<i64>,
    born: Option<NaiveDate>,
    #[portico(decimal(precision = 6, scale = 2))]
    fee: Option<Decimal>,
    priority: Option<Priority>,
    address: Option<Address>,
    photo: Option<Vec<u8>>,
    lucky: Option<Even>,
}

/// `(path, code)` of each problem of a create body.
fn problems(body: J) -> Vec<(String, String)> {
    match Author::definition().record_from_json(&body, WriteMode::Create) {
        Ok(_) => Vec::new(),
        Err(e) => e.details.into_iter().map(|d| (d.path, d.code)).collect(),
    }
}

fn one(path: &str, code: &str) -> Vec<(String, String)> {
    vec![(path.to_owned(), code.to_owned())]
}

#[test]
fn a_calendar_date_is_iso_and_real() {
    assert_eq!(problems(json!({"born": "2024-02-29"})), []);
    for bad in [
        "2023-02-31",
        "2024-13-45",
        "2024-1-5",
        "24-01-05",
        "2024-01-05T00:00:00Z",
        "",
    ] {
        assert_eq!(
            problems(json!({"born": bad})),
            one("/born", "type"),
            "{bad}"
        );
    }
    let record = Author::definition()
        .record_from_json(&json!({"born": "1999-12-31"}), WriteMode::Create)
        .unwrap();
    assert_eq!(record["born"].to_json(), json!("1999-12-31"));
}

#[test]
fn a_decimal_is_read_exactly_from_a_string_or_an_integer_and_shown_as_a_string() {
    let read = |json: J| {
        Author::definition()
            .record_from_json(&json!({ "fee": json }), WriteMode::Create)
            .map(|r| r["fee"].clone())
    };
    assert_eq!(
        read(json!("0.10")).unwrap(),
        Value::Decimal("0.10".parse().unwrap())
    );
    // A fraction as a JSON number is a float to most clients: it must come as text.
    assert_eq!(problems(json!({"fee": 0.1})), one("/fee", "type"));
    assert_eq!(read(json!(8.0)).unwrap(), Value::Decimal(8.into()));
    for not_plain in ["+1", "1e3", ".5", "1.", " 1", "1_000", "0x10"] {
        assert_eq!(
            problems(json!({ "fee": not_plain })),
            one("/fee", "type"),
            "{not_plain}"
        );
    }
    assert_eq!(read(json!(8)).unwrap().to_json(), json!("8"));
    // Stored values carry the property's scale.
    let ty = &Author::definition().get("fee").unwrap().ty;
    assert_eq!(
        read(json!(8)).unwrap().normalize(ty).to_json(),
        json!("8.00")
    );
    assert_eq!(problems(json!({"fee": "1.005"})), one("/fee", "multipleOf"));
    assert_eq!(
        problems(json!({"fee": "1.050"})),
        [],
        "trailing zeros are no digits"
    );
    assert_eq!(
        problems(json!({"fee": 10000})),
        one("/fee", "exclusiveMaximum")
    );
    assert_eq!(problems(json!({"fee": "9999.99"})), []);
    assert_eq!(
        problems(json!({"fee": "-10000"})),
        one("/fee", "exclusiveMinimum")
    );
    assert_eq!(problems(json!({"fee": "abc"})), one("/fee", "type"));
    assert_eq!(problems(json!({"fee": true})), one("/fee", "type"));
}

#[test]
fn a_decimal_never_loses_digits_and_honours_its_bounds() {
    // 29 significant digits: more than a decimal holds, so refused rather than rounded to 8.
    assert_eq!(
        problems(json!({"fee": "8.0000000000000000000000000001"})),
        one("/fee", "type")
    );
    let bounded = portico_domain::ModelDef::new("Fee")
        .property(portico_domain::PropertyDef::new("id", PropertyType::Integer).id())
        .property(
            portico_domain::PropertyDef::new("fee", portico_domain::DEFAULT_DECIMAL).constraints(
                portico_domain::Constraints {
                    minimum: Some(0.0),
                    ..Default::default()
                },
            ),
        );
    let refused = bounded
        .record_from_json(&json!({"id": 1, "fee": "-0.01"}), WriteMode::Create)
        .unwrap_err();
    assert_eq!(refused.details[0].code, "minimum");
}

#[test]
fn zeros_carry_no_digits_and_filter_bounds_take_any_decimal() {
    // Found by Schemathesis: the body pattern allows any run of leading and trailing zeros.
    let long = format!("-1.8{}", "0".repeat(60));
    assert_eq!(problems(json!({ "fee": long })), []);
    assert_eq!(problems(json!({"fee": "000012.50"})), []);
    let checked = |json: J| {
        Filter::from_json_checked(
            &json,
            Author::definition(),
            &portico_domain::CheckOptions::new(portico_domain::Capabilities::all_operators()),
        )
    };
    // A filter bound may be any number within 1e28, and text with a long fraction (rounded).
    assert!(checked(json!({"where": {"fee": {"lt": 3.8e27}}})).is_ok());
    assert!(checked(json!({"where": {"fee": {"lt": 1e-300}}})).is_ok());
    assert!(checked(json!({"where": {"fee": {"lt": 3.8e155}}})).is_err());
    assert!(
        checked(json!({"where": {"fee": {"gt": "0.1234567890123456789012345678901"}}})).is_ok()
    );
}

#[test]
fn a_date_is_one_json_can_carry_back() {
    let far = Value::Date(NaiveDate::from_ymd_opt(12000, 1, 1).unwrap());
    let record = [("born".to_owned(), far)].into_iter().collect();
    let refused = Author::definition()
        .validate(&record, WriteMode::Create)
        .unwrap_err();
    assert_eq!(
        (
            refused.details[0].path.as_str(),
            refused.details[0].code.as_str()
        ),
        ("/born", "format")
    );
}

#[test]
fn a_dotted_key_cannot_write_into_an_embedded_object() {
    let free = portico_domain::ModelDef {
        settings: portico_domain::ModelSettings {
            strict: false,
            ..Default::default()
        },
        ..Author::definition().clone()
    };
    let refused = free
        .record_from_json(&json!({"address.city": 5}), WriteMode::Patch)
        .unwrap_err();
    assert_eq!(refused.details[0].code, "additionalProperties");
    assert!(
        free.record_from_json(&json!({"other.key": 5}), WriteMode::Patch)
            .is_ok()
    );
}

#[test]
fn stored_json_leaves_out_members_a_type_no_longer_declares() {
    let ty = &Author::definition().get("address").unwrap().ty;
    let stored = json!({"city": "Paris", "street": "gone"});
    assert!(Value::from_json_typed(&stored, ty).is_err());
    let read = Value::from_stored_json(&stored, ty).unwrap();
    assert_eq!(read.to_json(), json!({"city": "Paris"}));
}

#[test]
fn an_enum_takes_its_variant_names_only() {
    assert_eq!(
        Author::definition().get("priority").unwrap().ty,
        PropertyType::Enum(vec!["low".into(), "very-high".into(), "urgent!".into()])
    );
    assert_eq!(problems(json!({"priority": "very-high"})), []);
    assert_eq!(
        problems(json!({"priority": "VeryHigh"})),
        one("/priority", "enum")
    );
    assert_eq!(problems(json!({"priority": 1})), one("/priority", "type"));
    assert_eq!(Priority::Urgent.into_value(), Value::from("urgent!"));
    assert_eq!(
        Priority::from_value(Value::from("medium"))
            .unwrap_err()
            .to_string(),
        "must be one of low, very-high, urgent!"
    );
}

#[test]
fn an_embedded_object_is_validated_member_by_member() {
    assert_eq!(
        problems(json!({"address": {"city": "Paris", "zip": "75007"}})),
        []
    );
    assert_eq!(
        problems(json!({"address": {}})),
        one("/address", "required")
    );
    assert_eq!(
        problems(json!({"address": {"city": "Paris", "zip": "750070"}})),
        one("/address/zip", "maxLength")
    );
    assert_eq!(
        problems(json!({"address": {"city": 5}})),
        one("/address/city", "type")
    );
    assert_eq!(
        problems(json!({"address": {"city": "Paris", "street": "x"}})),
        one("/address/street", "type")
    );
    assert_eq!(
        problems(json!({"address": "Paris"})),
        one("/address", "type")
    );
}

#[test]
fn bytes_are_padded_base64() {
    let record = Author::definition()
        .record_from_json(&json!({"photo": "aGk="}), WriteMode::Create)
        .unwrap();
    assert_eq!(record["photo"], Value::Bytes(b"hi".to_vec()));
    assert_eq!(record["photo"].to_json(), json!("aGk="));
    assert_eq!(
        problems(json!({"photo": "not base64!"})),
        one("/photo", "type")
    );
}

#[test]
fn a_user_defined_type_is_parsed_on_every_write() {
    assert_eq!(problems(json!({"lucky": 4})), []);
    assert_eq!(problems(json!({"lucky": 5})), one("/lucky", "format"));
    let patch = Author::definition().record_from_json(&json!({"lucky": 7}), WriteMode::Patch);
    let details = patch.unwrap_err().details;
    assert_eq!(details[0].message, "must be an even integer");
}

#[test]
fn query_values_are_coerced_and_checked_against_the_new_types() {
    let checked = |json: J| {
        Filter::from_json_checked(
            &json,
            Author::definition(),
            &portico_domain::CheckOptions::new(portico_domain::Capabilities::all_operators()),
        )
    };
    assert!(checked(json!({"where": {"born": {"gt": "2000-01-01"}}})).is_ok());
    assert!(checked(json!({"where": {"born": {"gt": "2000-02-30"}}})).is_err());
    assert!(checked(json!({"where": {"fee": {"between": ["1", 2.5]}}})).is_ok());
    assert!(checked(json!({"where": {"priority": {"inq": ["low", "urgent!"]}}})).is_ok());
    assert!(checked(json!({"where": {"priority": "medium"}})).is_err());
    assert!(
        checked(json!({"where": {"priority": {"gt": "low"}}})).is_err(),
        "not ordered"
    );
    assert!(checked(json!({"where": {"photo": {"exists": true}}})).is_ok());
    assert!(
        checked(json!({"where": {"photo": "aGk="}})).is_err(),
        "bytes: exists only"
    );
    assert!(checked(json!({"where": {"address": {"exists": false}}})).is_ok());
    assert!(checked(json!({"where": {"address.nowhere": "x"}})).is_err());
}

#[test]
fn typed_fields_of_the_new_types_build_filters() {
    let f = Author::FIELDS;
    let day = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
    let filter = Filter::new()
        .where_(
            f.born
                .lt(day)
                .and(f.priority.inq([Priority::Low, Priority::Urgent])),
        )
        .order(f.fee.desc());
    let options = portico_domain::CheckOptions::new(portico_domain::Capabilities::all_operators());
    assert!(filter.clone().check(Author::definition(), &options).is_ok());
    let shown = format!("{:?}", filter.where_);
    assert!(shown.contains("Lt(Date(2024-05-01))"), "{shown}");
    assert!(
        shown.contains(r#"Inq([String("low"), String("urgent!")])"#),
        "{shown}"
    );
}
