//! The published document: snapshots, relations, references, hidden properties, read-only
//! resources and operators.
use std::sync::Arc;

use expect_test::expect_file;
use portico_domain::{Capabilities, Entity};
use portico_ports::Repository;

use portico_domain::PropertyType;
use serde_json::{Value as Json, json};

use super::filter::operator_schemas;
use super::schema::schema_ref;
use super::{ApiInfo, document};
use crate::relation::RelationResource;
use crate::{CrudResource, DEFAULT_BODY_LIMIT};

/// The document of these resources and relations, from their route table.
fn doc(info: &ApiInfo, resources: &[CrudResource], relations: &[RelationResource]) -> Json {
    let table = crate::routes::table(resources, relations, DEFAULT_BODY_LIMIT, &|_, own| {
        own.cloned().unwrap_or(portico_ports::Access::Public)
    });
    document(
        info,
        &super::Parts {
            resources,
            relations,
            table: &table,
            extra_paths: &[],
            custom: &[],
            body_limit: DEFAULT_BODY_LIMIT,
            policies: &[],
            security_schemes: None,
        },
    )
}

/// LoopBack's Todo model, as the app declares it.
#[derive(Entity, Clone, Debug)]
struct Todo {
    #[portico(id, generated)]
    id: Option<i64>,
    /// What to do.
    #[portico(length(min = 1, max = 200))]
    title: String,
    desc: Option<String>,
    is_complete: Option<bool>,
    remind_at_address: Option<String>,
    remind_at_geo: Option<String>,
    tag: Option<serde_json::Value>,
}

/// A model with a hidden property and a client-supplied id.
#[derive(Entity, Clone, Debug)]
struct Account {
    #[portico(id)]
    code: String,
    #[portico(hidden)]
    password: Option<String>,
    #[portico(default = 0)]
    logins: i64,
}

/// LoopBack's TodoList example: a list has many todos and one image.
#[derive(Entity, Clone, Debug)]
#[allow(dead_code)] // only the metadata is used
struct TodoList {
    #[portico(id, generated)]
    id: Option<i64>,
    title: String,
    color: Option<String>,
    #[portico(has_many(target = ListTodo))]
    todos: Option<Vec<ListTodo>>,
    #[portico(has_one(target = TodoListImage))]
    image: Option<Box<TodoListImage>>,
}

/// A todo of a list (named `Todo` in the document).
#[derive(Entity, Clone, Debug)]
#[portico(name = "Todo")]
#[allow(dead_code)] // only the metadata is used
struct ListTodo {
    #[portico(id, generated)]
    id: Option<i64>,
    title: String,
    is_complete: Option<bool>,
    todo_list_id: Option<i64>,
    #[portico(belongs_to(target = TodoList))]
    todo_list: Option<Box<TodoList>>,
}

/// The image of a list; its key is required, yet optional in a relation's create body.
#[derive(Entity, Clone, Debug)]
struct TodoListImage {
    #[portico(id, generated)]
    id: Option<i64>,
    value: String,
    todo_list_id: i64,
}

fn records<E: Entity>() -> portico_ports::CrudRepository {
    let store = Arc::new(portico_memory::MemoryStore::new());
    Repository::<E>::new(store)
        .expect("a valid model")
        .records()
        .clone()
}

fn todo_list_document() -> Json {
    let lists = records::<TodoList>();
    let todos = records::<ListTodo>();
    doc(
        &ApiInfo::new("todo-list", "1.0.0"),
        &[
            CrudResource::new("/todo-lists", Arc::new(lists.clone())),
            CrudResource::new("/todos", Arc::new(todos.clone())),
        ],
        &[
            RelationResource::new("/todo-lists", lists.clone(), "todos"),
            RelationResource::new("/todo-lists", lists, "image"),
            RelationResource::new("/todos", todos, "todoList"),
        ],
    )
}

#[test]
fn todo_list_document_matches_the_snapshot() {
    let pretty = serde_json::to_string_pretty(&todo_list_document()).expect("JSON");
    expect_file!["../snapshots/todo_list_openapi.json"].assert_eq(&format!("{pretty}\n"));
}

#[test]
fn relations_are_documented() {
    let document = todo_list_document();
    let schemas = &document["components"]["schemas"];
    let operation_ids: Vec<(&str, &str)> = document["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.iter())
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flat_map(|item| item.values())
                .filter_map(move |op| op["operationId"].as_str().map(|id| (path.as_str(), id)))
        })
        .collect();
    for expected in [
        ("/todo-lists/{id}/todos", "TodoListTodoController.find"),
        ("/todo-lists/{id}/todos", "TodoListTodoController.create"),
        ("/todo-lists/{id}/todos", "TodoListTodoController.patch"),
        ("/todo-lists/{id}/todos", "TodoListTodoController.delete"),
        (
            "/todo-lists/{id}/image",
            "TodoListTodoListImageController.get",
        ),
        (
            "/todo-lists/{id}/image",
            "TodoListTodoListImageController.create",
        ),
        (
            "/todo-lists/{id}/image",
            "TodoListTodoListImageController.patch",
        ),
        (
            "/todo-lists/{id}/image",
            "TodoListTodoListImageController.delete",
        ),
        (
            "/todos/{id}/todo-list",
            "TodoTodoListController.getTodoList",
        ),
    ] {
        assert!(
            operation_ids.contains(&expected),
            "{expected:?} in {operation_ids:?}"
        );
    }
    // Lists are answered with their navigational properties.
    let list_items = &document["paths"]["/todo-lists"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"]["items"];
    assert_eq!(list_items, &schema_ref("TodoListWithRelations"));
    let with = &schemas["TodoListWithRelations"]["properties"];
    assert_eq!(
        with["todos"],
        json!({"type": "array", "items": schema_ref("TodoWithRelations")})
    );
    assert_eq!(with["image"], schema_ref("TodoListImageWithRelations"));
    // Reads answer what `fields` selects: nothing is required in them.
    assert!(schemas["TodoListWithRelations"].get("required").is_none());
    assert_eq!(schemas["TodoList"]["required"], json!(["title"]));
    assert_eq!(
        schemas["TodoWithRelations"]["properties"]["todoList"],
        schema_ref("TodoListWithRelations")
    );
    // `include` names the relations; each scope is a filter of the target.
    // (Every filter key may also be null, which reads as absent: the first alternative.)
    let include = &schemas["TodoList.Filter"]["properties"]["include"]["oneOf"][0];
    assert_eq!(
        include["items"]["anyOf"][0]["enum"],
        json!(["todos", "image"])
    );
    assert_eq!(
        include["items"]["anyOf"][1]["properties"]["scope"],
        schema_ref("Todo.Filter")
    );
    assert!(schemas["TodoList.FilterExcludingWhere"]["properties"]["include"].is_object());
    assert!(
        schemas["TodoListImage.Filter"]["properties"]
            .get("include")
            .is_none()
    );
    // A relation's create body: no generated id, the key it sets optional.
    let new_image = &schemas["NewTodoListImageInTodoList"];
    assert_eq!(new_image["required"], json!(["value"]));
    assert!(new_image["properties"].get("id").is_none());
    assert!(new_image["properties"]["todoListId"].is_object());
    assert_eq!(schemas["NewTodoListImage"], Json::Null, "no CRUD resource");
    assert!(schemas["TodoListImagePartial"].is_object());
}

/// Every `$ref` in `json`.
fn refs(json: &Json, out: &mut Vec<String>) {
    match json {
        Json::Object(map) => {
            if let Some(Json::String(target)) = map.get("$ref") {
                out.push(target.clone());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Json::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves_and_every_operation_id_is_unique() {
    let document = todo_list_document();
    let mut found = Vec::new();
    refs(&document, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{target} is not a component schema"));
        assert!(
            document["components"]["schemas"].get(name).is_some(),
            "{target} does not resolve"
        );
    }
    let mut ids: Vec<&str> = document["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Json::as_object)
        .flat_map(|item| item.values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let total = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), total, "duplicate operation ids");
}

#[test]
fn relation_controllers_are_unique() {
    let lists = records::<TodoList>();
    let document = doc(
        &ApiInfo::new("a", "1"),
        &[],
        &[
            RelationResource::new("/todo-lists", lists.clone(), "todos"),
            RelationResource::new("/todo-lists", lists, "todos")
                .segment("items")
                .read_only(true),
        ],
    );
    let get = |path: &str| document["paths"][path]["get"]["operationId"].clone();
    assert_eq!(get("/todo-lists/{id}/todos"), "TodoListTodoController.find");
    assert_eq!(
        get("/todo-lists/{id}/items"),
        "TodoListTodosController.find"
    );
    assert!(
        document["paths"]["/todo-lists/{id}/items"]
            .get("post")
            .is_none()
    );
}

fn resource<E: Entity>(base: &str) -> CrudResource {
    let store = Arc::new(portico_memory::MemoryStore::new());
    let repository = Repository::<E>::new(store).expect("a valid model");
    CrudResource::new(base, Arc::new(repository.records().clone()))
}

#[test]
fn todo_document_matches_the_snapshot() {
    let document = doc(
        &ApiInfo::new("todo", "1.0.0"),
        &[resource::<Todo>("/todos")],
        &[],
    );
    let pretty = serde_json::to_string_pretty(&document).expect("JSON");
    expect_file!["../snapshots/todo_openapi.json"].assert_eq(&format!("{pretty}\n"));
}

#[test]
fn hidden_properties_stay_out_of_responses_but_not_of_inputs() {
    let document = doc(
        &ApiInfo::new("a", "1"),
        &[resource::<Account>("/accounts")],
        &[],
    );
    let schemas = &document["components"]["schemas"];
    assert!(schemas["Account"]["properties"].get("password").is_none());
    assert!(
        schemas["NewAccount"]["properties"]
            .get("password")
            .is_some()
    );
    assert!(
        schemas["AccountPartial"]["properties"]
            .get("password")
            .is_some()
    );
    assert!(
        schemas["AccountReplacement"]["properties"]
            .get("password")
            .is_some()
    );
    assert!(
        schemas["Account.WhereFilter"]["properties"]
            .get("password")
            .is_none()
    );
    assert_eq!(
        document["paths"]["/accounts/{code}"]["put"]["requestBody"]["content"]["application/json"]
            ["schema"],
        json!({"$ref": "#/components/schemas/AccountReplacement"})
    );
    // A client-supplied id is required on create; a defaulted property is not.
    assert_eq!(schemas["NewAccount"]["required"], json!(["code"]));
    assert_eq!(
        schemas["Account"]["properties"]["logins"]["default"],
        json!(0)
    );
}

#[test]
fn read_only_resources_publish_only_reads() {
    let document = doc(
        &ApiInfo::new("todo", "1"),
        &[resource::<Todo>("/todos").read_only(true)],
        &[],
    );
    let methods = |path: &str| -> Vec<String> {
        document["paths"][path]
            .as_object()
            .map(|item| item.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert_eq!(methods("/todos"), ["get"]);
    assert_eq!(methods("/todos/{id}"), ["get"]);
    assert_eq!(methods("/todos/count"), ["get"]);
    assert!(document["components"]["schemas"].get("NewTodo").is_none());
}

#[test]
fn where_operators_follow_types_and_capabilities() {
    let minimal = operator_schemas(&PropertyType::String, &Capabilities::minimal(), 10);
    assert!(minimal.contains_key("like") && !minimal.contains_key("ilike"));
    let all = operator_schemas(&PropertyType::String, &Capabilities::all_operators(), 10);
    assert!(all.contains_key("ilike") && all.contains_key("regexp"));
    let boolean = operator_schemas(&PropertyType::Boolean, &Capabilities::all_operators(), 10);
    assert!(!boolean.contains_key("gt") && !boolean.contains_key("like"));
    let any = operator_schemas(&PropertyType::Json, &Capabilities::all_operators(), 10);
    let mut keys: Vec<&str> = any.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["eq", "exists", "neq"]);
}

/// A book's binding: an enum property.
#[derive(portico_domain::PropertyEnum, Clone, Copy, Debug, PartialEq)]
#[portico(rename_all = "lowercase")]
#[allow(dead_code)] // only the metadata is used
enum Binding {
    Hardcover,
    Paperback,
    #[portico(rename = "e-book")]
    Ebook,
}

/// An embedded value object.
#[derive(portico_domain::Embedded, Clone, Debug, PartialEq)]
#[allow(dead_code)]
struct Publisher {
    name: String,
    city: Option<String>,
    #[portico(length(max = 10))]
    zip: Option<String>,
    founded: Option<portico_domain::NaiveDate>,
}

/// An embedded value object held in a list.
#[derive(portico_domain::Embedded, Clone, Debug, PartialEq)]
#[allow(dead_code)]
struct Edition {
    number: i32,
    #[portico(decimal(precision = 8, scale = 2))]
    price: Option<portico_domain::Decimal>,
}

/// Every value type beyond the scalars.
#[derive(Entity, Clone, Debug)]
#[allow(dead_code)]
struct Book {
    #[portico(id, generated)]
    id: Option<i64>,
    title: String,
    published: Option<portico_domain::NaiveDate>,
    #[portico(decimal(precision = 10, scale = 2))]
    price: Option<portico_domain::Decimal>,
    binding: Option<Binding>,
    bindings: Option<Vec<Binding>>,
    publisher: Option<Publisher>,
    editions: Option<Vec<Edition>>,
    cover: Option<Vec<u8>>,
}

/// Another model embedding the same object type.
#[derive(Entity, Clone, Debug)]
#[allow(dead_code)]
struct Magazine {
    #[portico(id, generated)]
    id: Option<i64>,
    publisher: Publisher,
    #[portico(decimal(precision = 6, scale = 1))]
    price: portico_domain::Decimal,
}

fn book_document() -> Json {
    doc(
        &ApiInfo::new("books", "1"),
        &[
            resource::<Book>("/books"),
            resource::<Magazine>("/magazines"),
        ],
        &[],
    )
}

#[test]
fn value_type_schemas_match_the_snapshot() {
    let document = book_document();
    let schemas = &document["components"]["schemas"];
    let mut picked = serde_json::Map::new();
    for name in [
        "Book",
        "NewBook",
        "BookPartial",
        "BookWithRelations",
        "Book.WhereFilter",
        "Publisher",
        "Edition",
        "Magazine",
    ] {
        picked.insert(name.to_owned(), schemas[name].clone());
    }
    let pretty = serde_json::to_string_pretty(&Json::Object(picked)).expect("JSON");
    expect_file!["../snapshots/value_types_schemas.json"].assert_eq(&format!("{pretty}\n"));
}

#[test]
fn value_types_have_their_schemas() {
    let document = book_document();
    let schemas = &document["components"]["schemas"];
    let book = &schemas["Book"]["properties"];
    assert_eq!(
        book["published"],
        json!({"type": "string", "format": "date"})
    );
    assert_eq!(book["cover"], json!({"type": "string", "format": "byte"}));
    assert_eq!(
        book["binding"],
        json!({"type": "string", "enum": ["hardcover", "paperback", "e-book"]})
    );
    assert_eq!(book["publisher"], schema_ref("Publisher"));
    assert_eq!(
        book["editions"],
        json!({"type": "array", "items": schema_ref("Edition")})
    );
    // `Book` is the replace body too: a decimal within its precision and scale, as text or an
    // integer (decimal(10, 2): 8 integer digits).
    assert_eq!(
        book["price"]["oneOf"][0]["pattern"],
        r"^-?0*\d{1,8}(\.\d{1,2}0*)?$"
    );
    assert_eq!(
        book["price"]["oneOf"][1],
        json!({"type": "integer", "minimum": -99_999_999, "maximum": 99_999_999})
    );
    // Reads answer decimals as strings only.
    let read_price = &schemas["BookWithRelations"]["properties"]["price"];
    assert_eq!(read_price["type"], "string");
    assert_eq!(read_price["format"], "decimal");
    assert_eq!(read_price["x-scale"], 2);
    // A patch may clear them: null is one more alternative.
    let partial = &schemas["BookPartial"]["properties"];
    assert_eq!(
        partial["publisher"],
        json!({"oneOf": [schema_ref("Publisher"), {"nullable": true, "enum": [null]}]})
    );
    assert_eq!(
        partial["binding"]["enum"],
        json!(["hardcover", "paperback", "e-book", null])
    );
    assert_eq!(partial["price"]["oneOf"].as_array().map(Vec::len), Some(3));
    // One object schema for both models, with its own required list.
    let publisher = &schemas["Publisher"];
    assert_eq!(publisher["required"], json!(["name"]));
    assert_eq!(publisher["additionalProperties"], json!(false));
    assert_eq!(publisher["properties"]["zip"]["maxLength"], json!(10));
    assert_eq!(
        schemas["Magazine"]["properties"]["publisher"],
        schema_ref("Publisher")
    );
    // Where filters: ordered operators for dates and decimals, a list for enums, presence for
    // bytes and objects, members by dotted path where the store reaches them (memory does).
    let filter = &schemas["Book.WhereFilter"]["properties"];
    let operators = |name: &str| -> Vec<String> {
        filter[name]["oneOf"][1]["properties"]
            .as_object()
            .map(|ops| ops.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert!(operators("published").contains(&"between".to_owned()));
    assert!(operators("price").contains(&"gt".to_owned()));
    assert_eq!(operators("binding"), ["eq", "neq", "inq", "nin", "exists"]);
    assert_eq!(
        filter["binding"]["oneOf"][1]["properties"]["inq"]["oneOf"][0]["enum"],
        json!(["hardcover", "paperback", "e-book"])
    );
    assert_eq!(operators("cover"), ["eq", "neq", "exists"]);
    assert_eq!(operators("publisher"), ["eq", "neq", "exists"]);
    assert!(operators("publisher.city").contains(&"like".to_owned()));
    assert!(operators("publisher.founded").contains(&"gt".to_owned()));
    assert!(filter.get("editions.price").is_none());
}

#[test]
fn without_embedded_paths_no_dotted_keys_are_published() {
    let options = portico_domain::CheckOptions::new(Capabilities::minimal());
    let (_, schema) = super::filter::where_schema(Book::definition(), &options);
    assert!(schema["properties"].get("publisher").is_some());
    assert!(schema["properties"].get("publisher.city").is_none());
}

#[test]
fn value_type_bodies_pass_the_schema_check() {
    let document = book_document();
    let schemas = document["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let check =
        |name: &str, body: Json| crate::schema_check::check(&schema_ref(name), &schemas, &body);
    let good = json!({
        "title": "Dune",
        "published": "1965-08-01",
        "price": 8,
        "binding": "paperback",
        "bindings": ["e-book"],
        "publisher": {"name": "Chilton", "city": null, "zip": "19087"},
        "editions": [{"number": 1, "price": "5.95"}],
        "cover": "AAEC",
    });
    assert_eq!(check("NewBook", good.clone()), []);
    assert_eq!(check("NewBook", json!({"title": "x", "price": "8.50"})), []);
    assert_eq!(
        check("BookPartial", json!({"price": null, "publisher": null})),
        []
    );
    let codes = |problems: Vec<crate::schema_check::Problem>| -> Vec<(String, &'static str)> {
        problems.into_iter().map(|p| (p.path, p.code)).collect()
    };
    let bad = codes(check(
        "NewBook",
        json!({"title": "x", "binding": "scroll", "publisher": {"zip": "12345678901", "x": 1}}),
    ));
    for expected in [
        ("/binding".to_owned(), "enum"),
        ("/publisher".to_owned(), "required"),
        ("/publisher".to_owned(), "additionalProperties"),
        ("/publisher/zip".to_owned(), "maxLength"),
    ] {
        assert!(bad.contains(&expected), "{expected:?} in {bad:?}");
    }
    assert!(!codes(check("NewBook", json!({"title": "x", "price": true}))).is_empty());
}

#[test]
fn object_types_of_one_name_must_be_one_type() {
    use crate::{BuildError, RestApi};

    /// Another `Publisher`, with other members.
    #[derive(portico_domain::Embedded, Clone, Debug, PartialEq)]
    #[portico(name = "Publisher")]
    #[allow(dead_code)]
    struct OtherPublisher {
        label: String,
    }

    #[derive(Entity, Clone, Debug)]
    #[allow(dead_code)]
    struct Pamphlet {
        #[portico(id, generated)]
        id: Option<i64>,
        publisher: Option<OtherPublisher>,
    }

    let shared = RestApi::new("books", "1")
        .resource(resource::<Book>("/books"))
        .resource(resource::<Magazine>("/magazines"))
        .into_endpoint();
    assert!(shared.is_ok());
    let clash = RestApi::new("books", "1")
        .resource(resource::<Book>("/books"))
        .resource(resource::<Pamphlet>("/pamphlets"))
        .into_endpoint();
    assert_eq!(
        clash.err(),
        Some(BuildError::DuplicateObjectSchema("Publisher".into()))
    );
}
