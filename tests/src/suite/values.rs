//! Conformance cases: values. Id strategies, the round-trip of every property type, hidden,
//! default, unique and renamed properties, and validation of every constraint on every write.

use chrono::{DateTime, Utc};
use portico_domain::{Entity, Error, Filter, Op, Patch, Record, Value, Where};
use portico_ports::{EntityRepository, RecordRepository};
use serde_json::json;
use uuid::Uuid;

use crate::fixtures::{Account, Item, Tag, Todo};
use crate::{Case, Ctx, TestResult, cases};

pub(crate) fn cases() -> Vec<Case> {
    cases![
        store_generated_ids_are_1_2_3_in_creation_order,
        store_generated_ids_from_create_all_are_1_2_3,
        store_generated_ids_are_not_reused_after_delete_by_id,
        store_generated_ids_are_not_reused_after_delete_all,
        store_generated_ids_count_per_model,
        generated_integer_id_supplied_on_create_is_validation,
        kit_generated_ids_are_distinct_v4_uuids,
        kit_generated_id_finds_the_entity,
        kit_generated_id_supplied_on_create_is_validation,
        client_supplied_string_id_round_trips,
        client_id_missing_is_validation_required,
        client_id_duplicate_is_conflict,
        string_round_trips_unicode_and_emoji,
        string_round_trips_empty_and_whitespace,
        integer_round_trips_i64_extremes,
        integer_extremes_match_in_filters,
        number_round_trips_negative_and_fractional,
        number_that_is_not_finite_is_validation_type,
        boolean_round_trips_true_and_false,
        date_time_is_truncated_to_milliseconds_on_create,
        date_time_filter_eq_finds_the_stored_value,
        date_time_before_1970_round_trips,
        date_time_is_truncated_to_milliseconds_on_update_and_replace,
        uuid_round_trips_and_matches_in_filters,
        json_round_trips_a_nested_object,
        json_round_trips_arrays_numbers_strings_and_booleans,
        string_array_round_trips_in_order,
        empty_string_array_round_trips,
        every_property_round_trips_through_create_and_find,
        hidden_property_is_stored_and_returned_to_rust_code,
        hidden_property_is_left_out_of_public_json,
        hidden_property_can_be_patched,
        hidden_property_in_where_is_invalid_filter,
        hidden_property_in_count_update_all_and_delete_all_is_invalid_filter,
        hidden_property_in_fields_is_invalid_filter,
        hidden_property_in_order_is_invalid_filter,
        hidden_property_is_not_returned_with_fields,
        default_priority_is_3_when_left_out,
        default_priority_is_kept_when_given,
        default_is_applied_on_create_only,
        default_created_at_is_set_near_now,
        created_at_is_kept_when_given,
        unique_code_duplicate_on_create_is_conflict,
        unique_code_duplicate_on_update_by_id_is_conflict,
        unique_code_duplicate_on_update_all_is_conflict,
        unique_code_duplicate_on_replace_by_id_is_conflict,
        unique_code_may_be_rewritten_on_its_own_entity,
        unique_code_none_twice_is_fine,
        unique_code_freed_by_delete_can_be_reused,
        unique_conflict_message_names_the_property_not_the_value,
        unique_tag_label_duplicate_is_conflict,
        renamed_column_round_trips,
        renamed_column_filters_orders_and_updates,
        validation_name_too_short_is_min_length,
        validation_name_too_long_is_max_length,
        validation_name_length_counts_characters,
        validation_rating_above_maximum,
        validation_rating_below_minimum,
        validation_rating_bounds_are_inclusive,
        validation_color_not_in_enum,
        validation_email_format,
        validation_sku_pattern,
        validation_required_name_missing_via_records,
        validation_required_name_null_via_records,
        validation_unknown_property_on_strict_model,
        validation_wrong_type_via_records,
        validation_collects_every_problem,
        validation_failure_stores_nothing,
        validation_on_update_by_id,
        validation_on_update_all,
        validation_on_replace_by_id,
        validation_null_for_required_property_in_patch_is_type_error,
        validation_null_for_optional_property_in_patch_clears_it,
    ]
}

// ---- helpers ---------------------------------------------------------------------------------

pub(super) fn record(pairs: &[(&str, Value)]) -> Record {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a valid RFC 3339 date-time")
        .with_timezone(&Utc)
}

fn now() -> DateTime<Utc> {
    std::time::SystemTime::now().into()
}

/// The item `input` as the store keeps it once created as `created`: the generated id and the
/// defaults filled in.
fn as_stored(input: Item, created: &Item) -> Item {
    Item {
        id: created.id,
        priority: input.priority.or(Some(3)),
        created_at: input.created_at.or(created.created_at),
        ..input
    }
}

fn id_of(item: &Item) -> Result<i64, &'static str> {
    item.id.ok_or("no id was generated")
}

/// `(path, code)` of every validation problem, or a description of the other error.
pub(super) fn problems(err: &Error) -> Vec<(String, String)> {
    match err {
        Error::Validation(v) => v
            .details
            .iter()
            .map(|d| (d.path.clone(), d.code.clone()))
            .collect(),
        other => vec![("not a validation error".to_owned(), format!("{other:?}"))],
    }
}

pub(super) fn has_problem(err: &Error, path: &str, code: &str) -> bool {
    problems(err).iter().any(|(p, c)| p == path && c == code)
}

pub(super) fn filter_problem(err: &Error, path: &str, code: &str) -> bool {
    matches!(err, Error::InvalidFilter(e) if e.0.iter().any(|d| d.path == path && d.code == code))
}

fn item_with_code(name: &str, code: &str) -> Item {
    Item {
        code: Some(code.to_owned()),
        ..Item::named(name)
    }
}

// ---- id strategies ---------------------------------------------------------------------------

async fn store_generated_ids_are_1_2_3_in_creation_order(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let mut ids = Vec::new();
    for name in ["a", "b", "c"] {
        ids.push(items.create(Item::named(name)).await?.id);
    }
    assert_eq!(ids, [Some(1), Some(2), Some(3)]);
    Ok(())
}

async fn store_generated_ids_from_create_all_are_1_2_3(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let created = items
        .create_all(vec![Item::named("a"), Item::named("b"), Item::named("c")])
        .await?;
    let ids: Vec<Option<i64>> = created.iter().map(|i| i.id).collect();
    assert_eq!(ids, [Some(1), Some(2), Some(3)]);
    let names: Vec<String> = created.into_iter().map(|i| i.name).collect();
    assert_eq!(names, ["a", "b", "c"]);
    Ok(())
}

async fn store_generated_ids_are_not_reused_after_delete_by_id(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    items
        .create_all(vec![Item::named("a"), Item::named("b"), Item::named("c")])
        .await?;
    items.delete_by_id(3).await?;
    items.delete_by_id(2).await?;
    let next = items.create(Item::named("d")).await?;
    assert_eq!(next.id, Some(4));
    Ok(())
}

async fn store_generated_ids_are_not_reused_after_delete_all(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    items
        .create_all(vec![Item::named("a"), Item::named("b")])
        .await?;
    assert_eq!(items.delete_all(None).await?, 2);
    let next = items.create(Item::named("c")).await?;
    assert_eq!(next.id, Some(3));
    Ok(())
}

async fn store_generated_ids_count_per_model(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let todos = ctx.repo::<Todo>();
    assert_eq!(items.create(Item::named("a")).await?.id, Some(1));
    assert_eq!(todos.create(Todo::new("a")).await?.id, Some(1));
    assert_eq!(items.create(Item::named("b")).await?.id, Some(2));
    assert_eq!(todos.create(Todo::new("b")).await?.id, Some(2));
    Ok(())
}

async fn generated_integer_id_supplied_on_create_is_validation(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let err = items
        .create(Item {
            id: Some(5),
            ..Item::named("a")
        })
        .await
        .unwrap_err();
    assert!(has_problem(&err, "", "additionalProperties"), "{err:?}");
    let Error::Validation(v) = &err else {
        unreachable!()
    };
    assert!(
        v.details
            .iter()
            .any(|d| d.info == json!({"additionalProperty": "id"})),
        "{v:?}"
    );
    assert_eq!(items.count(None).await?, 0);
    Ok(())
}

async fn kit_generated_ids_are_distinct_v4_uuids(ctx: Ctx) -> TestResult {
    let tags = ctx.repo::<Tag>();
    let a = tags
        .create(Tag {
            id: None,
            label: "a".to_owned(),
        })
        .await?;
    let b = tags
        .create(Tag {
            id: None,
            label: "b".to_owned(),
        })
        .await?;
    let (a, b) = (a.id.ok_or("no id for a")?, b.id.ok_or("no id for b")?);
    assert_ne!(a, b);
    assert_eq!(a.get_version_num(), 4, "{a}");
    assert_eq!(b.get_version_num(), 4, "{b}");
    Ok(())
}

async fn kit_generated_id_finds_the_entity(ctx: Ctx) -> TestResult {
    let tags = ctx.repo::<Tag>();
    let created = tags
        .create_all(vec![
            Tag {
                id: None,
                label: "x".to_owned(),
            },
            Tag {
                id: None,
                label: "y".to_owned(),
            },
        ])
        .await?;
    let id = created[1].id.ok_or("no id")?;
    assert_eq!(tags.find_by_id(id, None).await?, created[1]);
    assert!(tags.exists(id).await?);
    // The untyped repository accepts the UUID as text.
    let record = ctx
        .records::<Tag>()
        .find_by_id(Value::from(id.hyphenated().to_string().as_str()), None)
        .await?;
    assert_eq!(record.get("label"), Some(&Value::from("y")));
    assert_eq!(record.get("id"), Some(&Value::Uuid(id)));
    tags.delete_by_id(id).await?;
    assert!(!tags.exists(id).await?);
    Ok(())
}

async fn kit_generated_id_supplied_on_create_is_validation(ctx: Ctx) -> TestResult {
    let tags = ctx.repo::<Tag>();
    let err = tags
        .create(Tag {
            id: Some(Uuid::from_u128(0x1234)),
            label: "a".to_owned(),
        })
        .await
        .unwrap_err();
    assert!(has_problem(&err, "", "additionalProperties"), "{err:?}");
    assert_eq!(tags.count(None).await?, 0);
    Ok(())
}

async fn client_supplied_string_id_round_trips(ctx: Ctx) -> TestResult {
    let accounts = ctx.repo::<Account>();
    for id in ["acc-1", "ACC-1", "äccount/ü 🎉", "42"] {
        let account = Account {
            id: id.to_owned(),
            owner: "ann".to_owned(),
            balance: Some(-5),
        };
        assert_eq!(accounts.create(account.clone()).await?, account);
        assert_eq!(accounts.find_by_id(id.to_owned(), None).await?, account);
    }
    assert_eq!(accounts.count(None).await?, 4);
    Ok(())
}

async fn client_id_missing_is_validation_required(ctx: Ctx) -> TestResult {
    let records = ctx.records::<Account>();
    let err = records
        .create(record(&[("owner", Value::from("ann"))]))
        .await
        .unwrap_err();
    let Error::Validation(v) = &err else {
        return Err(format!("expected a validation error, got {err:?}").into());
    };
    assert!(
        v.details.iter().any(|d| d.path.is_empty()
            && d.code == "required"
            && d.info == json!({"missingProperty": "id"})),
        "{v:?}"
    );
    assert_eq!(records.count(None).await?, 0);
    Ok(())
}

async fn client_id_duplicate_is_conflict(ctx: Ctx) -> TestResult {
    let accounts = ctx.repo::<Account>();
    let first = Account {
        id: "dup".to_owned(),
        owner: "ann".to_owned(),
        balance: None,
    };
    accounts.create(first.clone()).await?;
    let err = accounts
        .create(Account {
            owner: "bob".to_owned(),
            ..first.clone()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Conflict { ref entity, .. } if entity == "Account"),
        "{err:?}"
    );
    assert_eq!(accounts.find_by_id("dup".to_owned(), None).await?, first);
    Ok(())
}

// ---- round-trips -----------------------------------------------------------------------------

async fn string_round_trips_unicode_and_emoji(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let texts = [
        "naïve café",
        "日本語のテキスト",
        "emoji 🎉👩‍👩‍👧 flag 🇫🇷",
        "quotes ' \" and \\ backslash; DROP TABLE x; --",
        "percent % underscore _ newline\nand tab\t",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 outside the BMP",
    ];
    for text in texts {
        let input = Item {
            description: Some(text.to_owned()),
            ..Item::named(text)
        };
        let created = items.create(input.clone()).await?;
        assert_eq!(created.description.as_deref(), Some(text));
        let found = items.find_by_id(id_of(&created)?, None).await?;
        assert_eq!(found.name, text);
        assert_eq!(found.description.as_deref(), Some(text));
        assert_eq!(
            items.count(Some(Item::FIELDS.name.eq(text))).await?,
            1,
            "{text}"
        );
    }
    Ok(())
}

async fn string_round_trips_empty_and_whitespace(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    for (name, description) in [(" ", ""), ("  x  ", "   "), ("\t", "\n")] {
        let created = items
            .create(Item {
                description: Some(description.to_owned()),
                ..Item::named(name)
            })
            .await?;
        let found = items.find_by_id(id_of(&created)?, None).await?;
        assert_eq!(found.name, name);
        assert_eq!(
            found.description.as_deref(),
            Some(description),
            "an empty or blank string is a value, not null"
        );
    }
    assert_eq!(
        items
            .count(Some(Item::FIELDS.description.is_null()))
            .await?,
        0
    );
    Ok(())
}

async fn integer_round_trips_i64_extremes(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    for n in [i64::MAX, i64::MIN, 0, -1, 1_i64 << 53, (1_i64 << 53) + 1] {
        let created = items
            .create(Item {
                count: Some(n),
                ..Item::named("n")
            })
            .await?;
        assert_eq!(created.count, Some(n));
        assert_eq!(
            items.find_by_id(id_of(&created)?, None).await?.count,
            Some(n)
        );
    }
    Ok(())
}

async fn integer_extremes_match_in_filters(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let with = |name: &str, n: i64| Item {
        count: Some(n),
        ..Item::named(name)
    };
    items
        .create_all(vec![
            with("max", i64::MAX),
            with("min", i64::MIN),
            with("big", (1_i64 << 53) + 1),
            with("big-1", 1_i64 << 53),
        ])
        .await?;
    let name_of = |found: Option<Item>| found.map(|i| i.name);
    assert_eq!(
        name_of(
            items
                .find_one(Filter::new().where_(Item::FIELDS.count.eq(i64::MAX)))
                .await?
        ),
        Some("max".to_owned())
    );
    assert_eq!(
        name_of(
            items
                .find_one(Filter::new().where_(Item::FIELDS.count.eq(i64::MIN)))
                .await?
        ),
        Some("min".to_owned())
    );
    assert_eq!(
        name_of(
            items
                .find_one(Filter::new().where_(Item::FIELDS.count.eq((1_i64 << 53) + 1)))
                .await?
        ),
        Some("big".to_owned()),
        "integers beyond 2^53 compare exactly"
    );
    Ok(())
}

async fn number_round_trips_negative_and_fractional(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    for price in [-12.75, 0.1, 1234567.125, -0.000_5, 0.0, 3.0, 1e-7] {
        let created = items
            .create(Item {
                price: Some(price),
                ..Item::named("p")
            })
            .await?;
        assert_eq!(created.price, Some(price));
        assert_eq!(
            items.find_by_id(id_of(&created)?, None).await?.price,
            Some(price)
        );
    }
    assert_eq!(items.count(Some(Item::FIELDS.price.eq(0.1))).await?, 1);
    assert_eq!(items.count(Some(Item::FIELDS.price.lt(0.0))).await?, 2);
    Ok(())
}

async fn number_that_is_not_finite_is_validation_type(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    for price in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let err = items
            .create(Item {
                price: Some(price),
                ..Item::named("p")
            })
            .await
            .unwrap_err();
        assert_eq!(
            problems(&err),
            [("/price".to_owned(), "type".to_owned())],
            "{price}"
        );
    }
    assert_eq!(items.count(None).await?, 0);
    Ok(())
}

async fn boolean_round_trips_true_and_false(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let created = items
        .create_all(vec![
            Item {
                active: Some(true),
                ..Item::named("t")
            },
            Item {
                active: Some(false),
                ..Item::named("f")
            },
            Item::named("none"),
        ])
        .await?;
    let found = items.find(Filter::new()).await?;
    let actives: Vec<Option<bool>> = found.iter().map(|i| i.active).collect();
    assert_eq!(actives, [Some(true), Some(false), None]);
    assert_eq!(found, created);
    assert_eq!(items.count(Some(Item::FIELDS.active.eq(false))).await?, 1);
    assert_eq!(items.count(Some(Item::FIELDS.active.eq(true))).await?, 1);
    Ok(())
}

async fn date_time_is_truncated_to_milliseconds_on_create(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let created = items
        .create(Item {
            due: Some(at("2024-05-01T10:00:00.123456789Z")),
            ..Item::named("d")
        })
        .await?;
    let millis = at("2024-05-01T10:00:00.123Z");
    assert_eq!(created.due, Some(millis), "create returns the stored value");
    assert_eq!(
        items.find_by_id(id_of(&created)?, None).await?.due,
        Some(millis)
    );
    Ok(())
}

async fn date_time_filter_eq_finds_the_stored_value(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    items
        .create_all(vec![
            Item {
                due: Some(at("2024-05-01T10:00:00.123999Z")),
                ..Item::named("a")
            },
            Item {
                due: Some(at("2024-05-01T10:00:00.124Z")),
                ..Item::named("b")
            },
        ])
        .await?;
    let found = items
        .find(Filter::new().where_(Item::FIELDS.due.eq(at("2024-05-01T10:00:00.123Z"))))
        .await?;
    assert_eq!(
        found.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
        ["a"]
    );
    let as_text = Where::cond("due", Op::Eq(Value::from("2024-05-01T10:00:00.123Z")));
    assert_eq!(items.count(Some(as_text)).await?, 1);
    let as_offset = Where::cond("due", Op::Eq(Value::from("2024-05-01T12:00:00.124+02:00")));
    assert_eq!(items.count(Some(as_offset)).await?, 1);
    Ok(())
}

async fn date_time_before_1970_round_trips(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let created = items
        .create(Item {
            due: Some(at("1969-07-20T20:17:40.250999Z")),
            ..Item::named("moon")
        })
        .await?;
    assert_eq!(
        items.find_by_id(id_of(&created)?, None).await?.due,
        Some(at("1969-07-20T20:17:40.250Z"))
    );
    Ok(())
}

async fn date_time_is_truncated_to_milliseconds_on_update_and_replace(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let id = id_of(&items.create(Item::named("d")).await?)?;
    items
        .update_by_id(
            id,
            Patch::new().set(Item::FIELDS.due, at("2030-01-02T03:04:05.678901Z")),
        )
        .await?;
    assert_eq!(
        items.find_by_id(id, None).await?.due,
        Some(at("2030-01-02T03:04:05.678Z"))
    );
    items
        .replace_by_id(
            id,
            Item {
                due: Some(at("2031-01-02T03:04:05.000999Z")),
                ..Item::named("d")
            },
        )
        .await?;
    assert_eq!(
        items.find_by_id(id, None).await?.due,
        Some(at("2031-01-02T03:04:05Z"))
    );
    Ok(())
}

async fn uuid_round_trips_and_matches_in_filters(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let a = Uuid::from_u128(0x0192_3c4d_5e6f_7a8b_9cad_beef_0011_2233);
    let b = Uuid::from_u128(u128::MAX);
    let created = items
        .create_all(vec![
            Item {
                ref_id: Some(a),
                ..Item::named("a")
            },
            Item {
                ref_id: Some(b),
                ..Item::named("b")
            },
            Item {
                ref_id: Some(Uuid::nil()),
                ..Item::named("nil")
            },
        ])
        .await?;
    for item in &created {
        assert_eq!(
            items.find_by_id(id_of(item)?, None).await?.ref_id,
            item.ref_id
        );
    }
    let found = items
        .find_one(Filter::new().where_(Item::FIELDS.ref_id.eq(b)))
        .await?;
    assert_eq!(found.map(|i| i.name), Some("b".to_owned()));
    let as_text = Where::cond(
        "refId",
        Op::Eq(Value::from(a.hyphenated().to_string().as_str())),
    );
    assert_eq!(items.count(Some(as_text)).await?, 1);
    Ok(())
}

async fn json_round_trips_a_nested_object(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let meta = json!({
        "name": "widget",
        "size": {"w": 10, "h": 2.5, "unit": "cm"},
        "list": [1, "two", {"three": [3]}, null, true],
        "empty": {},
        "none": null,
        "ünï": "cödé 🎉",
        "neg": -7
    });
    let created = items
        .create(Item {
            meta: Some(meta.clone()),
            ..Item::named("j")
        })
        .await?;
    assert_eq!(created.meta.as_ref(), Some(&meta));
    assert_eq!(
        items.find_by_id(id_of(&created)?, None).await?.meta,
        Some(meta)
    );
    Ok(())
}

async fn json_round_trips_arrays_numbers_strings_and_booleans(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let values = [
        json!([1, 2.5, "three", [4], {"five": 5}]),
        json!([]),
        json!(42),
        json!(-1.25),
        json!("just a string"),
        json!(true),
        json!({"deep": {"deeper": {"deepest": [{"k": "v"}]}}}),
    ];
    for meta in values {
        let created = items
            .create(Item {
                meta: Some(meta.clone()),
                ..Item::named("j")
            })
            .await?;
        assert_eq!(
            items.find_by_id(id_of(&created)?, None).await?.meta,
            Some(meta.clone()),
            "{meta}"
        );
    }
    assert_eq!(items.count(Some(Item::FIELDS.meta.exists(true))).await?, 7);
    Ok(())
}

async fn string_array_round_trips_in_order(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let tags = vec![
        "zeta".to_owned(),
        "alpha".to_owned(),
        "ü 🎉".to_owned(),
        String::new(),
        "with, comma \"quoted\"".to_owned(),
        "alpha".to_owned(),
    ];
    let created = items
        .create(Item {
            tags: Some(tags.clone()),
            ..Item::named("t")
        })
        .await?;
    assert_eq!(created.tags.as_ref(), Some(&tags));
    let id = id_of(&created)?;
    assert_eq!(items.find_by_id(id, None).await?.tags, Some(tags));
    items
        .update_by_id(
            id,
            Patch::new().set(Item::FIELDS.tags, vec!["one".to_owned()]),
        )
        .await?;
    assert_eq!(
        items.find_by_id(id, None).await?.tags,
        Some(vec!["one".to_owned()])
    );
    Ok(())
}

async fn empty_string_array_round_trips(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let created = items
        .create(Item {
            tags: Some(Vec::new()),
            ..Item::named("t")
        })
        .await?;
    assert_eq!(
        items.find_by_id(id_of(&created)?, None).await?.tags,
        Some(Vec::new()),
        "an empty array is a value, not null"
    );
    Ok(())
}

async fn every_property_round_trips_through_create_and_find(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let input = Item {
        id: None,
        name: "full".to_owned(),
        description: Some("all set".to_owned()),
        count: Some(-42),
        price: Some(9.99),
        active: Some(true),
        due: Some(at("2025-12-31T23:59:59.999Z")),
        ref_id: Some(Uuid::from_u128(7)),
        meta: Some(json!({"k": [1, 2]})),
        tags: Some(vec!["x".to_owned(), "y".to_owned()]),
        secret: Some("hush".to_owned()),
        priority: Some(1),
        code: Some("C-1".to_owned()),
        stock: Some(12),
        rating: Some(5),
        color: Some("green".to_owned()),
        email: Some("someone@example.com".to_owned()),
        sku: Some("ABC".to_owned()),
        created_at: Some(at("2020-02-29T12:00:00.001Z")),
    };
    let created = items.create(input.clone()).await?;
    let expected = Item {
        id: created.id,
        ..input
    };
    assert_eq!(created, expected);
    assert_eq!(items.find_by_id(id_of(&created)?, None).await?, expected);
    assert_eq!(items.find(Filter::new()).await?, vec![expected]);
    Ok(())
}

// ---- hidden properties -----------------------------------------------------------------------

async fn hidden_property_is_stored_and_returned_to_rust_code(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let created = items
        .create(Item {
            secret: Some("s3cret".to_owned()),
            ..Item::named("h")
        })
        .await?;
    assert_eq!(created.secret.as_deref(), Some("s3cret"));
    let id = id_of(&created)?;
    assert_eq!(
        items.find_by_id(id, None).await?.secret.as_deref(),
        Some("s3cret")
    );
    assert_eq!(
        items.find(Filter::new()).await?[0].secret.as_deref(),
        Some("s3cret")
    );
    let record = ctx
        .records::<Item>()
        .find_by_id(Value::Int(id), None)
        .await?;
    assert_eq!(record.get("secret"), Some(&Value::from("s3cret")));
    Ok(())
}

async fn hidden_property_is_left_out_of_public_json(ctx: Ctx) -> TestResult {
    let records = ctx.records::<Item>();
    let created = records
        .create(record(&[
            ("name", Value::from("h")),
            ("secret", Value::from("s3cret")),
        ]))
        .await?;
    let id = created.get("id").cloned().ok_or("no id")?;
    let found = records.find_by_id(id, None).await?;
    let public = Item::definition().to_public_json(&found);
    assert_eq!(public["name"], json!("h"));
    assert!(public.get("secret").is_none(), "{public}");
    assert!(!public.to_string().contains("s3cret"), "{public}");
    Ok(())
}

async fn hidden_property_can_be_patched(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let id = id_of(&items.create(Item::named("h")).await?)?;
    items
        .update_by_id(id, Patch::new().set(Item::FIELDS.secret, "later"))
        .await?;
    assert_eq!(
        items.find_by_id(id, None).await?.secret.as_deref(),
        Some("later")
    );
    Ok(())
}

async fn hidden_property_in_where_is_invalid_filter(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    items
        .create(Item {
            secret: Some("s3cret".to_owned()),
            ..Item::named("h")
        })
        .await?;
    let err = items
        .find(Filter::new().where_(Item::FIELDS.secret.eq("s3cret")))
        .await
        .unwrap_err();
    assert!(
        filter_problem(&err, "/where/secret", "hiddenProperty"),
        "{err:?}"
    );
    let err = items
        .find_one(Filter::new().where_(Item::FIELDS.secret.exists(true)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidFilter(ref e) if e.0.iter().any(|d| d.code == "hiddenProperty")),
        "{err:?}"
    );
    Ok(())
}

async fn hidden_property_in_count_update_all_and_delete_all_is_invalid_filter(
    ctx: Ctx,
) -> TestResult {
    let items = ctx.repo::<Item>();
    items
        .create(Item {
            secret: Some("s3cret".to_owned()),
            ..Item::named("h")
        })
        .await?;
    let probe = || Item::FIELDS.secret.like("s%");
    let err = items.count(Some(probe())).await.unwrap_err();
    assert!(filter_problem(&err, "/secret", "hiddenProperty"), "{err:?}");
    let err = items
        .update_all(Patch::new().set(Item::FIELDS.name, "x"), Some(probe()))
        .await
        .unwrap_err();
    assert!(filter_problem(&err, "/secret", "hiddenProperty"), "{err:?}");
    let err = items.delete_all(Some(probe())).await.unwrap_err();
    assert!(filter_problem(&err, "/secret", "hiddenProperty"), "{err:?}");
    assert_eq!(items.count(Some(Item::FIELDS.name.eq("h"))).await?, 1);
    Ok(())
}

async fn hidden_property_in_fields_is_invalid_filter(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let id = id_of(&items.create(Item::named("h")).await?)?;
    let err = items
        .find(Filter::new().fields(["name", "secret"]))
        .await
        .unwrap_err();
    assert!(
        filter_problem(&err, "/fields/1", "hiddenProperty"),
        "{err:?}"
    );
    let err = items
        .find_by_id(id, Some(Filter::new().fields(["secret", "name"])))
        .await
        .unwrap_err();
    assert!(
        filter_problem(&err, "/fields/0", "hiddenProperty"),
        "{err:?}"
    );
    Ok(())
}

async fn hidden_property_in_order_is_invalid_filter(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    items.create(Item::named("h")).await?;
    let err = items
        .find(Filter::new().order(Item::FIELDS.secret.desc()))
        .await
        .unwrap_err();
    assert!(
        filter_problem(&err, "/order/0", "hiddenProperty"),
        "{err:?}"
    );
    Ok(())
}

async fn hidden_property_is_not_returned_with_fields(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    items
        .create(Item {
            secret: Some("s3cret".to_owned()),
            description: Some("d".to_owned()),
            ..Item::named("h")
        })
        .await?;
    let records = ctx.records::<Item>();
    // Leaving a hidden property out is allowed; selecting by exclusion never returns it.
    let found = records
        .find(Filter::new().exclude_fields(["description", "secret"]))
        .await?;
    assert_eq!(found.len(), 1);
    assert!(!found[0].contains_key("secret"), "{:?}", found[0]);
    assert!(!found[0].contains_key("description"));
    assert_eq!(found[0].get("name"), Some(&Value::from("h")));
    let found = records
        .find(Filter::new().exclude_fields(["description"]))
        .await?;
    assert!(!found[0].contains_key("secret"), "{:?}", found[0]);
    let found = records.find(Filter::new().fields(["name"])).await?;
    assert!(!found[0].contains_key("secret"), "{:?}", found[0]);
    Ok(())
}

// ---- defaults --------------------------------------------------------------------------------

async fn default_priority_is_3_when_left_out(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let created = items.create(Item::named("d")).await?;
    assert_eq!(created.priority, Some(3));
    assert_eq!(
        items.find_by_id(id_of(&created)?, None).await?.priority,
        Some(3)
    );
    let record = ctx
        .records::<Item>()
        .create(record(&[
            ("name", Value::from("r")),
            ("priority", Value::Null),
        ]))
        .await?;
    assert_eq!(
        record.get("priority"),
        Some(&Value::Int(3)),
        "null counts as left out"
    );
    Ok(())
}

async fn default_priority_is_kept_when_given(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    for priority in [1, 0, -2, 3, 99] {
        let created = items
            .create(Item {
                priority: Some(priority),
                ..Item::named("p")
            })
            .await?;
        assert_eq!(created.priority, Some(priority));
        assert_eq!(
            items.find_by_id(id_of(&created)?, None).await?.priority,
            Some(priority)
        );
    }
    Ok(())
}

async fn default_is_applied_on_create_only(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let id = id_of(
        &items
            .create(Item {
                priority: Some(1),
                ..Item::named("p")
            })
            .await?,
    )?;
    items
        .update_by_id(id, Patch::new().unset(Item::FIELDS.priority))
        .await?;
    assert_eq!(
        items.find_by_id(id, None).await?.priority,
        None,
        "a patch clearing a defaulted property leaves it null"
    );
    Ok(())
}

async fn default_created_at_is_set_near_now(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let created = items.create(Item::named("c")).await?;
    let stamp = created.created_at.ok_or("createdAt was not filled in")?;
    let drift = (stamp - now()).num_seconds().abs();
    assert!(drift < 60, "createdAt {stamp} is {drift}s from now");
    assert_eq!(
        items.find_by_id(id_of(&created)?, None).await?.created_at,
        Some(stamp),
        "the returned value is the stored one"
    );
    assert_eq!(
        stamp.timestamp_subsec_nanos() % 1_000_000,
        0,
        "millisecond precision"
    );
    Ok(())
}

async fn created_at_is_kept_when_given(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let created = items
        .create(Item {
            created_at: Some(at("2001-09-09T01:46:40.5Z")),
            ..Item::named("c")
        })
        .await?;
    assert_eq!(
        items.find_by_id(id_of(&created)?, None).await?.created_at,
        Some(at("2001-09-09T01:46:40.500Z"))
    );
    assert_eq!(
        created,
        as_stored(
            Item {
                created_at: Some(at("2001-09-09T01:46:40.5Z")),
                ..Item::named("c")
            },
            &created
        )
    );
    Ok(())
}

// ---- unique properties -----------------------------------------------------------------------

async fn unique_code_duplicate_on_create_is_conflict(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    items.create(item_with_code("a", "X-1")).await?;
    let err = items.create(item_with_code("b", "X-1")).await.unwrap_err();
    assert!(
        matches!(err, Error::Conflict { ref entity, .. } if entity == "Item"),
        "{err:?}"
    );
    assert_eq!(items.count(None).await?, 1);
    Ok(())
}

async fn unique_code_duplicate_on_update_by_id_is_conflict(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let created = items
        .create_all(vec![item_with_code("a", "A"), item_with_code("b", "B")])
        .await?;
    let b = id_of(&created[1])?;
    let err = items
        .update_by_id(
            b,
            Patch::new()
                .set(Item::FIELDS.code, "A")
                .set(Item::FIELDS.name, "renamed"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    assert_eq!(
        items.find_by_id(b, None).await?,
        created[1],
        "nothing changed"
    );
    Ok(())
}

async fn unique_code_duplicate_on_update_all_is_conflict(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let created = items
        .create_all(vec![
            item_with_code("a", "A"),
            Item::named("b"),
            Item::named("c"),
        ])
        .await?;
    // One matching item would take a code another item has.
    let err = items
        .update_all(
            Patch::new().set(Item::FIELDS.code, "A"),
            Some(Item::FIELDS.name.eq("b")),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    // Two matching items would share a code.
    let err = items
        .update_all(
            Patch::new().set(Item::FIELDS.code, "Z"),
            Some(Item::FIELDS.name.inq(["b", "c"])),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    assert_eq!(items.find(Filter::new()).await?, created, "nothing changed");
    Ok(())
}

async fn unique_code_duplicate_on_replace_by_id_is_conflict(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let created = items
        .create_all(vec![item_with_code("a", "A"), item_with_code("b", "B")])
        .await?;
    let b = id_of(&created[1])?;
    let err = items
        .replace_by_id(b, item_with_code("b2", "A"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    assert_eq!(
        items.find_by_id(b, None).await?,
        created[1],
        "nothing changed"
    );
    Ok(())
}

async fn unique_code_may_be_rewritten_on_its_own_entity(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let created = items.create(item_with_code("a", "A")).await?;
    let id = id_of(&created)?;
    items
        .update_by_id(
            id,
            Patch::new()
                .set(Item::FIELDS.code, "A")
                .set(Item::FIELDS.name, "a2"),
        )
        .await?;
    items.replace_by_id(id, item_with_code("a3", "A")).await?;
    items
        .update_all(Patch::new().set(Item::FIELDS.code, "A"), None)
        .await?;
    let found = items.find_by_id(id, None).await?;
    assert_eq!(
        (found.name.as_str(), found.code.as_deref()),
        ("a3", Some("A"))
    );
    Ok(())
}

async fn unique_code_none_twice_is_fine(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    items
        .create_all(vec![Item::named("a"), Item::named("b")])
        .await?;
    items.create(Item::named("c")).await?;
    let with_code = items.create(item_with_code("d", "D")).await?;
    items
        .update_by_id(id_of(&with_code)?, Patch::new().unset(Item::FIELDS.code))
        .await?;
    assert_eq!(items.count(Some(Item::FIELDS.code.is_null())).await?, 4);
    Ok(())
}

async fn unique_code_freed_by_delete_can_be_reused(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let first = items.create(item_with_code("a", "A")).await?;
    items.delete_by_id(id_of(&first)?).await?;
    let second = items.create(item_with_code("b", "A")).await?;
    assert_eq!(second.code.as_deref(), Some("A"));
    let third = items.create(item_with_code("c", "C")).await?;
    items
        .update_by_id(id_of(&third)?, Patch::new().set(Item::FIELDS.code, "C2"))
        .await?;
    items.create(item_with_code("d", "C")).await?;
    Ok(())
}

async fn unique_conflict_message_names_the_property_not_the_value(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    items.create(item_with_code("a", "VALUE-0xC0FFEE")).await?;
    let err = items
        .create(item_with_code("b", "VALUE-0xC0FFEE"))
        .await
        .unwrap_err();
    let Error::Conflict { message, .. } = &err else {
        return Err(format!("expected a conflict, got {err:?}").into());
    };
    assert!(message.contains("code"), "{message}");
    assert!(!message.contains("C0FFEE"), "{message}");
    assert!(!err.to_string().contains("C0FFEE"), "{err}");
    Ok(())
}

async fn unique_tag_label_duplicate_is_conflict(ctx: Ctx) -> TestResult {
    let tags = ctx.repo::<Tag>();
    let tag = |label: &str| Tag {
        id: None,
        label: label.to_owned(),
    };
    tags.create(tag("red")).await?;
    let err = tags.create(tag("red")).await.unwrap_err();
    assert!(
        matches!(err, Error::Conflict { ref entity, .. } if entity == "Tag"),
        "{err:?}"
    );
    // Unique values compare exactly: another case is another value.
    tags.create(tag("Red")).await?;
    assert_eq!(tags.count(None).await?, 2);
    Ok(())
}

// ---- column renaming -------------------------------------------------------------------------

async fn renamed_column_round_trips(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let created = items
        .create(Item {
            stock: Some(7),
            ..Item::named("s")
        })
        .await?;
    assert_eq!(created.stock, Some(7));
    let id = id_of(&created)?;
    assert_eq!(items.find_by_id(id, None).await?.stock, Some(7));
    let record = ctx
        .records::<Item>()
        .find_by_id(Value::Int(id), None)
        .await?;
    assert_eq!(record.get("stock"), Some(&Value::Int(7)));
    assert!(
        !record.contains_key("stock_level"),
        "records use the API name"
    );
    Ok(())
}

async fn renamed_column_filters_orders_and_updates(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let with = |name: &str, stock: i64| Item {
        stock: Some(stock),
        ..Item::named(name)
    };
    items
        .create_all(vec![with("a", 5), with("b", 20), with("c", 1)])
        .await?;
    assert_eq!(items.count(Some(Item::FIELDS.stock.gt(2))).await?, 2);
    let ordered = items
        .find(Filter::new().order(Item::FIELDS.stock.desc()))
        .await?;
    assert_eq!(
        ordered.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
        ["b", "a", "c"]
    );
    let n = items
        .update_all(
            Patch::new().set(Item::FIELDS.stock, 0),
            Some(Item::FIELDS.stock.lt(10)),
        )
        .await?;
    assert_eq!(n, 2);
    assert_eq!(items.count(Some(Item::FIELDS.stock.eq(0))).await?, 2);
    let projected = ctx
        .records::<Item>()
        .find(
            Filter::new()
                .fields(["stock"])
                .order(Item::FIELDS.stock.asc()),
        )
        .await?;
    let stocks: Vec<Option<&Value>> = projected.iter().map(|r| r.get("stock")).collect();
    assert_eq!(
        stocks,
        [
            Some(&Value::Int(0)),
            Some(&Value::Int(0)),
            Some(&Value::Int(20))
        ]
    );
    assert_eq!(items.delete_all(Some(Item::FIELDS.stock.eq(20))).await?, 1);
    Ok(())
}

// ---- validation ------------------------------------------------------------------------------

async fn validation_name_too_short_is_min_length(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let err = items.create(Item::named("")).await.unwrap_err();
    assert_eq!(
        problems(&err),
        [("/name".to_owned(), "minLength".to_owned())]
    );
    let Error::Validation(v) = &err else {
        unreachable!()
    };
    assert_eq!(v.entity, "Item");
    assert_eq!(v.details[0].info, json!({"limit": 1}));
    Ok(())
}

async fn validation_name_too_long_is_max_length(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let err = items
        .create(Item::named(&"x".repeat(101)))
        .await
        .unwrap_err();
    assert_eq!(
        problems(&err),
        [("/name".to_owned(), "maxLength".to_owned())]
    );
    items.create(Item::named(&"x".repeat(100))).await?;
    Ok(())
}

async fn validation_name_length_counts_characters(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let accented = "é".repeat(100);
    let created = items.create(Item::named(&accented)).await?;
    assert_eq!(
        items.find_by_id(id_of(&created)?, None).await?.name,
        accented
    );
    items.create(Item::named(&"ß".repeat(100))).await?;
    let err = items
        .create(Item::named(&"é".repeat(101)))
        .await
        .unwrap_err();
    assert!(has_problem(&err, "/name", "maxLength"), "{err:?}");
    Ok(())
}

async fn validation_rating_above_maximum(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let err = items
        .create(Item {
            rating: Some(6),
            ..Item::named("r")
        })
        .await
        .unwrap_err();
    assert_eq!(
        problems(&err),
        [("/rating".to_owned(), "maximum".to_owned())]
    );
    Ok(())
}

async fn validation_rating_below_minimum(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let err = items
        .create(Item {
            rating: Some(-1),
            ..Item::named("r")
        })
        .await
        .unwrap_err();
    assert_eq!(
        problems(&err),
        [("/rating".to_owned(), "minimum".to_owned())]
    );
    Ok(())
}

async fn validation_rating_bounds_are_inclusive(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    for rating in [0, 5] {
        let created = items
            .create(Item {
                rating: Some(rating),
                ..Item::named("r")
            })
            .await?;
        assert_eq!(created.rating, Some(rating));
    }
    Ok(())
}

async fn validation_color_not_in_enum(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let err = items
        .create(Item {
            color: Some("purple".to_owned()),
            ..Item::named("c")
        })
        .await
        .unwrap_err();
    assert_eq!(problems(&err), [("/color".to_owned(), "enum".to_owned())]);
    let err = items
        .create(Item {
            color: Some("Red".to_owned()),
            ..Item::named("c")
        })
        .await
        .unwrap_err();
    assert!(
        has_problem(&err, "/color", "enum"),
        "enum values compare exactly: {err:?}"
    );
    for color in ["red", "green", "blue"] {
        items
            .create(Item {
                color: Some(color.to_owned()),
                ..Item::named("c")
            })
            .await?;
    }
    Ok(())
}

async fn validation_email_format(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    for bad in ["not-an-email", "a@", "@example.com", "two@@example.com"] {
        let err = items
            .create(Item {
                email: Some(bad.to_owned()),
                ..Item::named("e")
            })
            .await
            .unwrap_err();
        assert_eq!(
            problems(&err),
            [("/email".to_owned(), "format".to_owned())],
            "{bad}"
        );
    }
    items
        .create(Item {
            email: Some("someone@example.com".to_owned()),
            ..Item::named("e")
        })
        .await?;
    Ok(())
}

async fn validation_sku_pattern(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    for bad in ["abc", "AB", "ABCD", "A1C", " ABC"] {
        let err = items
            .create(Item {
                sku: Some(bad.to_owned()),
                ..Item::named("s")
            })
            .await
            .unwrap_err();
        assert_eq!(
            problems(&err),
            [("/sku".to_owned(), "pattern".to_owned())],
            "{bad:?}"
        );
    }
    let created = items
        .create(Item {
            sku: Some("XYZ".to_owned()),
            ..Item::named("s")
        })
        .await?;
    assert_eq!(created.sku.as_deref(), Some("XYZ"));
    Ok(())
}

async fn validation_required_name_missing_via_records(ctx: Ctx) -> TestResult {
    let records = ctx.records::<Item>();
    let err = records
        .create(record(&[("description", Value::from("no name"))]))
        .await
        .unwrap_err();
    let Error::Validation(v) = &err else {
        return Err(format!("expected a validation error, got {err:?}").into());
    };
    assert_eq!(v.details.len(), 1, "{v:?}");
    let d = &v.details[0];
    assert_eq!((d.path.as_str(), d.code.as_str()), ("", "required"));
    assert_eq!(d.info, json!({"missingProperty": "name"}));
    assert_eq!(d.message, "must have required property 'name'");
    assert_eq!(records.count(None).await?, 0);
    Ok(())
}

async fn validation_required_name_null_via_records(ctx: Ctx) -> TestResult {
    let records = ctx.records::<Item>();
    let err = records
        .create(record(&[("name", Value::Null)]))
        .await
        .unwrap_err();
    let Error::Validation(v) = &err else {
        return Err(format!("expected a validation error, got {err:?}").into());
    };
    assert!(
        v.details
            .iter()
            .any(|d| d.code == "required" && d.info == json!({"missingProperty": "name"})),
        "{v:?}"
    );
    Ok(())
}

async fn validation_unknown_property_on_strict_model(ctx: Ctx) -> TestResult {
    let records = ctx.records::<Item>();
    let err = records
        .create(record(&[
            ("name", Value::from("x")),
            ("bogus", Value::Int(1)),
        ]))
        .await
        .unwrap_err();
    let Error::Validation(v) = &err else {
        return Err(format!("expected a validation error, got {err:?}").into());
    };
    assert!(
        v.details.iter().any(|d| d.path.is_empty()
            && d.code == "additionalProperties"
            && d.info == json!({"additionalProperty": "bogus"})),
        "{v:?}"
    );
    let created = records
        .create(record(&[("name", Value::from("x"))]))
        .await?;
    let id = created.get("id").cloned().ok_or("no id")?;
    let err = records
        .update_by_id(id, record(&[("bogus", Value::Int(1))]))
        .await
        .unwrap_err();
    assert!(has_problem(&err, "", "additionalProperties"), "{err:?}");
    assert_eq!(records.count(None).await?, 1);
    Ok(())
}

async fn validation_wrong_type_via_records(ctx: Ctx) -> TestResult {
    let records = ctx.records::<Item>();
    let err = records
        .create(record(&[
            ("name", Value::Int(5)),
            ("count", Value::from("many")),
        ]))
        .await
        .unwrap_err();
    assert!(has_problem(&err, "/name", "type"), "{err:?}");
    assert!(has_problem(&err, "/count", "type"), "{err:?}");
    assert_eq!(records.count(None).await?, 0);
    Ok(())
}

async fn validation_collects_every_problem(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let err = items
        .create(Item {
            rating: Some(9),
            color: Some("pink".to_owned()),
            email: Some("nope".to_owned()),
            sku: Some("abc".to_owned()),
            ..Item::named("")
        })
        .await
        .unwrap_err();
    let mut got = problems(&err);
    got.sort();
    let mut want: Vec<(String, String)> = [
        ("/name", "minLength"),
        ("/rating", "maximum"),
        ("/color", "enum"),
        ("/email", "format"),
        ("/sku", "pattern"),
    ]
    .iter()
    .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
    .collect();
    want.sort();
    assert_eq!(got, want);
    Ok(())
}

async fn validation_failure_stores_nothing(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let bad = Item {
        rating: Some(10),
        code: Some("UNIQUE".to_owned()),
        ..Item::named("bad")
    };
    assert!(matches!(
        items.create(bad).await.unwrap_err(),
        Error::Validation(_)
    ));
    assert_eq!(items.count(None).await?, 0);
    // The unique value was not taken by the failed create.
    items.create(item_with_code("good", "UNIQUE")).await?;
    Ok(())
}

async fn validation_on_update_by_id(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let created = items
        .create(Item {
            rating: Some(2),
            ..Item::named("u")
        })
        .await?;
    let id = id_of(&created)?;
    let err = items
        .update_by_id(id, Patch::new().set(Item::FIELDS.rating, 7))
        .await
        .unwrap_err();
    assert_eq!(
        problems(&err),
        [("/rating".to_owned(), "maximum".to_owned())]
    );
    let err = items
        .update_by_id(
            id,
            Patch::new()
                .set(Item::FIELDS.name, "")
                .set(Item::FIELDS.sku, "no"),
        )
        .await
        .unwrap_err();
    assert!(has_problem(&err, "/name", "minLength"), "{err:?}");
    assert!(has_problem(&err, "/sku", "pattern"), "{err:?}");
    assert_eq!(
        items.find_by_id(id, None).await?,
        created,
        "nothing changed"
    );
    Ok(())
}

async fn validation_on_update_all(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let created = items
        .create_all(vec![Item::named("a"), Item::named("b")])
        .await?;
    let err = items
        .update_all(Patch::new().set(Item::FIELDS.color, "pink"), None)
        .await
        .unwrap_err();
    assert_eq!(problems(&err), [("/color".to_owned(), "enum".to_owned())]);
    let err = items
        .update_all(Patch::new().set(Item::FIELDS.email, "nope"), None)
        .await
        .unwrap_err();
    assert_eq!(problems(&err), [("/email".to_owned(), "format".to_owned())]);
    assert_eq!(items.find(Filter::new()).await?, created, "nothing changed");
    Ok(())
}

async fn validation_on_replace_by_id(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let created = items.create(Item::named("r")).await?;
    let id = id_of(&created)?;
    let err = items
        .replace_by_id(
            id,
            Item {
                rating: Some(-3),
                ..Item::named("r2")
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        problems(&err),
        [("/rating".to_owned(), "minimum".to_owned())]
    );
    let err = ctx
        .records::<Item>()
        .replace_by_id(
            Value::Int(id),
            record(&[("description", Value::from("no name"))]),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Validation(v) if v.details.iter().any(|d| d.code == "required" && d.info == json!({"missingProperty": "name"}))),
        "{err:?}"
    );
    assert_eq!(
        items.find_by_id(id, None).await?,
        created,
        "nothing changed"
    );
    Ok(())
}

async fn validation_null_for_required_property_in_patch_is_type_error(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let created = items.create(Item::named("keep")).await?;
    let id = id_of(&created)?;
    let err = items
        .update_by_id(id, Patch::new().unset(Item::FIELDS.name))
        .await
        .unwrap_err();
    assert_eq!(problems(&err), [("/name".to_owned(), "type".to_owned())]);
    let err = items
        .update_all(Patch::new().unset(Item::FIELDS.name), None)
        .await
        .unwrap_err();
    assert!(has_problem(&err, "/name", "type"), "{err:?}");
    assert_eq!(items.find_by_id(id, None).await?.name, "keep");
    Ok(())
}

async fn validation_null_for_optional_property_in_patch_clears_it(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let created = items
        .create(Item {
            rating: Some(4),
            color: Some("red".to_owned()),
            ..Item::named("o")
        })
        .await?;
    let id = id_of(&created)?;
    items
        .update_by_id(
            id,
            Patch::new()
                .unset(Item::FIELDS.rating)
                .unset(Item::FIELDS.color),
        )
        .await?;
    let found = items.find_by_id(id, None).await?;
    assert_eq!((found.rating, found.color), (None, None));
    assert_eq!(found.name, "o");
    Ok(())
}
