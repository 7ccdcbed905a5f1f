//! Stage 2: a parsed filter checked against a model, values coerced, every error collected.

use super::{Checked, Condition, Fields, Filter, FilterErrors, Inclusion, Op, Order, Where};
use crate::Error;
use crate::model::{ModelDef, PropertyDef, PropertyType};
use crate::value::Value;

/// What a backend can honour with the documented semantics. Filters using anything else are
/// rejected with [`Error::Unsupported`] rather than emulated differently.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// `ilike` / `nilike`.
    pub ilike: bool,
    /// `regexp` (with the `i` flag).
    pub regexp: bool,
    /// Transactions.
    pub transactions: bool,
    /// Free-form (non-strict) models whose records carry properties beyond the definition.
    pub free_form_properties: bool,
    /// Store-generated string ids (`IdStrategy::StoreObjectId`, MongoDB's ObjectId).
    pub object_ids: bool,
    /// Conditions on a property of an embedded object by dotted path (`address.city`).
    pub embedded_paths: bool,
}

impl Capabilities {
    /// Every operator the filter DSL defines (`ilike`/`nilike`, `regexp`) and nothing else: a
    /// store turns on what else it offers (transactions, free-form models, ObjectIds) itself.
    pub fn all_operators() -> Self {
        Capabilities {
            ilike: true,
            regexp: true,
            ..Capabilities::minimal()
        }
    }

    /// Only the operators every backend must offer.
    pub fn minimal() -> Self {
        Capabilities {
            ilike: false,
            regexp: false,
            transactions: false,
            free_form_properties: false,
            object_ids: false,
            embedded_paths: false,
        }
    }
}

/// Bounds that keep one filter from costing too much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Deepest `and`/`or` nesting (LoopBack's `maxDepthOfQuery` is 12 too).
    pub max_depth: usize,
    /// Most items in one `inq`/`nin` list or one `and`/`or` list.
    pub max_list_len: usize,
    /// Most sort keys.
    pub max_order_keys: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 12,
            max_list_len: 1000,
            max_order_keys: 16,
        }
    }
}

impl Limits {
    /// Sets the deepest nesting.
    pub fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Sets the largest list.
    pub fn with_max_list_len(mut self, len: usize) -> Self {
        self.max_list_len = len;
        self
    }
}

/// What a check needs besides the model: the backend's capabilities and the limits.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The backend's capabilities.
    pub capabilities: Capabilities,
    /// The limits.
    pub limits: Limits,
}

impl CheckOptions {
    /// Options for a backend with these capabilities and the default limits.
    pub fn new(capabilities: Capabilities) -> Self {
        CheckOptions {
            capabilities,
            limits: Limits::default(),
        }
    }
}

/// The most `and`/`or` lists any condition read from JSON sits in (the `/and/<i>` and
/// `/or/<i>` steps of its source pointer); stays `None` when no condition came from JSON.
fn deepest_json_levels(clause: &Where, deepest: &mut Option<usize>) {
    match clause {
        Where::And(parts) | Where::Or(parts) => {
            for part in parts {
                deepest_json_levels(part, deepest);
            }
        }
        Where::Cond(Condition {
            source: Some(source),
            ..
        }) => {
            // Steps pairwise, without collecting: this runs for every condition read from JSON.
            let steps = source.split('/');
            let levels = steps
                .clone()
                .zip(steps.skip(1))
                .filter(|(list, index)| {
                    matches!(*list, "and" | "or")
                        && !index.is_empty()
                        && index.bytes().all(|b| b.is_ascii_digit())
                })
                .count();
            *deepest = Some(deepest.map_or(levels, |d| d.max(levels)));
        }
        Where::Cond(_) => {}
    }
}

struct Checker<'a> {
    model: &'a ModelDef,
    options: &'a CheckOptions,
    errors: FilterErrors,
    unsupported: Vec<String>,
    /// The where clause being checked came from JSON: its depth is the JSON nesting of its
    /// `and`/`or` lists, not the depth of the AST (which adds a level for each object that
    /// holds several conditions).
    json_depth: bool,
}

pub(super) fn check_filter(
    filter: Filter,
    model: &ModelDef,
    options: &CheckOptions,
) -> crate::Result<Checked<Filter>> {
    check_filter_at(filter, model, options, 1)
}

/// Checks a filter whose `include` scopes nest `depth` levels deep: each scope is checked
/// against its relation's target model, its problems reported under `/include/<i>/scope`.
fn check_filter_at(
    filter: Filter,
    model: &ModelDef,
    options: &CheckOptions,
    depth: usize,
) -> crate::Result<Checked<Filter>> {
    let mut c = Checker::new(model, options);
    let where_ = filter.where_.and_then(|w| c.root_where(w, "/where"));
    let fields = filter.fields.map(|f| Fields::Include(c.fields(f)));
    let order = c.order(filter.order);
    if filter.limit == Some(0) {
        c.errors
            .push("/limit", "type", "must be a positive integer, got 0");
    }
    let mut include = Vec::with_capacity(filter.include.len());
    for (i, inclusion) in filter.include.into_iter().enumerate() {
        let at = format!("/include/{i}");
        let Some(relation) = model.get_relation(&inclusion.relation) else {
            let known: Vec<&str> = model.relations.iter().map(|r| r.name.as_str()).collect();
            c.errors.push(
                &at,
                "unknownRelation",
                format!(
                    "unknown relation '{}' of {} (known: {})",
                    inclusion.relation,
                    model.name,
                    list_or_none(&known)
                ),
            );
            continue;
        };
        if include
            .iter()
            .any(|done: &Inclusion| done.relation == relation.name)
        {
            // Included again later: the first inclusion decides (as a repeated sort key).
            continue;
        }
        // A checked filter's inclusions always carry a checked scope (the empty filter when
        // none was given), so resolvers can use it as it is.
        let scope = match inclusion.scope {
            Some(_) if depth >= options.limits.max_depth => {
                c.errors.push(
                    &format!("{at}/scope"),
                    "tooDeep",
                    format!(
                        "inclusions nest deeper than {} levels",
                        options.limits.max_depth
                    ),
                );
                None
            }
            scope => {
                let scope = scope.map_or_else(Filter::default, |s| *s);
                match check_filter_at(scope, relation.target(), options, depth + 1) {
                    Ok(checked) => Some(Box::new(checked.into_inner())),
                    Err(Error::InvalidFilter(errors)) => {
                        c.errors
                            .0
                            .extend(errors.prefixed(&format!("include/{i}/scope")).0);
                        None
                    }
                    Err(Error::Unsupported(message)) => {
                        c.unsupported.push(message);
                        None
                    }
                    Err(other) => return Err(other),
                }
            }
        };
        include.push(Inclusion {
            relation: inclusion.relation,
            scope,
        });
    }
    c.finish(Filter {
        where_,
        fields,
        order,
        limit: filter.limit,
        skip: filter.skip,
        include,
    })
}

pub(super) fn check_where_root(
    clause: Where,
    model: &ModelDef,
    options: &CheckOptions,
) -> crate::Result<Checked<Where>> {
    let mut c = Checker::new(model, options);
    let checked = c.root_where(clause, "");
    c.finish(checked.unwrap_or(Where::And(Vec::new())))
}

fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

impl<'a> Checker<'a> {
    fn new(model: &'a ModelDef, options: &'a CheckOptions) -> Self {
        Checker {
            model,
            options,
            errors: FilterErrors::default(),
            unsupported: Vec::new(),
            json_depth: false,
        }
    }

    fn finish<T>(self, value: T) -> crate::Result<Checked<T>> {
        if !self.errors.0.is_empty() {
            return Err(Error::InvalidFilter(self.errors));
        }
        if !self.unsupported.is_empty() {
            return Err(Error::Unsupported(self.unsupported.join("; ")));
        }
        Ok(Checked::new(value))
    }

    /// Resolves a property for use in a filter: `None` (after recording why) when unusable,
    /// `Some(None)` for an unknown name on a free-form model (allowed, but untyped).
    fn property(
        &mut self,
        name: &str,
        path: &dyn Fn() -> String,
    ) -> Option<Option<&'a PropertyDef>> {
        match self.model.get(name) {
            Some(p) if p.hidden => {
                self.errors.push(
                    &path(),
                    "hiddenProperty",
                    format!(
                        "property '{name}' of {} is hidden and cannot be used in a filter",
                        self.model.name
                    ),
                );
                None
            }
            Some(p) => Some(Some(p)),
            None if !self.model.settings.strict => Some(None),
            None => {
                let known: Vec<&str> = self
                    .model
                    .properties
                    .iter()
                    .filter(|p| !p.hidden)
                    .map(|p| p.name.as_str())
                    .collect();
                self.errors.push(
                    &path(),
                    "unknownProperty",
                    format!(
                        "unknown property '{name}' of {} (known: {})",
                        self.model.name,
                        known.join(", ")
                    ),
                );
                None
            }
        }
    }

    fn is_object(&self, name: &str) -> bool {
        self.model
            .get(name)
            .is_some_and(|p| matches!(p.ty, PropertyType::Object(_)))
    }

    /// Resolves `head.rest` (`address.city`, `address.geo.lat`) to a scalar property of an
    /// embedded object.
    fn embedded_property(&mut self, head: &str, rest: &str, path: &str) -> Option<&'a PropertyDef> {
        let mut prop = self.property(head, &|| path.to_owned())??;
        for segment in rest.split('.') {
            let PropertyType::Object(def) = &prop.ty else {
                self.errors.push(
                    path,
                    "unknownProperty",
                    format!("'{}' is {}, not an embedded object", prop.name, prop.ty),
                );
                return None;
            };
            let Some(nested) = def.get(segment) else {
                let known: Vec<&str> = def.properties.iter().map(|p| p.name.as_str()).collect();
                self.errors.push(
                    path,
                    "unknownProperty",
                    format!(
                        "unknown property '{segment}' of {} (known: {})",
                        def.name,
                        known.join(", ")
                    ),
                );
                return None;
            };
            prop = nested;
        }
        if !self.options.capabilities.embedded_paths {
            self.unsupported.push(
                "conditions on a property of an embedded object are not supported by this backend"
                    .to_owned(),
            );
        }
        Some(prop)
    }

    /// Checks a whole where clause. Parsed from JSON, its `and`/`or` lists may nest at most
    /// `max_depth` deep, counted as a user (and the published schema) counts them: in the JSON
    /// pointers its conditions were read from. Built in Rust, its `And`/`Or` nodes are counted.
    fn root_where(&mut self, clause: Where, path: &str) -> Option<Where> {
        let mut json_levels = None;
        deepest_json_levels(&clause, &mut json_levels);
        self.json_depth = json_levels.is_some();
        if json_levels.is_some_and(|levels| levels > self.options.limits.max_depth) {
            self.too_deep(path);
            return None;
        }
        self.where_clause(clause, path, 1)
    }

    fn too_deep(&mut self, path: &str) {
        self.errors.push(
            path,
            "tooDeep",
            format!(
                "where clauses nest deeper than {} levels",
                self.options.limits.max_depth
            ),
        );
    }

    fn where_clause(&mut self, clause: Where, path: &str, depth: usize) -> Option<Where> {
        match clause {
            Where::And(_) | Where::Or(_)
                if !self.json_depth && depth > self.options.limits.max_depth =>
            {
                self.too_deep(path);
                None
            }
            Where::And(parts) => self.list(parts, path, "and", depth).map(Where::And),
            Where::Or(parts) => self.list(parts, path, "or", depth).map(Where::Or),
            Where::Cond(cond) if self.already_valid(&cond) => Some(Where::Cond(cond)),
            Where::Cond(cond) => self.condition(cond, path).map(Where::Cond),
        }
    }

    fn list(
        &mut self,
        parts: Vec<Where>,
        path: &str,
        kind: &str,
        depth: usize,
    ) -> Option<Vec<Where>> {
        if parts.len() > self.options.limits.max_list_len {
            self.errors.push(
                &format!("{path}/{kind}"),
                "tooMany",
                format!("more than {} clauses", self.options.limits.max_list_len),
            );
            return None;
        }
        let checked: Vec<Option<Where>> = parts
            .into_iter()
            .enumerate()
            .map(|(i, w)| match w {
                // Paths are only formatted for what may need an error message.
                Where::Cond(c) if self.already_valid(&c) => Some(Where::Cond(c)),
                w => self.where_clause(w, &format!("{path}/{kind}/{i}"), depth + 1),
            })
            .collect();
        checked.into_iter().collect()
    }

    /// True for a condition the full check would accept unchanged: a known, visible property
    /// and values that already have its type (what the typed API builds). Such conditions skip
    /// the check's path and message formatting.
    fn already_valid(&self, cond: &Condition) -> bool {
        let Some(p) = self.model.get(&cond.property) else {
            return false;
        };
        let ty = &p.ty;
        let typed = |v: &Value| v.is_of(ty);
        !p.hidden
            && ty.is_scalar()
            && match &cond.op {
                Op::Exists(_) => true,
                Op::Eq(v) | Op::Neq(v) => v.is_null() || typed(v),
                Op::Gt(v) | Op::Gte(v) | Op::Lt(v) | Op::Lte(v) => ty.is_ordered() && typed(v),
                Op::Between(lo, hi) => ty.is_ordered() && typed(lo) && typed(hi),
                Op::Inq(items) | Op::Nin(items) => {
                    items.len() <= self.options.limits.max_list_len && items.iter().all(typed)
                }
                // Patterns take the full check (capabilities, store-generated ids).
                Op::Like(_) | Op::Nlike(_) | Op::Ilike(_) | Op::Nilike(_) | Op::Regexp(_) => false,
            }
    }

    fn condition(&mut self, cond: Condition, path: &str) -> Option<Condition> {
        let Condition {
            property,
            op,
            source,
            shorthand,
        } = cond;
        let path = source
            .as_deref()
            .map_or_else(|| format!("{path}/{property}"), str::to_owned);
        let prop = match property.split_once('.') {
            Some((head, rest)) if self.is_object(head) => {
                Some(self.embedded_property(head, rest, &path)?)
            }
            _ => self.property(&property, &|| path.clone())?,
        };
        let op_path = if shorthand {
            path.clone()
        } else {
            format!("{path}/{}", op.name())
        };
        let op = match prop {
            Some(prop) => self.typed_op(op, prop, &op_path),
            // Free-form property: no type to coerce to; values are used as given.
            None => Some(op),
        }?;
        match &op {
            Op::Ilike(_) | Op::Nilike(_) if !self.options.capabilities.ilike => {
                self.unsupported
                    .push(format!("{} is not supported by this backend", op.name()));
            }
            Op::Regexp(_) if !self.options.capabilities.regexp => {
                self.unsupported
                    .push("regexp is not supported by this backend".to_owned());
            }
            _ => {}
        }
        Some(Condition {
            property,
            op,
            source,
            shorthand,
        })
    }

    fn typed_op(&mut self, op: Op, prop: &PropertyDef, path: &str) -> Option<Op> {
        let ty = &prop.ty;
        let name = op.name();
        let wrong = |this: &mut Self, why: String| {
            this.errors.push(path, "type", why);
            None
        };
        match op {
            Op::Exists(b) => Some(Op::Exists(b)),
            // `{p: {greater: 1}}`: an object that is no operator object, on a scalar property,
            // is a misspelt operator rather than a value.
            Op::Eq(Value::Json(json)) if ty.is_scalar() && json.is_object() => {
                let map = json.as_object().expect("checked: an object");
                let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                self.errors.push(
                    path,
                    "unknownOperator",
                    format!(
                        "unknown operator '{}' (expected one of: {})",
                        keys.join("', '"),
                        super::json::OPERATORS
                    ),
                );
                None
            }
            Op::Eq(v) | Op::Neq(v) if !ty.is_scalar() && !v.is_null() => wrong(
                self,
                format!(
                    "'{}' is {ty}: only null comparisons and exists are allowed",
                    prop.name
                ),
            ),
            Op::Eq(v) => self.value(v, ty, path, true).map(Op::Eq),
            Op::Neq(v) => self.value(v, ty, path, true).map(Op::Neq),
            Op::Gt(_) | Op::Gte(_) | Op::Lt(_) | Op::Lte(_) | Op::Between(..)
                if !ty.is_ordered() =>
            {
                wrong(
                    self,
                    format!("{name} needs an ordered property; '{}' is {ty}", prop.name),
                )
            }
            Op::Gt(v) => self.value(v, ty, path, false).map(Op::Gt),
            Op::Gte(v) => self.value(v, ty, path, false).map(Op::Gte),
            Op::Lt(v) => self.value(v, ty, path, false).map(Op::Lt),
            Op::Lte(v) => self.value(v, ty, path, false).map(Op::Lte),
            Op::Between(lo, hi) => {
                let lo = self.value(lo, ty, &format!("{path}/0"), false);
                let hi = self.value(hi, ty, &format!("{path}/1"), false);
                Some(Op::Between(lo?, hi?))
            }
            Op::Inq(_) | Op::Nin(_) if !ty.is_scalar() => wrong(
                self,
                format!("{name} needs a scalar property; '{}' is {ty}", prop.name),
            ),
            Op::Inq(items) => self.items(items, ty, path).map(Op::Inq),
            Op::Nin(items) => self.items(items, ty, path).map(Op::Nin),
            Op::Like(_) | Op::Nlike(_) | Op::Ilike(_) | Op::Nilike(_) | Op::Regexp(_)
                if prop.id && self.model.id_strategy() == crate::IdStrategy::StoreObjectId =>
            {
                wrong(
                    self,
                    format!(
                        "{name} is not available on '{}', an id generated by the store",
                        prop.name
                    ),
                )
            }
            Op::Like(_) | Op::Nlike(_) | Op::Ilike(_) | Op::Nilike(_) | Op::Regexp(_)
                if *ty != PropertyType::String =>
            {
                wrong(
                    self,
                    format!("{name} needs a string property; '{}' is {ty}", prop.name),
                )
            }
            // Builder-made patterns are compiled here; JSON ones already were when parsed.
            Op::Regexp(spec) => match spec.compile() {
                Ok(_) => Some(Op::Regexp(spec)),
                Err(_) => wrong(
                    self,
                    format!("invalid regular expression '{}'", spec.pattern),
                ),
            },
            other => Some(other),
        }
    }

    fn items(&mut self, items: Vec<Value>, ty: &PropertyType, path: &str) -> Option<Vec<Value>> {
        if items.len() > self.options.limits.max_list_len {
            self.errors.push(
                path,
                "tooMany",
                format!("more than {} values", self.options.limits.max_list_len),
            );
            return None;
        }
        let checked: Vec<Option<Value>> = items
            .into_iter()
            .enumerate()
            .map(|(i, v)| self.value(v, ty, &format!("{path}/{i}"), false))
            .collect();
        checked.into_iter().collect()
    }

    fn value(
        &mut self,
        value: Value,
        ty: &PropertyType,
        path: &str,
        null_ok: bool,
    ) -> Option<Value> {
        if value.is_null() {
            if null_ok {
                return Some(Value::Null);
            }
            self.errors.push(
                path,
                "type",
                "null is not allowed here (use {\"eq\": null} or exists)",
            );
            return None;
        }
        let shown = value.to_json();
        match value.coerce(ty) {
            Ok(v) => {
                if let (PropertyType::Enum(allowed), Value::String(s)) = (ty, &v)
                    && !allowed.contains(s)
                {
                    self.errors.push(
                        path,
                        "enum",
                        format!("must be one of {}, got {shown}", allowed.join(", ")),
                    );
                    return None;
                }
                Some(v)
            }
            Err(mismatch) => {
                self.errors
                    .push(path, "type", format!("{mismatch}, got {shown}"));
                None
            }
        }
    }

    /// Resolves `fields` to the complete, ordered list of selected properties.
    fn fields(&mut self, fields: Fields) -> Vec<String> {
        let (named, include) = match fields {
            Fields::Include(names) => (names, true),
            Fields::Exclude(names) => (names, false),
        };
        for (i, name) in named.iter().enumerate() {
            // Leaving a hidden property out is harmless; only selecting one is refused.
            if include || self.model.get(name).is_none_or(|p| !p.hidden) {
                let _ = self.property(name, &|| format!("/fields/{i}"));
            }
        }
        let mut selected: Vec<String> = self
            .model
            .properties
            .iter()
            .filter(|p| !p.hidden && named.contains(&p.name) == include)
            .map(|p| p.name.clone())
            .collect();
        if include && !self.model.settings.strict {
            selected.extend(
                named
                    .iter()
                    .filter(|n| self.model.get(n).is_none())
                    .cloned(),
            );
        }
        if !include && selected.is_empty() {
            self.errors
                .push("/fields", "invalid", "fields leaves out every property");
        }
        selected
    }

    fn order(&mut self, order: Vec<Order>) -> Vec<Order> {
        if order.len() > self.options.limits.max_order_keys {
            self.errors.push(
                "/order",
                "tooMany",
                format!("more than {} sort keys", self.options.limits.max_order_keys),
            );
            return Vec::new();
        }
        let mut out: Vec<Order> = Vec::new();
        for (i, key) in order.into_iter().enumerate() {
            let path = || format!("/order/{i}");
            // A later key on the same property never decides anything: drop it, as SQL does.
            if out.iter().any(|o| o.property == key.property) {
                continue;
            }
            match self.property(&key.property, &path) {
                Some(Some(p)) if !p.ty.is_scalar() => {
                    self.errors.push(
                        &path(),
                        "type",
                        format!("cannot order by '{}': it is {}", p.name, p.ty),
                    );
                }
                Some(_) => out.push(key),
                None => {}
            }
        }
        // Ties are broken by id, so pages never overlap or skip records. (A model without an id
        // is refused by repositories; checking a filter against one must still not panic.)
        if let Some(id) = self.model.properties.iter().find(|p| p.id)
            && !out.iter().any(|o| o.property == id.name)
        {
            out.push(Order::asc(id.name.clone()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{ModelSettings, PropertyDef};

    fn model() -> ModelDef {
        ModelDef::new("Todo")
            .property(
                PropertyDef::new("id", PropertyType::Integer)
                    .id()
                    .generated(),
            )
            .property(PropertyDef::new("title", PropertyType::String).required())
            .property(PropertyDef::new("done", PropertyType::Boolean))
            .property(PropertyDef::new("due", PropertyType::DateTime))
            .property(PropertyDef::new("tag", PropertyType::Json))
            .property(PropertyDef::new("secret", PropertyType::String).hidden())
    }

    fn check(json: serde_json::Value) -> crate::Result<Checked<Filter>> {
        Filter::from_json(&json)
            .unwrap()
            .check(&model(), &CheckOptions::new(Capabilities::all_operators()))
    }

    fn codes(json: serde_json::Value) -> Vec<String> {
        match check(json) {
            Err(Error::InvalidFilter(e)) => {
                e.0.iter()
                    .map(|e| format!("{} {}", e.path, e.code))
                    .collect()
            }
            other => panic!("expected invalid filter, got {other:?}"),
        }
    }

    #[test]
    fn coerces_query_string_values_to_property_types() {
        let f = check(json!({"where": {"id": {"inq": ["1", "2"]}, "done": "true", "due": {"gt": "2024-01-01"}}})).unwrap();
        let Some(Where::And(parts)) = &f.where_ else {
            panic!()
        };
        assert_eq!(
            parts[0],
            Where::cond("id", Op::Inq(vec![Value::Int(1), Value::Int(2)]))
        );
        assert_eq!(parts[1], Where::cond("done", Op::Eq(Value::Bool(true))));
        assert!(matches!(
            &parts[2],
            Where::Cond(Condition {
                op: Op::Gt(Value::DateTime(_)),
                ..
            })
        ));
    }

    #[test]
    fn collects_model_errors_with_paths() {
        assert_eq!(
            codes(json!({
                "where": {"nope": 1, "id": {"gt": "x"}, "secret": "s", "tag": {"gt": 1}, "title": {"inq": ["a", null]}},
                "fields": ["ghost"], "order": ["tag", "title", "title DESC"]
            })),
            vec![
                "/where/nope unknownProperty",
                "/where/id/gt type",
                "/where/secret hiddenProperty",
                "/where/tag/gt type",
                "/where/title/inq/1 type",
                "/fields/0 unknownProperty",
                "/order/0 type",
            ]
        );
    }

    #[test]
    fn a_repeated_sort_key_is_dropped_and_an_empty_selection_refused() {
        let f = check(json!({"order": ["title", "title DESC", "id"]})).unwrap();
        assert_eq!(f.order, vec![Order::asc("title"), Order::asc("id")]);
        assert_eq!(
            codes(
                json!({"fields": {"id": false, "title": false, "done": false, "due": false, "tag": false}})
            ),
            vec!["/fields invalid"]
        );
    }

    #[test]
    fn order_ends_with_the_id_and_fields_are_resolved() {
        let f = check(json!({"order": "title DESC", "fields": {"secret": false, "tag": false}}))
            .unwrap();
        assert_eq!(f.order, vec![Order::desc("title"), Order::asc("id")]);
        assert_eq!(
            f.fields,
            Some(Fields::Include(vec![
                "id".into(),
                "title".into(),
                "done".into(),
                "due".into()
            ]))
        );
    }

    #[test]
    fn depth_and_list_limits_are_enforced() {
        let mut w = json!({"title": "a"});
        for _ in 0..13 {
            w = json!({"or": [w, {"title": "b"}]});
        }
        assert!(
            codes(json!({"where": w}))
                .iter()
                .any(|c| c.ends_with("tooDeep"))
        );
        let many: Vec<i64> = (0..1001).collect();
        assert_eq!(
            codes(json!({"where": {"id": {"inq": many}}})),
            vec!["/where/id/inq tooMany"]
        );
    }

    #[test]
    fn operators_outside_the_capabilities_are_unsupported() {
        let f = Filter::from_json(&json!({"where": {"title": {"ilike": "a%"}}})).unwrap();
        let err = f
            .check(&model(), &CheckOptions::new(Capabilities::minimal()))
            .unwrap_err();
        assert!(matches!(err, Error::Unsupported(m) if m.contains("ilike")));
    }

    #[test]
    fn free_form_models_accept_unknown_properties() {
        let mut m = model();
        m.settings = ModelSettings {
            strict: false,
            ..ModelSettings::default()
        };
        let f = Filter::from_json(&json!({"where": {"extra": 1}})).unwrap();
        assert!(
            f.check(&m, &CheckOptions::new(Capabilities::all_operators()))
                .is_ok()
        );
    }
}

#[cfg(test)]
mod scope_paths {
    use std::sync::OnceLock;

    use crate::filter::{CheckOptions, Filter};
    use crate::{
        Capabilities, Error, ModelDef, PropertyDef, PropertyType, RelationDef, RelationKind,
    };

    fn parent() -> &'static ModelDef {
        static DEF: OnceLock<ModelDef> = OnceLock::new();
        DEF.get_or_init(|| {
            ModelDef::new("Parent")
                .property(PropertyDef::new("id", PropertyType::Integer).id())
                .relation(RelationDef::new("children", RelationKind::HasMany, child))
        })
    }

    fn child() -> &'static ModelDef {
        static DEF: OnceLock<ModelDef> = OnceLock::new();
        DEF.get_or_init(|| {
            ModelDef::new("Child")
                .property(PropertyDef::new("id", PropertyType::Integer).id())
                .property(PropertyDef::new("parentId", PropertyType::Integer))
                .relation(
                    RelationDef::new("children", RelationKind::HasMany, child).key_to("parentId"),
                )
        })
    }

    #[test]
    fn scope_problems_are_reported_once_under_their_inclusion() {
        let json = serde_json::json!({"include": [{"relation": "children", "scope": {
            "where": {"nope": 1},
            "include": [{"relation": "children", "scope": {"where": {"bad": 2}}}]
        }}]});
        let options = CheckOptions::new(Capabilities::minimal());
        let err = Filter::from_json_checked(&json, parent(), &options).unwrap_err();
        let Error::InvalidFilter(errors) = err else {
            panic!("{err:?}")
        };
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/include/0/scope/where/nope",
                "/include/0/scope/include/0/scope/where/bad"
            ]
        );
    }
}
