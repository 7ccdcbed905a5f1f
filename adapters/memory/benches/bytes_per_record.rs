//! What a stored record costs in memory: inserts LoopBack's Todo (the Todo app's eleven
//! properties, a small todo holding four of them) one by one, as `POST /todos` does, and
//! measures how much the process's resident set grows per todo (malloc's headers and rounding
//! included, as RSS counts them). The baseline, in the same run, is the same todos kept as the
//! ports' records (`BTreeMap<String, Value>`), which is how the store kept them before rows.
//!
//!   cargo bench -p portico-memory --bench bytes_per_record

use portico_domain::model::DEFAULT_DECIMAL;
use portico_domain::{ModelDef, PropertyDef, PropertyType, Record, Value};
use portico_memory::MemoryStore;
use portico_ports::Store;

/// The resident set now, in bytes (`/proc/self/statm`, Linux).
fn resident() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm (Linux)");
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("statm's resident field");
    pages * 4096.0
}

fn todo_model() -> ModelDef {
    let text = || PropertyType::String;
    ModelDef::new("Todo")
        .property(
            PropertyDef::new("id", PropertyType::Integer)
                .id()
                .generated(),
        )
        .property(PropertyDef::new("title", text()).required())
        .property(PropertyDef::new("desc", text()))
        .property(PropertyDef::new("isComplete", PropertyType::Boolean))
        .property(PropertyDef::new("remindAtAddress", text()))
        .property(PropertyDef::new("remindAtGeo", text()))
        .property(PropertyDef::new("tag", PropertyType::Json))
        .property(PropertyDef::new("dueDate", PropertyType::Date))
        .property(PropertyDef::new("priority", text()))
        .property(PropertyDef::new("estimateHours", DEFAULT_DECIMAL))
        .property(PropertyDef::new("todoListId", PropertyType::Integer))
}

/// A small todo, as the benchmark's `POST /todos` sends it.
fn small_todo(n: usize) -> Record {
    [
        ("title", Value::from(format!("todo {n}"))),
        ("desc", Value::from("Finish running this benchmark.")),
        ("isComplete", Value::Bool(false)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The bytes of the strings a todo holds: what any representation must keep.
fn string_bytes(record: &Record) -> usize {
    record
        .values()
        .map(|v| match v {
            Value::String(s) => s.len(),
            _ => 0,
        })
        .sum()
}

fn main() {
    let count: usize = std::env::var("RECORDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let model = todo_model();
    let strings: usize = (0..count).map(|n| string_bytes(&small_todo(n))).sum();
    let strings = strings as f64 / count as f64;

    // The store first, while the heap has nothing freed to reuse; it stays alive, so the
    // baseline's records then grow the heap by their own size.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let store = MemoryStore::new();
    runtime.block_on(store.migrate(&model)).expect("migrate");
    let before = resident();
    for n in 0..count {
        runtime
            .block_on(store.insert(&model, vec![small_todo(n)]))
            .expect("insert");
    }
    let stored = (resident() - before) / count as f64;

    let before = resident();
    let records: Vec<Record> = (0..count)
        .map(|n| {
            let mut r = small_todo(n);
            r.insert("id".to_owned(), Value::Int(n as i64 + 1));
            r
        })
        .collect();
    let baseline = (resident() - before) / count as f64;
    drop(records);
    drop(store);

    println!(
        "{count} small todos (4 of the Todo model's 11 properties; {strings:.0} string bytes each)"
    );
    println!();
    println!("| kept as | RSS growth per todo | beyond the strings |");
    println!("|---|---:|---:|");
    for (name, cost) in [
        ("records (BTreeMap<String, Value>), the baseline", baseline),
        ("the memory store's rows", stored),
    ] {
        println!("| {name} | {cost:.0} B | {:.0} B |", cost - strings);
    }
    let beyond = stored - strings;
    println!();
    println!(
        "rows ÷ records: {:.2}; beyond the strings {beyond:.0} B per todo ({} the goal of ≤ 300 B)",
        stored / baseline,
        if beyond <= 300.0 { "meets" } else { "misses" }
    );
}
