//! Conformance cases: where operators, one by one, with the edge cases the filter reference
//! decides (null and missing, negations, LIKE escapes, binary string order, capabilities).

use chrono::{DateTime, Utc};
use portico_domain::{Error, Filter, Record, Value, Where};
use portico_ports::{EntityRepository, RecordRepository};
use serde_json::json;
use uuid::Uuid;

use crate::fixtures::{Item, Note};
use crate::{Case, Ctx, TestResult, cases};

pub(crate) fn cases() -> Vec<Case> {
    cases![
        eq_shorthand_matches_equal_values,
        eq_operator_is_the_same_as_shorthand,
        eq_on_strings_is_case_sensitive,
        eq_on_strings_is_exact_about_trailing_spaces,
        eq_null_matches_null_and_missing,
        typed_is_null_matches_null_and_missing,
        eq_on_booleans,
        neq_value_also_matches_null_and_missing,
        neq_on_booleans_matches_the_other_value_and_null,
        neq_null_matches_present_values,
        gt_gte_lt_lte_on_integers,
        comparisons_on_floats,
        integer_operand_on_float_property_compares_numerically,
        integral_float_operand_on_integer_property,
        strings_compare_by_code_point,
        non_ascii_strings_compare_after_ascii,
        datetime_comparisons,
        datetime_date_only_operand_is_midnight_utc,
        datetime_epoch_millis_operand,
        datetime_operand_with_offset_is_converted_to_utc,
        datetime_eq_at_millisecond_precision,
        uuid_comparisons,
        uuid_eq_accepts_uppercase_text,
        comparisons_never_match_null_or_missing,
        between_is_inclusive_on_integers,
        between_is_inclusive_on_strings,
        between_is_inclusive_on_dates,
        inq_matches_listed_values,
        inq_scalar_counts_as_one_item_list,
        inq_on_ids,
        inq_empty_matches_nothing,
        nin_excludes_listed_values_and_matches_null,
        nin_empty_matches_everything,
        null_inside_inq_is_invalid,
        null_inside_nin_is_invalid,
        null_comparison_operand_is_invalid,
        exists_true_and_false,
        exists_treats_explicit_null_as_missing,
        like_percent_matches_any_run,
        like_underscore_matches_exactly_one_character,
        like_escaped_percent_and_underscore_are_literal,
        like_escaped_backslash_is_literal,
        like_matches_the_whole_value,
        like_is_case_sensitive,
        like_on_unicode_counts_characters,
        like_regex_metacharacters_are_literal,
        like_percent_spans_newlines,
        like_never_matches_null,
        nlike_matches_non_matching_and_null,
        ilike_is_case_insensitive if |c| c.ilike,
        ilike_folds_non_ascii if |c| c.ilike,
        nilike_matches_non_matching_and_null if |c| c.ilike,
        ilike_typed_builder_matches_json if |c| c.ilike,
        ilike_is_unsupported_without_capability if |c| !c.ilike,
        nilike_is_unsupported_without_capability if |c| !c.ilike,
        regexp_is_an_unanchored_search if |c| c.regexp,
        regexp_anchors if |c| c.regexp,
        regexp_is_case_sensitive_by_default if |c| c.regexp,
        regexp_i_flag_in_json_literal if |c| c.regexp,
        regexp_i_typed_builder if |c| c.regexp,
        regexp_g_flag_is_accepted if |c| c.regexp,
        regexp_classes_alternation_and_quantifiers if |c| c.regexp,
        regexp_never_matches_null if |c| c.regexp,
        regexp_is_unsupported_without_capability if |c| !c.regexp,
        regexp_unknown_flag_is_invalid,
        keys_at_one_level_are_and_ed,
        several_operators_on_one_property_are_and_ed,
        or_matches_any_clause,
        or_and_sibling_key_are_and_ed,
        and_or_nested_three_levels,
        or_with_empty_clause_matches_everything,
        and_with_empty_clause_is_neutral,
        empty_where_matches_everything,
        empty_and_or_lists_are_invalid,
        typed_builder_and_json_give_the_same_results,
        typed_where_twice_is_and_ed,
        json_property_eq_is_invalid,
        json_property_allows_null_and_exists,
        array_property_allows_only_null_and_exists,
        ordered_operators_on_boolean_are_invalid,
        like_on_integer_is_invalid,
        renamed_column_property_filters,
        renamed_column_storage_name_is_unknown,
        hidden_property_in_where_is_refused,
        unknown_property_in_where_is_refused,
        free_form_unknown_property_is_compared_as_given if |c| c.free_form_properties,
        count_honours_where_semantics,
        update_all_honours_where_semantics,
        delete_all_with_nin_deletes_null_too,
        where_semantics_identical_for_find_count_and_delete,
    ]
}

type R<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn dt(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("a valid RFC 3339 date-time")
        .with_timezone(&Utc)
}

fn uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).expect("a valid uuid")
}

fn counted(name: &str, count: Option<i64>) -> Item {
    Item {
        count,
        ..Item::named(name)
    }
}

fn described(name: &str, description: Option<&str>) -> Item {
    Item {
        description: description.map(str::to_owned),
        ..Item::named(name)
    }
}

async fn seed(ctx: &Ctx, items: Vec<Item>) -> R<Vec<Item>> {
    Ok(ctx.repo::<Item>().create_all(items).await?)
}

/// Names of the items a filter finds, sorted.
async fn find_names(ctx: &Ctx, filter: Filter) -> R<Vec<String>> {
    let mut names: Vec<String> = ctx
        .repo::<Item>()
        .find(filter)
        .await?
        .into_iter()
        .map(|i| i.name)
        .collect();
    names.sort();
    Ok(names)
}

/// Names of the items a JSON where clause finds, sorted.
async fn names_where(ctx: &Ctx, clause: serde_json::Value) -> R<Vec<String>> {
    find_names(ctx, Filter::from_json(&json!({ "where": clause }))?).await
}

fn strs(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// The (path, code) pairs of an `InvalidFilter`, sorted; any other outcome is an error.
fn invalid<T: std::fmt::Debug>(result: portico_domain::Result<T>) -> R<Vec<(String, String)>> {
    match result {
        Err(Error::InvalidFilter(errors)) => {
            let mut pairs: Vec<(String, String)> = errors
                .0
                .into_iter()
                .map(|e| (e.path, e.code.to_owned()))
                .collect();
            pairs.sort();
            Ok(pairs)
        }
        other => Err(format!("expected Error::InvalidFilter, got {other:?}").into()),
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
        .collect()
}

/// The InvalidFilter a JSON where clause gives on `find`.
async fn invalid_where(ctx: &Ctx, clause: serde_json::Value) -> R<Vec<(String, String)>> {
    let filter = Filter::from_json(&json!({ "where": clause }))?;
    invalid(ctx.repo::<Item>().find(filter).await)
}

fn expect_unsupported<T: std::fmt::Debug>(result: portico_domain::Result<T>) -> TestResult {
    match result {
        Err(Error::Unsupported(_)) => Ok(()),
        other => Err(format!("expected Error::Unsupported, got {other:?}").into()),
    }
}

async fn seed_counts(ctx: &Ctx) -> R<Vec<Item>> {
    seed(
        ctx,
        vec![
            counted("a", Some(1)),
            counted("b", Some(2)),
            counted("c", Some(3)),
            counted("d", None),
            counted("e", Some(-4)),
        ],
    )
    .await
}

async fn seed_milks(ctx: &Ctx) -> R<Vec<Item>> {
    seed(
        ctx,
        vec![
            Item::named("milk"),
            Item::named("Milk"),
            Item::named("buttermilk"),
            Item::named("milkshake"),
            Item::named("juice"),
        ],
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// eq / neq

async fn eq_shorthand_matches_equal_values(ctx: Ctx) -> TestResult {
    seed_counts(&ctx).await?;
    assert_eq!(names_where(&ctx, json!({"count": 2})).await?, strs(&["b"]));
    assert_eq!(names_where(&ctx, json!({"name": "c"})).await?, strs(&["c"]));
    assert_eq!(
        names_where(&ctx, json!({"count": 99})).await?,
        Vec::<String>::new()
    );
    Ok(())
}

async fn eq_operator_is_the_same_as_shorthand(ctx: Ctx) -> TestResult {
    seed_counts(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"count": {"eq": -4}})).await?,
        strs(&["e"])
    );
    assert_eq!(names_where(&ctx, json!({"count": -4})).await?, strs(&["e"]));
    let typed = find_names(&ctx, Filter::new().where_(Item::FIELDS.count.eq(-4))).await?;
    assert_eq!(typed, strs(&["e"]));
    Ok(())
}

async fn eq_on_strings_is_case_sensitive(ctx: Ctx) -> TestResult {
    seed_milks(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"name": "milk"})).await?,
        strs(&["milk"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": "Milk"})).await?,
        strs(&["Milk"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": "MILK"})).await?,
        Vec::<String>::new()
    );
    Ok(())
}

async fn eq_on_strings_is_exact_about_trailing_spaces(ctx: Ctx) -> TestResult {
    seed(&ctx, vec![Item::named("tea"), Item::named("tea ")]).await?;
    assert_eq!(
        names_where(&ctx, json!({"name": "tea"})).await?,
        strs(&["tea"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": "tea "})).await?,
        strs(&["tea "])
    );
    Ok(())
}

async fn eq_null_matches_null_and_missing(ctx: Ctx) -> TestResult {
    seed_counts(&ctx).await?;
    let records = ctx.records::<Item>();
    let mut explicit = Record::new();
    explicit.insert("name".into(), Value::from("f"));
    explicit.insert("count".into(), Value::Null);
    records.create(explicit).await?;
    assert_eq!(
        names_where(&ctx, json!({"count": null})).await?,
        strs(&["d", "f"])
    );
    assert_eq!(
        names_where(&ctx, json!({"count": {"eq": null}})).await?,
        strs(&["d", "f"])
    );
    Ok(())
}

async fn typed_is_null_matches_null_and_missing(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            described("a", Some("x")),
            described("b", None),
            described("c", Some("")),
        ],
    )
    .await?;
    let found = find_names(
        &ctx,
        Filter::new().where_(Item::FIELDS.description.is_null()),
    )
    .await?;
    assert_eq!(found, strs(&["b"]));
    Ok(())
}

async fn eq_on_booleans(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item {
                active: Some(true),
                ..Item::named("a")
            },
            Item {
                active: Some(false),
                ..Item::named("b")
            },
            Item::named("c"),
        ],
    )
    .await?;
    assert_eq!(
        names_where(&ctx, json!({"active": true})).await?,
        strs(&["a"])
    );
    assert_eq!(
        names_where(&ctx, json!({"active": false})).await?,
        strs(&["b"])
    );
    assert_eq!(
        names_where(&ctx, json!({"active": null})).await?,
        strs(&["c"])
    );
    Ok(())
}

async fn neq_value_also_matches_null_and_missing(ctx: Ctx) -> TestResult {
    seed_counts(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"count": {"neq": 2}})).await?,
        strs(&["a", "c", "d", "e"])
    );
    let typed = find_names(&ctx, Filter::new().where_(Item::FIELDS.count.neq(2))).await?;
    assert_eq!(typed, strs(&["a", "c", "d", "e"]));
    Ok(())
}

async fn neq_on_booleans_matches_the_other_value_and_null(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item {
                active: Some(true),
                ..Item::named("a")
            },
            Item {
                active: Some(false),
                ..Item::named("b")
            },
            Item::named("c"),
        ],
    )
    .await?;
    assert_eq!(
        names_where(&ctx, json!({"active": {"neq": true}})).await?,
        strs(&["b", "c"])
    );
    Ok(())
}

async fn neq_null_matches_present_values(ctx: Ctx) -> TestResult {
    seed_counts(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"count": {"neq": null}})).await?,
        strs(&["a", "b", "c", "e"])
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// gt / gte / lt / lte

async fn gt_gte_lt_lte_on_integers(ctx: Ctx) -> TestResult {
    seed_counts(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"count": {"gt": 1}})).await?,
        strs(&["b", "c"])
    );
    assert_eq!(
        names_where(&ctx, json!({"count": {"gte": 1}})).await?,
        strs(&["a", "b", "c"])
    );
    assert_eq!(
        names_where(&ctx, json!({"count": {"lt": 1}})).await?,
        strs(&["e"])
    );
    assert_eq!(
        names_where(&ctx, json!({"count": {"lte": 1}})).await?,
        strs(&["a", "e"])
    );
    assert_eq!(
        names_where(&ctx, json!({"count": {"gt": -5}})).await?,
        strs(&["a", "b", "c", "e"])
    );
    Ok(())
}

async fn comparisons_on_floats(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item {
                price: Some(1.5),
                ..Item::named("a")
            },
            Item {
                price: Some(2.25),
                ..Item::named("b")
            },
            Item {
                price: Some(10.0),
                ..Item::named("c")
            },
            Item {
                price: Some(-0.5),
                ..Item::named("d")
            },
        ],
    )
    .await?;
    assert_eq!(
        names_where(&ctx, json!({"price": {"gt": 1.5}})).await?,
        strs(&["b", "c"])
    );
    assert_eq!(
        names_where(&ctx, json!({"price": {"gte": 1.5}})).await?,
        strs(&["a", "b", "c"])
    );
    assert_eq!(
        names_where(&ctx, json!({"price": {"lt": 2.25}})).await?,
        strs(&["a", "d"])
    );
    assert_eq!(
        names_where(&ctx, json!({"price": {"lte": 2.25}})).await?,
        strs(&["a", "b", "d"])
    );
    assert_eq!(
        names_where(&ctx, json!({"price": 2.25})).await?,
        strs(&["b"])
    );
    Ok(())
}

async fn integer_operand_on_float_property_compares_numerically(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item {
                price: Some(1.5),
                ..Item::named("a")
            },
            Item {
                price: Some(2.0),
                ..Item::named("b")
            },
            Item {
                price: Some(2.5),
                ..Item::named("c")
            },
        ],
    )
    .await?;
    assert_eq!(
        names_where(&ctx, json!({"price": {"gt": 2}})).await?,
        strs(&["c"])
    );
    assert_eq!(
        names_where(&ctx, json!({"price": {"gte": 2}})).await?,
        strs(&["b", "c"])
    );
    assert_eq!(names_where(&ctx, json!({"price": 2})).await?, strs(&["b"]));
    assert_eq!(
        names_where(&ctx, json!({"price": {"inq": [1, 2]}})).await?,
        strs(&["b"])
    );
    Ok(())
}

async fn integral_float_operand_on_integer_property(ctx: Ctx) -> TestResult {
    seed_counts(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"count": {"gt": 2.0}})).await?,
        strs(&["c"])
    );
    assert_eq!(
        names_where(&ctx, json!({"count": 3.0})).await?,
        strs(&["c"])
    );
    Ok(())
}

async fn strings_compare_by_code_point(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item::named("B"),
            Item::named("a"),
            Item::named("Z"),
            Item::named("b"),
        ],
    )
    .await?;
    // Binary order: "B" < "Z" < "a" < "b".
    assert_eq!(
        names_where(&ctx, json!({"name": {"gt": "Z"}})).await?,
        strs(&["a", "b"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"lt": "a"}})).await?,
        strs(&["B", "Z"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"gte": "B", "lte": "Z"}})).await?,
        strs(&["B", "Z"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"gt": "B"}})).await?,
        strs(&["Z", "a", "b"])
    );
    Ok(())
}

async fn non_ascii_strings_compare_after_ascii(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item::named("z"),
            Item::named("é"),
            Item::named("e"),
            Item::named("Ω"),
        ],
    )
    .await?;
    // Code points: e (0x65) < z (0x7A) < é (0xE9) < Ω (0x3A9).
    assert_eq!(
        names_where(&ctx, json!({"name": {"gt": "z"}})).await?,
        strs(&["é", "Ω"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"gt": "é"}})).await?,
        strs(&["Ω"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"lt": "é"}})).await?,
        strs(&["e", "z"])
    );
    Ok(())
}

async fn seed_dates(ctx: &Ctx) -> R<Vec<Item>> {
    seed(
        ctx,
        vec![
            Item {
                due: Some(dt("2024-04-30T23:59:59.999Z")),
                ..Item::named("a")
            },
            Item {
                due: Some(dt("2024-05-01T00:00:00.000Z")),
                ..Item::named("b")
            },
            Item {
                due: Some(dt("2024-05-01T10:00:00.000Z")),
                ..Item::named("c")
            },
            Item {
                due: Some(dt("2024-05-02T00:00:00.000Z")),
                ..Item::named("d")
            },
            Item::named("e"),
        ],
    )
    .await
}

async fn datetime_comparisons(ctx: Ctx) -> TestResult {
    seed_dates(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"due": {"gt": "2024-05-01T00:00:00.000Z"}})).await?,
        strs(&["c", "d"])
    );
    assert_eq!(
        names_where(&ctx, json!({"due": {"gte": "2024-05-01T00:00:00.000Z"}})).await?,
        strs(&["b", "c", "d"])
    );
    assert_eq!(
        names_where(&ctx, json!({"due": {"lt": "2024-05-01T10:00:00.000Z"}})).await?,
        strs(&["a", "b"])
    );
    assert_eq!(
        names_where(&ctx, json!({"due": {"lte": "2024-05-01T10:00:00.000Z"}})).await?,
        strs(&["a", "b", "c"])
    );
    let typed = find_names(
        &ctx,
        Filter::new().where_(Item::FIELDS.due.gt(dt("2024-05-01T09:59:59.999Z"))),
    )
    .await?;
    assert_eq!(typed, strs(&["c", "d"]));
    Ok(())
}

async fn datetime_date_only_operand_is_midnight_utc(ctx: Ctx) -> TestResult {
    seed_dates(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"due": "2024-05-01"})).await?,
        strs(&["b"])
    );
    assert_eq!(
        names_where(&ctx, json!({"due": {"lt": "2024-05-01"}})).await?,
        strs(&["a"])
    );
    assert_eq!(
        names_where(
            &ctx,
            json!({"due": {"gte": "2024-05-01", "lt": "2024-05-02"}})
        )
        .await?,
        strs(&["b", "c"])
    );
    Ok(())
}

async fn datetime_epoch_millis_operand(ctx: Ctx) -> TestResult {
    seed_dates(&ctx).await?;
    let ten = dt("2024-05-01T10:00:00.000Z").timestamp_millis();
    assert_eq!(
        names_where(&ctx, json!({"due": {"gte": ten}})).await?,
        strs(&["c", "d"])
    );
    assert_eq!(names_where(&ctx, json!({"due": ten})).await?, strs(&["c"]));
    Ok(())
}

async fn datetime_operand_with_offset_is_converted_to_utc(ctx: Ctx) -> TestResult {
    seed_dates(&ctx).await?;
    // 12:00 at +02:00 is 10:00 UTC.
    assert_eq!(
        names_where(&ctx, json!({"due": "2024-05-01T12:00:00+02:00"})).await?,
        strs(&["c"])
    );
    assert_eq!(
        names_where(
            &ctx,
            json!({"due": {"gt": "2024-05-01T12:00:00.000+02:00"}})
        )
        .await?,
        strs(&["d"])
    );
    Ok(())
}

async fn datetime_eq_at_millisecond_precision(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item {
                due: Some(dt("2024-05-01T10:00:00.123Z")),
                ..Item::named("a")
            },
            Item {
                due: Some(dt("2024-05-01T10:00:00.124Z")),
                ..Item::named("b")
            },
        ],
    )
    .await?;
    assert_eq!(
        names_where(&ctx, json!({"due": "2024-05-01T10:00:00.123Z"})).await?,
        strs(&["a"])
    );
    assert_eq!(
        names_where(&ctx, json!({"due": {"gt": "2024-05-01T10:00:00.123Z"}})).await?,
        strs(&["b"])
    );
    assert_eq!(
        names_where(&ctx, json!({"due": {"lt": "2024-05-01T10:00:00.124Z"}})).await?,
        strs(&["a"])
    );
    Ok(())
}

// Every segment increases from one to the next, so any byte or segment order agrees.
const U1: &str = "11111111-1111-4111-8111-111111111111";
const U2: &str = "22222222-2222-4222-9222-222222222222";
const U3: &str = "33333333-3333-4333-a333-333333333333";

async fn seed_uuids(ctx: &Ctx) -> R<Vec<Item>> {
    seed(
        ctx,
        vec![
            Item {
                ref_id: Some(uuid(U2)),
                ..Item::named("b")
            },
            Item {
                ref_id: Some(uuid(U1)),
                ..Item::named("a")
            },
            Item {
                ref_id: Some(uuid(U3)),
                ..Item::named("c")
            },
            Item::named("d"),
        ],
    )
    .await
}

async fn uuid_comparisons(ctx: Ctx) -> TestResult {
    seed_uuids(&ctx).await?;
    assert_eq!(names_where(&ctx, json!({"refId": U2})).await?, strs(&["b"]));
    assert_eq!(
        names_where(&ctx, json!({"refId": {"gt": U1}})).await?,
        strs(&["b", "c"])
    );
    assert_eq!(
        names_where(&ctx, json!({"refId": {"lte": U2}})).await?,
        strs(&["a", "b"])
    );
    assert_eq!(
        names_where(&ctx, json!({"refId": {"between": [U2, U3]}})).await?,
        strs(&["b", "c"])
    );
    assert_eq!(
        names_where(&ctx, json!({"refId": {"neq": U2}})).await?,
        strs(&["a", "c", "d"])
    );
    Ok(())
}

async fn uuid_eq_accepts_uppercase_text(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![Item {
            ref_id: Some(uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
            ..Item::named("a")
        }],
    )
    .await?;
    assert_eq!(
        names_where(
            &ctx,
            json!({"refId": "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"})
        )
        .await?,
        strs(&["a"])
    );
    Ok(())
}

async fn comparisons_never_match_null_or_missing(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            counted("a", Some(0)),
            Item::named("b"),
            Item {
                due: Some(dt("2024-05-01T00:00:00Z")),
                ..Item::named("c")
            },
        ],
    )
    .await?;
    let none = Vec::<String>::new();
    assert_eq!(
        names_where(&ctx, json!({"count": {"gt": -1000}})).await?,
        strs(&["a"])
    );
    assert_eq!(
        names_where(&ctx, json!({"count": {"gte": -1000}})).await?,
        strs(&["a"])
    );
    assert_eq!(
        names_where(&ctx, json!({"count": {"lt": 1000}})).await?,
        strs(&["a"])
    );
    assert_eq!(
        names_where(&ctx, json!({"count": {"lte": 1000}})).await?,
        strs(&["a"])
    );
    assert_eq!(
        names_where(&ctx, json!({"count": {"between": [-1000, 1000]}})).await?,
        strs(&["a"])
    );
    assert_eq!(
        names_where(&ctx, json!({"description": {"gte": ""}})).await?,
        none
    );
    assert_eq!(
        names_where(&ctx, json!({"due": {"lt": "9999-12-31"}})).await?,
        strs(&["c"])
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// between

async fn between_is_inclusive_on_integers(ctx: Ctx) -> TestResult {
    seed_counts(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"count": {"between": [1, 3]}})).await?,
        strs(&["a", "b", "c"])
    );
    assert_eq!(
        names_where(&ctx, json!({"count": {"between": [2, 2]}})).await?,
        strs(&["b"])
    );
    assert_eq!(
        names_where(&ctx, json!({"count": {"between": [3, 1]}})).await?,
        Vec::<String>::new()
    );
    let typed = find_names(
        &ctx,
        Filter::new().where_(Item::FIELDS.count.between(-4, 1)),
    )
    .await?;
    assert_eq!(typed, strs(&["a", "e"]));
    Ok(())
}

async fn between_is_inclusive_on_strings(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item::named("B"),
            Item::named("a"),
            Item::named("ab"),
            Item::named("b"),
            Item::named("c"),
        ],
    )
    .await?;
    assert_eq!(
        names_where(&ctx, json!({"name": {"between": ["a", "b"]}})).await?,
        strs(&["a", "ab", "b"])
    );
    // "B" sorts before "a" in binary order, so it is outside ["a", "c"].
    assert_eq!(
        names_where(&ctx, json!({"name": {"between": ["a", "c"]}})).await?,
        strs(&["a", "ab", "b", "c"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"between": ["B", "a"]}})).await?,
        strs(&["B", "a"])
    );
    Ok(())
}

async fn between_is_inclusive_on_dates(ctx: Ctx) -> TestResult {
    seed_dates(&ctx).await?;
    let found = names_where(
        &ctx,
        json!({"due": {"between": ["2024-05-01T00:00:00.000Z", "2024-05-02T00:00:00.000Z"]}}),
    )
    .await?;
    assert_eq!(found, strs(&["b", "c", "d"]));
    let found = names_where(
        &ctx,
        json!({"due": {"between": ["2024-05-01", "2024-05-01T10:00:00Z"]}}),
    )
    .await?;
    assert_eq!(found, strs(&["b", "c"]));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// inq / nin

async fn inq_matches_listed_values(ctx: Ctx) -> TestResult {
    seed_counts(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"count": {"inq": [1, 3, 99]}})).await?,
        strs(&["a", "c"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"inq": ["b", "e", "zz"]}})).await?,
        strs(&["b", "e"])
    );
    let typed = find_names(&ctx, Filter::new().where_(Item::FIELDS.count.inq([2, -4]))).await?;
    assert_eq!(typed, strs(&["b", "e"]));
    Ok(())
}

async fn inq_scalar_counts_as_one_item_list(ctx: Ctx) -> TestResult {
    seed_counts(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"count": {"inq": 3}})).await?,
        strs(&["c"])
    );
    assert_eq!(
        names_where(&ctx, json!({"count": {"nin": 3}})).await?,
        strs(&["a", "b", "d", "e"])
    );
    Ok(())
}

async fn inq_on_ids(ctx: Ctx) -> TestResult {
    let items = seed_counts(&ctx).await?;
    let ids: Vec<i64> = vec![items[0].id.ok_or("no id")?, items[2].id.ok_or("no id")?];
    assert_eq!(
        names_where(&ctx, json!({"id": {"inq": ids}})).await?,
        strs(&["a", "c"])
    );
    let typed = find_names(&ctx, Filter::new().where_(Item::FIELDS.id.nin(ids))).await?;
    assert_eq!(typed, strs(&["b", "d", "e"]));
    Ok(())
}

async fn inq_empty_matches_nothing(ctx: Ctx) -> TestResult {
    seed_counts(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"count": {"inq": []}})).await?,
        Vec::<String>::new()
    );
    let typed = find_names(
        &ctx,
        Filter::new().where_(Item::FIELDS.name.inq(Vec::<String>::new())),
    )
    .await?;
    assert_eq!(typed, Vec::<String>::new());
    Ok(())
}

async fn nin_excludes_listed_values_and_matches_null(ctx: Ctx) -> TestResult {
    seed_counts(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"count": {"nin": [1, 3]}})).await?,
        strs(&["b", "d", "e"])
    );
    let typed = find_names(&ctx, Filter::new().where_(Item::FIELDS.count.nin([2]))).await?;
    assert_eq!(typed, strs(&["a", "c", "d", "e"]));
    Ok(())
}

async fn nin_empty_matches_everything(ctx: Ctx) -> TestResult {
    seed_counts(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"count": {"nin": []}})).await?,
        strs(&["a", "b", "c", "d", "e"])
    );
    Ok(())
}

async fn null_inside_inq_is_invalid(ctx: Ctx) -> TestResult {
    seed_counts(&ctx).await?;
    let errors = invalid_where(&ctx, json!({"count": {"inq": [1, null]}})).await?;
    assert_eq!(errors, pairs(&[("/where/count/inq/1", "type")]));
    Ok(())
}

async fn null_inside_nin_is_invalid(ctx: Ctx) -> TestResult {
    let errors = invalid_where(&ctx, json!({"name": {"nin": [null, "a"]}})).await?;
    assert_eq!(errors, pairs(&[("/where/name/nin/0", "type")]));
    Ok(())
}

async fn null_comparison_operand_is_invalid(ctx: Ctx) -> TestResult {
    let errors = invalid_where(&ctx, json!({"count": {"gt": null}})).await?;
    assert_eq!(errors, pairs(&[("/where/count/gt", "type")]));
    let errors = invalid_where(&ctx, json!({"count": {"between": [null, 3]}})).await?;
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].0.starts_with("/where/count/between"),
        "{errors:?}"
    );
    assert_eq!(errors[0].1, "type");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// exists

async fn exists_true_and_false(ctx: Ctx) -> TestResult {
    seed_counts(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"count": {"exists": true}})).await?,
        strs(&["a", "b", "c", "e"])
    );
    assert_eq!(
        names_where(&ctx, json!({"count": {"exists": false}})).await?,
        strs(&["d"])
    );
    let typed = find_names(&ctx, Filter::new().where_(Item::FIELDS.count.exists(false))).await?;
    assert_eq!(typed, strs(&["d"]));
    Ok(())
}

async fn exists_treats_explicit_null_as_missing(ctx: Ctx) -> TestResult {
    let records = ctx.records::<Item>();
    let mut with_null = Record::new();
    with_null.insert("name".into(), Value::from("null"));
    with_null.insert("description".into(), Value::Null);
    let mut missing = Record::new();
    missing.insert("name".into(), Value::from("missing"));
    let mut present = Record::new();
    present.insert("name".into(), Value::from("present"));
    present.insert("description".into(), Value::from(""));
    records
        .create_all(vec![with_null, missing, present])
        .await?;
    assert_eq!(
        names_where(&ctx, json!({"description": {"exists": false}})).await?,
        strs(&["missing", "null"])
    );
    assert_eq!(
        names_where(&ctx, json!({"description": {"exists": true}})).await?,
        strs(&["present"])
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// like / nlike

async fn like_percent_matches_any_run(ctx: Ctx) -> TestResult {
    seed_milks(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "%milk%"}})).await?,
        strs(&["buttermilk", "milk", "milkshake"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "milk%"}})).await?,
        strs(&["milk", "milkshake"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "%milk"}})).await?,
        strs(&["buttermilk", "milk"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "m%k%e"}})).await?,
        strs(&["milkshake"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "%"}}))
            .await?
            .len(),
        5
    );
    Ok(())
}

async fn like_underscore_matches_exactly_one_character(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item::named("cat"),
            Item::named("cart"),
            Item::named("ct"),
            Item::named("cut"),
        ],
    )
    .await?;
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "c_t"}})).await?,
        strs(&["cat", "cut"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "c__t"}})).await?,
        strs(&["cart"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "c_%t"}})).await?,
        strs(&["cart", "cat", "cut"])
    );
    Ok(())
}

async fn like_escaped_percent_and_underscore_are_literal(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item::named("50% off"),
            Item::named("50 off"),
            Item::named("500 off"),
            Item::named("a_b"),
            Item::named("axb"),
        ],
    )
    .await?;
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": r"50\% off"}})).await?,
        strs(&["50% off"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": r"50\%%"}})).await?,
        strs(&["50% off"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": r"a\_b"}})).await?,
        strs(&["a_b"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": r"%\_%"}})).await?,
        strs(&["a_b"])
    );
    Ok(())
}

async fn like_escaped_backslash_is_literal(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item::named(r"C:\temp"),
            Item::named("C:/temp"),
            Item::named(r"C:\\temp"),
        ],
    )
    .await?;
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": r"C:\\temp"}})).await?,
        strs(&[r"C:\temp"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": r"C:\\%"}})).await?,
        strs(&[r"C:\\temp", r"C:\temp"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": r"C:\\\\temp"}})).await?,
        strs(&[r"C:\\temp"])
    );
    Ok(())
}

async fn like_matches_the_whole_value(ctx: Ctx) -> TestResult {
    seed_milks(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "milk"}})).await?,
        strs(&["milk"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "ilk"}})).await?,
        Vec::<String>::new()
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "mil"}})).await?,
        Vec::<String>::new()
    );
    Ok(())
}

async fn like_is_case_sensitive(ctx: Ctx) -> TestResult {
    seed_milks(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "milk%"}})).await?,
        strs(&["milk", "milkshake"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "Milk%"}})).await?,
        strs(&["Milk"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "MILK"}})).await?,
        Vec::<String>::new()
    );
    Ok(())
}

async fn like_on_unicode_counts_characters(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item::named("école"),
            Item::named("ecole"),
            Item::named("École"),
            Item::named("日本語"),
        ],
    )
    .await?;
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "_cole"}})).await?,
        strs(&["ecole", "École", "école"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "é%"}})).await?,
        strs(&["école"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "日_語"}})).await?,
        strs(&["日本語"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "___"}})).await?,
        strs(&["日本語"])
    );
    Ok(())
}

async fn like_regex_metacharacters_are_literal(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item::named("a.c"),
            Item::named("abc"),
            Item::named("a+c"),
            Item::named("aac"),
            Item::named("(x)"),
            Item::named("[ab]"),
            Item::named("a"),
        ],
    )
    .await?;
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "a.c"}})).await?,
        strs(&["a.c"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "a+c"}})).await?,
        strs(&["a+c"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "(x)"}})).await?,
        strs(&["(x)"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "[ab]"}})).await?,
        strs(&["[ab]"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "a*"}})).await?,
        Vec::<String>::new()
    );
    Ok(())
}

async fn like_percent_spans_newlines(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            described("a", Some("line1\nline2")),
            described("b", Some("line1")),
        ],
    )
    .await?;
    assert_eq!(
        names_where(&ctx, json!({"description": {"like": "line1%"}})).await?,
        strs(&["a", "b"])
    );
    assert_eq!(
        names_where(&ctx, json!({"description": {"like": "%line2"}})).await?,
        strs(&["a"])
    );
    assert_eq!(
        names_where(&ctx, json!({"description": {"like": "line1_line2"}})).await?,
        strs(&["a"])
    );
    Ok(())
}

async fn like_never_matches_null(ctx: Ctx) -> TestResult {
    seed(&ctx, vec![described("a", Some("x")), described("b", None)]).await?;
    assert_eq!(
        names_where(&ctx, json!({"description": {"like": "%"}})).await?,
        strs(&["a"])
    );
    Ok(())
}

async fn nlike_matches_non_matching_and_null(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            described("a", Some("milk")),
            described("b", Some("juice")),
            described("c", None),
            described("d", Some("Milk")),
        ],
    )
    .await?;
    assert_eq!(
        names_where(&ctx, json!({"description": {"nlike": "m%"}})).await?,
        strs(&["b", "c", "d"])
    );
    let typed = find_names(
        &ctx,
        Filter::new().where_(Item::FIELDS.description.nlike("%")),
    )
    .await?;
    assert_eq!(typed, strs(&["c"]));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ilike / nilike

async fn ilike_is_case_insensitive(ctx: Ctx) -> TestResult {
    seed_milks(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"name": {"ilike": "MILK"}})).await?,
        strs(&["Milk", "milk"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"ilike": "%Milk%"}})).await?,
        strs(&["Milk", "buttermilk", "milk", "milkshake"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"ilike": "m_lK"}})).await?,
        strs(&["Milk", "milk"])
    );
    Ok(())
}

async fn ilike_folds_non_ascii(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item::named("ÉCOLE"),
            Item::named("école"),
            Item::named("ecole"),
            Item::named("ΣΟΦΙΑ"),
        ],
    )
    .await?;
    assert_eq!(
        names_where(&ctx, json!({"name": {"ilike": "école"}})).await?,
        strs(&["ÉCOLE", "école"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"ilike": "ÉCO%"}})).await?,
        strs(&["ÉCOLE", "école"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"ilike": "σοφια"}})).await?,
        strs(&["ΣΟΦΙΑ"])
    );
    Ok(())
}

async fn nilike_matches_non_matching_and_null(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            described("a", Some("Milk")),
            described("b", Some("juice")),
            described("c", None),
            described("d", Some("MILKY")),
        ],
    )
    .await?;
    assert_eq!(
        names_where(&ctx, json!({"description": {"nilike": "milk%"}})).await?,
        strs(&["b", "c"])
    );
    Ok(())
}

async fn ilike_typed_builder_matches_json(ctx: Ctx) -> TestResult {
    seed_milks(&ctx).await?;
    let typed = find_names(&ctx, Filter::new().where_(Item::FIELDS.name.ilike("%MILK"))).await?;
    assert_eq!(
        typed,
        names_where(&ctx, json!({"name": {"ilike": "%MILK"}})).await?
    );
    assert_eq!(typed, strs(&["Milk", "buttermilk", "milk"]));
    let typed = find_names(
        &ctx,
        Filter::new().where_(Item::FIELDS.name.nilike("%MILK")),
    )
    .await?;
    assert_eq!(typed, strs(&["juice", "milkshake"]));
    Ok(())
}

async fn ilike_is_unsupported_without_capability(ctx: Ctx) -> TestResult {
    seed_milks(&ctx).await?;
    let filter = Filter::from_json(&json!({"where": {"name": {"ilike": "milk"}}}))?;
    expect_unsupported(ctx.repo::<Item>().find(filter).await)?;
    expect_unsupported(
        ctx.repo::<Item>()
            .count(Some(Item::FIELDS.name.ilike("milk")))
            .await,
    )
}

async fn nilike_is_unsupported_without_capability(ctx: Ctx) -> TestResult {
    let filter = Filter::from_json(&json!({"where": {"name": {"nilike": "milk"}}}))?;
    expect_unsupported(ctx.repo::<Item>().find(filter).await)
}

// ---------------------------------------------------------------------------------------------
// regexp

async fn regexp_is_an_unanchored_search(ctx: Ctx) -> TestResult {
    seed_milks(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"name": {"regexp": "ilk"}})).await?,
        strs(&["Milk", "buttermilk", "milk", "milkshake"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"regexp": "ui"}})).await?,
        strs(&["juice"])
    );
    Ok(())
}

async fn regexp_anchors(ctx: Ctx) -> TestResult {
    seed_milks(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"name": {"regexp": "^m"}})).await?,
        strs(&["milk", "milkshake"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"regexp": "k$"}})).await?,
        strs(&["Milk", "buttermilk", "milk"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"regexp": "^milk$"}})).await?,
        strs(&["milk"])
    );
    Ok(())
}

async fn regexp_is_case_sensitive_by_default(ctx: Ctx) -> TestResult {
    seed_milks(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"name": {"regexp": "^M"}})).await?,
        strs(&["Milk"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"regexp": "/^M/"}})).await?,
        strs(&["Milk"])
    );
    Ok(())
}

async fn regexp_i_flag_in_json_literal(ctx: Ctx) -> TestResult {
    seed_milks(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"name": {"regexp": "/^m/i"}})).await?,
        strs(&["Milk", "milk", "milkshake"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"regexp": "/MILK$/i"}})).await?,
        strs(&["Milk", "buttermilk", "milk"])
    );
    Ok(())
}

async fn regexp_i_typed_builder(ctx: Ctx) -> TestResult {
    seed_milks(&ctx).await?;
    let typed = find_names(&ctx, Filter::new().where_(Item::FIELDS.name.regexp_i("^M"))).await?;
    assert_eq!(typed, strs(&["Milk", "milk", "milkshake"]));
    let typed = find_names(&ctx, Filter::new().where_(Item::FIELDS.name.regexp("^M"))).await?;
    assert_eq!(typed, strs(&["Milk"]));
    Ok(())
}

async fn regexp_g_flag_is_accepted(ctx: Ctx) -> TestResult {
    seed_milks(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"name": {"regexp": "/^j/g"}})).await?,
        strs(&["juice"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"regexp": "/^M/gi"}})).await?,
        strs(&["Milk", "milk", "milkshake"])
    );
    Ok(())
}

async fn regexp_classes_alternation_and_quantifiers(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item::named("a1"),
            Item::named("a12"),
            Item::named("b123"),
            Item::named("tea"),
            Item::named("coffee"),
        ],
    )
    .await?;
    assert_eq!(
        names_where(&ctx, json!({"name": {"regexp": "[0-9]{2}"}})).await?,
        strs(&["a12", "b123"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"regexp": "^[a-z][0-9]+$"}})).await?,
        strs(&["a1", "a12", "b123"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"regexp": "^(tea|coffee)$"}})).await?,
        strs(&["coffee", "tea"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"regexp": "f+e*$"}})).await?,
        strs(&["coffee"])
    );
    Ok(())
}

async fn regexp_never_matches_null(ctx: Ctx) -> TestResult {
    seed(&ctx, vec![described("a", Some("x")), described("b", None)]).await?;
    assert_eq!(
        names_where(&ctx, json!({"description": {"regexp": ".*"}})).await?,
        strs(&["a"])
    );
    assert_eq!(
        names_where(&ctx, json!({"description": {"regexp": "^$"}})).await?,
        Vec::<String>::new()
    );
    Ok(())
}

async fn regexp_is_unsupported_without_capability(ctx: Ctx) -> TestResult {
    seed_milks(&ctx).await?;
    let filter = Filter::from_json(&json!({"where": {"name": {"regexp": "^m"}}}))?;
    expect_unsupported(ctx.repo::<Item>().find(filter).await)?;
    expect_unsupported(
        ctx.repo::<Item>()
            .delete_all(Some(Item::FIELDS.name.regexp_i("^m")))
            .await,
    )?;
    assert_eq!(ctx.repo::<Item>().count(None).await?, 5);
    Ok(())
}

async fn regexp_unknown_flag_is_invalid(_ctx: Ctx) -> TestResult {
    let errors = Filter::from_json(&json!({"where": {"name": {"regexp": "/^a/x"}}}))
        .expect_err("flag x is refused");
    let got: Vec<(String, &str)> = errors.0.into_iter().map(|e| (e.path, e.code)).collect();
    assert_eq!(got, vec![("/where/name/regexp".to_owned(), "invalid")]);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// and / or

async fn seed_mixed(ctx: &Ctx) -> R<Vec<Item>> {
    seed(
        ctx,
        vec![
            Item {
                count: Some(1),
                active: Some(true),
                ..Item::named("a")
            },
            Item {
                count: Some(2),
                active: Some(false),
                ..Item::named("b")
            },
            Item {
                count: Some(3),
                active: Some(true),
                ..Item::named("c")
            },
            Item {
                count: Some(4),
                ..Item::named("d")
            },
            Item {
                count: Some(5),
                active: Some(true),
                ..Item::named("e")
            },
        ],
    )
    .await
}

async fn keys_at_one_level_are_and_ed(ctx: Ctx) -> TestResult {
    seed_mixed(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"active": true, "count": {"gt": 1}})).await?,
        strs(&["c", "e"])
    );
    assert_eq!(
        names_where(&ctx, json!({"active": true, "name": "b"})).await?,
        Vec::<String>::new()
    );
    Ok(())
}

async fn several_operators_on_one_property_are_and_ed(ctx: Ctx) -> TestResult {
    seed_mixed(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"count": {"gt": 1, "lt": 5}})).await?,
        strs(&["b", "c", "d"])
    );
    assert_eq!(
        names_where(&ctx, json!({"count": {"gte": 2, "neq": 3, "lte": 4}})).await?,
        strs(&["b", "d"])
    );
    assert_eq!(
        names_where(&ctx, json!({"name": {"like": "%", "nin": ["a", "e"]}})).await?,
        strs(&["b", "c", "d"])
    );
    Ok(())
}

async fn or_matches_any_clause(ctx: Ctx) -> TestResult {
    seed_mixed(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"or": [{"name": "a"}, {"count": {"gte": 4}}]})).await?,
        strs(&["a", "d", "e"])
    );
    assert_eq!(
        names_where(&ctx, json!({"or": [{"active": false}, {"active": null}]})).await?,
        strs(&["b", "d"])
    );
    Ok(())
}

async fn or_and_sibling_key_are_and_ed(ctx: Ctx) -> TestResult {
    seed_mixed(&ctx).await?;
    let found = names_where(
        &ctx,
        json!({"or": [{"count": 1}, {"count": 2}, {"count": 3}], "active": true}),
    )
    .await?;
    assert_eq!(found, strs(&["a", "c"]));
    let found = names_where(
        &ctx,
        json!({"and": [{"count": {"gt": 1}}], "or": [{"name": "b"}, {"name": "e"}]}),
    )
    .await?;
    assert_eq!(found, strs(&["b", "e"]));
    Ok(())
}

async fn and_or_nested_three_levels(ctx: Ctx) -> TestResult {
    seed_mixed(&ctx).await?;
    let clause = json!({"and": [
        {"or": [
            {"and": [{"count": {"gte": 1}}, {"count": {"lte": 2}}]},
            {"and": [{"name": {"inq": ["d", "e"]}}, {"or": [{"active": null}, {"count": 5}]}]}
        ]},
        {"name": {"neq": "b"}}
    ]});
    assert_eq!(names_where(&ctx, clause).await?, strs(&["a", "d", "e"]));
    let typed = Where::all([
        Where::any([
            Where::all([Item::FIELDS.count.gte(1), Item::FIELDS.count.lte(2)]),
            Where::all([
                Item::FIELDS.name.inq(["d", "e"]),
                Where::any([Item::FIELDS.active.is_null(), Item::FIELDS.count.eq(5)]),
            ]),
        ]),
        Item::FIELDS.name.neq("b"),
    ]);
    assert_eq!(
        find_names(&ctx, Filter::new().where_(typed)).await?,
        strs(&["a", "d", "e"])
    );
    Ok(())
}

async fn or_with_empty_clause_matches_everything(ctx: Ctx) -> TestResult {
    seed_mixed(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"or": [{}, {"name": "a"}]})).await?,
        strs(&["a", "b", "c", "d", "e"])
    );
    assert_eq!(
        names_where(&ctx, json!({"or": [{"name": "zz"}, {}]})).await?,
        strs(&["a", "b", "c", "d", "e"])
    );
    assert_eq!(
        names_where(&ctx, json!({"or": [{}, {"name": "a"}], "count": 2})).await?,
        strs(&["b"])
    );
    Ok(())
}

async fn and_with_empty_clause_is_neutral(ctx: Ctx) -> TestResult {
    seed_mixed(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({"and": [{}, {"name": "a"}]})).await?,
        strs(&["a"])
    );
    assert_eq!(
        names_where(&ctx, json!({"and": [{}]})).await?,
        strs(&["a", "b", "c", "d", "e"])
    );
    Ok(())
}

async fn empty_where_matches_everything(ctx: Ctx) -> TestResult {
    seed_mixed(&ctx).await?;
    assert_eq!(
        names_where(&ctx, json!({})).await?,
        strs(&["a", "b", "c", "d", "e"])
    );
    assert_eq!(
        ctx.repo::<Item>()
            .count(Some(Where::from_json(&json!({}))?))
            .await?,
        5
    );
    assert_eq!(
        ctx.repo::<Item>()
            .count(Some(Where::all(Vec::new())))
            .await?,
        5
    );
    Ok(())
}

async fn empty_and_or_lists_are_invalid(_ctx: Ctx) -> TestResult {
    let errors = Filter::from_json(&json!({"where": {"and": [], "or": []}}))
        .expect_err("empty lists are refused");
    let mut got: Vec<(String, &str)> = errors.0.into_iter().map(|e| (e.path, e.code)).collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("/where/and".to_owned(), "type"),
            ("/where/or".to_owned(), "type")
        ]
    );
    Ok(())
}

async fn typed_builder_and_json_give_the_same_results(ctx: Ctx) -> TestResult {
    seed_mixed(&ctx).await?;
    let f = Item::FIELDS;
    let typed = Filter::new().where_(Where::any([
        f.count.gt(3),
        f.name.like("a%").and(f.active.eq(true)),
    ]));
    let parsed = Filter::from_json(
        &json!({"where": {"or": [{"count": {"gt": 3}}, {"and": [{"name": {"like": "a%"}}, {"active": true}]}]}}),
    )?;
    let typed_names = find_names(&ctx, typed).await?;
    assert_eq!(typed_names, find_names(&ctx, parsed).await?);
    assert_eq!(typed_names, strs(&["a", "d", "e"]));
    let typed = Filter::new()
        .where_(f.count.between(2, 4))
        .where_(f.active.exists(true));
    assert_eq!(
        find_names(&ctx, typed).await?,
        names_where(
            &ctx,
            json!({"count": {"between": [2, 4]}, "active": {"exists": true}})
        )
        .await?
    );
    Ok(())
}

async fn typed_where_twice_is_and_ed(ctx: Ctx) -> TestResult {
    seed_mixed(&ctx).await?;
    let f = Item::FIELDS;
    let filter = Filter::new()
        .where_(f.count.gte(2))
        .where_(f.active.eq(true));
    assert_eq!(find_names(&ctx, filter).await?, strs(&["c", "e"]));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Types the operators allow

async fn json_property_eq_is_invalid(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![Item {
            meta: Some(json!({"k": 1})),
            ..Item::named("a")
        }],
    )
    .await?;
    for clause in [
        json!({"meta": {"eq": 1}}),
        json!({"meta": "x"}),
        json!({"meta": {"eq": {"k": 1}}}),
        json!({"meta": {"gt": 1}}),
    ] {
        let errors = invalid_where(&ctx, clause.clone()).await?;
        assert_eq!(errors.len(), 1, "{clause}: {errors:?}");
        assert!(
            errors[0].0.starts_with("/where/meta"),
            "{clause}: {errors:?}"
        );
        assert_eq!(errors[0].1, "type", "{clause}");
    }
    Ok(())
}

async fn json_property_allows_null_and_exists(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item {
                meta: Some(json!({"k": [1, 2]})),
                ..Item::named("a")
            },
            Item::named("b"),
        ],
    )
    .await?;
    assert_eq!(
        names_where(&ctx, json!({"meta": null})).await?,
        strs(&["b"])
    );
    assert_eq!(
        names_where(&ctx, json!({"meta": {"neq": null}})).await?,
        strs(&["a"])
    );
    assert_eq!(
        names_where(&ctx, json!({"meta": {"exists": true}})).await?,
        strs(&["a"])
    );
    assert_eq!(
        names_where(&ctx, json!({"meta": {"exists": false}})).await?,
        strs(&["b"])
    );
    Ok(())
}

async fn array_property_allows_only_null_and_exists(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item {
                tags: Some(vec!["x".into(), "y".into()]),
                ..Item::named("a")
            },
            Item::named("b"),
        ],
    )
    .await?;
    assert_eq!(
        names_where(&ctx, json!({"tags": {"exists": true}})).await?,
        strs(&["a"])
    );
    assert_eq!(
        names_where(&ctx, json!({"tags": null})).await?,
        strs(&["b"])
    );
    for clause in [
        json!({"tags": "x"}),
        json!({"tags": {"inq": ["x"]}}),
        json!({"tags": {"like": "x%"}}),
    ] {
        let errors = invalid_where(&ctx, clause.clone()).await?;
        assert_eq!(errors.len(), 1, "{clause}: {errors:?}");
        assert!(
            errors[0].0.starts_with("/where/tags"),
            "{clause}: {errors:?}"
        );
        assert_eq!(errors[0].1, "type", "{clause}");
    }
    Ok(())
}

async fn ordered_operators_on_boolean_are_invalid(ctx: Ctx) -> TestResult {
    let errors = invalid_where(&ctx, json!({"active": {"gt": false}})).await?;
    assert_eq!(errors, pairs(&[("/where/active/gt", "type")]));
    let errors = invalid_where(&ctx, json!({"active": {"between": [false, true]}})).await?;
    assert_eq!(errors, pairs(&[("/where/active/between", "type")]));
    Ok(())
}

async fn like_on_integer_is_invalid(ctx: Ctx) -> TestResult {
    let errors = invalid_where(&ctx, json!({"count": {"like": "1%"}})).await?;
    assert_eq!(errors, pairs(&[("/where/count/like", "type")]));
    let errors = invalid_where(&ctx, json!({"due": {"nlike": "2024%"}})).await?;
    assert_eq!(errors, pairs(&[("/where/due/nlike", "type")]));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Properties: renamed column, hidden, unknown, free-form

async fn renamed_column_property_filters(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item {
                stock: Some(0),
                ..Item::named("a")
            },
            Item {
                stock: Some(5),
                ..Item::named("b")
            },
            Item {
                stock: Some(9),
                ..Item::named("c")
            },
            Item::named("d"),
        ],
    )
    .await?;
    assert_eq!(
        names_where(&ctx, json!({"stock": {"gte": 5}})).await?,
        strs(&["b", "c"])
    );
    assert_eq!(names_where(&ctx, json!({"stock": 0})).await?, strs(&["a"]));
    assert_eq!(
        names_where(&ctx, json!({"stock": {"neq": 5}})).await?,
        strs(&["a", "c", "d"])
    );
    let typed = find_names(&ctx, Filter::new().where_(Item::FIELDS.stock.lt(9))).await?;
    assert_eq!(typed, strs(&["a", "b"]));
    assert_eq!(
        ctx.repo::<Item>()
            .count(Some(Item::FIELDS.stock.exists(false)))
            .await?,
        1
    );
    Ok(())
}

async fn renamed_column_storage_name_is_unknown(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![Item {
            stock: Some(1),
            ..Item::named("a")
        }],
    )
    .await?;
    let errors = invalid_where(&ctx, json!({"stock_level": 1})).await?;
    assert_eq!(errors, pairs(&[("/where/stock_level", "unknownProperty")]));
    Ok(())
}

async fn hidden_property_in_where_is_refused(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![Item {
            secret: Some("s".into()),
            ..Item::named("a")
        }],
    )
    .await?;
    let errors = invalid_where(&ctx, json!({"secret": "s"})).await?;
    assert_eq!(errors, pairs(&[("/where/secret", "hiddenProperty")]));
    let errors = invalid_where(
        &ctx,
        json!({"or": [{"name": "a"}, {"secret": {"exists": true}}]}),
    )
    .await?;
    assert_eq!(errors, pairs(&[("/where/or/1/secret", "hiddenProperty")]));
    Ok(())
}

async fn unknown_property_in_where_is_refused(ctx: Ctx) -> TestResult {
    let errors = invalid_where(&ctx, json!({"nope": 1})).await?;
    assert_eq!(errors, pairs(&[("/where/nope", "unknownProperty")]));
    let errors = invalid(
        ctx.repo::<Item>()
            .count(Some(Where::from_json(
                &json!({"and": [{"nope": {"gt": 1}}]}),
            )?))
            .await,
    )?;
    assert_eq!(errors, pairs(&[("/and/0/nope", "unknownProperty")]));
    Ok(())
}

async fn free_form_unknown_property_is_compared_as_given(ctx: Ctx) -> TestResult {
    let notes = ctx.records::<Note>();
    let mut a = Record::new();
    a.insert("text".into(), Value::from("a"));
    a.insert("extra".into(), Value::from("x"));
    let mut b = Record::new();
    b.insert("text".into(), Value::from("b"));
    b.insert("extra".into(), Value::from("y"));
    let mut c = Record::new();
    c.insert("text".into(), Value::from("c"));
    notes.create_all(vec![a, b, c]).await?;
    let texts = |records: Vec<Record>| -> Vec<String> {
        let mut t: Vec<String> = records
            .into_iter()
            .filter_map(|r| match r.get("text") {
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            })
            .collect();
        t.sort();
        t
    };
    let found = notes
        .find(Filter::from_json(&json!({"where": {"extra": "x"}}))?)
        .await?;
    assert_eq!(texts(found), strs(&["a"]));
    let found = notes
        .find(Filter::from_json(
            &json!({"where": {"extra": {"exists": false}}}),
        )?)
        .await?;
    assert_eq!(texts(found), strs(&["c"]));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// count / update_all / delete_all use the same semantics

async fn count_honours_where_semantics(ctx: Ctx) -> TestResult {
    seed_counts(&ctx).await?;
    let items = ctx.repo::<Item>();
    assert_eq!(
        items
            .count(Some(Where::from_json(&json!({"count": {"neq": 2}}))?))
            .await?,
        4
    );
    assert_eq!(
        items
            .count(Some(Where::from_json(&json!({"count": null}))?))
            .await?,
        1
    );
    assert_eq!(
        items
            .count(Some(Where::from_json(&json!({"count": {"inq": []}}))?))
            .await?,
        0
    );
    assert_eq!(
        items
            .count(Some(Where::from_json(&json!({"count": {"nin": []}}))?))
            .await?,
        5
    );
    assert_eq!(
        items.count(Some(Item::FIELDS.count.between(1, 3))).await?,
        3
    );
    assert_eq!(items.count(None).await?, 5);
    Ok(())
}

async fn update_all_honours_where_semantics(ctx: Ctx) -> TestResult {
    seed_counts(&ctx).await?;
    let items = ctx.repo::<Item>();
    let patch = portico_domain::Patch::new().set(Item::FIELDS.active, true);
    let matched = items
        .update_all(
            patch,
            Some(Where::from_json(&json!({"count": {"nin": [1, 2]}}))?),
        )
        .await?;
    assert_eq!(matched, 3);
    assert_eq!(
        names_where(&ctx, json!({"active": true})).await?,
        strs(&["c", "d", "e"])
    );
    let patch = portico_domain::Patch::new().set(Item::FIELDS.description, "none");
    assert_eq!(
        items
            .update_all(patch, Some(Item::FIELDS.count.is_null()))
            .await?,
        1
    );
    assert_eq!(
        names_where(&ctx, json!({"description": "none"})).await?,
        strs(&["d"])
    );
    Ok(())
}

async fn delete_all_with_nin_deletes_null_too(ctx: Ctx) -> TestResult {
    seed_counts(&ctx).await?;
    let items = ctx.repo::<Item>();
    let deleted = items
        .delete_all(Some(Where::from_json(&json!({"count": {"nin": [1, 3]}}))?))
        .await?;
    assert_eq!(deleted, 3);
    assert_eq!(names_where(&ctx, json!({})).await?, strs(&["a", "c"]));
    Ok(())
}

async fn where_semantics_identical_for_find_count_and_delete(ctx: Ctx) -> TestResult {
    seed_mixed(&ctx).await?;
    let clause = json!({"or": [{"active": {"neq": true}}, {"count": {"between": [5, 9]}}]});
    let found = names_where(&ctx, clause.clone()).await?;
    assert_eq!(found, strs(&["b", "d", "e"]));
    let items = ctx.repo::<Item>();
    assert_eq!(items.count(Some(Where::from_json(&clause)?)).await?, 3);
    assert_eq!(items.delete_all(Some(Where::from_json(&clause)?)).await?, 3);
    assert_eq!(names_where(&ctx, json!({})).await?, strs(&["a", "c"]));
    Ok(())
}
