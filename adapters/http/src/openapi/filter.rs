//! The schemas of LoopBack's filters, per model: `Todo.Filter`, `Todo.FilterExcludingWhere`,
//! `Todo.WhereFilter` and the `include` of models with relations.
//!
//! Unlike LoopBack's, they are model-aware: `fields` and `order` enumerate the property names,
//! `include` the relation names (each scope a filter of the target), and each property of a
//! where filter gets the operators its type and the store allow. The check's limits are
//! published too: the number of sort keys as `maxItems`; list lengths (of `and`/`or` and of
//! `inq`/`nin` operands) and nesting depth in descriptions only, because a filter past those
//! limits is longer than any URL the server reads (`MAX_URL_LENGTH`), so a tester that builds
//! one would only meet the 414.

use portico_domain::{Capabilities, CheckOptions, ModelDef, PropertyDef, PropertyType};
use serde_json::{Map, Value as Json, json};

use super::schema::{Side, null_only, nullable, schema_ref, type_schema};

/// The largest `limit`, `skip` or `offset` the filter parser reads.
const MAX_COUNT: u64 = u64::MAX;

/// The operators a `where` clause accepts on a property of this type, with their operand
/// schemas (the filter reference's table).
pub(crate) fn operator_schemas(
    ty: &PropertyType,
    capabilities: &Capabilities,
    max_list_len: usize,
) -> Map<String, Json> {
    let mut ops = Map::new();
    if ty.is_scalar() {
        let nullable_value = nullable(type_schema(ty, Side::Input));
        ops.insert("eq".into(), nullable_value.clone());
        ops.insert("neq".into(), nullable_value);
    } else {
        ops.insert("eq".into(), null_only());
        ops.insert("neq".into(), null_only());
    }
    let value = type_schema(ty, Side::Input);
    if ty.is_ordered() {
        for op in ["gt", "gte", "lt", "lte"] {
            ops.insert(op.into(), value.clone());
        }
        ops.insert(
            "between".into(),
            json!({"type": "array", "items": value, "minItems": 2, "maxItems": 2}),
        );
    }
    if ty.is_scalar() {
        // The length limit is told, not published as `maxItems`: a list one past it is
        // longer than any URL the server reads, so a tester would only meet the 414.
        let list = json!({"oneOf": [value, {
            "type": "array",
            "items": value,
            "description": format!("at most {max_list_len} values"),
        }]});
        ops.insert("inq".into(), list.clone());
        ops.insert("nin".into(), list);
    }
    ops.insert("exists".into(), json!({"type": "boolean"}));
    if *ty == PropertyType::String {
        let pattern = json!({"type": "string"});
        ops.insert("like".into(), pattern.clone());
        ops.insert("nlike".into(), pattern.clone());
        if capabilities.ilike {
            ops.insert("ilike".into(), pattern.clone());
            ops.insert("nilike".into(), pattern.clone());
        }
        if capabilities.regexp {
            ops.insert("regexp".into(), pattern);
        }
    }
    ops
}

/// `Todo.WhereFilter`: each visible property with its value or its operators, and
/// `and`/`or` lists of where filters.
pub(crate) fn where_schema(model: &ModelDef, options: &CheckOptions) -> (String, Json) {
    let max_list_len = options.limits.max_list_len;
    let title = format!("{}.WhereFilter", model.name);
    let mut properties = Map::new();
    let nested = json!({
        "type": "array",
        "items": schema_ref(&title),
        "minItems": 1,
        // The depth limit is told, not published: OpenAPI 3.0 has no keyword for it, and
        // unrolling the schema once per level makes it too large for clients and testers.
        "description": format!(
            "at most {max_list_len} clauses; and/or lists nest at most {} deep",
            options.limits.max_depth
        ),
    });
    properties.insert("and".into(), nested.clone());
    properties.insert("or".into(), nested);
    for property in model.properties.iter().filter(|p| !p.hidden) {
        let condition = condition_schema(&property.ty, &options.capabilities, max_list_len);
        properties.insert(property.name.clone(), condition);
        // A store that reaches into embedded objects takes their members by dotted path.
        if options.capabilities.embedded_paths {
            embedded_conditions(
                &property.name,
                &property.ty,
                &options.capabilities,
                max_list_len,
                &mut properties,
            );
        }
    }
    let schema = json!({
        "title": title,
        "type": "object",
        "properties": properties,
        "additionalProperties": !model.settings.strict,
        "x-typescript-type": format!("@loopback/repository#Where<{}>", model.name),
    });
    (title, schema)
}

/// The condition on one property of a where filter: a value (the `eq` shorthand) or operators.
fn condition_schema(ty: &PropertyType, capabilities: &Capabilities, max_list_len: usize) -> Json {
    let operators = json!({
        "type": "object",
        "properties": operator_schemas(ty, capabilities, max_list_len),
        "minProperties": 1,
        "additionalProperties": false,
    });
    let shorthand = if ty.is_scalar() {
        nullable(type_schema(ty, Side::Input))
    } else {
        null_only()
    };
    json!({"oneOf": [shorthand, operators]})
}

/// The conditions on the members of an embedded object `path` (`publisher.city`, and deeper
/// for objects within it), each with its member's operators.
fn embedded_conditions(
    path: &str,
    ty: &PropertyType,
    capabilities: &Capabilities,
    max_list_len: usize,
    properties: &mut Map<String, Json>,
) {
    let PropertyType::Object(def) = ty else {
        return;
    };
    for member in &def.properties {
        let member_path = format!("{path}.{}", member.name);
        let condition = condition_schema(&member.ty, capabilities, max_list_len);
        properties.insert(member_path.clone(), condition);
        embedded_conditions(
            &member_path,
            &member.ty,
            capabilities,
            max_list_len,
            properties,
        );
    }
}

/// `Todo.Filter` (with `where`) or `Todo.FilterExcludingWhere` (find by id).
pub(crate) fn filter_schema(
    model: &ModelDef,
    with_where: bool,
    options: &CheckOptions,
) -> (String, Json) {
    let visible: Vec<&PropertyDef> = model.properties.iter().filter(|p| !p.hidden).collect();
    let names: Vec<Json> = visible.iter().map(|p| json!(p.name)).collect();
    let mut order_keys = Vec::new();
    for p in visible.iter().filter(|p| p.ty.is_scalar()) {
        order_keys.push(json!(p.name));
        order_keys.push(json!(format!("{} ASC", p.name)));
        order_keys.push(json!(format!("{} DESC", p.name)));
    }
    let order_key = json!({"type": "string", "enum": order_keys});
    let field_flags: Map<String, Json> = visible
        .iter()
        .map(|p| (p.name.clone(), json!({"type": "boolean"})))
        .collect();
    let all_excluded: Map<String, Json> = visible
        .iter()
        .map(|p| (p.name.clone(), json!({"enum": [false]})))
        .collect();
    let mut properties = Map::new();
    let count = |min: u64| json!({"type": "integer", "minimum": min, "maximum": MAX_COUNT});
    properties.insert("offset".into(), count(0));
    let mut limit = count(1);
    limit["example"] = json!(100);
    properties.insert("limit".into(), limit);
    properties.insert("skip".into(), count(0));
    let max_keys = options.limits.max_order_keys;
    properties.insert(
        "order".into(),
        json!({"oneOf": [
            order_key,
            {"type": "array", "items": order_key, "maxItems": max_keys},
        ]}),
    );
    if with_where {
        properties.insert(
            "where".into(),
            schema_ref(&format!("{}.WhereFilter", model.name)),
        );
    }
    properties.insert(
        "fields".into(),
        json!({
            "oneOf": [
                {
                    "type": "object",
                    "properties": field_flags,
                    "additionalProperties": false,
                    // Leaving out every property selects nothing: refused.
                    "not": {"required": names, "properties": all_excluded},
                },
                {"type": "array", "items": {"type": "string", "enum": names}, "uniqueItems": true},
            ],
            "title": format!("{}.Fields", model.name),
        }),
    );
    if !model.relations.is_empty() {
        properties.insert("include".into(), include_schema(model));
    }
    // The parser reads a null key as an absent one (LoopBack's filters do the same).
    for schema in properties.values_mut() {
        *schema = json!({"oneOf": [schema.take(), {"nullable": true, "enum": [null]}]});
    }
    let (title, typescript) = if with_where {
        (
            format!("{}.Filter", model.name),
            format!("@loopback/repository#Filter<{}>", model.name),
        )
    } else {
        (
            format!("{}.FilterExcludingWhere", model.name),
            format!("@loopback/repository#FilterExcludingWhere<{}>", model.name),
        )
    };
    let schema = json!({
        "title": title,
        "type": "object",
        "properties": properties,
        // `skip` and `offset` are one setting under two names: give one.
        "not": {"required": ["skip", "offset"]},
        "additionalProperties": false,
        "x-typescript-type": typescript,
    });
    (title, schema)
}

/// The `include` of a model's filter: relation names, or `{relation, scope}` objects whose
/// scope is a filter of that relation's target.
fn include_schema(model: &ModelDef) -> Json {
    let names: Vec<Json> = model.relations.iter().map(|r| json!(r.name)).collect();
    let mut items = vec![json!({"type": "string", "enum": names})];
    for relation in &model.relations {
        items.push(json!({
            "type": "object",
            "properties": {
                "relation": {"type": "string", "enum": [relation.name]},
                "scope": schema_ref(&format!("{}.Filter", relation.target().name)),
            },
            "required": ["relation"],
            "additionalProperties": false,
        }));
    }
    json!({
        "title": format!("{}.IncludeFilter", model.name),
        "type": "array",
        "items": {"anyOf": items},
    })
}
