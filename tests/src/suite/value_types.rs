//! Conformance cases: the value types beyond the scalars — calendar dates, decimals, enums,
//! embedded objects, bytes and a user-defined type — and the rule that no write path stores a
//! value the entity cannot read back.

use portico_domain::{Decimal, Entity, Error, Filter, NaiveDate, Patch, Record, Value, Where};
use portico_ports::{EntityRepository, RecordRepository};
use serde_json::json;

use super::values::{filter_problem, has_problem, record};
use crate::fixtures::{Binding, Book, Edition, Isbn, Publisher, Shelf};
use crate::{Case, Ctx, TestResult, cases};

pub(crate) fn cases() -> Vec<Case> {
    cases![
        date_round_trips_through_create_and_find,
        date_extremes_round_trip,
        date_as_a_string_through_records_is_validation_type,
        date_filters_gt_lt_and_between,
        date_orders_ascending_and_descending,
        date_inq_matches_the_listed_days,
        date_in_json_filter_is_read_from_its_string,
        date_impossible_in_a_filter_is_invalid_filter,
        date_patch_sets_and_clears,
        date_update_all_sets_every_match,
        decimal_round_trips_exactly,
        decimal_is_stored_with_its_scale,
        decimal_at_its_precision_round_trips,
        decimal_negative_round_trips,
        decimal_with_too_many_fraction_digits_is_validation,
        decimal_with_too_many_integer_digits_is_validation,
        decimal_filters_compare_exactly,
        decimal_eq_matches_another_scale,
        decimal_orders_numerically,
        decimal_inq_matches,
        decimal_update_by_id_is_stored_with_its_scale,
        decimal_json_filter_takes_a_string_or_a_number,
        enum_round_trips,
        enum_renamed_variant_is_stored_by_its_name,
        enum_unknown_value_is_validation_enum,
        enum_eq_filter_matches,
        enum_inq_and_nin_filters_match,
        enum_unknown_value_in_a_filter_is_invalid_filter,
        enum_is_not_ordered_in_filters,
        enum_list_round_trips,
        enum_unknown_value_in_a_list_is_validation_with_its_index,
        enum_unknown_stored_value_is_an_error_naming_the_property,
        embedded_object_round_trips,
        embedded_object_without_optional_members_round_trips,
        embedded_object_missing_a_required_member_is_validation,
        embedded_member_constraint_is_validation_with_its_path,
        embedded_member_of_the_wrong_type_is_validation,
        embedded_unknown_member_is_validation,
        embedded_list_round_trips_in_order,
        embedded_list_decimal_is_stored_with_its_scale,
        embedded_list_item_missing_a_required_member_is_validation,
        embedded_dotted_path_condition_matches if |c| c.embedded_paths,
        embedded_dotted_path_condition_is_unsupported_without_capability if |c| !c.embedded_paths,
        embedded_dotted_path_to_an_unknown_member_is_invalid_filter,
        embedded_object_eq_is_invalid_filter,
        embedded_object_patch_replaces_the_whole_object,
        embedded_object_exists_filter,
        bytes_round_trip_every_byte_value,
        bytes_empty_round_trips,
        bytes_exists_filter,
        bytes_eq_is_invalid_filter,
        bytes_patch_replaces_them,
        bytes_public_json_is_base64,
        custom_type_round_trips,
        custom_type_invalid_on_create_is_validation_format,
        custom_type_invalid_on_create_all_stores_nothing,
        custom_type_invalid_on_records_create_is_validation_format,
        custom_type_invalid_on_update_by_id_is_validation_format,
        custom_type_invalid_on_update_all_is_validation_format,
        custom_type_invalid_on_replace_by_id_is_validation_format,
        custom_type_invalid_on_save_is_validation_format,
        custom_type_invalid_on_relation_create_is_validation_format,
        custom_type_refused_writes_leave_every_book_readable,
        every_new_type_round_trips_together,
        null_clears_each_new_type_in_a_patch,
        count_with_date_decimal_and_enum_conditions,
    ]
}

// ---- helpers ---------------------------------------------------------------------------------

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a valid date")
}

fn money(text: &str) -> Decimal {
    text.parse().expect("a valid decimal")
}

fn book_id(book: &Book) -> Result<i64, &'static str> {
    book.id.ok_or("no id was generated")
}

fn published(title: &str, date: &str) -> Book {
    Book {
        published: Some(day(date)),
        ..Book::titled(title)
    }
}

fn priced(title: &str, price: &str) -> Book {
    Book {
        price: Some(money(price)),
        ..Book::titled(title)
    }
}

fn bound(title: &str, binding: Binding) -> Book {
    Book {
        binding: Some(binding),
        ..Book::titled(title)
    }
}

fn publisher(name: &str, city: Option<&str>) -> Publisher {
    Publisher {
        name: name.to_owned(),
        city: city.map(str::to_owned),
        zip: None,
        founded: None,
    }
}

fn with_publisher(title: &str, name: &str, city: Option<&str>) -> Book {
    Book {
        publisher: Some(publisher(name, city)),
        ..Book::titled(title)
    }
}

async fn titles(ctx: &Ctx, filter: Filter) -> Result<Vec<String>, Error> {
    let found = ctx.repo::<Book>().find(filter).await?;
    Ok(found.into_iter().map(|b| b.title).collect())
}

fn by_title() -> Filter {
    Filter::new().order(Book::FIELDS.title.asc())
}

fn filter_json(json: serde_json::Value) -> Result<Filter, Error> {
    Filter::from_json(&json).map_err(Error::InvalidFilter)
}

async fn stored_record(ctx: &Ctx, id: i64) -> Result<Record, Error> {
    ctx.records::<Book>().find_by_id(Value::Int(id), None).await
}

fn expect_validation<T: std::fmt::Debug>(
    result: Result<T, Error>,
    path: &str,
    code: &str,
) -> TestResult {
    match result {
        Err(err) if has_problem(&err, path, code) => Ok(()),
        other => Err(format!("expected a {code} problem at {path}, got {other:?}").into()),
    }
}

fn expect_invalid_filter<T: std::fmt::Debug>(
    result: Result<T, Error>,
    path: &str,
    code: &str,
) -> TestResult {
    match result {
        Err(err) if filter_problem(&err, path, code) => Ok(()),
        other => Err(format!("expected a {code} filter problem at {path}, got {other:?}").into()),
    }
}

fn bad_isbn() -> Isbn {
    Isbn("978-0".to_owned())
}

// ---- calendar dates --------------------------------------------------------------------------

async fn date_round_trips_through_create_and_find(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let created = books.create(published("a", "2024-02-29")).await?;
    let found = books.find_by_id(book_id(&created)?, None).await?;
    assert_eq!(found.published, Some(day("2024-02-29")));
    assert_eq!(found, created);
    Ok(())
}

async fn date_extremes_round_trip(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    for date in ["1000-01-01", "1969-12-31", "9999-12-31"] {
        let created = books.create(published(date, date)).await?;
        let found = books.find_by_id(book_id(&created)?, None).await?;
        assert_eq!(found.published, Some(day(date)), "{date}");
    }
    Ok(())
}

async fn date_as_a_string_through_records_is_validation_type(ctx: Ctx) -> TestResult {
    let result = ctx
        .records::<Book>()
        .create(record(&[
            ("title", Value::from("a")),
            ("published", Value::from("2023-02-31")),
        ]))
        .await;
    expect_validation(result, "/published", "type")?;
    assert_eq!(ctx.repo::<Book>().count(None).await?, 0);
    Ok(())
}

async fn date_filters_gt_lt_and_between(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    for (title, date) in [
        ("a", "2023-12-31"),
        ("b", "2024-01-01"),
        ("c", "2024-06-30"),
    ] {
        books.create(published(title, date)).await?;
    }
    let f = Book::FIELDS;
    let after = by_title().where_(f.published.gt(day("2023-12-31")));
    assert_eq!(titles(&ctx, after).await?, ["b", "c"]);
    let before = by_title().where_(f.published.lt(day("2024-06-30")));
    assert_eq!(titles(&ctx, before).await?, ["a", "b"]);
    let within = by_title().where_(f.published.between(day("2024-01-01"), day("2024-06-30")));
    assert_eq!(titles(&ctx, within).await?, ["b", "c"]);
    Ok(())
}

async fn date_orders_ascending_and_descending(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    for (title, date) in [
        ("mid", "2020-05-01"),
        ("old", "1999-12-31"),
        ("new", "2031-01-01"),
    ] {
        books.create(published(title, date)).await?;
    }
    let f = Book::FIELDS;
    let asc = Filter::new().order(f.published.asc());
    assert_eq!(titles(&ctx, asc).await?, ["old", "mid", "new"]);
    let desc = Filter::new().order(f.published.desc());
    assert_eq!(titles(&ctx, desc).await?, ["new", "mid", "old"]);
    Ok(())
}

async fn date_inq_matches_the_listed_days(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    for (title, date) in [
        ("a", "2024-01-01"),
        ("b", "2024-01-02"),
        ("c", "2024-01-03"),
    ] {
        books.create(published(title, date)).await?;
    }
    let listed = by_title().where_(
        Book::FIELDS
            .published
            .inq([day("2024-01-01"), day("2024-01-03")]),
    );
    assert_eq!(titles(&ctx, listed).await?, ["a", "c"]);
    Ok(())
}

async fn date_in_json_filter_is_read_from_its_string(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    books.create(published("a", "2024-05-01")).await?;
    books.create(published("b", "2024-05-02")).await?;
    let filter = filter_json(json!({"where": {"published": "2024-05-02"}}))?;
    assert_eq!(titles(&ctx, filter).await?, ["b"]);
    let filter =
        filter_json(json!({"where": {"published": {"gte": "2024-05-01"}}, "order": "title"}))?;
    assert_eq!(titles(&ctx, filter).await?, ["a", "b"]);
    Ok(())
}

async fn date_impossible_in_a_filter_is_invalid_filter(ctx: Ctx) -> TestResult {
    let filter = filter_json(json!({"where": {"published": {"gt": "2023-02-31"}}}))?;
    let result = ctx.repo::<Book>().find(filter).await;
    expect_invalid_filter(result, "/where/published/gt", "type")
}

async fn date_patch_sets_and_clears(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let id = book_id(&books.create(Book::titled("a")).await?)?;
    let f = Book::FIELDS;
    books
        .update_by_id(id, Patch::new().set(f.published, day("2001-09-11")))
        .await?;
    assert_eq!(
        books.find_by_id(id, None).await?.published,
        Some(day("2001-09-11"))
    );
    books
        .update_by_id(id, Patch::new().unset(f.published))
        .await?;
    assert_eq!(books.find_by_id(id, None).await?.published, None);
    Ok(())
}

async fn date_update_all_sets_every_match(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    books.create(Book::titled("a")).await?;
    books.create(Book::titled("b")).await?;
    let f = Book::FIELDS;
    let changed = books
        .update_all(Patch::new().set(f.published, day("2024-12-24")), None)
        .await?;
    assert_eq!(changed, 2);
    let on_the_day = Filter::new().where_(f.published.eq(day("2024-12-24")));
    assert_eq!(books.find(on_the_day).await?.len(), 2);
    Ok(())
}

// ---- decimals --------------------------------------------------------------------------------

async fn decimal_round_trips_exactly(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let created = books.create(priced("a", "19.99")).await?;
    let found = books.find_by_id(book_id(&created)?, None).await?;
    assert_eq!(found.price, Some(money("19.99")));
    assert_eq!(found.price.map(|p| p.to_string()).as_deref(), Some("19.99"));
    Ok(())
}

async fn decimal_is_stored_with_its_scale(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let created = books.create(priced("a", "8")).await?;
    assert_eq!(
        created.price.map(|p| p.to_string()).as_deref(),
        Some("8.00")
    );
    let stored = stored_record(&ctx, book_id(&created)?).await?;
    assert_eq!(
        Book::definition().to_public_json(&stored)["price"],
        json!("8.00"),
        "shown as a string with the property's scale, never as 8.0"
    );
    Ok(())
}

async fn decimal_at_its_precision_round_trips(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    for price in ["99999999.99", "0.01", "0.00"] {
        let created = books.create(priced(price, price)).await?;
        let found = books.find_by_id(book_id(&created)?, None).await?;
        assert_eq!(found.price.map(|p| p.to_string()).as_deref(), Some(price));
    }
    Ok(())
}

async fn decimal_negative_round_trips(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let created = books.create(priced("refund", "-12.50")).await?;
    let found = books.find_by_id(book_id(&created)?, None).await?;
    assert_eq!(
        found.price.map(|p| p.to_string()).as_deref(),
        Some("-12.50")
    );
    Ok(())
}

async fn decimal_with_too_many_fraction_digits_is_validation(ctx: Ctx) -> TestResult {
    let result = ctx.repo::<Book>().create(priced("a", "1.234")).await;
    expect_validation(result, "/price", "multipleOf")?;
    assert_eq!(ctx.repo::<Book>().count(None).await?, 0);
    Ok(())
}

async fn decimal_with_too_many_integer_digits_is_validation(ctx: Ctx) -> TestResult {
    let result = ctx.repo::<Book>().create(priced("a", "100000000")).await;
    expect_validation(result, "/price", "exclusiveMaximum")?;
    let result = ctx
        .repo::<Book>()
        .create(priced("b", "-100000000.00"))
        .await;
    expect_validation(result, "/price", "exclusiveMinimum")
}

async fn decimal_filters_compare_exactly(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    for (title, price) in [("a", "0.10"), ("b", "0.20"), ("c", "0.30")] {
        books.create(priced(title, price)).await?;
    }
    let f = Book::FIELDS;
    // 0.1 + 0.2 is 0.30000000000000004 in floats; decimals compare exactly.
    let sum = money("0.1") + money("0.2");
    assert_eq!(
        titles(&ctx, by_title().where_(f.price.gte(sum))).await?,
        ["c"]
    );
    assert_eq!(
        titles(&ctx, by_title().where_(f.price.lt(sum))).await?,
        ["a", "b"]
    );
    let within = by_title().where_(f.price.between(money("0.2"), money("0.3")));
    assert_eq!(titles(&ctx, within).await?, ["b", "c"]);
    Ok(())
}

async fn decimal_eq_matches_another_scale(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    books.create(priced("a", "8.50")).await?;
    let f = Book::FIELDS;
    assert_eq!(
        titles(&ctx, Filter::new().where_(f.price.eq(money("8.5")))).await?,
        ["a"]
    );
    assert_eq!(
        titles(&ctx, Filter::new().where_(f.price.eq(money("8.500")))).await?,
        ["a"]
    );
    Ok(())
}

async fn decimal_orders_numerically(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    for (title, price) in [
        ("ten", "10.00"),
        ("nine", "9.00"),
        ("minus", "-1.00"),
        ("hundred", "100.00"),
    ] {
        books.create(priced(title, price)).await?;
    }
    let asc = Filter::new().order(Book::FIELDS.price.asc());
    assert_eq!(
        titles(&ctx, asc).await?,
        ["minus", "nine", "ten", "hundred"]
    );
    Ok(())
}

async fn decimal_inq_matches(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    for (title, price) in [("a", "1.00"), ("b", "2.00"), ("c", "3.00")] {
        books.create(priced(title, price)).await?;
    }
    let listed = by_title().where_(Book::FIELDS.price.inq([money("1"), money("3.0")]));
    assert_eq!(titles(&ctx, listed).await?, ["a", "c"]);
    Ok(())
}

async fn decimal_update_by_id_is_stored_with_its_scale(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let id = book_id(&books.create(priced("a", "1.00")).await?)?;
    books
        .update_by_id(id, Patch::new().set(Book::FIELDS.price, money("7.5")))
        .await?;
    let found = books.find_by_id(id, None).await?;
    assert_eq!(found.price.map(|p| p.to_string()).as_deref(), Some("7.50"));
    Ok(())
}

async fn decimal_json_filter_takes_a_string_or_a_number(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    books.create(priced("cheap", "9.99")).await?;
    books.create(priced("dear", "10.01")).await?;
    for bound in [json!("10"), json!(10), json!(10.0)] {
        let filter = filter_json(json!({"where": {"price": {"gt": bound}}}))?;
        assert_eq!(titles(&ctx, filter).await?, ["dear"], "gt {bound}");
    }
    Ok(())
}

// ---- enums -----------------------------------------------------------------------------------

async fn enum_round_trips(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    for binding in [Binding::Hardcover, Binding::Paperback, Binding::Ebook] {
        let created = books.create(bound("a", binding)).await?;
        let found = books.find_by_id(book_id(&created)?, None).await?;
        assert_eq!(found.binding, Some(binding));
    }
    Ok(())
}

async fn enum_renamed_variant_is_stored_by_its_name(ctx: Ctx) -> TestResult {
    let created = ctx
        .repo::<Book>()
        .create(bound("a", Binding::Ebook))
        .await?;
    let stored = stored_record(&ctx, book_id(&created)?).await?;
    assert_eq!(stored.get("binding"), Some(&Value::from("e-book")));
    let created = ctx
        .repo::<Book>()
        .create(bound("b", Binding::Hardcover))
        .await?;
    let stored = stored_record(&ctx, book_id(&created)?).await?;
    assert_eq!(stored.get("binding"), Some(&Value::from("hardcover")));
    Ok(())
}

async fn enum_unknown_value_is_validation_enum(ctx: Ctx) -> TestResult {
    let result = ctx
        .records::<Book>()
        .create(record(&[
            ("title", Value::from("a")),
            ("binding", Value::from("audiobook")),
        ]))
        .await;
    expect_validation(result, "/binding", "enum")?;
    assert_eq!(ctx.repo::<Book>().count(None).await?, 0);
    Ok(())
}

async fn enum_eq_filter_matches(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    books.create(bound("a", Binding::Paperback)).await?;
    books.create(bound("b", Binding::Ebook)).await?;
    let f = Book::FIELDS;
    assert_eq!(
        titles(&ctx, Filter::new().where_(f.binding.eq(Binding::Ebook))).await?,
        ["b"]
    );
    let json = filter_json(json!({"where": {"binding": "paperback"}}))?;
    assert_eq!(titles(&ctx, json).await?, ["a"]);
    Ok(())
}

async fn enum_inq_and_nin_filters_match(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    books.create(bound("a", Binding::Hardcover)).await?;
    books.create(bound("b", Binding::Paperback)).await?;
    books.create(bound("c", Binding::Ebook)).await?;
    books.create(Book::titled("d")).await?;
    let f = Book::FIELDS;
    let listed = by_title().where_(f.binding.inq([Binding::Hardcover, Binding::Ebook]));
    assert_eq!(titles(&ctx, listed).await?, ["a", "c"]);
    let unlisted = by_title().where_(f.binding.nin([Binding::Hardcover, Binding::Ebook]));
    assert_eq!(
        titles(&ctx, unlisted).await?,
        ["b", "d"],
        "nin also matches a missing value"
    );
    Ok(())
}

async fn enum_unknown_value_in_a_filter_is_invalid_filter(ctx: Ctx) -> TestResult {
    let filter = filter_json(json!({"where": {"binding": {"inq": ["paperback", "scroll"]}}}))?;
    let result = ctx.repo::<Book>().find(filter).await;
    expect_invalid_filter(result, "/where/binding/inq/1", "enum")
}

async fn enum_is_not_ordered_in_filters(ctx: Ctx) -> TestResult {
    let filter = filter_json(json!({"where": {"binding": {"gt": "hardcover"}}}))?;
    let result = ctx.repo::<Book>().find(filter).await;
    expect_invalid_filter(result, "/where/binding/gt", "type")
}

async fn enum_list_round_trips(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let book = Book {
        bindings: Some(vec![Binding::Ebook, Binding::Hardcover]),
        ..Book::titled("a")
    };
    let created = books.create(book).await?;
    let found = books.find_by_id(book_id(&created)?, None).await?;
    assert_eq!(
        found.bindings,
        Some(vec![Binding::Ebook, Binding::Hardcover])
    );
    Ok(())
}

async fn enum_unknown_value_in_a_list_is_validation_with_its_index(ctx: Ctx) -> TestResult {
    let result = ctx
        .records::<Book>()
        .create(record(&[
            ("title", Value::from("a")),
            (
                "bindings",
                Value::Array(vec![Value::from("paperback"), Value::from("scroll")]),
            ),
        ]))
        .await;
    expect_validation(result, "/bindings/1", "enum")
}

async fn enum_unknown_stored_value_is_an_error_naming_the_property(ctx: Ctx) -> TestResult {
    // Written behind the repository's back, as another program might.
    let stored = ctx
        .store()
        .insert(
            Book::definition(),
            vec![record(&[
                ("title", Value::from("a")),
                ("binding", Value::from("scroll")),
            ])],
        )
        .await;
    match stored {
        // SQL's CHECK constraint refuses it outright.
        Err(Error::Validation(_)) => Ok(()),
        Err(other) => Err(format!("expected Validation from the store, got {other:?}").into()),
        // Elsewhere it is stored: typed reads fail visibly, naming the property; untyped
        // reads still return it.
        Ok(_) => {
            let typed = ctx.repo::<Book>().find(Filter::new()).await;
            match typed {
                Err(Error::Backend(cause)) => {
                    let message = cause.to_string();
                    assert!(message.contains("binding"), "{message}");
                    assert!(
                        message.contains("one of hardcover, paperback, e-book"),
                        "{message}"
                    );
                }
                other => return Err(format!("expected a backend error, got {other:?}").into()),
            }
            let records = ctx.records::<Book>().find(Filter::new()).await?;
            assert_eq!(records[0].get("binding"), Some(&Value::from("scroll")));
            Ok(())
        }
    }
}

// ---- embedded objects ------------------------------------------------------------------------

async fn embedded_object_round_trips(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let book = Book {
        publisher: Some(Publisher {
            name: "Gallimard".to_owned(),
            city: Some("Paris".to_owned()),
            zip: Some("75007".to_owned()),
            founded: Some(day("1911-05-31")),
        }),
        ..Book::titled("a")
    };
    let created = books.create(book.clone()).await?;
    let found = books.find_by_id(book_id(&created)?, None).await?;
    assert_eq!(found.publisher, book.publisher);
    Ok(())
}

async fn embedded_object_without_optional_members_round_trips(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let created = books.create(with_publisher("a", "Penguin", None)).await?;
    let found = books.find_by_id(book_id(&created)?, None).await?;
    assert_eq!(found.publisher, Some(publisher("Penguin", None)));
    Ok(())
}

async fn embedded_object_missing_a_required_member_is_validation(ctx: Ctx) -> TestResult {
    let result = ctx
        .records::<Book>()
        .create(record(&[
            ("title", Value::from("a")),
            (
                "publisher",
                Value::Object(record(&[("city", Value::from("Paris"))])),
            ),
        ]))
        .await;
    expect_validation(result, "/publisher", "required")
}

async fn embedded_member_constraint_is_validation_with_its_path(ctx: Ctx) -> TestResult {
    let book = Book {
        publisher: Some(Publisher {
            zip: Some("12345678901".to_owned()),
            ..publisher("Penguin", None)
        }),
        ..Book::titled("a")
    };
    let result = ctx.repo::<Book>().create(book).await;
    expect_validation(result, "/publisher/zip", "maxLength")?;
    assert_eq!(ctx.repo::<Book>().count(None).await?, 0);
    Ok(())
}

async fn embedded_member_of_the_wrong_type_is_validation(ctx: Ctx) -> TestResult {
    let result = ctx
        .records::<Book>()
        .create(record(&[
            ("title", Value::from("a")),
            (
                "publisher",
                Value::Object(record(&[("name", Value::Int(5))])),
            ),
        ]))
        .await;
    expect_validation(result, "/publisher", "type")
}

async fn embedded_unknown_member_is_validation(ctx: Ctx) -> TestResult {
    let result = ctx
        .records::<Book>()
        .create(record(&[
            ("title", Value::from("a")),
            (
                "publisher",
                Value::Object(record(&[
                    ("name", Value::from("Penguin")),
                    ("ceo", Value::from("x")),
                ])),
            ),
        ]))
        .await;
    expect_validation(result, "/publisher", "type")
}

async fn embedded_list_round_trips_in_order(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let editions = vec![
        Edition {
            number: 2,
            price: Some(money("12.00")),
        },
        Edition {
            number: 1,
            price: None,
        },
    ];
    let book = Book {
        editions: Some(editions.clone()),
        ..Book::titled("a")
    };
    let created = books.create(book).await?;
    let found = books.find_by_id(book_id(&created)?, None).await?;
    assert_eq!(found.editions, Some(editions));
    Ok(())
}

async fn embedded_list_decimal_is_stored_with_its_scale(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let book = Book {
        editions: Some(vec![Edition {
            number: 1,
            price: Some(money("5")),
        }]),
        ..Book::titled("a")
    };
    let created = books.create(book).await?;
    let found = books.find_by_id(book_id(&created)?, None).await?;
    let price = found.editions.and_then(|e| e[0].price);
    assert_eq!(price.map(|p| p.to_string()).as_deref(), Some("5.00"));
    Ok(())
}

async fn embedded_list_item_missing_a_required_member_is_validation(ctx: Ctx) -> TestResult {
    let result = ctx
        .records::<Book>()
        .create(record(&[
            ("title", Value::from("a")),
            (
                "editions",
                Value::Array(vec![
                    Value::Object(record(&[("number", Value::Int(1))])),
                    Value::Object(record(&[("price", Value::Decimal(money("1.00")))])),
                ]),
            ),
        ]))
        .await;
    expect_validation(result, "/editions/1", "required")
}

async fn embedded_dotted_path_condition_matches(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    books
        .create(with_publisher("a", "Gallimard", Some("Paris")))
        .await?;
    books
        .create(with_publisher("b", "Penguin", Some("London")))
        .await?;
    books.create(Book::titled("c")).await?;
    let filter = filter_json(json!({"where": {"publisher.city": "Paris"}}))?;
    assert_eq!(titles(&ctx, filter).await?, ["a"]);
    let filter = filter_json(
        json!({"where": {"publisher.city": {"inq": ["Paris", "London"]}}, "order": "title"}),
    )?;
    assert_eq!(titles(&ctx, filter).await?, ["a", "b"]);
    let filter = filter_json(json!({"where": {"publisher.name": {"like": "Pen%"}}}))?;
    assert_eq!(titles(&ctx, filter).await?, ["b"]);
    Ok(())
}

async fn embedded_dotted_path_condition_is_unsupported_without_capability(ctx: Ctx) -> TestResult {
    let filter = filter_json(json!({"where": {"publisher.city": "Paris"}}))?;
    match ctx.repo::<Book>().find(filter).await {
        Err(Error::Unsupported(_)) => Ok(()),
        other => Err(format!("expected Unsupported, got {other:?}").into()),
    }
}

async fn embedded_dotted_path_to_an_unknown_member_is_invalid_filter(ctx: Ctx) -> TestResult {
    let filter = filter_json(json!({"where": {"publisher.country": "FR"}}))?;
    let result = ctx.repo::<Book>().find(filter).await;
    expect_invalid_filter(result, "/where/publisher.country", "unknownProperty")
}

async fn embedded_object_eq_is_invalid_filter(ctx: Ctx) -> TestResult {
    let condition = Where::cond(
        "publisher",
        portico_domain::Op::Eq(Value::Object(record(&[("name", Value::from("x"))]))),
    );
    let result = ctx
        .repo::<Book>()
        .find(Filter::new().where_(condition))
        .await;
    match result {
        Err(Error::InvalidFilter(_)) => Ok(()),
        other => Err(format!("expected InvalidFilter, got {other:?}").into()),
    }
}

async fn embedded_object_patch_replaces_the_whole_object(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let id = book_id(
        &books
            .create(with_publisher("a", "Penguin", Some("London")))
            .await?,
    )?;
    books
        .update_by_id(
            id,
            Patch::new().set(Book::FIELDS.publisher, publisher("Gallimard", None)),
        )
        .await?;
    let found = books.find_by_id(id, None).await?;
    assert_eq!(
        found.publisher,
        Some(publisher("Gallimard", None)),
        "city is gone"
    );
    Ok(())
}

async fn embedded_object_exists_filter(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    books.create(with_publisher("a", "Penguin", None)).await?;
    books.create(Book::titled("b")).await?;
    let f = Book::FIELDS;
    assert_eq!(
        titles(&ctx, Filter::new().where_(f.publisher.exists(true))).await?,
        ["a"]
    );
    assert_eq!(
        titles(&ctx, Filter::new().where_(f.publisher.exists(false))).await?,
        ["b"]
    );
    Ok(())
}

// ---- bytes -----------------------------------------------------------------------------------

async fn bytes_round_trip_every_byte_value(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let cover: Vec<u8> = (0..=255).collect();
    let book = Book {
        cover: Some(cover.clone()),
        ..Book::titled("a")
    };
    let created = books.create(book).await?;
    let found = books.find_by_id(book_id(&created)?, None).await?;
    assert_eq!(found.cover, Some(cover));
    Ok(())
}

async fn bytes_empty_round_trips(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let book = Book {
        cover: Some(Vec::new()),
        ..Book::titled("a")
    };
    let created = books.create(book).await?;
    let found = books.find_by_id(book_id(&created)?, None).await?;
    assert_eq!(found.cover, Some(Vec::new()));
    Ok(())
}

async fn bytes_exists_filter(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let book = Book {
        cover: Some(vec![1, 2, 3]),
        ..Book::titled("a")
    };
    books.create(book).await?;
    books.create(Book::titled("b")).await?;
    let f = Book::FIELDS;
    assert_eq!(
        titles(&ctx, Filter::new().where_(f.cover.exists(true))).await?,
        ["a"]
    );
    Ok(())
}

async fn bytes_eq_is_invalid_filter(ctx: Ctx) -> TestResult {
    let filter = Filter::new().where_(Book::FIELDS.cover.eq(vec![1u8, 2, 3]));
    let result = ctx.repo::<Book>().find(filter).await;
    match result {
        Err(Error::InvalidFilter(_)) => Ok(()),
        other => Err(format!("expected InvalidFilter, got {other:?}").into()),
    }
}

async fn bytes_patch_replaces_them(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let book = Book {
        cover: Some(vec![1, 2, 3]),
        ..Book::titled("a")
    };
    let id = book_id(&books.create(book).await?)?;
    books
        .update_by_id(id, Patch::new().set(Book::FIELDS.cover, vec![9u8, 0, 255]))
        .await?;
    assert_eq!(
        books.find_by_id(id, None).await?.cover,
        Some(vec![9, 0, 255])
    );
    Ok(())
}

async fn bytes_public_json_is_base64(ctx: Ctx) -> TestResult {
    let book = Book {
        cover: Some(b"hello".to_vec()),
        ..Book::titled("a")
    };
    let created = ctx.repo::<Book>().create(book).await?;
    let stored = stored_record(&ctx, book_id(&created)?).await?;
    assert_eq!(
        Book::definition().to_public_json(&stored)["cover"],
        json!("aGVsbG8=")
    );
    Ok(())
}

// ---- a user-defined type: no write path stores what the entity cannot read back ---------------

async fn custom_type_round_trips(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let book = Book {
        isbn: Some(Isbn("9780262510875".to_owned())),
        ..Book::titled("a")
    };
    let created = books.create(book.clone()).await?;
    let found = books.find_by_id(book_id(&created)?, None).await?;
    assert_eq!(found.isbn, book.isbn);
    Ok(())
}

async fn custom_type_invalid_on_create_is_validation_format(ctx: Ctx) -> TestResult {
    let book = Book {
        isbn: Some(bad_isbn()),
        ..Book::titled("a")
    };
    let result = ctx.repo::<Book>().create(book).await;
    expect_validation(result, "/isbn", "format")?;
    assert_eq!(ctx.repo::<Book>().count(None).await?, 0);
    Ok(())
}

async fn custom_type_invalid_on_create_all_stores_nothing(ctx: Ctx) -> TestResult {
    let bad = Book {
        isbn: Some(bad_isbn()),
        ..Book::titled("b")
    };
    let result = ctx
        .repo::<Book>()
        .create_all(vec![Book::titled("a"), bad])
        .await;
    assert!(matches!(result, Err(Error::Validation(_))), "{result:?}");
    assert_eq!(ctx.repo::<Book>().count(None).await?, 0);
    Ok(())
}

async fn custom_type_invalid_on_records_create_is_validation_format(ctx: Ctx) -> TestResult {
    let result = ctx
        .records::<Book>()
        .create(record(&[
            ("title", Value::from("a")),
            ("isbn", Value::from("not an isbn")),
        ]))
        .await;
    expect_validation(result, "/isbn", "format")
}

async fn custom_type_invalid_on_update_by_id_is_validation_format(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let id = book_id(&books.create(Book::titled("a")).await?)?;
    let result = books
        .update_by_id(id, Patch::new().set(Book::FIELDS.isbn, bad_isbn()))
        .await;
    expect_validation(result, "/isbn", "format")?;
    assert_eq!(books.find_by_id(id, None).await?.isbn, None);
    Ok(())
}

async fn custom_type_invalid_on_update_all_is_validation_format(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    books.create(Book::titled("a")).await?;
    let result = books
        .update_all(Patch::new().set(Book::FIELDS.isbn, bad_isbn()), None)
        .await;
    expect_validation(result, "/isbn", "format")?;
    assert_eq!(books.find(Filter::new()).await?.len(), 1, "still readable");
    Ok(())
}

async fn custom_type_invalid_on_replace_by_id_is_validation_format(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let created = books.create(Book::titled("a")).await?;
    let id = book_id(&created)?;
    let replacement = Book {
        isbn: Some(bad_isbn()),
        ..created
    };
    let result = books.replace_by_id(id, replacement).await;
    expect_validation(result, "/isbn", "format")?;
    assert_eq!(books.find_by_id(id, None).await?.isbn, None);
    Ok(())
}

async fn custom_type_invalid_on_save_is_validation_format(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let created = books.create(Book::titled("a")).await?;
    let changed = Book {
        isbn: Some(bad_isbn()),
        ..created
    };
    let result = books.save(changed).await;
    expect_validation(result, "/isbn", "format")
}

async fn custom_type_invalid_on_relation_create_is_validation_format(ctx: Ctx) -> TestResult {
    let shelf = ctx
        .repo::<Shelf>()
        .create(Shelf {
            id: None,
            label: "fiction".to_owned(),
            books: None,
        })
        .await?;
    let shelf_books = ctx
        .repo::<Shelf>()
        .has_many::<Book>("books", shelf.id.ok_or("no shelf id")?)
        .await?;
    let book = Book {
        isbn: Some(bad_isbn()),
        ..Book::titled("a")
    };
    let result = shelf_books.create(book).await;
    expect_validation(result, "/isbn", "format")?;
    assert_eq!(ctx.repo::<Book>().count(None).await?, 0);
    Ok(())
}

async fn custom_type_refused_writes_leave_every_book_readable(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let good = Book {
        isbn: Some(Isbn("9780262510875".to_owned())),
        ..Book::titled("good")
    };
    let id = book_id(&books.create(good).await?)?;
    let f = Book::FIELDS;
    let attempts = [
        books
            .create(Book {
                isbn: Some(bad_isbn()),
                ..Book::titled("bad")
            })
            .await
            .err(),
        books
            .update_by_id(id, Patch::new().set(f.isbn, bad_isbn()))
            .await
            .err(),
        books
            .update_all(Patch::new().set(f.isbn, bad_isbn()), None)
            .await
            .err(),
    ];
    assert!(
        attempts.iter().all(Option::is_some),
        "every bad write is refused"
    );
    let all = books.find(Filter::new()).await?;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].isbn, Some(Isbn("9780262510875".to_owned())));
    Ok(())
}

// ---- all together ----------------------------------------------------------------------------

fn complete_book() -> Book {
    Book {
        id: None,
        title: "complete".to_owned(),
        published: Some(day("2024-05-01")),
        price: Some(money("42.00")),
        binding: Some(Binding::Paperback),
        bindings: Some(vec![Binding::Paperback, Binding::Ebook]),
        publisher: Some(Publisher {
            name: "Gallimard".to_owned(),
            city: Some("Paris".to_owned()),
            zip: None,
            founded: Some(day("1911-05-31")),
        }),
        editions: Some(vec![Edition {
            number: 1,
            price: Some(money("42.00")),
        }]),
        cover: Some(vec![0xff, 0x00]),
        isbn: Some(Isbn("9780262510875".to_owned())),
        shelf_id: None,
    }
}

async fn every_new_type_round_trips_together(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let created = books.create(complete_book()).await?;
    let found = books.find_by_id(book_id(&created)?, None).await?;
    assert_eq!(
        found,
        Book {
            id: created.id,
            ..complete_book()
        }
    );
    let listed = books.find(Filter::new()).await?;
    assert_eq!(listed, [found]);
    Ok(())
}

async fn null_clears_each_new_type_in_a_patch(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    let id = book_id(&books.create(complete_book()).await?)?;
    let f = Book::FIELDS;
    let patch = Patch::new()
        .unset(f.published)
        .unset(f.price)
        .unset(f.binding)
        .unset(f.bindings)
        .unset(f.publisher)
        .unset(f.editions)
        .unset(f.cover)
        .unset(f.isbn);
    books.update_by_id(id, patch).await?;
    let found = books.find_by_id(id, None).await?;
    assert_eq!(
        found,
        Book {
            id: Some(id),
            ..Book::titled("complete")
        }
    );
    Ok(())
}

async fn count_with_date_decimal_and_enum_conditions(ctx: Ctx) -> TestResult {
    let books = ctx.repo::<Book>();
    books.create(complete_book()).await?;
    books.create(priced("cheap", "1.00")).await?;
    let f = Book::FIELDS;
    let condition = Where::all([
        f.published.gte(day("2024-01-01")),
        f.price.gt(money("10")),
        f.binding.eq(Binding::Paperback),
    ]);
    assert_eq!(books.count(Some(condition)).await?, 1);
    Ok(())
}
