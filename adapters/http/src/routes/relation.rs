//! The relation rows of the route table: the routes `lb4 relation` generates per kind, and
//! LoopBack's controller names for them.

use std::collections::{HashMap, HashSet};

use poem::http::Method;
use portico_domain::{ModelDef, RelationDef, RelationKind};

use super::{
    Content, Handler, Resolve, RoutePath, RouteSpec, common_errors, id_param, json_param,
    read_schema_name, row_policy, update_all_schema_name,
};
use crate::relation::{RelationOperation, RelationResource};

/// The operations `lb4 relation` generates for a relation kind, in its template order.
pub(crate) fn relation_operations(kind: RelationKind) -> &'static [RelationOperation] {
    use RelationOperation as Op;
    match kind {
        RelationKind::HasMany | RelationKind::HasManyThrough => {
            &[Op::Find, Op::Create, Op::Patch, Op::Delete]
        }
        RelationKind::HasOne => &[Op::Get, Op::Create, Op::Patch, Op::Delete],
        RelationKind::BelongsTo => &[Op::Get],
        RelationKind::ReferencesMany => &[Op::Find],
    }
}

/// The target property a relation's create sets itself (has-many and has-one: the target
/// holds the source's key), which a create body may therefore leave out.
pub(crate) fn key_set_by_relation(relation: &RelationDef, source: &ModelDef) -> Option<String> {
    match relation.kind {
        RelationKind::HasMany | RelationKind::HasOne => Some(relation.keys(source).target),
        RelationKind::BelongsTo | RelationKind::HasManyThrough | RelationKind::ReferencesMany => {
            None
        }
    }
}

/// True when the relation reads the source record to find its related ones (the source holds
/// the key, or the key is not the id), so an unknown source id is 404 on every route.
fn reads_source(relation: &RelationDef, source: &ModelDef) -> bool {
    let holds_key = match relation.kind {
        RelationKind::BelongsTo | RelationKind::ReferencesMany => true,
        RelationKind::HasMany | RelationKind::HasOne | RelationKind::HasManyThrough => false,
    };
    holds_key || relation.keys(source).source != source.id_property().name
}

/// The routes of one relation.
pub(super) fn relation_routes(
    index: usize,
    resource: &RelationResource,
    controller: &str,
    body_limit: usize,
    resolve: Resolve<'_>,
) -> Vec<RouteSpec> {
    let Some(relation) = resource.relation() else {
        return Vec::new();
    };
    let source = resource.model();
    let target = relation.target();
    let (s, t) = (&source.name, &target.name);
    let path = RoutePath::new(
        resource.base_path(),
        Some(&source.id_property().name),
        Some(resource.path_segment()),
    );
    let id_ty = source.id_property().ty.clone();
    let unknown_source = reads_source(relation, source);
    let mut routes = Vec::new();
    for &operation in relation_operations(relation.kind) {
        if resource.read_only && !operation.is_read() {
            continue;
        }
        let mut errors = common_errors();
        errors.id(&id_ty);
        if unknown_source {
            errors.add(404, format!("no {s} has this id"));
        }
        let where_ = || json_param("where", format!("{t}.WhereFilter"));
        let (method, name, summary, params, body, success) = match operation {
            RelationOperation::Find => {
                errors.query("filter");
                (
                    Method::GET,
                    "find".to_owned(),
                    format!(
                        "Finds the {t} instances of a {s} ({}), at most {} per page",
                        relation.name, resource.max_page_size
                    ),
                    vec![
                        id_param(source),
                        json_param("filter", format!("{t}.Filter")),
                    ],
                    None,
                    (
                        200,
                        format!("Array of {s} has many {t}"),
                        Content::List(read_schema_name(target)),
                    ),
                )
            }
            RelationOperation::Get => {
                errors
                    .query("filter")
                    .add(404, format!("no {t} is related"));
                let belongs_to = relation.kind == RelationKind::BelongsTo;
                (
                    Method::GET,
                    if belongs_to {
                        format!("get{t}")
                    } else {
                        "get".to_owned()
                    },
                    if belongs_to {
                        format!("Finds the {t} a {s} belongs to ({})", relation.name)
                    } else {
                        format!("Finds the {t} of a {s} ({})", relation.name)
                    },
                    vec![
                        id_param(source),
                        json_param("filter", format!("{t}.FilterExcludingWhere")),
                    ],
                    None,
                    (
                        200,
                        if belongs_to {
                            format!("{t} belonging to {s}")
                        } else {
                            format!("{s} has one {t}")
                        },
                        Content::Entity(read_schema_name(target)),
                    ),
                )
            }
            RelationOperation::Create => {
                errors
                    .body(body_limit)
                    .add(
                        400,
                        "the body sets the key the relation sets to another value",
                    )
                    .add(404, format!("no {s} has this id"))
                    .conflicts();
                (
                    Method::POST,
                    "create".to_owned(),
                    format!("Creates a {t} of a {s} ({})", relation.name),
                    vec![id_param(source)],
                    Some(format!("New{t}In{s}")),
                    (
                        200,
                        format!("{t} model instance"),
                        Content::Entity(t.clone()),
                    ),
                )
            }
            RelationOperation::Patch => {
                errors
                    .query("where")
                    .body(body_limit)
                    .add(
                        400,
                        "the patch is empty, sets the id or changes the relation's key",
                    )
                    .conflicts();
                (
                    Method::PATCH,
                    "patch".to_owned(),
                    format!(
                        "Updates the {t} instances of a {s} ({}) matching `where`",
                        relation.name
                    ),
                    vec![id_param(source), where_()],
                    Some(update_all_schema_name(target)),
                    (200, format!("{s}.{t} PATCH success count"), Content::Count),
                )
            }
            RelationOperation::Delete => {
                errors.query("where").conflicts();
                (
                    Method::DELETE,
                    "delete".to_owned(),
                    format!(
                        "Deletes the {t} instances of a {s} ({}) matching `where`",
                        relation.name
                    ),
                    vec![id_param(source), where_()],
                    None,
                    (200, format!("{s}.{t} DELETE success count"), Content::Count),
                )
            }
        };
        let policy = row_policy(
            resolve,
            &resource.access,
            s,
            format!("{controller}.{name}"),
            operation.is_read(),
        );
        errors.policy(&policy);
        routes.push(RouteSpec {
            method,
            path: path.clone(),
            controller: controller.to_owned(),
            operation: name,
            summary,
            params,
            body,
            success,
            etag: None,
            errors: errors.into_list(),
            handler: Handler::Relation(index, operation),
            policy,
        });
    }
    routes
}

/// `todoList` → `TodoList`, `todo-list` → `TodoList`.
fn pascal_case(name: &str) -> String {
    name.split(['-', '_'])
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// LoopBack's name for each relation's controller (`TodoListTodoController`): source and
/// target; source and relation name when two relations of the source share a target; then
/// source and path segment, or a number, so that no two mounted relations share one.
pub(super) fn relation_controllers(relations: &[RelationResource]) -> Vec<String> {
    let pair = |r: &RelationResource| {
        (
            r.model().name.clone(),
            r.relation().map(|d| d.target().name.clone()),
        )
    };
    let mut names: HashMap<(String, Option<String>), HashSet<&str>> = HashMap::new();
    for relation in relations {
        names
            .entry(pair(relation))
            .or_default()
            .insert(relation.relation_name());
    }
    let mut used = HashSet::new();
    relations
        .iter()
        .map(|resource| {
            let shared_target = names.get(&pair(resource)).is_some_and(|n| n.len() > 1);
            let source = &resource.model().name;
            let segment = pascal_case(resource.path_segment());
            let mut candidates = Vec::new();
            if let Some(relation) = resource.relation().filter(|_| !shared_target) {
                candidates.push(format!("{source}{}Controller", relation.target().name));
            }
            candidates.push(format!(
                "{source}{}Controller",
                pascal_case(resource.relation_name())
            ));
            candidates.push(format!("{source}{segment}Controller"));
            let chosen = candidates
                .into_iter()
                .find(|c| !used.contains(c))
                .unwrap_or_else(|| {
                    (2..)
                        .map(|n| format!("{source}{segment}{n}Controller"))
                        .find(|c| !used.contains(c))
                        .unwrap_or_default()
                });
            used.insert(chosen.clone());
            chosen
        })
        .collect()
}
