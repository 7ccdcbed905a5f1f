//! Conformance cases: where_ops.

use portico_ports::EntityRepository;

use crate::fixtures::Todo;
use crate::{Case, Ctx, TestResult, cases};

pub(crate) fn cases() -> Vec<Case> {
    cases![where_ops_smoke]
}

async fn where_ops_smoke(ctx: Ctx) -> TestResult {
    let todos = ctx.repo::<Todo>();
    let created = todos.create(Todo::new("milk")).await?;
    assert_eq!(todos.find_by_id(created.id.unwrap(), None).await?, created);
    Ok(())
}
