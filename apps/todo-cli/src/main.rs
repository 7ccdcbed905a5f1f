//! `todo-cli`: LoopBack's Todo example on the embedded memory store. It seeds a few todos and
//! prints those matching a LoopBack filter given as JSON or in the query-string bracket form:
//!
//! ```text
//! cargo run -p portico-todo-cli -- '{"where":{"isComplete":false},"order":"title DESC"}'
//! cargo run -p portico-todo-cli -- 'filter[where][title][like]=%25milk%25&filter[limit]=1'
//! ```
//!
//! It only composes: the model, the memory store and the repository port.

use std::process::ExitCode;
use std::sync::Arc;

use portico_domain::{CheckOptions, Checked, Entity, Error, Filter};
use portico_memory::MemoryStore;
use portico_ports::{EntityRepository, Repository, Store};

/// LoopBack's Todo model.
#[derive(Entity, Clone, Debug)]
struct Todo {
    #[portico(id, generated)]
    id: Option<i64>,
    /// What to do.
    title: String,
    desc: Option<String>,
    is_complete: Option<bool>,
    remind_at_address: Option<String>,
    remind_at_geo: Option<String>,
    tag: Option<serde_json::Value>,
}

fn todo(title: &str, desc: &str, done: bool) -> Todo {
    Todo {
        id: None,
        title: title.to_owned(),
        desc: Some(desc.to_owned()),
        is_complete: Some(done),
        remind_at_address: None,
        remind_at_geo: None,
        tag: None,
    }
}

/// Parses and checks the filter argument, reporting every problem at once.
fn parse(arg: &str, options: &CheckOptions) -> Result<Filter, String> {
    let trimmed = arg.trim();
    let model = Todo::definition();
    let checked = if trimmed.starts_with('{') {
        let json: serde_json::Value = serde_json::from_str(trimmed)
            .map_err(|e| format!("the filter is not valid JSON: {e}"))?;
        Filter::from_json_checked(&json, model, options).map(Some)
    } else {
        Filter::from_query_checked(trimmed, "filter", model, options)
    };
    checked
        .map(|f| f.map(Checked::into_inner).unwrap_or_default())
        .map_err(|e| e.to_string())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let store = Arc::new(MemoryStore::new());
    let options = CheckOptions::new(store.capabilities().clone());
    let filter = match parse(&std::env::args().nth(1).unwrap_or_default(), &options) {
        Ok(filter) => filter,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let todos = match Repository::<Todo>::new(store) {
        Ok(repo) => repo,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let seed = vec![
        todo("buy milk", "2 litres, semi-skimmed", false),
        todo("walk the dog", "around the park", true),
        todo("pay rent", "before the 5th", false),
        todo("call mum", "Sunday afternoon", false),
    ];
    if let Err(e) = todos.create_all(seed).await {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    match todos.find(filter).await {
        Ok(found) => {
            for todo in found {
                println!("{}", Todo::definition().to_public_json(&todo.to_record()));
            }
            ExitCode::SUCCESS
        }
        Err(e @ (Error::InvalidFilter(_) | Error::Unsupported(_))) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
