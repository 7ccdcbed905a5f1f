//! Relations between models: LoopBack's `hasMany`, `belongsTo`, `hasOne`, `hasMany` through a
//! link model, and `referencesMany`, with LoopBack's default key names.
//!
//! A relation names its target through a [`ModelRef`] — a function returning the target's
//! definition, as LoopBack's `() => Target` — so two models can point at each other. Keys are
//! resolved lazily by [`RelationDef::keys`], never while a definition is being built.

use crate::model::{ModelDef, PropertyType};

/// How a relation reaches its target's definition: `<Todo as Entity>::definition` for derived
/// entities, or any function returning a `&'static ModelDef` (a `OnceLock` or a leaked box) for
/// models defined at run time.
pub type ModelRef = fn() -> &'static ModelDef;

/// The kind of a relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    /// One source has many targets holding its key (`TodoList.todos`).
    HasMany,
    /// The source holds the key of one target (`Todo.todoList`).
    BelongsTo,
    /// One source has one target holding its key (`TodoList.image`).
    HasOne,
    /// Many-to-many through a link model holding both keys.
    HasManyThrough,
    /// The source holds an array of target keys.
    ReferencesMany,
}

impl RelationKind {
    /// True when the navigational property holds a list.
    pub fn targets_many(self) -> bool {
        matches!(
            self,
            RelationKind::HasMany | RelationKind::HasManyThrough | RelationKind::ReferencesMany
        )
    }

    /// LoopBack's name for the kind (`hasMany`, …), for messages.
    pub fn loopback_name(self) -> &'static str {
        match self {
            RelationKind::HasMany => "hasMany",
            RelationKind::BelongsTo => "belongsTo",
            RelationKind::HasOne => "hasOne",
            RelationKind::HasManyThrough => "hasManyThrough",
            RelationKind::ReferencesMany => "referencesMany",
        }
    }
}

/// The link model of a has-many-through relation.
#[derive(Debug, Clone)]
pub struct ThroughDef {
    /// The link model.
    pub model: ModelRef,
    /// The link's property holding the source key (default: `<source>Id`, camelCase).
    pub key_from: Option<String>,
    /// The link's property holding the target key (default: `<target>Id`, camelCase).
    pub key_to: Option<String>,
}

/// A relation from one model to another. Keys left `None` take LoopBack's defaults (see
/// [`RelationDef::keys`]).
#[derive(Debug, Clone)]
pub struct RelationDef {
    /// The relation (navigational property) name, e.g. `todos`.
    pub name: String,
    /// Its kind.
    pub kind: RelationKind,
    /// The target model.
    pub target: ModelRef,
    /// The key on the source side.
    pub key_from: Option<String>,
    /// The key on the target side.
    pub key_to: Option<String>,
    /// The link model of a has-many-through relation.
    pub through: Option<ThroughDef>,
}

/// A relation's keys, resolved against its models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationKeys {
    /// The source property whose value relates (an array of keys for references-many).
    pub source: String,
    /// The target property matched against it.
    pub target: String,
    /// For has-many-through: the link's properties holding the source key and the target key.
    pub through: Option<(String, String)>,
}

/// `TodoList` → `todoListId`, as LoopBack's `camelCase(Model + '_id')`.
fn key_name(model: &str, suffix: &str) -> String {
    let mut chars = model.chars();
    let first = chars.next().map(|c| c.to_lowercase().collect::<String>());
    format!("{}{}{suffix}", first.unwrap_or_default(), chars.as_str())
}

impl RelationDef {
    /// A relation of `kind` named `name` to `target`, with default keys.
    pub fn new(name: impl Into<String>, kind: RelationKind, target: ModelRef) -> Self {
        RelationDef {
            name: name.into(),
            kind,
            target,
            key_from: None,
            key_to: None,
            through: None,
        }
    }

    /// Sets the source-side key.
    pub fn key_from(mut self, key: impl Into<String>) -> Self {
        self.key_from = Some(key.into());
        self
    }

    /// Sets the target-side key.
    pub fn key_to(mut self, key: impl Into<String>) -> Self {
        self.key_to = Some(key.into());
        self
    }

    /// Makes a has-many relation go through a link model.
    pub fn through(mut self, through: ThroughDef) -> Self {
        self.kind = RelationKind::HasManyThrough;
        self.through = Some(through);
        self
    }

    /// The target model's definition.
    pub fn target(&self) -> &'static ModelDef {
        (self.target)()
    }

    /// The link model's definition (has-many-through only).
    pub fn through_model(&self) -> Option<&'static ModelDef> {
        self.through.as_ref().map(|t| (t.model)())
    }

    /// The keys with LoopBack's defaults filled in: has-many and has-one relate the source's id
    /// to the target's `<source>Id`; belongs-to relates the source's `<relation>Id` to the
    /// target's id; references-many the source's array `<target>Ids` to the target's id;
    /// has-many-through the source's id to the link's `<source>Id`, and the link's
    /// `<target>Id` to the target's id.
    pub fn keys(&self, source: &ModelDef) -> RelationKeys {
        let target = self.target();
        let source_id = || source.id_property().name.clone();
        let target_id = || target.id_property().name.clone();
        let (default_from, default_to) = match self.kind {
            RelationKind::HasMany | RelationKind::HasOne => {
                (source_id(), key_name(&source.name, "Id"))
            }
            RelationKind::HasManyThrough => (source_id(), target_id()),
            RelationKind::BelongsTo => (format!("{}Id", self.name), target_id()),
            RelationKind::ReferencesMany => (key_name(&target.name, "Ids"), target_id()),
        };
        RelationKeys {
            source: self.key_from.clone().unwrap_or(default_from),
            target: self.key_to.clone().unwrap_or(default_to),
            through: self.through.as_ref().map(|t| {
                (
                    t.key_from
                        .clone()
                        .unwrap_or_else(|| key_name(&source.name, "Id")),
                    t.key_to
                        .clone()
                        .unwrap_or_else(|| key_name(&target.name, "Id")),
                )
            }),
        }
    }

    /// Checks the relation against its models: keys exist and have compatible types.
    ///
    /// # Errors
    /// Human-readable problems, in LoopBack's `Invalid <kind> definition for <Model>#<name>`
    /// form.
    pub fn check(&self, source: &ModelDef) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let invalid = |reason: String| {
            format!(
                "Invalid {} definition for {}#{}: {reason}",
                self.kind.loopback_name(),
                source.name,
                self.name
            )
        };
        if self.kind == RelationKind::HasManyThrough && self.through.is_none() {
            problems.push(invalid("no through model".to_owned()));
            return Err(problems);
        }
        let target = self.target();
        let keys = self.keys(source);
        let find = |model: &ModelDef, key: &str, problems: &mut Vec<String>| {
            let found = model.get(key).map(|p| p.ty.clone());
            if found.is_none() {
                problems.push(invalid(format!("{} has no property {key}", model.name)));
            }
            found
        };
        let source_ty = find(source, &keys.source, &mut problems);
        let target_ty = find(target, &keys.target, &mut problems);
        let source_ty = match (self.kind, source_ty) {
            (RelationKind::ReferencesMany, Some(PropertyType::Array(item))) => Some(*item),
            (RelationKind::ReferencesMany, Some(_)) => {
                problems.push(invalid(format!("{} must be an array", keys.source)));
                None
            }
            (_, ty) => ty,
        };
        let mut pairs = Vec::new();
        if let (Some((link_from, link_to)), Some(link)) = (&keys.through, self.through_model()) {
            pairs.push((source_ty, find(link, link_from, &mut problems)));
            pairs.push((find(link, link_to, &mut problems), target_ty));
        } else {
            pairs.push((source_ty, target_ty));
        }
        for (a, b) in pairs {
            if let (Some(a), Some(b)) = (a, b)
                && a != b
            {
                problems.push(invalid(format!("keys of types {a} and {b} cannot match")));
            }
        }
        if source.get(&self.name).is_some() {
            problems.push(invalid(format!(
                "the name is also a property of {}",
                source.name
            )));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::*;
    use crate::model::PropertyDef;

    fn list() -> &'static ModelDef {
        static DEF: OnceLock<ModelDef> = OnceLock::new();
        DEF.get_or_init(|| {
            let mut def = ModelDef::new("TodoList")
                .property(PropertyDef::new("id", PropertyType::Integer).id())
                .property(PropertyDef::new("title", PropertyType::String));
            def.relations
                .push(RelationDef::new("todos", RelationKind::HasMany, todo));
            def
        })
    }

    fn todo() -> &'static ModelDef {
        static DEF: OnceLock<ModelDef> = OnceLock::new();
        DEF.get_or_init(|| {
            let mut def = ModelDef::new("Todo")
                .property(PropertyDef::new("id", PropertyType::Integer).id())
                .property(PropertyDef::new("todoListId", PropertyType::Integer));
            def.relations
                .push(RelationDef::new("todoList", RelationKind::BelongsTo, list));
            def
        })
    }

    #[test]
    fn default_keys_follow_loopback() {
        let has_many = &list().relations[0];
        assert_eq!(
            has_many.keys(list()),
            RelationKeys {
                source: "id".into(),
                target: "todoListId".into(),
                through: None
            }
        );
        let belongs_to = &todo().relations[0];
        assert_eq!(
            belongs_to.keys(todo()),
            RelationKeys {
                source: "todoListId".into(),
                target: "id".into(),
                through: None
            }
        );
        assert!(has_many.check(list()).is_ok());
        assert!(belongs_to.check(todo()).is_ok());
    }

    #[test]
    fn check_names_missing_keys() {
        let bad = RelationDef::new("todos", RelationKind::HasMany, todo).key_to("listId");
        assert_eq!(
            bad.check(list()).unwrap_err(),
            vec!["Invalid hasMany definition for TodoList#todos: Todo has no property listId"]
        );
    }
}
