//! Conformance cases: order, paging, fields, the query-string encodings with value coercion,
//! limits and error reporting.

use chrono::{DateTime, Utc};
use portico_domain::{Error, Filter, FilterErrors, Record, Value, Where};
use portico_ports::{EntityRepository, RecordRepository};
use serde_json::json;

use crate::fixtures::Item;
use crate::{Case, Ctx, TestResult, cases};

pub(crate) fn cases() -> Vec<Case> {
    cases![
        without_order_records_come_in_id_order,
        order_ascending_by_integer,
        order_descending_by_integer,
        order_direction_is_case_insensitive,
        order_ties_are_broken_by_id_ascending,
        order_nulls_first_ascending,
        order_nulls_last_descending,
        order_on_boolean,
        order_on_strings_by_code_point,
        order_on_floats_numerically,
        order_on_dates,
        order_on_renamed_column,
        order_json_string_with_several_keys,
        order_array_form_with_several_keys,
        order_typed_builder_matches_json,
        order_by_id_descending,
        order_by_json_or_array_property_is_invalid,
        order_by_unknown_or_hidden_property_is_invalid,
        order_same_property_twice_keeps_the_first_key,
        order_bad_direction_is_invalid,
        order_with_more_than_sixteen_keys_is_invalid,
        limit_returns_the_first_records,
        limit_larger_than_the_result_returns_all,
        limit_as_numeric_string_is_accepted,
        skip_with_limit,
        offset_is_an_alias_of_skip,
        skip_without_limit_returns_the_rest,
        skip_past_the_end_returns_nothing,
        skip_wins_over_offset_unless_it_is_zero,
        negative_skip_is_invalid,
        limit_zero_is_invalid,
        stable_paging_with_ties_ascending,
        stable_paging_with_ties_descending,
        fields_list_returns_only_those_properties,
        fields_object_true_returns_only_those,
        fields_object_false_excludes_those,
        fields_mixing_true_and_false_selects_the_trues,
        fields_empty_returns_every_property,
        fields_with_where_and_order_on_unselected_properties,
        fields_on_typed_repo_without_required_property_is_invalid,
        fields_on_typed_repo_with_required_property,
        fields_unknown_property_is_invalid,
        fields_hidden_property_is_invalid,
        query_bracket_comparison_is_coerced,
        query_bracket_booleans_are_coerced,
        query_bracket_repeated_inq,
        query_bracket_empty_brackets_append,
        query_bracket_dates,
        query_bracket_order_and_limit,
        query_bracket_or_list,
        query_json_form_gives_the_same_result,
        query_without_filter_is_none,
        query_malformed_json_is_a_syntax_error,
        fractional_string_for_integer_is_a_type_error,
        uncoercible_inq_item_is_reported_with_its_index,
        unknown_property_is_reported,
        unknown_operator_is_reported,
        unknown_top_level_key_is_reported,
        check_collects_every_error,
        parse_collects_every_error,
        include_of_unknown_relation_is_invalid,
        nesting_deeper_than_twelve_is_too_deep,
        nesting_of_twelve_levels_is_accepted,
        inq_with_1001_values_is_too_many,
        inq_with_1000_values_is_accepted,
        find_one_honours_order,
        find_one_honours_where_and_skip,
        count_with_coerced_where,
        where_query_parameter_for_count,
    ]
}

type R<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn dt(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("a valid RFC 3339 date-time")
        .with_timezone(&Utc)
}

fn strs(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

async fn seed(ctx: &Ctx, items: Vec<Item>) -> R<Vec<Item>> {
    Ok(ctx.repo::<Item>().create_all(items).await?)
}

/// Names of the items found, in the order returned.
async fn ordered(ctx: &Ctx, filter: Filter) -> R<Vec<String>> {
    Ok(ctx
        .repo::<Item>()
        .find(filter)
        .await?
        .into_iter()
        .map(|i| i.name)
        .collect())
}

/// Names of the items a JSON filter finds, in the order returned.
async fn ordered_json(ctx: &Ctx, filter: serde_json::Value) -> R<Vec<String>> {
    ordered(ctx, Filter::from_json(&filter)?).await
}

/// Names of the items found, sorted (for where-only filters).
async fn sorted(ctx: &Ctx, filter: Filter) -> R<Vec<String>> {
    let mut names = ordered(ctx, filter).await?;
    names.sort();
    Ok(names)
}

/// Names of the items a query string's `filter` parameter finds, sorted.
async fn sorted_query(ctx: &Ctx, query: &str) -> R<Vec<String>> {
    let filter = Filter::from_query(query, "filter")?.ok_or("the filter parameter is missing")?;
    sorted(ctx, filter).await
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = list
        .iter()
        .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
        .collect();
    out.sort();
    out
}

fn error_pairs(errors: FilterErrors) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = errors
        .0
        .into_iter()
        .map(|e| (e.path, e.code.to_owned()))
        .collect();
    out.sort();
    out
}

/// The sorted (path, code) pairs of an `InvalidFilter`; any other outcome is an error.
fn invalid<T: std::fmt::Debug>(result: portico_domain::Result<T>) -> R<Vec<(String, String)>> {
    match result {
        Err(Error::InvalidFilter(errors)) => Ok(error_pairs(errors)),
        other => Err(format!("expected Error::InvalidFilter, got {other:?}").into()),
    }
}

/// The InvalidFilter a JSON filter gives on `find`.
async fn invalid_find(ctx: &Ctx, filter: serde_json::Value) -> R<Vec<(String, String)>> {
    invalid(ctx.repo::<Item>().find(Filter::from_json(&filter)?).await)
}

/// The sorted (path, code) pairs of a JSON filter refused while parsing.
fn parse_errors(filter: serde_json::Value) -> R<Vec<(String, String)>> {
    match Filter::from_json(&filter) {
        Err(errors) => Ok(error_pairs(errors)),
        Ok(parsed) => Err(format!("expected a parse error, got {parsed:?}").into()),
    }
}

/// Percent-encodes everything but unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The properties of a record that hold a value, sorted.
fn present_keys(record: &Record) -> Vec<String> {
    record
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| k.clone())
        .collect()
}

/// a..f with ties, nulls and booleans (ids ascend from a to f).
async fn seed_order(ctx: &Ctx) -> R<Vec<Item>> {
    seed(
        ctx,
        vec![
            Item {
                count: Some(3),
                active: Some(true),
                price: Some(2.5),
                ..Item::named("a")
            },
            Item {
                count: Some(1),
                ..Item::named("b")
            },
            Item {
                active: Some(false),
                price: Some(10.0),
                ..Item::named("c")
            },
            Item {
                count: Some(3),
                active: Some(false),
                price: Some(2.0),
                ..Item::named("d")
            },
            Item {
                count: Some(2),
                active: Some(true),
                ..Item::named("e")
            },
            Item {
                active: Some(true),
                ..Item::named("f")
            },
        ],
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// order

async fn without_order_records_come_in_id_order(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![Item::named("z"), Item::named("a"), Item::named("m")],
    )
    .await?;
    assert_eq!(ordered(&ctx, Filter::new()).await?, strs(&["z", "a", "m"]));
    Ok(())
}

async fn order_ascending_by_integer(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    assert_eq!(
        ordered_json(&ctx, json!({"order": "count ASC"})).await?,
        strs(&["c", "f", "b", "e", "a", "d"])
    );
    assert_eq!(
        ordered_json(&ctx, json!({"order": "count"})).await?,
        strs(&["c", "f", "b", "e", "a", "d"])
    );
    Ok(())
}

async fn order_descending_by_integer(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    assert_eq!(
        ordered_json(&ctx, json!({"order": "count DESC"})).await?,
        strs(&["a", "d", "e", "b", "c", "f"])
    );
    Ok(())
}

async fn order_direction_is_case_insensitive(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    assert_eq!(
        ordered_json(&ctx, json!({"order": "count desc"})).await?,
        strs(&["a", "d", "e", "b", "c", "f"])
    );
    assert_eq!(
        ordered_json(&ctx, json!({"order": ["count Asc"]})).await?,
        strs(&["c", "f", "b", "e", "a", "d"])
    );
    Ok(())
}

async fn order_ties_are_broken_by_id_ascending(ctx: Ctx) -> TestResult {
    // Names descend while ids ascend, so a tie broken by name would show.
    seed(
        &ctx,
        vec![
            Item {
                count: Some(1),
                ..Item::named("z")
            },
            Item {
                count: Some(2),
                ..Item::named("y")
            },
            Item {
                count: Some(1),
                ..Item::named("x")
            },
            Item {
                count: Some(2),
                ..Item::named("w")
            },
            Item {
                count: Some(1),
                ..Item::named("v")
            },
        ],
    )
    .await?;
    assert_eq!(
        ordered_json(&ctx, json!({"order": "count ASC"})).await?,
        strs(&["z", "x", "v", "y", "w"])
    );
    assert_eq!(
        ordered_json(&ctx, json!({"order": "count DESC"})).await?,
        strs(&["y", "w", "z", "x", "v"])
    );
    Ok(())
}

async fn order_nulls_first_ascending(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item {
                count: Some(2),
                ..Item::named("a")
            },
            Item::named("b"),
            Item {
                count: Some(-7),
                ..Item::named("c")
            },
            Item::named("d"),
        ],
    )
    .await?;
    assert_eq!(
        ordered_json(&ctx, json!({"order": "count ASC"})).await?,
        strs(&["b", "d", "c", "a"])
    );
    Ok(())
}

async fn order_nulls_last_descending(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item {
                count: Some(2),
                ..Item::named("a")
            },
            Item::named("b"),
            Item {
                count: Some(-7),
                ..Item::named("c")
            },
            Item::named("d"),
        ],
    )
    .await?;
    assert_eq!(
        ordered_json(&ctx, json!({"order": "count DESC"})).await?,
        strs(&["a", "c", "b", "d"])
    );
    Ok(())
}

async fn order_on_boolean(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    // null, then false, then true.
    assert_eq!(
        ordered_json(&ctx, json!({"order": "active ASC"})).await?,
        strs(&["b", "c", "d", "a", "e", "f"])
    );
    assert_eq!(
        ordered_json(&ctx, json!({"order": "active DESC"})).await?,
        strs(&["a", "e", "f", "c", "d", "b"])
    );
    Ok(())
}

async fn order_on_strings_by_code_point(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item::named("a"),
            Item::named("B"),
            Item::named("é"),
            Item::named("Z"),
            Item::named("z"),
            Item::named("ab"),
        ],
    )
    .await?;
    assert_eq!(
        ordered_json(&ctx, json!({"order": "name"})).await?,
        strs(&["B", "Z", "a", "ab", "z", "é"])
    );
    assert_eq!(
        ordered_json(&ctx, json!({"order": "name DESC"})).await?,
        strs(&["é", "z", "ab", "a", "Z", "B"])
    );
    Ok(())
}

async fn order_on_floats_numerically(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    assert_eq!(
        ordered_json(&ctx, json!({"order": "price"})).await?,
        strs(&["b", "e", "f", "d", "a", "c"])
    );
    assert_eq!(
        ordered_json(&ctx, json!({"order": "price DESC"})).await?,
        strs(&["c", "a", "d", "b", "e", "f"])
    );
    Ok(())
}

async fn order_on_dates(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item {
                due: Some(dt("2024-05-01T10:00:00.001Z")),
                ..Item::named("a")
            },
            Item {
                due: Some(dt("2023-12-31T23:59:59.999Z")),
                ..Item::named("b")
            },
            Item::named("c"),
            Item {
                due: Some(dt("2024-05-01T10:00:00.000Z")),
                ..Item::named("d")
            },
        ],
    )
    .await?;
    assert_eq!(
        ordered_json(&ctx, json!({"order": "due"})).await?,
        strs(&["c", "b", "d", "a"])
    );
    assert_eq!(
        ordered_json(&ctx, json!({"order": "due DESC"})).await?,
        strs(&["a", "d", "b", "c"])
    );
    Ok(())
}

async fn order_on_renamed_column(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![
            Item {
                stock: Some(5),
                ..Item::named("a")
            },
            Item {
                stock: Some(10),
                ..Item::named("b")
            },
            Item {
                stock: Some(1),
                ..Item::named("c")
            },
        ],
    )
    .await?;
    assert_eq!(
        ordered_json(&ctx, json!({"order": "stock DESC"})).await?,
        strs(&["b", "a", "c"])
    );
    assert_eq!(
        ordered(&ctx, Filter::new().order(Item::FIELDS.stock.asc())).await?,
        strs(&["c", "a", "b"])
    );
    Ok(())
}

async fn order_json_string_with_several_keys(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    assert_eq!(
        ordered_json(&ctx, json!({"order": "active DESC, count ASC"})).await?,
        strs(&["f", "e", "a", "c", "d", "b"])
    );
    Ok(())
}

async fn order_array_form_with_several_keys(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    assert_eq!(
        ordered_json(&ctx, json!({"order": ["count DESC", "active ASC"]})).await?,
        strs(&["d", "a", "e", "b", "c", "f"])
    );
    assert_eq!(
        ordered_json(&ctx, json!({"order": ["active DESC", "count"]})).await?,
        strs(&["f", "e", "a", "c", "d", "b"])
    );
    Ok(())
}

async fn order_typed_builder_matches_json(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    let f = Item::FIELDS;
    let typed = Filter::new().order(f.active.desc()).order(f.count.asc());
    assert_eq!(
        ordered(&ctx, typed).await?,
        ordered_json(&ctx, json!({"order": "active DESC, count ASC"})).await?
    );
    Ok(())
}

async fn order_by_id_descending(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    assert_eq!(
        ordered_json(&ctx, json!({"order": "id DESC"})).await?,
        strs(&["f", "e", "d", "c", "b", "a"])
    );
    assert_eq!(
        ordered_json(&ctx, json!({"order": ["count DESC", "id DESC"]})).await?,
        strs(&["d", "a", "e", "b", "f", "c"])
    );
    Ok(())
}

async fn order_by_json_or_array_property_is_invalid(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    assert_eq!(
        invalid_find(&ctx, json!({"order": "meta"})).await?,
        pairs(&[("/order/0", "type")])
    );
    assert_eq!(
        invalid_find(&ctx, json!({"order": ["name", "tags DESC"]})).await?,
        pairs(&[("/order/1", "type")])
    );
    Ok(())
}

async fn order_by_unknown_or_hidden_property_is_invalid(ctx: Ctx) -> TestResult {
    assert_eq!(
        invalid_find(&ctx, json!({"order": "nope"})).await?,
        pairs(&[("/order/0", "unknownProperty")])
    );
    assert_eq!(
        invalid_find(&ctx, json!({"order": ["secret DESC"]})).await?,
        pairs(&[("/order/0", "hiddenProperty")])
    );
    assert_eq!(
        invalid_find(&ctx, json!({"order": "stock_level"})).await?,
        pairs(&[("/order/0", "unknownProperty")])
    );
    Ok(())
}

/// As in SQL (and so LoopBack on SQL), a later key on a property already ordered by decides
/// nothing: it is accepted and dropped.
async fn order_same_property_twice_keeps_the_first_key(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    assert_eq!(
        ordered_json(&ctx, json!({"order": ["count DESC", "count"]})).await?,
        strs(&["a", "d", "e", "b", "c", "f"])
    );
    Ok(())
}

async fn order_bad_direction_is_invalid(_ctx: Ctx) -> TestResult {
    assert_eq!(
        parse_errors(json!({"order": "count SIDEWAYS"}))?,
        pairs(&[("/order", "invalid")])
    );
    assert_eq!(
        parse_errors(json!({"order": ["name", "count UP"]}))?,
        pairs(&[("/order/1", "invalid")])
    );
    assert_eq!(
        parse_errors(json!({"order": 3}))?,
        pairs(&[("/order", "type")])
    );
    Ok(())
}

async fn order_with_more_than_sixteen_keys_is_invalid(ctx: Ctx) -> TestResult {
    let keys: Vec<String> = (0..17).map(|i| format!("name{i}")).collect();
    assert_eq!(
        invalid_find(&ctx, json!({"order": keys})).await?,
        pairs(&[("/order", "tooMany")])
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// limit / skip / offset

async fn limit_returns_the_first_records(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    assert_eq!(
        ordered_json(&ctx, json!({"limit": 2})).await?,
        strs(&["a", "b"])
    );
    assert_eq!(
        ordered_json(&ctx, json!({"order": "count DESC", "limit": 3})).await?,
        strs(&["a", "d", "e"])
    );
    assert_eq!(ordered(&ctx, Filter::new().limit(1)).await?, strs(&["a"]));
    Ok(())
}

async fn limit_larger_than_the_result_returns_all(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    assert_eq!(ordered_json(&ctx, json!({"limit": 100})).await?.len(), 6);
    assert_eq!(
        ordered_json(&ctx, json!({"where": {"count": 3}, "limit": 5})).await?,
        strs(&["a", "d"])
    );
    Ok(())
}

async fn limit_as_numeric_string_is_accepted(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    assert_eq!(
        ordered_json(&ctx, json!({"limit": "3", "skip": "1"})).await?,
        strs(&["b", "c", "d"])
    );
    Ok(())
}

async fn skip_with_limit(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    assert_eq!(
        ordered_json(&ctx, json!({"skip": 2, "limit": 2})).await?,
        strs(&["c", "d"])
    );
    assert_eq!(
        ordered(
            &ctx,
            Filter::new()
                .order(Item::FIELDS.count.desc())
                .skip(1)
                .limit(2)
        )
        .await?,
        strs(&["d", "e"])
    );
    Ok(())
}

async fn offset_is_an_alias_of_skip(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    assert_eq!(
        ordered_json(&ctx, json!({"offset": 2, "limit": 2})).await?,
        strs(&["c", "d"])
    );
    assert_eq!(
        ordered_json(&ctx, json!({"offset": 4, "order": "name DESC"})).await?,
        ordered_json(&ctx, json!({"skip": 4, "order": "name DESC"})).await?
    );
    Ok(())
}

async fn skip_without_limit_returns_the_rest(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    assert_eq!(
        ordered_json(&ctx, json!({"skip": 1})).await?,
        strs(&["b", "c", "d", "e", "f"])
    );
    assert_eq!(
        ordered_json(&ctx, json!({"skip": 3, "order": "count DESC"})).await?,
        strs(&["b", "c", "f"])
    );
    // More than LoopBack's implicit 100: every remaining record comes back.
    let many: Vec<Item> = (0..120).map(|i| Item::named(&format!("n{i:03}"))).collect();
    seed(&ctx, many).await?;
    assert_eq!(ordered_json(&ctx, json!({"skip": 6})).await?.len(), 120);
    Ok(())
}

async fn skip_past_the_end_returns_nothing(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    assert_eq!(
        ordered_json(&ctx, json!({"skip": 6})).await?,
        Vec::<String>::new()
    );
    assert_eq!(
        ordered_json(&ctx, json!({"skip": 60, "limit": 2})).await?,
        Vec::<String>::new()
    );
    Ok(())
}

/// LoopBack's juggler reads `skip || offset`: `skip` decides unless it is 0.
async fn skip_wins_over_offset_unless_it_is_zero(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    let page = json!({"skip": 1, "offset": 3, "limit": 2});
    assert_eq!(ordered_json(&ctx, page).await?, strs(&["b", "c"]));
    let page = json!({"skip": 0, "offset": 3, "limit": 2});
    assert_eq!(ordered_json(&ctx, page).await?, strs(&["d", "e"]));
    Ok(())
}

async fn negative_skip_is_invalid(_ctx: Ctx) -> TestResult {
    assert_eq!(
        parse_errors(json!({"skip": -1}))?,
        pairs(&[("/skip", "type")])
    );
    assert_eq!(
        parse_errors(json!({"limit": 2.5}))?,
        pairs(&[("/limit", "type")])
    );
    Ok(())
}

async fn limit_zero_is_invalid(ctx: Ctx) -> TestResult {
    assert_eq!(
        parse_errors(json!({"limit": 0}))?,
        pairs(&[("/limit", "type")])
    );
    assert_eq!(
        invalid(ctx.repo::<Item>().find(Filter::new().limit(0)).await)?,
        pairs(&[("/limit", "type")])
    );
    Ok(())
}

/// Seven records whose counts tie: c(1) comes in id order a..g as 3,1,2,1,3,2,1.
async fn seed_paging(ctx: &Ctx) -> R<Vec<Item>> {
    let counts = [3, 1, 2, 1, 3, 2, 1];
    let items = ["a", "b", "c", "d", "e", "f", "g"]
        .iter()
        .zip(counts)
        .map(|(name, count)| Item {
            count: Some(count),
            ..Item::named(name)
        })
        .collect();
    seed(ctx, items).await
}

async fn pages(ctx: &Ctx, order: &str) -> R<Vec<String>> {
    let mut all = Vec::new();
    for page in 0..4 {
        let names =
            ordered_json(ctx, json!({"order": order, "limit": 2, "skip": page * 2})).await?;
        assert!(names.len() <= 2);
        all.extend(names);
    }
    Ok(all)
}

async fn stable_paging_with_ties_ascending(ctx: Ctx) -> TestResult {
    seed_paging(&ctx).await?;
    let all = pages(&ctx, "count ASC").await?;
    assert_eq!(all, strs(&["b", "d", "g", "c", "f", "a", "e"]));
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 7);
    Ok(())
}

async fn stable_paging_with_ties_descending(ctx: Ctx) -> TestResult {
    seed_paging(&ctx).await?;
    assert_eq!(
        pages(&ctx, "count DESC").await?,
        strs(&["a", "e", "c", "f", "b", "d", "g"])
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// fields

async fn seed_one_for_fields(ctx: &Ctx) -> R<Vec<Item>> {
    seed(
        ctx,
        vec![Item {
            count: Some(2),
            description: Some("d".into()),
            ..Item::named("a")
        }],
    )
    .await
}

async fn projected(ctx: &Ctx, filter: serde_json::Value) -> R<Vec<Vec<String>>> {
    let records = ctx
        .records::<Item>()
        .find(Filter::from_json(&filter)?)
        .await?;
    Ok(records.iter().map(present_keys).collect())
}

async fn fields_list_returns_only_those_properties(ctx: Ctx) -> TestResult {
    seed_one_for_fields(&ctx).await?;
    assert_eq!(
        projected(&ctx, json!({"fields": ["name", "count"]})).await?,
        vec![strs(&["count", "name"])]
    );
    assert_eq!(
        projected(&ctx, json!({"fields": ["id"]})).await?,
        vec![strs(&["id"])]
    );
    Ok(())
}

async fn fields_object_true_returns_only_those(ctx: Ctx) -> TestResult {
    seed_one_for_fields(&ctx).await?;
    assert_eq!(
        projected(&ctx, json!({"fields": {"name": true}})).await?,
        vec![strs(&["name"])]
    );
    assert_eq!(
        projected(&ctx, json!({"fields": {"description": true, "id": true}})).await?,
        vec![strs(&["description", "id"])]
    );
    Ok(())
}

async fn fields_object_false_excludes_those(ctx: Ctx) -> TestResult {
    seed_one_for_fields(&ctx).await?;
    let got = projected(
        &ctx,
        json!({"fields": {"description": false, "createdAt": false}}),
    )
    .await?;
    assert_eq!(got, vec![strs(&["count", "id", "name", "priority"])]);
    Ok(())
}

async fn fields_mixing_true_and_false_selects_the_trues(ctx: Ctx) -> TestResult {
    seed_one_for_fields(&ctx).await?;
    assert_eq!(
        projected(&ctx, json!({"fields": {"name": true, "count": false}})).await?,
        vec![strs(&["name"])]
    );
    Ok(())
}

async fn fields_empty_returns_every_property(ctx: Ctx) -> TestResult {
    seed_one_for_fields(&ctx).await?;
    let every = vec![strs(&[
        "count",
        "createdAt",
        "description",
        "id",
        "name",
        "priority",
    ])];
    assert_eq!(projected(&ctx, json!({"fields": []})).await?, every);
    assert_eq!(projected(&ctx, json!({"fields": {}})).await?, every);
    assert_eq!(projected(&ctx, json!({})).await?, every);
    Ok(())
}

async fn fields_with_where_and_order_on_unselected_properties(ctx: Ctx) -> TestResult {
    seed_order(&ctx).await?;
    let records = ctx
        .records::<Item>()
        .find(Filter::from_json(
            &json!({"fields": ["name"], "where": {"count": {"gt": 1}}, "order": "count DESC"}),
        )?)
        .await?;
    let names: Vec<String> = records
        .iter()
        .map(|r| match r.get("name") {
            Some(Value::String(name)) => name.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(names, strs(&["a", "d", "e"]));
    assert!(records.iter().all(|r| present_keys(r) == strs(&["name"])));
    Ok(())
}

async fn fields_on_typed_repo_without_required_property_is_invalid(ctx: Ctx) -> TestResult {
    seed_one_for_fields(&ctx).await?;
    let errors = invalid(
        ctx.repo::<Item>()
            .find(Filter::new().fields(["count"]))
            .await,
    )?;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "/fields");
    let errors = invalid(
        ctx.repo::<Item>()
            .find(Filter::from_json(&json!({"fields": {"name": false}}))?)
            .await,
    )?;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "/fields");
    Ok(())
}

async fn fields_on_typed_repo_with_required_property(ctx: Ctx) -> TestResult {
    seed_one_for_fields(&ctx).await?;
    let found = ctx
        .repo::<Item>()
        .find(Filter::new().fields(["name", "count"]))
        .await?;
    assert_eq!(found.len(), 1);
    let item = &found[0];
    assert_eq!((item.name.as_str(), item.count), ("a", Some(2)));
    assert_eq!(
        (item.id, item.description.as_deref(), item.priority),
        (None, None, None)
    );
    Ok(())
}

async fn fields_unknown_property_is_invalid(ctx: Ctx) -> TestResult {
    assert_eq!(
        invalid_find(&ctx, json!({"fields": ["name", "ghost"]})).await?,
        pairs(&[("/fields/1", "unknownProperty")])
    );
    Ok(())
}

async fn fields_hidden_property_is_invalid(ctx: Ctx) -> TestResult {
    assert_eq!(
        invalid_find(&ctx, json!({"fields": ["name", "secret"]})).await?,
        pairs(&[("/fields/1", "hiddenProperty")])
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Query strings and coercion

/// a..e: counts 1..4 and none, booleans, due dates around 2024-05-01.
async fn seed_qs(ctx: &Ctx) -> R<Vec<Item>> {
    seed(
        ctx,
        vec![
            Item {
                count: Some(1),
                active: Some(true),
                due: Some(dt("2024-04-30T12:00:00Z")),
                ..Item::named("a")
            },
            Item {
                count: Some(2),
                active: Some(false),
                due: Some(dt("2024-05-01T08:00:00Z")),
                ..Item::named("b")
            },
            Item {
                count: Some(3),
                active: Some(true),
                due: Some(dt("2024-05-01T20:00:00Z")),
                ..Item::named("c")
            },
            Item {
                count: Some(4),
                due: Some(dt("2024-05-02T00:00:00Z")),
                ..Item::named("d")
            },
            Item::named("e"),
        ],
    )
    .await
}

async fn query_bracket_comparison_is_coerced(ctx: Ctx) -> TestResult {
    seed_qs(&ctx).await?;
    assert_eq!(
        sorted_query(&ctx, "filter[where][count][gt]=2").await?,
        strs(&["c", "d"])
    );
    assert_eq!(
        sorted_query(&ctx, "filter[where][count]=2").await?,
        strs(&["b"])
    );
    assert_eq!(
        sorted_query(
            &ctx,
            "filter[where][count][between][0]=2&filter[where][count][between][1]=3"
        )
        .await?,
        strs(&["b", "c"])
    );
    Ok(())
}

async fn query_bracket_booleans_are_coerced(ctx: Ctx) -> TestResult {
    seed_qs(&ctx).await?;
    assert_eq!(
        sorted_query(&ctx, "filter[where][active]=true").await?,
        strs(&["a", "c"])
    );
    assert_eq!(
        sorted_query(&ctx, "filter[where][active]=false").await?,
        strs(&["b"])
    );
    assert_eq!(
        sorted_query(&ctx, "filter[where][active]=1").await?,
        strs(&["a", "c"])
    );
    assert_eq!(
        sorted_query(&ctx, "filter[where][active]=0").await?,
        strs(&["b"])
    );
    assert_eq!(
        sorted_query(&ctx, "filter[where][active][neq]=true").await?,
        strs(&["b", "d", "e"])
    );
    Ok(())
}

async fn query_bracket_repeated_inq(ctx: Ctx) -> TestResult {
    let items = seed_qs(&ctx).await?;
    let (a, c) = (items[0].id.ok_or("no id")?, items[2].id.ok_or("no id")?);
    let query = format!("filter[where][id][inq]={a}&filter[where][id][inq]={c}");
    assert_eq!(sorted_query(&ctx, &query).await?, strs(&["a", "c"]));
    let single = format!("filter[where][id][inq]={a}");
    assert_eq!(sorted_query(&ctx, &single).await?, strs(&["a"]));
    Ok(())
}

async fn query_bracket_empty_brackets_append(ctx: Ctx) -> TestResult {
    seed_qs(&ctx).await?;
    assert_eq!(
        sorted_query(
            &ctx,
            "filter[where][count][nin][]=1&filter[where][count][nin][]=4"
        )
        .await?,
        strs(&["b", "c", "e"])
    );
    Ok(())
}

async fn query_bracket_dates(ctx: Ctx) -> TestResult {
    seed_qs(&ctx).await?;
    assert_eq!(
        sorted_query(
            &ctx,
            "filter[where][due][gte]=2024-05-01&filter[where][due][lt]=2024-05-02"
        )
        .await?,
        strs(&["b", "c"])
    );
    assert_eq!(
        sorted_query(&ctx, "filter[where][due][gt]=2024-05-01T08:00:00.000Z").await?,
        strs(&["c", "d"])
    );
    assert_eq!(
        sorted_query(&ctx, "filter[where][due]=2024-05-01T10:00:00%2B02:00").await?,
        strs(&["b"])
    );
    Ok(())
}

async fn query_bracket_order_and_limit(ctx: Ctx) -> TestResult {
    seed_qs(&ctx).await?;
    let filter = Filter::from_query("filter[order][0]=count%20DESC&filter[limit]=2", "filter")?
        .ok_or("missing")?;
    assert_eq!(ordered(&ctx, filter).await?, strs(&["d", "c"]));
    let filter = Filter::from_query(
        "filter[order]=count%20ASC&filter[skip]=1&filter[limit]=2",
        "filter",
    )?
    .ok_or("missing")?;
    assert_eq!(ordered(&ctx, filter).await?, strs(&["a", "b"]));
    Ok(())
}

async fn query_bracket_or_list(ctx: Ctx) -> TestResult {
    seed_qs(&ctx).await?;
    assert_eq!(
        sorted_query(
            &ctx,
            "filter[where][or][0][name]=a&filter[where][or][1][count][gte]=4"
        )
        .await?,
        strs(&["a", "d"])
    );
    Ok(())
}

async fn query_json_form_gives_the_same_result(ctx: Ctx) -> TestResult {
    seed_qs(&ctx).await?;
    let bracket = "filter[where][count][gt]=1&filter[where][active]=true&filter[order][0]=count%20DESC&filter[limit]=2";
    let json_text =
        r#"{"where":{"count":{"gt":"1"},"active":"true"},"order":["count DESC"],"limit":2}"#;
    let json_query = format!("filter={}", encode(json_text));
    let from_bracket = ordered(
        &ctx,
        Filter::from_query(bracket, "filter")?.ok_or("missing")?,
    )
    .await?;
    let from_json = ordered(
        &ctx,
        Filter::from_query(&json_query, "filter")?.ok_or("missing")?,
    )
    .await?;
    assert_eq!(from_bracket, strs(&["c"]));
    assert_eq!(from_json, from_bracket);
    let typed = json_text
        .replace(r#""1""#, "1")
        .replace(r#""true""#, "true");
    let from_typed_json = ordered(
        &ctx,
        Filter::from_query(&format!("filter={}", encode(&typed)), "filter")?.ok_or("missing")?,
    )
    .await?;
    assert_eq!(from_typed_json, from_bracket);
    Ok(())
}

async fn query_without_filter_is_none(_ctx: Ctx) -> TestResult {
    assert_eq!(Filter::from_query("other=1", "filter")?, None);
    assert_eq!(Filter::from_query("filter=", "filter")?, None);
    assert_eq!(Filter::from_query("", "filter")?, None);
    Ok(())
}

async fn query_malformed_json_is_a_syntax_error(_ctx: Ctx) -> TestResult {
    let errors = Filter::from_query("filter=%7Boops", "filter").expect_err("not JSON");
    assert_eq!(error_pairs(errors), pairs(&[("/filter", "syntax")]));
    Ok(())
}

async fn fractional_string_for_integer_is_a_type_error(ctx: Ctx) -> TestResult {
    seed_qs(&ctx).await?;
    let filter = Filter::from_query("filter[where][count][gt]=3.5", "filter")?.ok_or("missing")?;
    assert_eq!(
        invalid(ctx.repo::<Item>().find(filter).await)?,
        pairs(&[("/where/count/gt", "type")])
    );
    let filter = Filter::from_json(&json!({"where": {"count": {"lte": "3.5"}}}))?;
    assert_eq!(
        invalid(ctx.repo::<Item>().find(filter).await)?,
        pairs(&[("/where/count/lte", "type")])
    );
    // Shorthand equality: the pointer names what the user wrote, the value at /where/count.
    let filter = Filter::from_query("filter[where][count]=3.5", "filter")?.ok_or("missing")?;
    assert_eq!(
        invalid(ctx.repo::<Item>().find(filter).await)?,
        pairs(&[("/where/count", "type")])
    );
    Ok(())
}

async fn uncoercible_inq_item_is_reported_with_its_index(ctx: Ctx) -> TestResult {
    seed_qs(&ctx).await?;
    let filter = Filter::from_query(
        "filter[where][id][inq]=1&filter[where][id][inq]=x",
        "filter",
    )?
    .ok_or("missing")?;
    assert_eq!(
        invalid(ctx.repo::<Item>().find(filter).await)?,
        pairs(&[("/where/id/inq/1", "type")])
    );
    let filter = Filter::from_query(
        "filter[where][active][eq]=yes&filter[where][due][gt]=soon",
        "filter",
    )?
    .ok_or("missing")?;
    assert_eq!(
        invalid(ctx.repo::<Item>().find(filter).await)?,
        pairs(&[("/where/active/eq", "type"), ("/where/due/gt", "type")])
    );
    Ok(())
}

async fn unknown_property_is_reported(ctx: Ctx) -> TestResult {
    assert_eq!(
        invalid_find(&ctx, json!({"where": {"nope": 1}})).await?,
        pairs(&[("/where/nope", "unknownProperty")])
    );
    let filter =
        Filter::from_query("filter[where][titel][like]=a%25", "filter")?.ok_or("missing")?;
    assert_eq!(
        invalid(ctx.repo::<Item>().find(filter).await)?,
        pairs(&[("/where/titel", "unknownProperty")])
    );
    Ok(())
}

async fn unknown_operator_is_reported(ctx: Ctx) -> TestResult {
    assert_eq!(
        parse_errors(json!({"where": {"count": {"gt": 1, "foo": 2}}}))?,
        pairs(&[("/where/count/foo", "unknownOperator")])
    );
    let errors = Filter::from_query(
        "filter[where][count][gt]=1&filter[where][count][greater]=1",
        "filter",
    )
    .expect_err("unknown operator");
    assert_eq!(
        error_pairs(errors),
        pairs(&[("/filter/where/count/greater", "unknownOperator")])
    );
    // A lone unknown key cannot be told from an object value, but an integer is never an
    // object: the filter is refused either way.
    let filter = Filter::from_json(&json!({"where": {"count": {"greater": 1}}}));
    if let Ok(filter) = filter {
        let errors = invalid(ctx.repo::<Item>().find(filter).await)?;
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].0.starts_with("/where/count"), "{errors:?}");
    }
    Ok(())
}

async fn unknown_top_level_key_is_reported(_ctx: Ctx) -> TestResult {
    assert_eq!(
        parse_errors(json!({"wher": {"count": 1}}))?,
        pairs(&[("/wher", "unknownKey")])
    );
    Ok(())
}

async fn check_collects_every_error(ctx: Ctx) -> TestResult {
    let filter = json!({
        "where": {"nope": 1, "count": {"gt": "x"}, "secret": "s", "meta": {"gt": 1}, "name": {"inq": ["a", null]}},
        "fields": ["ghost"],
        "order": ["tags", "name", "name DESC"],
        "include": ["owner"]
    });
    assert_eq!(
        invalid_find(&ctx, filter).await?,
        pairs(&[
            ("/where/count/gt", "type"),
            ("/where/meta/gt", "type"),
            ("/where/name/inq/1", "type"),
            ("/where/nope", "unknownProperty"),
            ("/where/secret", "hiddenProperty"),
            ("/fields/0", "unknownProperty"),
            ("/order/0", "type"),
            ("/include/0", "unknownRelation"),
        ])
    );
    Ok(())
}

async fn parse_collects_every_error(_ctx: Ctx) -> TestResult {
    let errors = parse_errors(json!({
        "where": {"count": {"gt": 1, "foo": 1}, "and": [], "name": {"between": [1]}},
        "limit": 0, "skip": -1, "order": "name SIDEWAYS", "bogus": 1
    }))?;
    assert_eq!(
        errors,
        pairs(&[
            ("/bogus", "unknownKey"),
            ("/limit", "type"),
            ("/order", "invalid"),
            ("/skip", "type"),
            ("/where/and", "type"),
            ("/where/count/foo", "unknownOperator"),
            ("/where/name/between", "type"),
        ])
    );
    Ok(())
}

async fn include_of_unknown_relation_is_invalid(ctx: Ctx) -> TestResult {
    assert_eq!(
        invalid_find(&ctx, json!({"include": ["nope"]})).await?,
        pairs(&[("/include/0", "unknownRelation")])
    );
    let scoped = json!({"include": ["name", {"relation": "orders", "scope": {"limit": 1}}]});
    assert_eq!(
        invalid_find(&ctx, scoped).await?,
        pairs(&[
            ("/include/0", "unknownRelation"),
            ("/include/1", "unknownRelation")
        ])
    );
    Ok(())
}

fn nested_or(levels: usize) -> serde_json::Value {
    let mut clause = json!({"name": "a"});
    for _ in 0..levels {
        clause = json!({"or": [clause, {"name": "b"}]});
    }
    clause
}

/// `levels` nested `or` lists, each in an object that also holds a condition (the AST adds an
/// `and` per such object; depth counts the lists, as the JSON reads).
fn nested_or_beside_a_condition(levels: usize) -> serde_json::Value {
    let mut clause = json!({"name": "a"});
    for _ in 0..levels {
        clause = json!({"name": {"neq": "z"}, "or": [clause, {"name": "b"}]});
    }
    clause
}

async fn nesting_deeper_than_twelve_is_too_deep(ctx: Ctx) -> TestResult {
    let errors = invalid_find(&ctx, json!({"where": nested_or_beside_a_condition(13)})).await?;
    assert_eq!(errors, pairs(&[("/where", "tooDeep")]));
    let errors = invalid_find(&ctx, json!({"where": nested_or(13)})).await?;
    assert!(!errors.is_empty());
    assert!(
        errors.iter().all(|(_, code)| code == "tooDeep"),
        "{errors:?}"
    );
    let errors = invalid(
        ctx.repo::<Item>()
            .count(Some(Where::from_json(&nested_or(20))?))
            .await,
    )?;
    assert!(
        errors.iter().all(|(_, code)| code == "tooDeep"),
        "{errors:?}"
    );
    Ok(())
}

async fn nesting_of_twelve_levels_is_accepted(ctx: Ctx) -> TestResult {
    seed(
        &ctx,
        vec![Item::named("a"), Item::named("b"), Item::named("c")],
    )
    .await?;
    let names = sorted(&ctx, Filter::from_json(&json!({"where": nested_or(12)}))?).await?;
    assert_eq!(names, strs(&["a", "b"]));
    let beside = json!({"where": nested_or_beside_a_condition(12)});
    let names = sorted(&ctx, Filter::from_json(&beside)?).await?;
    assert_eq!(names, strs(&["a", "b"]));
    Ok(())
}

async fn inq_with_1001_values_is_too_many(ctx: Ctx) -> TestResult {
    let values: Vec<i64> = (0..1001).collect();
    assert_eq!(
        invalid_find(&ctx, json!({"where": {"id": {"inq": values}}})).await?,
        pairs(&[("/where/id/inq", "tooMany")])
    );
    let values: Vec<i64> = (0..1001).collect();
    assert_eq!(
        invalid_find(&ctx, json!({"where": {"count": {"nin": values}}})).await?,
        pairs(&[("/where/count/nin", "tooMany")])
    );
    Ok(())
}

async fn inq_with_1000_values_is_accepted(ctx: Ctx) -> TestResult {
    seed(&ctx, vec![counted_item("a", 7), counted_item("b", 2000)]).await?;
    let values: Vec<i64> = (0..1000).collect();
    assert_eq!(
        sorted(
            &ctx,
            Filter::from_json(&json!({"where": {"count": {"inq": values}}}))?
        )
        .await?,
        strs(&["a"])
    );
    let values: Vec<i64> = (0..1000).collect();
    assert_eq!(
        sorted(
            &ctx,
            Filter::from_json(&json!({"where": {"count": {"nin": values}}}))?
        )
        .await?,
        strs(&["b"])
    );
    Ok(())
}

fn counted_item(name: &str, count: i64) -> Item {
    Item {
        count: Some(count),
        ..Item::named(name)
    }
}

// ---------------------------------------------------------------------------------------------
// find_one and count

async fn find_one_honours_order(ctx: Ctx) -> TestResult {
    seed_qs(&ctx).await?;
    let items = ctx.repo::<Item>();
    let top = items
        .find_one(Filter::from_json(&json!({"order": "count DESC"}))?)
        .await?
        .ok_or("none found")?;
    assert_eq!(top.name, "d");
    let first = items
        .find_one(Filter::new().order(Item::FIELDS.count.asc()))
        .await?
        .ok_or("none found")?;
    assert_eq!(first.name, "e");
    let by_name = items
        .find_one(Filter::new().order(Item::FIELDS.name.desc()))
        .await?
        .ok_or("none found")?;
    assert_eq!(by_name.name, "e");
    Ok(())
}

async fn find_one_honours_where_and_skip(ctx: Ctx) -> TestResult {
    seed_qs(&ctx).await?;
    let items = ctx.repo::<Item>();
    let found = items
        .find_one(Filter::from_json(
            &json!({"where": {"active": true}, "order": "count DESC"}),
        )?)
        .await?;
    assert_eq!(found.map(|i| i.name), Some("c".to_owned()));
    let found = items
        .find_one(Filter::from_json(
            &json!({"order": "count ASC", "skip": 2}),
        )?)
        .await?;
    assert_eq!(found.map(|i| i.name), Some("b".to_owned()));
    let none = items
        .find_one(Filter::from_json(
            &json!({"where": {"count": {"gt": 100}}}),
        )?)
        .await?;
    assert_eq!(none, None);
    Ok(())
}

async fn count_with_coerced_where(ctx: Ctx) -> TestResult {
    seed_qs(&ctx).await?;
    let items = ctx.repo::<Item>();
    assert_eq!(
        items
            .count(Some(Where::from_json(&json!({"count": {"gte": "2"}}))?))
            .await?,
        3
    );
    assert_eq!(
        items
            .count(Some(Where::from_json(&json!({"active": "true"}))?))
            .await?,
        2
    );
    assert_eq!(
        items
            .count(Some(Where::from_json(
                &json!({"due": {"lt": "2024-05-01"}})
            )?))
            .await?,
        1
    );
    let errors = invalid(
        items
            .count(Some(Where::from_json(&json!({"count": {"eq": "two"}}))?))
            .await,
    )?;
    assert_eq!(errors, pairs(&[("/count/eq", "type")]));
    Ok(())
}

async fn where_query_parameter_for_count(ctx: Ctx) -> TestResult {
    seed_qs(&ctx).await?;
    let items = ctx.repo::<Item>();
    let bracket = Where::from_query("where[count][lt]=3&where[active]=true", "where")?;
    assert_eq!(items.count(bracket).await?, 1);
    let json_form = Where::from_query(
        &format!("where={}", encode(r#"{"count":{"lt":"3"}}"#)),
        "where",
    )?;
    assert_eq!(items.count(json_form).await?, 2);
    assert_eq!(
        items.count(Where::from_query("other=1", "where")?).await?,
        5
    );
    Ok(())
}
