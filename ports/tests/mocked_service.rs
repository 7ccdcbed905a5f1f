//! A small application service tested against a mocked repository port.

use std::sync::Arc;

use mockall::predicate::eq;
use portico_domain::{Entity, Error, Patch};
use portico_ports::{EntityRepository, MockEntityRepository};

#[derive(Entity, Clone, Debug, PartialEq)]
struct Todo {
    #[portico(id, generated)]
    id: Option<i64>,
    title: String,
    is_complete: Option<bool>,
}

/// Completes todos; refuses to complete one twice.
struct TodoService {
    todos: Arc<dyn EntityRepository<Todo>>,
}

impl TodoService {
    async fn complete(&self, id: i64) -> Result<(), String> {
        let todo = self
            .todos
            .find_by_id(id, None)
            .await
            .map_err(|e| e.to_string())?;
        if todo.is_complete == Some(true) {
            return Err(format!("todo {id} is already complete"));
        }
        let patch = Patch::new().set(Todo::FIELDS.is_complete, true);
        self.todos
            .update_by_id(id, patch)
            .await
            .map_err(|e| e.to_string())
    }
}

fn todo(id: i64, done: bool) -> Todo {
    Todo {
        id: Some(id),
        title: "milk".into(),
        is_complete: Some(done),
    }
}

#[tokio::test]
async fn completes_an_open_todo_with_one_patch() {
    let mut repo = MockEntityRepository::<Todo>::new();
    repo.expect_find_by_id()
        .with(eq(7), eq(None))
        .times(1)
        .returning(|_, _| Ok(todo(7, false)));
    repo.expect_update_by_id()
        .withf(|id, patch| {
            *id == 7 && patch.clone().into_record().get("isComplete") == Some(&true.into())
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let service = TodoService {
        todos: Arc::new(repo),
    };
    assert_eq!(service.complete(7).await, Ok(()));
}

#[tokio::test]
async fn refuses_a_complete_todo_without_writing() {
    let mut repo = MockEntityRepository::<Todo>::new();
    repo.expect_find_by_id().returning(|_, _| Ok(todo(3, true)));
    repo.expect_update_by_id().never();
    let service = TodoService {
        todos: Arc::new(repo),
    };
    assert_eq!(
        service.complete(3).await,
        Err("todo 3 is already complete".to_owned())
    );
}

#[tokio::test]
async fn reports_the_repository_error() {
    let mut repo = MockEntityRepository::<Todo>::new();
    repo.expect_find_by_id()
        .returning(|id, _| Err(Error::not_found("Todo", id)));
    let service = TodoService {
        todos: Arc::new(repo),
    };
    assert_eq!(
        service.complete(99).await,
        Err("Entity not found: Todo with id 99".to_owned())
    );
}
