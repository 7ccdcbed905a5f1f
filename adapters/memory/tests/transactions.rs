//! What the memory store's transactions promise beyond the conformance suite: a snapshot from
//! the beginning, serializability (no write skew), commits that never wait, ids reserved
//! outside the transaction, and conflicts checked per table.

use std::sync::Arc;
use std::time::Duration;

use portico_domain::{Entity, Error, Filter, Patch};
use portico_memory::MemoryStore;
use portico_ports::{EntityRepository, IsolationLevel, Repository, Store, TransactionOptions};

#[derive(Entity, Clone, Debug, PartialEq)]
struct Doctor {
    #[portico(id)]
    id: String,
    on_call: bool,
}

#[derive(Entity, Clone, Debug, PartialEq)]
struct Note {
    #[portico(id, generated)]
    id: Option<i64>,
    #[portico(unique)]
    text: String,
}

fn doctor(id: &str, on_call: bool) -> Doctor {
    Doctor {
        id: id.to_owned(),
        on_call,
    }
}

fn note(text: &str) -> Note {
    Note {
        id: None,
        text: text.to_owned(),
    }
}

fn serializable() -> TransactionOptions {
    IsolationLevel::Serializable.into()
}

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[tokio::test]
async fn a_transaction_reads_its_snapshot_and_its_own_writes() -> TestResult {
    let store = Arc::new(MemoryStore::new());
    let outside = Repository::<Note>::new(store.clone())?;
    outside.create(note("before")).await?;

    let tx = store.begin(TransactionOptions::new()).await?;
    let inside = tx.repository::<Note>()?;
    outside.create(note("meanwhile")).await?;
    inside.create(note("mine")).await?;
    let seen: Vec<String> = inside
        .find(Filter::new())
        .await?
        .into_iter()
        .map(|n| n.text)
        .collect();
    assert_eq!(
        seen,
        ["before", "mine"],
        "not what was written since it began"
    );
    tx.rollback().await?;
    assert_eq!(outside.count(None).await?, 2);
    Ok(())
}

/// Two transactions each check that another doctor is on call, then go off call themselves:
/// under snapshot isolation both would commit and leave nobody on call. Here the second fails.
#[tokio::test]
async fn write_skew_is_refused_with_a_retryable_conflict() -> TestResult {
    let store = Arc::new(MemoryStore::new());
    let doctors = Repository::<Doctor>::new(store.clone())?;
    doctors.create(doctor("ann", true)).await?;
    doctors.create(doctor("bob", true)).await?;

    let first = store.begin(serializable()).await?;
    let second = store.begin(serializable()).await?;
    for (tx, me) in [(&first, "ann"), (&second, "bob")] {
        let inside = tx.repository::<Doctor>()?;
        assert_eq!(
            inside
                .find(Filter::new())
                .await?
                .iter()
                .filter(|d| d.on_call)
                .count(),
            2
        );
        inside
            .update_by_id(
                me.to_owned(),
                Patch::new().set(Doctor::FIELDS.on_call, false),
            )
            .await?;
    }
    first.commit().await?;
    let refused = second.commit().await;
    assert!(
        matches!(&refused, Err(e @ Error::TransactionConflict(_)) if e.is_retryable()),
        "{refused:?}"
    );
    let on_call: Vec<String> = doctors
        .find(Filter::new())
        .await?
        .into_iter()
        .filter(|d| d.on_call)
        .map(|d| d.id)
        .collect();
    assert_eq!(on_call, ["bob"], "the refused commit applied nothing");
    Ok(())
}

#[tokio::test]
async fn a_write_outside_conflicts_with_a_transaction_that_read_the_table() -> TestResult {
    let store = Arc::new(MemoryStore::new());
    let doctors = Repository::<Doctor>::new(store.clone())?;
    let notes = Repository::<Note>::new(store.clone())?;
    doctors.create(doctor("ann", true)).await?;

    let tx = store.begin(TransactionOptions::new()).await?;
    tx.repository::<Doctor>()?.count(None).await?;
    tx.repository::<Note>()?
        .create(note("ann is on call"))
        .await?;
    doctors
        .update_by_id(
            "ann".to_owned(),
            Patch::new().set(Doctor::FIELDS.on_call, false),
        )
        .await?;
    assert!(matches!(
        tx.commit().await,
        Err(Error::TransactionConflict(_))
    ));
    assert_eq!(notes.count(None).await?, 0);
    Ok(())
}

#[tokio::test]
async fn unrelated_writes_and_migrations_do_not_conflict() -> TestResult {
    let store = Arc::new(MemoryStore::new());
    let doctors = Repository::<Doctor>::new(store.clone())?;
    let notes = Repository::<Note>::new(store.clone())?;

    let tx = store.begin(TransactionOptions::new()).await?;
    tx.repository::<Note>()?.create(note("kept")).await?;
    doctors.create(doctor("ann", true)).await?;
    store.migrate(Note::definition()).await?;
    // A write that matches nothing changes nothing, so it conflicts with nothing.
    assert_eq!(notes.delete_all(None).await?, 0);
    tx.commit().await?;
    assert_eq!(notes.count(None).await?, 1);
    assert_eq!(doctors.count(None).await?, 1);
    Ok(())
}

#[tokio::test]
async fn a_read_only_transaction_commits_whatever_changed_since() -> TestResult {
    let store = Arc::new(MemoryStore::new());
    let doctors = Repository::<Doctor>::new(store.clone())?;
    let tx = store.begin(serializable()).await?;
    assert_eq!(tx.repository::<Doctor>()?.count(None).await?, 0);
    doctors.create(doctor("ann", true)).await?;
    assert_eq!(tx.repository::<Doctor>()?.count(None).await?, 0);
    tx.commit().await?;
    Ok(())
}

#[tokio::test]
async fn generated_ids_are_never_reused_after_a_rollback() -> TestResult {
    let store = Arc::new(MemoryStore::new());
    let notes = Repository::<Note>::new(store.clone())?;
    let tx = store.begin(TransactionOptions::new()).await?;
    assert_eq!(
        tx.repository::<Note>()?.create(note("a")).await?.id,
        Some(1)
    );
    // Concurrent creates get other ids, inside or outside a transaction.
    assert_eq!(notes.create(note("b")).await?.id, Some(2));
    tx.rollback().await?;
    assert_eq!(notes.create(note("c")).await?.id, Some(3));
    Ok(())
}

#[tokio::test]
async fn a_zero_timeout_ends_the_transaction_at_once() -> TestResult {
    let store = Arc::new(MemoryStore::new());
    let tx = store
        .begin(TransactionOptions::new().timeout(Duration::ZERO))
        .await?;
    assert!(!tx.is_active());
    assert!(matches!(
        tx.repository::<Note>()?.count(None).await,
        Err(Error::TransactionClosed(m)) if m.contains("timed out")
    ));
    assert!(matches!(
        tx.commit().await,
        Err(Error::TransactionClosed(_))
    ));
    Ok(())
}

#[tokio::test]
async fn conflicts_name_no_value() -> TestResult {
    let store = Arc::new(MemoryStore::new());
    let doctors = Repository::<Doctor>::new(store.clone())?;
    doctors.create(doctor("dr-0xC0FFEE", true)).await?;
    let err = doctors
        .create(doctor("dr-0xC0FFEE", false))
        .await
        .unwrap_err();
    let Error::Conflict { entity, message } = &err else {
        return Err(format!("expected a conflict, got {err:?}").into());
    };
    assert_eq!(entity, "Doctor");
    assert_eq!(message, "Doctor with this id already exists");

    let notes = Repository::<Note>::new(store)?;
    notes.create(note("VALUE-0xC0FFEE")).await?;
    let err = notes.create(note("VALUE-0xC0FFEE")).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Note with this value of the unique property 'text' already exists"
    );
    Ok(())
}
