//! Conformance cases: transactions (`Store::begin`), on stores with the `transactions`
//! capability. LoopBack's `crud/transactions.suite.ts` (committed writes are retrieved, rollback,
//! isolation), plus what its juggler transaction tests and Portico's port promise: dropping
//! rolls back, several models in one transaction, the timeout, using an ended transaction,
//! conflicts reported as retryable, no nesting.
//!
//! Cases that run a reader or a second transaction beside an open one also pass where the
//! backend makes them wait for it (an in-memory SQLite database has one connection): what is
//! checked holds in either order, and no case depends on timing to pass.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use portico_domain::{Entity, Error, Patch, Record, Value};
use portico_ports::{
    EntityRepository, IsolationLevel, RecordRepository, Transaction, TransactionOptions,
};

use crate::fixtures::{Account, Tag, Todo};
use crate::{Case, Ctx, TestResult, cases};

pub(crate) fn cases() -> Vec<Case> {
    cases![
        a_store_without_transactions_refuses_to_begin if |c| !c.transactions,
        committed_writes_are_retrieved_inside_and_after if |c| c.transactions,
        ping_answers_inside_a_transaction if |c| c.transactions,
        rollback_discards_every_write if |c| c.transactions,
        uncommitted_writes_are_invisible_outside if |c| c.transactions,
        dropping_an_unfinished_transaction_rolls_it_back if |c| c.transactions,
        several_models_commit_together if |c| c.transactions,
        several_models_roll_back_together if |c| c.transactions,
        an_ended_transaction_can_no_longer_be_used if |c| c.transactions,
        the_timeout_rolls_back_and_closes_the_transaction if |c| c.transactions,
        concurrent_read_then_write_transactions_lose_no_update if |c| c.transactions,
        a_failed_write_inside_a_transaction_applies_nothing_of_it if |c| c.transactions,
        every_isolation_level_begins_or_is_refused_as_unsupported if |c| c.transactions,
        transactions_do_not_nest_and_do_not_migrate if |c| c.transactions,
    ]
}

fn account(id: &str, balance: i64) -> Account {
    Account {
        id: id.to_owned(),
        owner: "ann".to_owned(),
        balance: Some(balance),
    }
}

fn is_closed(result: &Result<impl std::fmt::Debug, Error>) -> bool {
    matches!(result, Err(Error::TransactionClosed(_)))
}

async fn begin(ctx: &Ctx, options: TransactionOptions) -> Result<Transaction, Error> {
    ctx.store().begin(options).await
}

async fn a_store_without_transactions_refuses_to_begin(ctx: Ctx) -> TestResult {
    let result = begin(&ctx, TransactionOptions::new()).await;
    assert!(
        matches!(result, Err(Error::Unsupported(_))),
        "{:?}",
        result.map(|_| ())
    );
    Ok(())
}

/// `Store::ping` runs on the transaction's store too (on its connection), and the transaction
/// goes on.
async fn ping_answers_inside_a_transaction(ctx: Ctx) -> TestResult {
    let tx = begin(&ctx, TransactionOptions::new()).await?;
    tx.store().ping().await?;
    let todos = tx.repository::<Todo>()?;
    todos.create(Todo::new("after the ping")).await?;
    tx.commit().await?;
    assert_eq!(ctx.repo::<Todo>().count(None).await?, 1);
    Ok(())
}

/// LoopBack: "retrieves model instance once transaction is committed".
async fn committed_writes_are_retrieved_inside_and_after(ctx: Ctx) -> TestResult {
    let tx = begin(&ctx, TransactionOptions::new()).await?;
    assert!(tx.is_active());
    let todos = tx.repository::<Todo>()?;
    let created = todos.create(Todo::new("Pencil")).await?;
    let id = created.id.ok_or("no id")?;
    assert_eq!(todos.find_by_id(id, None).await?, created, "seen inside");
    tx.commit().await?;
    assert_eq!(
        ctx.repo::<Todo>().find_by_id(id, None).await?,
        created,
        "seen after the commit"
    );
    Ok(())
}

/// LoopBack: "can rollback transaction".
async fn rollback_discards_every_write(ctx: Ctx) -> TestResult {
    let outside = ctx.repo::<Account>();
    outside.create(account("kept", 1)).await?;
    outside.create(account("gone", 2)).await?;

    let tx = begin(&ctx, TransactionOptions::new()).await?;
    let accounts = tx.repository::<Account>()?;
    accounts.create(account("new", 3)).await?;
    accounts
        .update_by_id(
            "kept".to_owned(),
            Patch::new().set(Account::FIELDS.balance, 10),
        )
        .await?;
    accounts.delete_by_id("gone".to_owned()).await?;
    assert_eq!(accounts.count(None).await?, 2, "inside: kept and new");
    tx.rollback().await?;

    assert!(!outside.exists("new".to_owned()).await?);
    assert_eq!(
        outside.find_by_id("kept".to_owned(), None).await?.balance,
        Some(1)
    );
    assert!(outside.exists("gone".to_owned()).await?);
    Ok(())
}

/// LoopBack: "ensures transactions are isolated". A reader outside runs beside the open
/// transaction, which then rolls back: whether the reader ran at once (MVCC) or waited for
/// the transaction to end, it saw none of its writes.
async fn uncommitted_writes_are_invisible_outside(ctx: Ctx) -> TestResult {
    let outside = ctx.repo::<Account>();
    outside.create(account("a", 1)).await?;

    let tx = begin(&ctx, TransactionOptions::new()).await?;
    let inside = tx.repository::<Account>()?;
    inside.create(account("b", 2)).await?;
    inside
        .update_by_id("a".to_owned(), Patch::new().set(Account::FIELDS.balance, 5))
        .await?;
    let (seen, rolled_back) = tokio::join!(
        async {
            let b = outside.exists("b".to_owned()).await?;
            let a = outside.find_by_id("a".to_owned(), None).await?;
            Ok::<_, Error>((b, a.balance))
        },
        async {
            // Gives a reader that does not wait for the transaction time to read first.
            tokio::time::sleep(Duration::from_millis(100)).await;
            tx.rollback().await
        }
    );
    rolled_back?;
    assert_eq!(seen?, (false, Some(1)), "no uncommitted write is visible");
    Ok(())
}

/// Dropping an unfinished transaction rolls it back and releases what it holds (an outside
/// write to the row it changed goes through), even while a repository over its store lives
/// on: that repository then answers `TransactionClosed`.
async fn dropping_an_unfinished_transaction_rolls_it_back(ctx: Ctx) -> TestResult {
    let outside = ctx.repo::<Account>();
    outside.create(account("a", 1)).await?;

    let tx = begin(&ctx, TransactionOptions::new()).await?;
    let inside = tx.repository::<Account>()?;
    inside
        .update_by_id("a".to_owned(), Patch::new().set(Account::FIELDS.balance, 5))
        .await?;
    inside.create(account("b", 2)).await?;
    drop(tx);

    assert!(
        is_closed(&inside.count(None).await),
        "the repository it left"
    );
    tokio::time::timeout(
        Duration::from_secs(30),
        outside.update_by_id("a".to_owned(), Patch::new().set(Account::FIELDS.balance, 7)),
    )
    .await
    .map_err(|_| "the dropped transaction still holds the row")??;
    assert_eq!(
        outside.find_by_id("a".to_owned(), None).await?.balance,
        Some(7)
    );
    assert!(!outside.exists("b".to_owned()).await?);
    Ok(())
}

async fn several_models_commit_together(ctx: Ctx) -> TestResult {
    let tx = begin(&ctx, TransactionOptions::new()).await?;
    let todo = tx.repository::<Todo>()?.create(Todo::new("pay")).await?;
    // Typed and untyped repositories alike.
    let accounts = tx.records(Arc::new(Account::definition().clone()))?;
    let record: Record = [
        ("id".to_owned(), Value::from("acc")),
        ("owner".to_owned(), Value::from("bob")),
    ]
    .into_iter()
    .collect();
    accounts.create(record).await?;
    tx.commit().await?;

    assert!(ctx.repo::<Todo>().exists(todo.id.ok_or("no id")?).await?);
    assert!(ctx.repo::<Account>().exists("acc".to_owned()).await?);
    Ok(())
}

async fn several_models_roll_back_together(ctx: Ctx) -> TestResult {
    let tx = begin(&ctx, TransactionOptions::new()).await?;
    let todo = tx.repository::<Todo>()?.create(Todo::new("pay")).await?;
    tx.repository::<Account>()?
        .create(account("acc", 1))
        .await?;
    tx.repository::<Tag>()?
        .create(Tag {
            id: None,
            label: "urgent".to_owned(),
        })
        .await?;
    tx.rollback().await?;

    assert!(!ctx.repo::<Todo>().exists(todo.id.ok_or("no id")?).await?);
    assert_eq!(ctx.repo::<Account>().count(None).await?, 0);
    assert_eq!(ctx.repo::<Tag>().count(None).await?, 0);
    Ok(())
}

async fn an_ended_transaction_can_no_longer_be_used(ctx: Ctx) -> TestResult {
    let tx = begin(&ctx, TransactionOptions::new()).await?;
    let todos = tx.repository::<Todo>()?;
    todos.create(Todo::new("once")).await?;
    tx.commit().await?;
    assert!(is_closed(&todos.create(Todo::new("twice")).await));
    assert!(is_closed(&todos.find(Default::default()).await));
    assert_eq!(ctx.repo::<Todo>().count(None).await?, 1);

    let tx = begin(&ctx, TransactionOptions::new()).await?;
    let todos = tx.repository::<Todo>()?;
    tx.rollback().await?;
    assert!(is_closed(&todos.count(None).await));
    Ok(())
}

/// After its timeout a transaction is rolled back, whether or not it is in use, and every
/// later call — commit included — fails with `TransactionClosed`.
async fn the_timeout_rolls_back_and_closes_the_transaction(ctx: Ctx) -> TestResult {
    let timeout = Duration::from_millis(300);
    let tx = begin(&ctx, TransactionOptions::new().timeout(timeout)).await?;
    assert_eq!(tx.options().timeout, Some(timeout));
    let accounts = tx.repository::<Account>()?;
    accounts.create(account("late", 1)).await?;
    tokio::time::sleep(timeout * 3).await;
    assert!(!tx.is_active());
    assert!(is_closed(&accounts.count(None).await));
    assert!(is_closed(&tx.commit().await));
    assert!(!ctx.repo::<Account>().exists("late".to_owned()).await?);

    // Idle from the start: nothing keeps it alive either.
    let tx = begin(&ctx, TransactionOptions::new().timeout(timeout)).await?;
    tokio::time::sleep(timeout * 3).await;
    assert!(is_closed(&tx.rollback().await));
    Ok(())
}

/// Two transactions each read a balance and write it back plus one, at the strictest level
/// the store offers. Where both read before either writes (they overlap), the backend MUST
/// refuse one with a retryable `TransactionConflict` (at the write or at commit); where it runs
/// them one after the other (SQLite's write lock), both commit. Either way, retrying the
/// refused one loses no update.
async fn concurrent_read_then_write_transactions_lose_no_update(ctx: Ctx) -> TestResult {
    ctx.repo::<Account>().create(account("a", 0)).await?;
    let level = match begin(&ctx, IsolationLevel::Serializable.into()).await {
        Ok(tx) => {
            tx.rollback().await?;
            IsolationLevel::Serializable
        }
        Err(Error::Unsupported(_)) => IsolationLevel::RepeatableRead,
        Err(e) => return Err(e.into()),
    };
    let arrived = AtomicUsize::new(0);
    let conflicts = AtomicUsize::new(0);
    let overlapped = AtomicBool::new(false);
    let increment = || {
        let (ctx, arrived, conflicts, overlapped) = (&ctx, &arrived, &conflicts, &overlapped);
        async move {
            for _ in 0..10 {
                let tx = begin(ctx, level.into()).await?;
                let accounts = tx.repository::<Account>()?;
                let attempt = async {
                    let balance = accounts
                        .find_by_id("a".to_owned(), None)
                        .await?
                        .balance
                        .unwrap_or(0);
                    // Both read before either writes, unless the backend keeps the second
                    // transaction from starting while the first is open (then the first goes
                    // on after a while). Retries find both arrived.
                    let first = arrived.fetch_add(1, Ordering::SeqCst) == 0;
                    let both = tokio::time::timeout(Duration::from_secs(2), async {
                        while arrived.load(Ordering::SeqCst) < 2 {
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                    })
                    .await
                    .is_ok();
                    if first && both {
                        overlapped.store(true, Ordering::SeqCst);
                    }
                    accounts
                        .update_by_id(
                            "a".to_owned(),
                            Patch::new().set(Account::FIELDS.balance, balance + 1),
                        )
                        .await
                };
                let outcome = match attempt.await {
                    Ok(()) => tx.commit().await,
                    Err(e) => {
                        let _ = tx.rollback().await;
                        Err(e)
                    }
                };
                match outcome {
                    Ok(()) => return Ok::<_, Error>(()),
                    Err(e) if e.is_retryable() => {
                        conflicts.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(Error::Unsupported("no attempt of ten committed".to_owned()))
        }
    };
    let (first, second) = tokio::join!(increment(), increment());
    first?;
    second?;
    let balance = ctx
        .repo::<Account>()
        .find_by_id("a".to_owned(), None)
        .await?
        .balance;
    let conflicts = conflicts.load(Ordering::SeqCst);
    assert_eq!(
        balance,
        Some(2),
        "no update is lost ({conflicts} conflicts)"
    );
    if overlapped.load(Ordering::SeqCst) {
        assert!(
            conflicts > 0,
            "both read the balance first: one MUST have conflicted"
        );
    }
    Ok(())
}

/// A write that fails inside a transaction (here a unique conflict within a batch) applies
/// nothing of itself. Afterwards the transaction either goes on (MySQL, SQLite) or was ended
/// by the backend (PostgreSQL, MongoDB abort a transaction on a failed statement) and says so;
/// either way no record of the failed batch is ever committed.
async fn a_failed_write_inside_a_transaction_applies_nothing_of_it(ctx: Ctx) -> TestResult {
    ctx.repo::<Account>().create(account("taken", 1)).await?;
    let tx = begin(&ctx, TransactionOptions::new()).await?;
    let accounts = tx.repository::<Account>()?;
    accounts.create(account("before", 1)).await?;
    let failed = accounts
        .create_all(vec![account("x", 1), account("taken", 2)])
        .await;
    assert!(
        matches!(failed, Err(Error::Conflict { .. })),
        "{:?}",
        failed.map(|_| ())
    );
    match accounts.exists("x".to_owned()).await {
        Ok(exists) => {
            assert!(!exists, "the batch applied nothing inside the transaction");
            tx.commit().await?;
            assert!(ctx.repo::<Account>().exists("before".to_owned()).await?);
        }
        Err(Error::TransactionClosed(_)) => {
            assert!(!tx.is_active());
            assert!(
                tx.commit().await.is_err(),
                "a closed transaction commits nothing"
            );
            assert!(!ctx.repo::<Account>().exists("before".to_owned()).await?);
        }
        Err(e) => return Err(e.into()),
    }
    assert!(!ctx.repo::<Account>().exists("x".to_owned()).await?);
    assert_eq!(
        ctx.repo::<Account>()
            .find_by_id("taken".to_owned(), None)
            .await?
            .balance,
        Some(1)
    );
    Ok(())
}

async fn every_isolation_level_begins_or_is_refused_as_unsupported(ctx: Ctx) -> TestResult {
    for level in IsolationLevel::ALL {
        match begin(&ctx, level.into()).await {
            Ok(tx) => {
                assert_eq!(tx.options().isolation, level);
                tx.repository::<Todo>()?.count(None).await?;
                tx.rollback().await?;
            }
            Err(Error::Unsupported(_)) if level != IsolationLevel::ReadCommitted => {}
            Err(e) => return Err(format!("{level}: {e}").into()),
        }
    }
    Ok(())
}

async fn transactions_do_not_nest_and_do_not_migrate(ctx: Ctx) -> TestResult {
    let tx = begin(&ctx, TransactionOptions::new()).await?;
    let store = tx.store();
    assert!(!store.capabilities().transactions);
    let nested = store.begin(TransactionOptions::new()).await;
    assert!(
        matches!(nested, Err(Error::Unsupported(_))),
        "{:?}",
        nested.map(|_| ())
    );
    assert!(matches!(
        store.migrate(Todo::definition()).await,
        Err(Error::Unsupported(_))
    ));
    // Still usable.
    tx.repository::<Todo>()?.create(Todo::new("after")).await?;
    tx.commit().await?;
    assert_eq!(ctx.repo::<Todo>().count(None).await?, 1);
    Ok(())
}
