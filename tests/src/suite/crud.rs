//! Conformance cases: crud. Every method of the typed and the untyped repository, with the
//! errors each must return, and the plain CRUD cases of LoopBack's `@loopback/repository-tests`
//! (create-retrieve, replaceById, free-form properties).

use portico_domain::{Entity, Error, Filter, Patch, Record, Value};
use portico_ports::{EntityRepository, RecordRepository, Repository};
use serde_json::json;

use crate::fixtures::{Account, Item, Note, Todo};
use crate::{Case, Ctx, TestResult, cases};

pub(crate) fn cases() -> Vec<Case> {
    cases![
        create_returns_the_entity_with_a_generated_id,
        create_retrieve_retrieves_a_newly_created_model_with_id_set_by_the_database,
        create_all_creates_every_entity_in_the_given_order,
        create_all_with_an_empty_vec_creates_nothing,
        create_all_is_all_or_nothing_when_an_id_already_exists,
        create_all_is_all_or_nothing_on_a_duplicate_within_the_batch,
        create_all_is_all_or_nothing_on_a_unique_conflict,
        create_all_is_all_or_nothing_on_a_validation_failure,
        save_without_id_creates,
        save_with_an_id_replaces_the_stored_entity,
        save_with_an_unknown_id_is_not_found,
        save_of_a_client_id_that_does_not_exist_is_not_found,
        find_without_filter_returns_everything_in_id_order,
        find_with_where_returns_only_matches,
        find_returns_empty_when_nothing_matches,
        find_with_fields_leaving_out_a_required_property_is_invalid_filter,
        find_one_returns_the_first_match_by_order,
        find_one_returns_none_when_nothing_matches,
        find_by_id_returns_the_entity,
        find_by_id_with_a_fields_filter_returns_only_those_fields,
        find_by_id_missing_is_not_found_with_entity_and_id,
        find_by_id_of_a_string_id_not_found_renders_the_id_as_json,
        find_by_id_with_where_in_the_filter_is_invalid_filter,
        count_without_where_counts_everything,
        count_with_where_counts_matches,
        count_of_an_empty_store_is_zero,
        exists_is_true_for_a_stored_id,
        exists_is_false_for_a_missing_or_deleted_id,
        update_by_id_changes_only_the_patched_properties,
        update_by_id_unset_clears_a_property,
        update_by_id_with_an_empty_patch_is_invalid_body,
        update_by_id_of_a_missing_id_is_not_found,
        update_by_id_changing_the_id_is_invalid_body,
        update_by_id_setting_the_id_to_the_same_value_is_fine,
        update_all_returns_how_many_matched,
        update_all_without_where_updates_everything,
        update_all_with_no_match_returns_zero,
        update_all_with_an_id_in_the_patch_is_invalid_body,
        update_all_with_an_empty_patch_is_invalid_body,
        replace_by_id_replaces_all_model_properties,
        replace_by_id_replaces_all_model_properties_using_plain_data,
        replace_by_id_of_a_missing_id_is_not_found,
        replace_by_id_with_another_id_in_the_body_is_invalid_body,
        replace_by_id_with_the_same_id_in_the_body_is_fine,
        delete_by_id_removes_only_that_entity,
        delete_by_id_of_a_missing_id_is_not_found,
        delete_by_id_twice_is_not_found_the_second_time,
        delete_all_without_where_deletes_everything,
        delete_all_with_where_deletes_only_matches,
        delete_all_with_no_match_returns_zero,
        client_id_entity_full_crud_cycle,
        records_create_from_a_record,
        records_find_by_id_coerces_a_string_id_to_an_integer,
        records_find_by_id_with_an_uncoercible_id_is_invalid_filter,
        records_id_methods_reject_an_uncoercible_id,
        records_update_and_delete_by_string_id,
        ping_answers_while_the_backend_is_reachable,
        free_form_properties_stored_on_create if |c| c.free_form_properties,
        free_form_model_is_unsupported_without_the_capability if |c| !c.free_form_properties,
    ]
}

fn todo(title: &str, desc: &str, done: bool) -> Todo {
    Todo {
        desc: Some(desc.to_owned()),
        is_complete: Some(done),
        ..Todo::new(title)
    }
}

fn account(id: &str, owner: &str) -> Account {
    Account {
        id: id.to_owned(),
        owner: owner.to_owned(),
        balance: None,
    }
}

fn titles(todos: &[Todo]) -> Vec<&str> {
    todos.iter().map(|t| t.title.as_str()).collect()
}

fn record(pairs: &[(&str, Value)]) -> Record {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// A record without its null values: backends may return a cleared property as null or leave
/// it out, which mean the same.
fn present(record: Record) -> Record {
    record.into_iter().filter(|(_, v)| !v.is_null()).collect()
}

/// `Store::ping` (the readiness probe) answers `Ok` while the backend is reachable.
async fn ping_answers_while_the_backend_is_reachable(ctx: Ctx) -> TestResult {
    ctx.store().ping().await?;
    ctx.store().ping().await?;
    Ok(())
}

async fn create_returns_the_entity_with_a_generated_id(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos.create(todo("milk", "2 litres", false)).await?;
    assert!(created.id.is_some(), "an id was generated");
    assert_eq!(
        created,
        Todo {
            id: created.id,
            ..todo("milk", "2 litres", false)
        }
    );
    Ok(())
}

// LoopBack create-retrieve: retrieves a newly created model with id set by the database.
async fn create_retrieve_retrieves_a_newly_created_model_with_id_set_by_the_database(
    ctx: Ctx,
) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos.create(Todo::new("a")).await?;
    let id = created.id.ok_or("the database set no id")?;
    let found = todos.find_by_id(id, None).await?;
    assert_eq!(
        found,
        Todo {
            id: Some(id),
            ..Todo::new("a")
        }
    );
    let all = todos.find(Filter::new()).await?;
    assert_eq!(all, vec![found]);
    Ok(())
}

async fn create_all_creates_every_entity_in_the_given_order(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos
        .create_all(vec![Todo::new("a"), Todo::new("b"), Todo::new("c")])
        .await?;
    assert_eq!(titles(&created), ["a", "b", "c"]);
    assert!(created.iter().all(|t| t.id.is_some()));
    let found = todos.find(Filter::new()).await?;
    assert_eq!(found, created);
    Ok(())
}

async fn create_all_with_an_empty_vec_creates_nothing(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos.create_all(Vec::new()).await?;
    assert!(created.is_empty());
    assert_eq!(todos.count(None).await?, 0);
    Ok(())
}

async fn create_all_is_all_or_nothing_when_an_id_already_exists(ctx: Ctx) -> TestResult {
    let accounts = ctx.repo::<Account>();
    accounts.create(account("b", "bob")).await?;
    let err = accounts
        .create_all(vec![
            account("a", "ann"),
            account("b", "other"),
            account("c", "cat"),
        ])
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Conflict { ref entity, .. } if entity == "Account"),
        "{err:?}"
    );
    assert_eq!(accounts.count(None).await?, 1);
    assert_eq!(
        accounts.find_by_id("b".to_owned(), None).await?.owner,
        "bob"
    );
    assert!(!accounts.exists("a".to_owned()).await?);
    Ok(())
}

async fn create_all_is_all_or_nothing_on_a_duplicate_within_the_batch(ctx: Ctx) -> TestResult {
    let accounts = ctx.repo::<Account>();
    let err = accounts
        .create_all(vec![
            account("a", "ann"),
            account("b", "bob"),
            account("a", "again"),
        ])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    assert_eq!(accounts.count(None).await?, 0);
    Ok(())
}

async fn create_all_is_all_or_nothing_on_a_unique_conflict(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let with_code = |name: &str, code: &str| Item {
        code: Some(code.to_owned()),
        ..Item::named(name)
    };
    let err = items
        .create_all(vec![
            with_code("a", "X1"),
            with_code("b", "X2"),
            with_code("c", "X1"),
        ])
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Conflict { ref entity, .. } if entity == "Item"),
        "{err:?}"
    );
    assert_eq!(items.count(None).await?, 0);
    Ok(())
}

async fn create_all_is_all_or_nothing_on_a_validation_failure(ctx: Ctx) -> TestResult {
    let items = ctx.repo::<Item>();
    let bad = Item {
        rating: Some(9),
        ..Item::named("bad")
    };
    let err = items
        .create_all(vec![Item::named("good"), bad])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
    assert_eq!(items.count(None).await?, 0);
    Ok(())
}

async fn save_without_id_creates(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let saved = todos.save(Todo::new("new")).await?;
    let id = saved.id.ok_or("save created no id")?;
    assert_eq!(todos.find_by_id(id, None).await?, saved);
    assert_eq!(todos.count(None).await?, 1);
    Ok(())
}

async fn save_with_an_id_replaces_the_stored_entity(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos.create(todo("old", "old desc", true)).await?;
    let changed = Todo {
        id: created.id,
        ..Todo::new("new")
    };
    let saved = todos.save(changed.clone()).await?;
    assert_eq!(saved, changed);
    let found = todos.find_by_id(created.id.ok_or("no id")?, None).await?;
    assert_eq!(
        found, changed,
        "save replaced, clearing desc and isComplete"
    );
    assert_eq!(todos.count(None).await?, 1);
    Ok(())
}

async fn save_with_an_unknown_id_is_not_found(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let err = todos
        .save(Todo {
            id: Some(99),
            ..Todo::new("ghost")
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { ref entity, ref id } if entity == "Todo" && id == "99"),
        "{err:?}"
    );
    assert_eq!(todos.count(None).await?, 0);
    Ok(())
}

// LoopBack's save is create without an id and replaceById with one, so a new client-supplied
// id is not created.
async fn save_of_a_client_id_that_does_not_exist_is_not_found(ctx: Ctx) -> TestResult {
    let accounts = ctx.repo::<Account>();
    let err = accounts.save(account("new", "ann")).await.unwrap_err();
    assert!(
        matches!(err, Error::NotFound { ref entity, ref id } if entity == "Account" && id == "\"new\""),
        "{err:?}"
    );
    assert_eq!(accounts.count(None).await?, 0);
    Ok(())
}

async fn find_without_filter_returns_everything_in_id_order(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    for title in ["c", "a", "b"] {
        todos.create(Todo::new(title)).await?;
    }
    let found = todos.find(Filter::new()).await?;
    assert_eq!(titles(&found), ["c", "a", "b"]);
    let ids: Vec<i64> = found.iter().filter_map(|t| t.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "id order: {ids:?}");
    Ok(())
}

async fn find_with_where_returns_only_matches(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    todos
        .create_all(vec![
            todo("a", "x", true),
            todo("b", "y", false),
            todo("c", "z", true),
        ])
        .await?;
    let found = todos
        .find(Filter::new().where_(Todo::FIELDS.is_complete.eq(true)))
        .await?;
    assert_eq!(titles(&found), ["a", "c"]);
    Ok(())
}

async fn find_returns_empty_when_nothing_matches(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    todos.create(Todo::new("a")).await?;
    let found = todos
        .find(Filter::new().where_(Todo::FIELDS.title.eq("zzz")))
        .await?;
    assert!(found.is_empty());
    Ok(())
}

async fn find_with_fields_leaving_out_a_required_property_is_invalid_filter(
    ctx: Ctx,
) -> TestResult {
    let todos = ctx.repo::<Todo>();
    todos.create(Todo::new("a")).await?;
    let err = todos
        .find(Filter::new().fields(["id", "desc"]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidFilter(ref e) if e.0.iter().any(|d| d.path == "/fields")),
        "{err:?}"
    );
    // The untyped repository returns what was asked for.
    let records = ctx
        .records::<Todo>()
        .find(Filter::new().fields(["id", "desc"]))
        .await?;
    assert_eq!(records.len(), 1);
    assert!(!records[0].contains_key("title"));
    Ok(())
}

async fn find_one_returns_the_first_match_by_order(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    todos
        .create_all(vec![
            todo("b", "x", true),
            todo("c", "y", false),
            todo("a", "z", true),
        ])
        .await?;
    let first = todos
        .find_one(
            Filter::new()
                .where_(Todo::FIELDS.is_complete.eq(true))
                .order(Todo::FIELDS.title.asc()),
        )
        .await?;
    assert_eq!(first.map(|t| t.title), Some("a".to_owned()));
    let first_by_id = todos.find_one(Filter::new()).await?;
    assert_eq!(first_by_id.map(|t| t.title), Some("b".to_owned()));
    Ok(())
}

async fn find_one_returns_none_when_nothing_matches(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    assert_eq!(todos.find_one(Filter::new()).await?, None);
    todos.create(Todo::new("a")).await?;
    let found = todos
        .find_one(Filter::new().where_(Todo::FIELDS.title.eq("b")))
        .await?;
    assert_eq!(found, None);
    Ok(())
}

async fn find_by_id_returns_the_entity(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos
        .create_all(vec![todo("a", "1", false), todo("b", "2", true)])
        .await?;
    let second = &created[1];
    assert_eq!(
        &todos.find_by_id(second.id.ok_or("no id")?, None).await?,
        second
    );
    assert_eq!(
        todos
            .find_by_id(created[0].id.ok_or("no id")?, Some(Filter::new()))
            .await?,
        created[0]
    );
    Ok(())
}

async fn find_by_id_with_a_fields_filter_returns_only_those_fields(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos.create(todo("a", "details", true)).await?;
    let id = created.id.ok_or("no id")?;
    let found = todos
        .find_by_id(id, Some(Filter::new().fields(["id", "title"])))
        .await?;
    assert_eq!(
        found,
        Todo {
            id: Some(id),
            ..Todo::new("a")
        }
    );
    let only_desc = ctx
        .records::<Todo>()
        .find_by_id(Value::Int(id), Some(Filter::new().fields(["desc"])))
        .await?;
    assert_eq!(
        present(only_desc),
        record(&[("desc", Value::from("details"))])
    );
    Ok(())
}

async fn find_by_id_missing_is_not_found_with_entity_and_id(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    todos.create(Todo::new("a")).await?;
    let err = todos.find_by_id(99, None).await.unwrap_err();
    assert!(
        matches!(err, Error::NotFound { ref entity, ref id } if entity == "Todo" && id == "99"),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "Entity not found: Todo with id 99");
    Ok(())
}

async fn find_by_id_of_a_string_id_not_found_renders_the_id_as_json(ctx: Ctx) -> TestResult {
    let accounts = ctx.repo::<Account>();
    let err = accounts
        .find_by_id("nope".to_owned(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { ref entity, ref id } if entity == "Account" && id == "\"nope\""),
        "{err:?}"
    );
    Ok(())
}

async fn find_by_id_with_where_in_the_filter_is_invalid_filter(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos.create(Todo::new("a")).await?;
    let filter = Filter::new().where_(Todo::FIELDS.title.eq("a"));
    let err = todos
        .find_by_id(created.id.ok_or("no id")?, Some(filter))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidFilter(_)), "{err:?}");
    Ok(())
}

async fn count_without_where_counts_everything(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    todos
        .create_all(vec![Todo::new("a"), Todo::new("b"), Todo::new("c")])
        .await?;
    assert_eq!(todos.count(None).await?, 3);
    Ok(())
}

async fn count_with_where_counts_matches(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    todos
        .create_all(vec![
            todo("a", "x", true),
            todo("b", "y", false),
            todo("c", "z", true),
        ])
        .await?;
    assert_eq!(
        todos.count(Some(Todo::FIELDS.is_complete.eq(true))).await?,
        2
    );
    assert_eq!(todos.count(Some(Todo::FIELDS.title.eq("b"))).await?, 1);
    assert_eq!(todos.count(Some(Todo::FIELDS.title.eq("q"))).await?, 0);
    Ok(())
}

async fn count_of_an_empty_store_is_zero(ctx: Ctx) -> TestResult {
    assert_eq!(ctx.repo::<Todo>().count(None).await?, 0);
    assert_eq!(ctx.repo::<Account>().count(None).await?, 0);
    Ok(())
}

async fn exists_is_true_for_a_stored_id(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos.create(Todo::new("a")).await?;
    assert!(todos.exists(created.id.ok_or("no id")?).await?);
    let accounts = ctx.repo::<Account>();
    accounts.create(account("acc-1", "ann")).await?;
    assert!(accounts.exists("acc-1".to_owned()).await?);
    Ok(())
}

async fn exists_is_false_for_a_missing_or_deleted_id(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    assert!(!todos.exists(1).await?);
    let created = todos.create(Todo::new("a")).await?;
    let id = created.id.ok_or("no id")?;
    assert!(!todos.exists(id + 1000).await?);
    todos.delete_by_id(id).await?;
    assert!(!todos.exists(id).await?);
    Ok(())
}

async fn update_by_id_changes_only_the_patched_properties(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos
        .create_all(vec![todo("a", "keep", false), todo("b", "other", false)])
        .await?;
    let id = created[0].id.ok_or("no id")?;
    todos
        .update_by_id(id, Patch::new().set(Todo::FIELDS.is_complete, true))
        .await?;
    assert_eq!(
        todos.find_by_id(id, None).await?,
        Todo {
            id: Some(id),
            ..todo("a", "keep", true)
        }
    );
    assert_eq!(
        todos
            .find_by_id(created[1].id.ok_or("no id")?, None)
            .await?,
        created[1],
        "others unchanged"
    );
    Ok(())
}

async fn update_by_id_unset_clears_a_property(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos.create(todo("a", "gone soon", true)).await?;
    let id = created.id.ok_or("no id")?;
    todos
        .update_by_id(id, Patch::new().unset(Todo::FIELDS.desc))
        .await?;
    let found = todos.find_by_id(id, None).await?;
    assert_eq!(found.desc, None);
    assert_eq!(found.is_complete, Some(true));
    assert_eq!(todos.count(Some(Todo::FIELDS.desc.is_null())).await?, 1);
    Ok(())
}

async fn update_by_id_with_an_empty_patch_is_invalid_body(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos.create(Todo::new("a")).await?;
    let err = todos
        .update_by_id(created.id.ok_or("no id")?, Patch::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidBody(ref m) if m == "Data is required for the patch request"),
        "{err:?}"
    );
    let err = ctx
        .records::<Todo>()
        .update_by_id(Value::Int(1), Record::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidBody(ref m) if m == "Data is required for the patch request"),
        "{err:?}"
    );
    Ok(())
}

async fn update_by_id_of_a_missing_id_is_not_found(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    todos.create(Todo::new("a")).await?;
    let err = todos
        .update_by_id(42, Patch::new().set(Todo::FIELDS.title, "b"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { ref entity, ref id } if entity == "Todo" && id == "42"),
        "{err:?}"
    );
    assert_eq!(todos.count(Some(Todo::FIELDS.title.eq("b"))).await?, 0);
    Ok(())
}

async fn update_by_id_changing_the_id_is_invalid_body(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos.create(Todo::new("a")).await?;
    let id = created.id.ok_or("no id")?;
    let patch = Patch::new()
        .set(Todo::FIELDS.id, id + 1)
        .set(Todo::FIELDS.title, "b");
    let err = todos.update_by_id(id, patch).await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidBody(ref m) if m.starts_with("id property (id) cannot be updated")),
        "{err:?}"
    );
    assert_eq!(
        todos.find_by_id(id, None).await?,
        created,
        "nothing changed"
    );
    assert!(!todos.exists(id + 1).await?);
    Ok(())
}

async fn update_by_id_setting_the_id_to_the_same_value_is_fine(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos.create(Todo::new("a")).await?;
    let id = created.id.ok_or("no id")?;
    todos
        .update_by_id(
            id,
            Patch::new()
                .set(Todo::FIELDS.id, id)
                .set(Todo::FIELDS.title, "b"),
        )
        .await?;
    assert_eq!(todos.find_by_id(id, None).await?.title, "b");
    // A patch holding only the unchanged id changes nothing and is not an error.
    todos
        .update_by_id(id, Patch::new().set(Todo::FIELDS.id, id))
        .await?;
    assert_eq!(todos.find_by_id(id, None).await?.title, "b");
    Ok(())
}

async fn update_all_returns_how_many_matched(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    todos
        .create_all(vec![
            todo("a", "x", false),
            todo("b", "y", true),
            todo("c", "z", false),
        ])
        .await?;
    let n = todos
        .update_all(
            Patch::new().set(Todo::FIELDS.desc, "done"),
            Some(Todo::FIELDS.is_complete.eq(false)),
        )
        .await?;
    assert_eq!(n, 2);
    let found = todos
        .find(Filter::new().where_(Todo::FIELDS.desc.eq("done")))
        .await?;
    assert_eq!(titles(&found), ["a", "c"]);
    assert_eq!(
        todos
            .find_one(Filter::new().where_(Todo::FIELDS.title.eq("b")))
            .await?
            .and_then(|t| t.desc),
        Some("y".to_owned())
    );
    Ok(())
}

async fn update_all_without_where_updates_everything(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    todos
        .create_all(vec![
            todo("a", "x", false),
            todo("b", "y", true),
            Todo::new("c"),
        ])
        .await?;
    let n = todos
        .update_all(Patch::new().set(Todo::FIELDS.is_complete, true), None)
        .await?;
    assert_eq!(n, 3);
    assert_eq!(
        todos.count(Some(Todo::FIELDS.is_complete.eq(true))).await?,
        3
    );
    let found = todos.find(Filter::new()).await?;
    assert_eq!(
        found.iter().map(|t| t.desc.as_deref()).collect::<Vec<_>>(),
        [Some("x"), Some("y"), None]
    );
    Ok(())
}

async fn update_all_with_no_match_returns_zero(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    assert_eq!(
        todos
            .update_all(Patch::new().set(Todo::FIELDS.title, "x"), None)
            .await?,
        0
    );
    todos.create(Todo::new("a")).await?;
    let n = todos
        .update_all(
            Patch::new().set(Todo::FIELDS.title, "x"),
            Some(Todo::FIELDS.title.eq("zzz")),
        )
        .await?;
    assert_eq!(n, 0);
    assert_eq!(todos.count(Some(Todo::FIELDS.title.eq("a"))).await?, 1);
    Ok(())
}

async fn update_all_with_an_id_in_the_patch_is_invalid_body(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos.create(Todo::new("a")).await?;
    let id = created.id.ok_or("no id")?;
    let err = todos
        .update_all(
            Patch::new()
                .set(Todo::FIELDS.id, 77)
                .set(Todo::FIELDS.title, "b"),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidBody(ref m) if m.starts_with("id property (id) cannot be updated")),
        "{err:?}"
    );
    assert_eq!(todos.find_by_id(id, None).await?, created);
    Ok(())
}

async fn update_all_with_an_empty_patch_is_invalid_body(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    todos.create(Todo::new("a")).await?;
    let err = todos.update_all(Patch::new(), None).await.unwrap_err();
    assert!(matches!(err, Error::InvalidBody(_)), "{err:?}");
    Ok(())
}

// LoopBack replaceById: replaces all model properties (using model instance as data).
async fn replace_by_id_replaces_all_model_properties(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos.create(todo("old", "old desc", true)).await?;
    let id = created.id.ok_or("no id")?;
    let replacement = Todo {
        id: Some(id),
        is_complete: Some(false),
        ..Todo::new("new")
    };
    todos.replace_by_id(id, replacement.clone()).await?;
    let found = todos.find_by_id(id, None).await?;
    assert_eq!(
        found, replacement,
        "desc, absent from the replacement, is cleared"
    );
    // Without an id in the body too.
    todos.replace_by_id(id, Todo::new("newer")).await?;
    assert_eq!(
        todos.find_by_id(id, None).await?,
        Todo {
            id: Some(id),
            ..Todo::new("newer")
        }
    );
    Ok(())
}

// LoopBack replaceById: replaces all model properties (using plain data object).
async fn replace_by_id_replaces_all_model_properties_using_plain_data(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos.create(todo("old", "old desc", true)).await?;
    let id = created.id.ok_or("no id")?;
    let records = ctx.records::<Todo>();
    records
        .replace_by_id(
            Value::Int(id),
            record(&[("title", Value::from("new")), ("desc", Value::from("d"))]),
        )
        .await?;
    let found = present(records.find_by_id(Value::Int(id), None).await?);
    assert_eq!(
        found,
        record(&[
            ("id", Value::Int(id)),
            ("title", Value::from("new")),
            ("desc", Value::from("d"))
        ])
    );
    Ok(())
}

async fn replace_by_id_of_a_missing_id_is_not_found(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    todos.create(Todo::new("a")).await?;
    let err = todos.replace_by_id(50, Todo::new("b")).await.unwrap_err();
    assert!(
        matches!(err, Error::NotFound { ref entity, ref id } if entity == "Todo" && id == "50"),
        "{err:?}"
    );
    assert_eq!(todos.count(None).await?, 1);
    assert!(!todos.exists(50).await?);
    Ok(())
}

async fn replace_by_id_with_another_id_in_the_body_is_invalid_body(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos
        .create_all(vec![Todo::new("a"), Todo::new("b")])
        .await?;
    let (first, second) = (created[0].id.ok_or("no id")?, created[1].id.ok_or("no id")?);
    let body = Todo {
        id: Some(second),
        ..Todo::new("x")
    };
    let err = todos.replace_by_id(first, body).await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidBody(ref m) if m.starts_with("id property (id) cannot be updated")),
        "{err:?}"
    );
    assert_eq!(todos.find(Filter::new()).await?, created, "nothing changed");
    Ok(())
}

async fn replace_by_id_with_the_same_id_in_the_body_is_fine(ctx: Ctx) -> TestResult {
    let accounts = ctx.repo::<Account>();
    accounts
        .create(Account {
            balance: Some(10),
            ..account("acc", "ann")
        })
        .await?;
    accounts
        .replace_by_id("acc".to_owned(), account("acc", "bob"))
        .await?;
    assert_eq!(
        accounts.find_by_id("acc".to_owned(), None).await?,
        account("acc", "bob")
    );
    Ok(())
}

async fn delete_by_id_removes_only_that_entity(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos
        .create_all(vec![Todo::new("a"), Todo::new("b")])
        .await?;
    todos.delete_by_id(created[0].id.ok_or("no id")?).await?;
    assert_eq!(todos.find(Filter::new()).await?, vec![created[1].clone()]);
    Ok(())
}

async fn delete_by_id_of_a_missing_id_is_not_found(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    todos.create(Todo::new("a")).await?;
    let err = todos.delete_by_id(7).await.unwrap_err();
    assert!(
        matches!(err, Error::NotFound { ref entity, ref id } if entity == "Todo" && id == "7"),
        "{err:?}"
    );
    assert_eq!(todos.count(None).await?, 1);
    Ok(())
}

async fn delete_by_id_twice_is_not_found_the_second_time(ctx: Ctx) -> TestResult {
    let accounts = ctx.repo::<Account>();
    accounts.create(account("x", "ann")).await?;
    accounts.delete_by_id("x".to_owned()).await?;
    let err = accounts.delete_by_id("x".to_owned()).await.unwrap_err();
    assert!(
        matches!(err, Error::NotFound { ref entity, .. } if entity == "Account"),
        "{err:?}"
    );
    Ok(())
}

async fn delete_all_without_where_deletes_everything(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    todos
        .create_all(vec![Todo::new("a"), Todo::new("b"), Todo::new("c")])
        .await?;
    assert_eq!(todos.delete_all(None).await?, 3);
    assert_eq!(todos.count(None).await?, 0);
    assert!(todos.find(Filter::new()).await?.is_empty());
    Ok(())
}

async fn delete_all_with_where_deletes_only_matches(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    todos
        .create_all(vec![
            todo("a", "x", true),
            todo("b", "y", false),
            todo("c", "z", true),
        ])
        .await?;
    assert_eq!(
        todos
            .delete_all(Some(Todo::FIELDS.is_complete.eq(true)))
            .await?,
        2
    );
    let rest = todos.find(Filter::new()).await?;
    assert_eq!(titles(&rest), ["b"]);
    Ok(())
}

async fn delete_all_with_no_match_returns_zero(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    assert_eq!(todos.delete_all(None).await?, 0);
    todos.create(Todo::new("a")).await?;
    assert_eq!(
        todos.delete_all(Some(Todo::FIELDS.title.eq("zzz"))).await?,
        0
    );
    assert_eq!(todos.count(None).await?, 1);
    Ok(())
}

async fn client_id_entity_full_crud_cycle(ctx: Ctx) -> TestResult {
    let accounts = ctx.repo::<Account>();
    let created = accounts.create(account("acc-1", "ann")).await?;
    assert_eq!(created, account("acc-1", "ann"));
    accounts
        .update_by_id(
            "acc-1".to_owned(),
            Patch::new().set(Account::FIELDS.balance, 5),
        )
        .await?;
    assert_eq!(
        accounts.find_by_id("acc-1".to_owned(), None).await?.balance,
        Some(5)
    );
    let saved = accounts.save(account("acc-1", "bob")).await?;
    assert_eq!(saved, account("acc-1", "bob"));
    assert_eq!(
        accounts.find_by_id("acc-1".to_owned(), None).await?,
        account("acc-1", "bob")
    );
    accounts.delete_by_id("acc-1".to_owned()).await?;
    assert_eq!(accounts.count(None).await?, 0);
    Ok(())
}

async fn records_create_from_a_record(ctx: Ctx) -> TestResult {
    let records = ctx.records::<Todo>();
    assert_eq!(records.model().name, "Todo");
    let created = records
        .create(record(&[
            ("title", Value::from("milk")),
            ("isComplete", Value::Bool(true)),
        ]))
        .await?;
    let id = created
        .get("id")
        .cloned()
        .ok_or("no id in the created record")?;
    assert!(matches!(id, Value::Int(_)), "{id:?}");
    let created = present(created);
    assert_eq!(
        created,
        record(&[
            ("id", id.clone()),
            ("title", Value::from("milk")),
            ("isComplete", Value::Bool(true))
        ])
    );
    assert_eq!(
        present(records.find_by_id(id.clone(), None).await?),
        created
    );
    // The typed repository sees the same entity.
    let Value::Int(n) = id else { unreachable!() };
    let typed = ctx.repo::<Todo>().find_by_id(n, None).await?;
    assert_eq!(
        typed,
        Todo {
            id: Some(n),
            is_complete: Some(true),
            ..Todo::new("milk")
        }
    );
    Ok(())
}

async fn records_find_by_id_coerces_a_string_id_to_an_integer(ctx: Ctx) -> TestResult {
    let created = ctx.repo::<Todo>().create(Todo::new("a")).await?;
    let id = created.id.ok_or("no id")?;
    let records = ctx.records::<Todo>();
    let found = records
        .find_by_id(Value::from(id.to_string().as_str()), None)
        .await?;
    assert_eq!(found.get("id"), Some(&Value::Int(id)));
    assert_eq!(found.get("title"), Some(&Value::from("a")));
    assert!(records.exists(Value::from(id.to_string().as_str())).await?);
    let err = records
        .find_by_id(Value::from("999"), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { ref id, .. } if id == "999"),
        "{err:?}"
    );
    Ok(())
}

async fn records_find_by_id_with_an_uncoercible_id_is_invalid_filter(ctx: Ctx) -> TestResult {
    let records = ctx.records::<Todo>();
    records
        .create(record(&[("title", Value::from("a"))]))
        .await?;
    for bad in [
        Value::from("abc"),
        Value::from("1.5"),
        Value::Float(1.5),
        Value::Bool(true),
        Value::Null,
    ] {
        let err = records.find_by_id(bad.clone(), None).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidFilter(ref e) if e.0.iter().any(|d| d.path == "/id")),
            "{bad:?}: {err:?}"
        );
    }
    Ok(())
}

async fn records_id_methods_reject_an_uncoercible_id(ctx: Ctx) -> TestResult {
    let records = ctx.records::<Todo>();
    records
        .create(record(&[("title", Value::from("a"))]))
        .await?;
    let is_id_error =
        |err: &Error| matches!(err, Error::InvalidFilter(e) if e.0.iter().any(|d| d.path == "/id"));
    let bad = || Value::from("x1");
    let err = records.exists(bad()).await.unwrap_err();
    assert!(is_id_error(&err), "exists: {err:?}");
    let err = records.delete_by_id(bad()).await.unwrap_err();
    assert!(is_id_error(&err), "delete_by_id: {err:?}");
    let err = records
        .update_by_id(bad(), record(&[("title", Value::from("b"))]))
        .await
        .unwrap_err();
    assert!(is_id_error(&err), "update_by_id: {err:?}");
    let err = records
        .replace_by_id(bad(), record(&[("title", Value::from("b"))]))
        .await
        .unwrap_err();
    assert!(is_id_error(&err), "replace_by_id: {err:?}");
    assert_eq!(
        records
            .count(Some(portico_domain::Where::cond(
                "title",
                portico_domain::Op::Eq(Value::from("a"))
            )))
            .await?,
        1
    );
    Ok(())
}

async fn records_update_and_delete_by_string_id(ctx: Ctx) -> TestResult {
    let records = ctx.records::<Todo>();
    let created = records
        .create(record(&[("title", Value::from("a"))]))
        .await?;
    let Some(Value::Int(id)) = created.get("id").cloned() else {
        return Err("no integer id".into());
    };
    let text_id = || Value::from(id.to_string().as_str());
    records
        .update_by_id(text_id(), record(&[("isComplete", Value::Bool(true))]))
        .await?;
    assert_eq!(
        records
            .find_by_id(Value::Int(id), None)
            .await?
            .get("isComplete"),
        Some(&Value::Bool(true))
    );
    records.delete_by_id(text_id()).await?;
    assert!(!records.exists(Value::Int(id)).await?);
    Ok(())
}

// LoopBack freeform-properties: free-form properties {strict: false} stores extra properties on
// create.
async fn free_form_properties_stored_on_create(ctx: Ctx) -> TestResult {
    let notes = ctx.records::<Note>();
    let created = notes
        .create(record(&[
            ("text", Value::from("hi")),
            ("extra", Value::from("more")),
            ("n", Value::Int(5)),
        ]))
        .await?;
    let id = created.get("id").cloned().ok_or("no id")?;
    let found = notes.find_by_id(id.clone(), None).await?;
    assert_eq!(found.get("text"), Some(&Value::from("hi")));
    assert_eq!(found.get("extra"), Some(&Value::from("more")));
    assert_eq!(found.get("n").map(|v| v.to_json()), Some(json!(5)));
    let public = Note::definition().to_public_json(&found);
    assert_eq!(public["extra"], json!("more"));
    // The typed repository ignores what the struct does not know.
    let Value::Int(n) = id else {
        return Err("a Note id is an integer".into());
    };
    let typed = ctx.repo::<Note>().find_by_id(n, None).await?;
    assert_eq!(
        typed,
        Note {
            id: Some(n),
            text: "hi".to_owned()
        }
    );
    Ok(())
}

// LoopBack freeform-properties: should warn that {strict: false} mode is not supported.
async fn free_form_model_is_unsupported_without_the_capability(ctx: Ctx) -> TestResult {
    let result = Repository::<Note>::new(ctx.store().clone());
    assert!(matches!(result, Err(Error::Unsupported(_))), "{result:?}");
    Ok(())
}
