//! The CRUD rows of the route table: LoopBack's eight controller routes of a resource.

use poem::http::Method;

use super::{
    Content, Handler, Param, Resolve, RoutePath, RouteSpec, common_errors, id_param, json_param,
    read_schema_name, replacement_schema_name, row_policy, update_all_schema_name,
};
use crate::crud::{CrudResource, Operation};

/// LoopBack's eight CRUD routes of one resource (three when read-only).
pub(super) fn crud_routes(
    index: usize,
    resource: &CrudResource,
    body_limit: usize,
    resolve: Resolve<'_>,
) -> Vec<RouteSpec> {
    let model = resource.model();
    let name = &model.name;
    let id_name = model.id_property().name.clone();
    let id_ty = model.id_property().ty.clone();
    let version = model.version_property().map(|v| v.name.clone());
    let collection = RoutePath::new(resource.base_path(), None, None);
    let item = RoutePath::new(resource.base_path(), Some(&id_name), None);
    let filter = || json_param("filter", format!("{name}.Filter"));
    let where_ = || json_param("where", format!("{name}.WhereFilter"));
    let mut routes = Vec::new();
    for operation in Operation::ALL {
        if resource.read_only && !operation.is_read() {
            continue;
        }
        let mut errors = common_errors();
        let mut etag = None;
        let (method, path, summary, mut params, body, success) = match operation {
            Operation::Create => {
                errors.body(body_limit).conflicts();
                (
                    Method::POST,
                    collection.clone(),
                    format!("Creates a {name}"),
                    vec![],
                    Some(format!("New{name}")),
                    (
                        200,
                        format!("{name} model instance"),
                        Content::Entity(name.clone()),
                    ),
                )
            }
            Operation::Count => {
                errors.query("where");
                (
                    Method::GET,
                    RoutePath::new(resource.base_path(), None, Some("count")),
                    format!("Counts the {name} instances matching `where`"),
                    vec![where_()],
                    None,
                    (200, format!("{name} model count"), Content::Count),
                )
            }
            Operation::Find => {
                errors.query("filter");
                (
                    Method::GET,
                    collection.clone(),
                    format!(
                        "Finds {name} instances (at most {} per page)",
                        resource.max_page_size
                    ),
                    vec![filter()],
                    None,
                    (
                        200,
                        format!("Array of {name} model instances"),
                        Content::List(read_schema_name(model)),
                    ),
                )
            }
            Operation::UpdateAll => {
                errors
                    .query("where")
                    .body(body_limit)
                    .add(400, "the patch is empty or sets the id")
                    .conflicts();
                (
                    Method::PATCH,
                    collection.clone(),
                    format!("Updates the {name} instances matching `where`"),
                    vec![where_()],
                    Some(update_all_schema_name(model)),
                    (200, format!("{name} PATCH success count"), Content::Count),
                )
            }
            Operation::FindById => {
                errors
                    .id(&id_ty)
                    .query("filter")
                    .add(404, format!("no {name} has this id"));
                etag = version.clone();
                (
                    Method::GET,
                    item.clone(),
                    format!("Finds a {name} by id"),
                    vec![
                        id_param(model),
                        json_param("filter", format!("{name}.FilterExcludingWhere")),
                    ],
                    None,
                    (
                        200,
                        format!("{name} model instance"),
                        Content::Entity(read_schema_name(model)),
                    ),
                )
            }
            Operation::UpdateById | Operation::ReplaceById => {
                errors
                    .id(&id_ty)
                    .body(body_limit)
                    .add(400, "the body's id differs from the path's")
                    .add(404, format!("no {name} has this id"))
                    .conflicts();
                let (method, summary, body, verb) = if operation == Operation::UpdateById {
                    errors.add(400, "the patch is empty");
                    (
                        Method::PATCH,
                        format!("Updates some properties of a {name}"),
                        format!("{name}Partial"),
                        "PATCH",
                    )
                } else {
                    (
                        Method::PUT,
                        format!("Replaces a {name}"),
                        replacement_schema_name(model),
                        "PUT",
                    )
                };
                (
                    method,
                    item.clone(),
                    summary,
                    vec![id_param(model)],
                    Some(body),
                    (204, format!("{name} {verb} success"), Content::Empty),
                )
            }
            Operation::DeleteById => {
                errors
                    .id(&id_ty)
                    .add(404, format!("no {name} has this id"))
                    .conflicts();
                (
                    Method::DELETE,
                    item.clone(),
                    format!("Deletes a {name}"),
                    vec![id_param(model)],
                    None,
                    (204, format!("{name} DELETE success"), Content::Empty),
                )
            }
        };
        let by_id_write = matches!(
            operation,
            Operation::UpdateById | Operation::ReplaceById | Operation::DeleteById
        );
        if by_id_write && version.is_some() {
            // Optimistic concurrency: If-Match makes the write conditional on the version.
            params.push(Param::IfMatch);
            errors.add(
                412,
                format!("the {name} is no longer at the If-Match version"),
            );
        }
        let controller = format!("{name}Controller");
        let policy = row_policy(
            resolve,
            &resource.access,
            name,
            format!("{controller}.{}", operation.method_name()),
            operation.is_read(),
        );
        errors.policy(&policy);
        routes.push(RouteSpec {
            method,
            path,
            controller,
            operation: operation.method_name().to_owned(),
            summary,
            params,
            body,
            success,
            etag,
            errors: errors.into_list(),
            handler: Handler::Crud(index, operation),
            policy,
        });
    }
    routes
}
