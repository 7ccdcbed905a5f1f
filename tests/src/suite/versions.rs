//! Conformance cases: optimistic concurrency. A model's version property is 1 on create and
//! incremented by every write; a write expecting another version changes nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use portico_domain::{Error, Filter, Patch, Record, Value};
use portico_ports::{EntityRepository, RecordRepository, Repository};

use crate::fixtures::Ledger;
use crate::{Case, Ctx, HookedStore, StoreOp, TestResult, cases};

pub(crate) fn cases() -> Vec<Case> {
    cases![
        create_sets_version_one,
        every_write_increments_the_version,
        an_update_at_a_stale_version_changes_nothing,
        a_replace_at_a_stale_version_changes_nothing,
        delete_at_version_checks_the_version,
        update_all_increments_each_version_and_refuses_a_version_in_the_patch,
        concurrent_updates_at_one_version_let_exactly_one_through,
        a_write_without_a_version_gives_up_on_a_record_that_keeps_changing,
    ]
}

async fn created(ctx: &Ctx) -> Result<(i64, Ledger), Box<dyn std::error::Error + Send + Sync>> {
    let ledger = ctx.repo::<Ledger>().create(Ledger::new("ann")).await?;
    Ok((ledger.id.ok_or("no id")?, ledger))
}

fn is_stale(err: &Error, expected: i64, actual: i64) -> bool {
    matches!(err, Error::StaleVersion { entity, expected: e, actual: a, .. }
        if entity == "Ledger" && *e == expected && *a == actual)
}

async fn create_sets_version_one(ctx: Ctx) -> TestResult {
    let (id, ledger) = created(&ctx).await?;
    assert_eq!(ledger.version, Some(1));
    assert_eq!(
        ctx.repo::<Ledger>().find_by_id(id, None).await?.version,
        Some(1)
    );
    let mut given = Ledger::new("bob");
    given.version = Some(7);
    let ledger = ctx.repo::<Ledger>().create(given).await?;
    assert_eq!(ledger.version, Some(1), "a given version is not kept");
    Ok(())
}

async fn every_write_increments_the_version(ctx: Ctx) -> TestResult {
    let (id, mut ledger) = created(&ctx).await?;
    let ledgers = ctx.repo::<Ledger>();
    ledgers
        .update_by_id(id, Patch::new().set(Ledger::FIELDS.balance, 10))
        .await?;
    assert_eq!(ledgers.find_by_id(id, None).await?.version, Some(2));
    ledger.balance = Some(20);
    ledger.version = None;
    ledgers.replace_by_id(id, ledger.clone()).await?;
    assert_eq!(ledgers.find_by_id(id, None).await?.version, Some(3));
    ledger.version = Some(3);
    ledgers.save(ledger).await?;
    let stored = ledgers.find_by_id(id, None).await?;
    assert_eq!((stored.balance, stored.version), (Some(20), Some(4)));
    Ok(())
}

async fn an_update_at_a_stale_version_changes_nothing(ctx: Ctx) -> TestResult {
    let (id, _) = created(&ctx).await?;
    let ledgers = ctx.repo::<Ledger>();
    ledgers
        .update_by_id(
            id,
            Patch::new()
                .set(Ledger::FIELDS.balance, 1)
                .set(Ledger::FIELDS.version, 1),
        )
        .await?;
    let err = ledgers
        .update_by_id(
            id,
            Patch::new()
                .set(Ledger::FIELDS.balance, 2)
                .set(Ledger::FIELDS.version, 1),
        )
        .await
        .expect_err("version 1 is stale");
    assert!(is_stale(&err, 1, 2), "{err:?}");
    let stored = ledgers.find_by_id(id, None).await?;
    assert_eq!((stored.balance, stored.version), (Some(1), Some(2)));
    let err = ledgers
        .update_by_id(99, Patch::new().set(Ledger::FIELDS.balance, 2))
        .await
        .expect_err("missing");
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    Ok(())
}

async fn a_replace_at_a_stale_version_changes_nothing(ctx: Ctx) -> TestResult {
    let (id, mut ledger) = created(&ctx).await?;
    let ledgers = ctx.repo::<Ledger>();
    ledger.balance = Some(5);
    ledgers.replace_by_id(id, ledger.clone()).await?; // at version 1
    ledger.balance = Some(6);
    let err = ledgers
        .replace_by_id(id, ledger)
        .await
        .expect_err("still carries version 1");
    assert!(is_stale(&err, 1, 2), "{err:?}");
    assert_eq!(ledgers.find_by_id(id, None).await?.balance, Some(5));
    Ok(())
}

async fn delete_at_version_checks_the_version(ctx: Ctx) -> TestResult {
    let (id, _) = created(&ctx).await?;
    let records = ctx.records::<Ledger>();
    let mut patch = Record::new();
    patch.insert("balance".into(), Value::Int(3));
    records.update_by_id(id.into(), patch).await?;
    let err = records
        .delete_by_id_at_version(id.into(), 1)
        .await
        .expect_err("stale");
    assert!(is_stale(&err, 1, 2), "{err:?}");
    assert!(records.exists(id.into()).await?);
    records.delete_by_id_at_version(id.into(), 2).await?;
    assert!(!records.exists(id.into()).await?);
    let err = records
        .delete_by_id_at_version(id.into(), 2)
        .await
        .expect_err("gone");
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    Ok(())
}

async fn update_all_increments_each_version_and_refuses_a_version_in_the_patch(
    ctx: Ctx,
) -> TestResult {
    let ledgers = ctx.repo::<Ledger>();
    let (a, _) = created(&ctx).await?;
    ledgers.create(Ledger::new("bob")).await?;
    ledgers
        .update_by_id(a, Patch::new().set(Ledger::FIELDS.balance, 1))
        .await?;
    let n = ledgers
        .update_all(Patch::new().set(Ledger::FIELDS.balance, 9), None)
        .await?;
    assert_eq!(n, 2);
    let versions: Vec<(Option<i64>, Option<i64>)> = ledgers
        .find(Filter::new())
        .await?
        .into_iter()
        .map(|l| (l.balance, l.version))
        .collect();
    assert_eq!(versions, [(Some(9), Some(3)), (Some(9), Some(2))]);
    let err = ledgers
        .update_all(Patch::new().set(Ledger::FIELDS.version, 1), None)
        .await
        .expect_err("no version in a bulk patch");
    assert!(matches!(err, Error::InvalidBody(_)), "{err:?}");
    Ok(())
}

async fn concurrent_updates_at_one_version_let_exactly_one_through(ctx: Ctx) -> TestResult {
    let (id, _) = created(&ctx).await?;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..10 {
        let ledgers = ctx.repo::<Ledger>();
        tasks.spawn(async move {
            ledgers
                .update_by_id(
                    id,
                    Patch::new()
                        .set(Ledger::FIELDS.balance, i)
                        .set(Ledger::FIELDS.version, 1),
                )
                .await
        });
    }
    let (mut won, mut stale) = (0, 0);
    while let Some(outcome) = tasks.join_next().await {
        match outcome? {
            Ok(()) => won += 1,
            Err(Error::StaleVersion { .. }) => stale += 1,
            Err(other) => return Err(other.into()),
        }
    }
    assert_eq!((won, stale), (1, 9));
    assert_eq!(
        ctx.repo::<Ledger>().find_by_id(id, None).await?.version,
        Some(2)
    );
    Ok(())
}

/// A write carrying no version retries when a concurrent write moves the record on, but not
/// forever: a record that changes before every attempt gives a retryable conflict.
async fn a_write_without_a_version_gives_up_on_a_record_that_keeps_changing(
    ctx: Ctx,
) -> TestResult {
    let (id, _) = created(&ctx).await?;
    let attempts = Arc::new(AtomicUsize::new(0));
    let counted = attempts.clone();
    let other_writer = ctx.repo::<Ledger>();
    let racing = HookedStore::new(
        ctx.store().clone(),
        Box::new(move |op| {
            let other_writer = other_writer.clone();
            let counted = counted.clone();
            Box::pin(async move {
                if op == StoreOp::Update {
                    counted.fetch_add(1, Ordering::SeqCst);
                    // Moves the version on just before each compare-and-set.
                    other_writer
                        .update_by_id(
                            id,
                            Patch::new().set(Ledger::FIELDS.owner, "other".to_owned()),
                        )
                        .await
                        .expect("the other writer's update");
                }
            })
        }),
    );
    let ledgers: Repository<Ledger> = Repository::new(Arc::new(racing))?;
    let by_id = ledgers
        .update_by_id(id, Patch::new().set(Ledger::FIELDS.balance, 1))
        .await
        .expect_err("the record changed before every attempt");
    assert!(by_id.is_retryable(), "{by_id:?}");
    let tried = attempts.swap(0, Ordering::SeqCst);
    assert!((2..=64).contains(&tried), "bounded attempts, got {tried}");
    let all = ledgers
        .update_all(Patch::new().set(Ledger::FIELDS.balance, 1), None)
        .await
        .expect_err("the record changed before every attempt");
    assert!(all.is_retryable(), "{all:?}");
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        tried,
        "update_all gives up as soon"
    );
    let stored = ctx.repo::<Ledger>().find_by_id(id, None).await?;
    assert_eq!(
        stored.balance, None,
        "nothing of the abandoned write landed"
    );
    Ok(())
}
