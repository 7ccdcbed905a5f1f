//! `#[derive(Entity)]` for Portico: builds the model definition from a plain struct and its
//! `#[portico(...)]` attributes, converts to and from records, and generates typed field names.
//!
//! Struct attributes: `name = "Todo"` (model name, default: the struct name),
//! `table = "todos"` (storage name), `strict = false` (free-form), `description = "…"`,
//! `rename_all = "camelCase" | "snake_case"` (property names; default camelCase, as LoopBack).
//!
//! Field attributes: `id`, `generated`, `version` (optimistic concurrency, on an integer), `rename = "x"`, `column = "x"`, `hidden`, `unique`,
//! `index`, `description = "…"` (default: the doc comment), `default = <expr>`, `default_now`,
//! `default_uuid`, `length(min = 1, max = 9)`, `pattern = "^a"`, `minimum = 0`, `maximum = 9`,
//! `one_of(<expr>, …)`, `format = "email" | "uri"`.
//!
//! Relation attributes declare a navigational property instead of a stored one:
//! `has_many(target = Todo)`, `belongs_to(target = TodoList)`, `has_one(target = Image)`,
//! `has_many_through(target = Product, through = CategoryProduct)` and
//! `references_many(target = Account)`, each optionally with `key_from = "…"`, `key_to = "…"`
//! (and `through_key_from`, `through_key_to`). The field's type is `Option<Vec<T>>` for to-many
//! relations and `Option<Box<T>>` for to-one ones; it is `None` until the relation is included.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as Tokens};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::Parse;
use syn::{
    Data, DeriveInput, Expr, Fields, GenericArgument, Ident, LitStr, PathArguments, Type,
    parse_macro_input,
};

/// Derives `portico_domain::Entity` from a plain struct and its `#[portico(...)]` attributes
/// (the model definition, records, typed field names `Todo::FIELDS.title`).
///
/// Struct attributes: `name = "Todo"` (model name, default: the struct name),
/// `table = "todos"` (storage name), `strict = false` (free-form), `description = "…"`,
/// `rename_all = "camelCase" | "snake_case"` (property names; default camelCase, as LoopBack).
///
/// Field types, and the property type each maps to:
///
/// | Rust | property | JSON |
/// |---|---|---|
/// | `String` | string | string |
/// | `bool` | boolean | boolean |
/// | `i64`, `i32`, `i16`, `i8`, `u32`, `u16` | integer | number |
/// | `f64` | number | number |
/// | `chrono::DateTime<Utc>` | date-time | ISO 8601 string |
/// | `chrono::NaiveDate` (`portico::prelude::NaiveDate`) | date | `"YYYY-MM-DD"` |
/// | `rust_decimal::Decimal` (`portico::prelude::Decimal`) | decimal, `NUMERIC(18, 2)` unless `decimal(precision = P, scale = S)` | string `"8.50"` (an integer is accepted on input; a fraction must be a string) |
/// | `uuid::Uuid` | uuid | string |
/// | `Vec<u8>` | bytes | base64 string |
/// | an enum with `#[derive(PropertyEnum)]` | enum of its variant names | string, one of them |
/// | a struct with `#[derive(Embedded)]` | embedded object | object (its own schema) |
/// | `serde_json::Value` | any (LoopBack's `any`) | any |
/// | `Vec<T>` | array of `T` | array |
/// | `Option<T>` | `T`, not required, nullable | `T` or absent |
/// | a type implementing `FieldValue` | what it says; its `from_value` runs on every write | what it says |
///
/// A field that is not an `Option` is **required**: creates and replacements must carry it
/// (a `default…` attribute lets a create leave it out). Another type is refused at compile time
/// with this list.
///
/// Field attributes: `id`, `generated`, `version` (optimistic concurrency, on an integer), `rename = "x"`, `column = "x"`, `hidden`, `unique`,
/// `index`, `description = "…"` (default: the doc comment), `default = <expr>`, `default_now`,
/// `default_uuid`, `length(min = 1, max = 9)`, `pattern = "^a"`, `minimum = 0`, `maximum = 9`,
/// `one_of(<expr>, …)`, `format = "email" | "uri"`, `decimal(precision = 10, scale = 2)` (on a
/// `Decimal`: at most 10 digits, 2 after the point).
///
/// Relation attributes declare a navigational property instead of a stored one:
/// `has_many(target = Todo)`, `belongs_to(target = TodoList)`, `has_one(target = Image)`,
/// `has_many_through(target = Product, through = CategoryProduct)` and
/// `references_many(target = Account)`, each optionally with `key_from = "…"`, `key_to = "…"`
/// (and `through_key_from`, `through_key_to`). The field's type is `Option<Vec<T>>` for to-many
/// relations and `Option<Box<T>>` for to-one ones; it is `None` until the relation is included.
/// Keys default as LoopBack names them: `customer_id` (`customerId`) on `Order` for its
/// `belongs_to(target = Customer)` field `customer`, and for `Customer`'s
/// `has_many(target = Order)`.
#[proc_macro_derive(Entity, attributes(portico))]
pub fn derive_entity(input: TokenStream) -> TokenStream {
    derive_with(input, expand)
}

/// Derives `portico_domain::FieldValue` for an enum of unit variants: a property holding one
/// of the variants' names as a string (OpenAPI `enum`, a `CHECK` constraint on SQL, `eq`/`inq`
/// filters). A stored value that is no variant is a read error naming the property, never a
/// panic.
///
/// Enum attribute: `rename_all = "lowercase" | "UPPERCASE" | "camelCase" | "snake_case" |
/// "SCREAMING_SNAKE_CASE" | "kebab-case"` (default: the variant names as written).
/// Variant attribute: `rename = "…"`.
///
/// ```ignore
/// #[derive(PropertyEnum, Clone, Copy, Debug, PartialEq)]
/// #[portico(rename_all = "lowercase")]
/// enum Priority { Low, Medium, High }
/// ```
#[proc_macro_derive(PropertyEnum, attributes(portico))]
pub fn derive_property_enum(input: TokenStream) -> TokenStream {
    derive_with(input, expand_enum)
}

/// Derives `portico_domain::FieldValue` for a struct embedded in an entity (a value object: an
/// address, a money amount): stored as JSON (`JSONB` on PostgreSQL) or a BSON sub-document,
/// published as a schema of its own, validated member by member (paths such as
/// `/address/city` in a 422), and filterable by dotted path (`address.city`) on the backends
/// that can honour it exactly (memory, MongoDB).
///
/// Field types and attributes are an entity's stored ones (`rename`, `description`,
/// `length(...)`, `pattern`, `minimum`, `maximum`, `one_of(...)`, `format`, `decimal(...)`;
/// no defaults, as an embedded object is written whole); a non-`Option` field is required. Struct attributes: `name = "…"` (schema name,
/// default: the struct name), `rename_all`.
#[proc_macro_derive(Embedded, attributes(portico))]
pub fn derive_embedded(input: TokenStream) -> TokenStream {
    derive_with(input, expand_embedded)
}

/// Parses the item a derive is on and expands it, or answers its errors at compile time.
fn derive_with(input: TokenStream, expand: fn(&DeriveInput) -> syn::Result<Tokens>) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

fn rename_variant(name: &str, rule: Option<&str>) -> String {
    let words = || {
        let mut words: Vec<String> = Vec::new();
        for (i, c) in name.char_indices() {
            if c.is_uppercase() && i > 0 || words.is_empty() {
                words.push(String::new());
            }
            if let Some(last) = words.last_mut() {
                last.extend(c.to_lowercase());
            }
        }
        words
    };
    match rule {
        Some("lowercase") => name.to_lowercase(),
        Some("UPPERCASE") => name.to_uppercase(),
        Some("camelCase") => camel_case(&words().join("_")),
        Some("snake_case") => words().join("_"),
        Some("SCREAMING_SNAKE_CASE") => words().join("_").to_uppercase(),
        Some("kebab-case") => words().join("-"),
        _ => name.to_owned(),
    }
}

fn expand_enum(input: &DeriveInput) -> syn::Result<Tokens> {
    let ident = &input.ident;
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new(
            Span::call_site(),
            "PropertyEnum can only be derived for enums of unit variants",
        ));
    };
    let mut rename_all: Option<String> = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("portico")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename_all") {
                let lit = meta.value()?.parse::<LitStr>()?;
                let rule = lit.value();
                let known = [
                    "lowercase",
                    "UPPERCASE",
                    "camelCase",
                    "snake_case",
                    "SCREAMING_SNAKE_CASE",
                    "kebab-case",
                ];
                if !known.contains(&rule.as_str()) {
                    return Err(syn::Error::new(
                        lit.span(),
                        format!("rename_all is one of {}", known.join(", ")),
                    ));
                }
                rename_all = Some(rule);
                Ok(())
            } else {
                Err(meta.error("unknown portico enum attribute (rename_all)"))
            }
        })?;
    }
    let mut names = Vec::new();
    let mut variants = Vec::new();
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            return Err(syn::Error::new_spanned(
                variant,
                "PropertyEnum variants carry no data",
            ));
        }
        let mut rename = None;
        for attr in variant
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("portico"))
        {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    rename = Some(meta.value()?.parse::<LitStr>()?.value());
                    Ok(())
                } else {
                    Err(meta.error("unknown portico variant attribute (rename)"))
                }
            })?;
        }
        let name = rename
            .unwrap_or_else(|| rename_variant(&variant.ident.to_string(), rename_all.as_deref()));
        if names.contains(&name) {
            return Err(syn::Error::new_spanned(
                variant,
                format!("two variants are named \"{name}\""),
            ));
        }
        names.push(name);
        variants.push(&variant.ident);
    }
    if variants.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            "PropertyEnum needs at least one variant",
        ));
    }
    let d = domain_path();
    let expected = format!("one of {}", names.join(", "));
    Ok(quote! {
        impl #d::FieldValue for #ident {
            fn property_type() -> #d::PropertyType {
                #d::PropertyType::Enum(::std::vec![#(::std::string::String::from(#names)),*])
            }
            fn into_value(self) -> #d::Value {
                #d::Value::String(::std::string::String::from(match self { #(Self::#variants => #names),* }))
            }
            fn from_value(value: #d::Value) -> ::core::result::Result<Self, #d::__private::TypeMismatch> {
                match &value {
                    #d::Value::String(s) => match s.as_str() {
                        #(#names => ::core::result::Result::Ok(Self::#variants),)*
                        _ => ::core::result::Result::Err(#d::__private::TypeMismatch::new(#expected)),
                    },
                    _ => ::core::result::Result::Err(#d::__private::TypeMismatch::new(#expected)),
                }
            }
            fn check(value: &#d::Value) -> ::core::result::Result<(), #d::__private::TypeMismatch> {
                match value {
                    #d::Value::String(s) if [#(#names),*].contains(&s.as_str()) => ::core::result::Result::Ok(()),
                    _ => ::core::result::Result::Err(#d::__private::TypeMismatch::new(#expected)),
                }
            }
        }
    })
}

/// The named fields of the non-generic struct `derive` is derived for.
fn named_fields<'a>(input: &'a DeriveInput, derive: &str) -> syn::Result<&'a syn::FieldsNamed> {
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            format!("{derive} cannot be derived for generic structs"),
        ));
    }
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            Span::call_site(),
            format!("{derive} can only be derived for structs"),
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new(
            Span::call_site(),
            format!("{derive} needs a struct with named fields"),
        ));
    };
    Ok(named)
}

/// A field's API name: its `rename`, else its Rust name in the struct's case (camelCase by
/// default, as LoopBack).
fn api_name(attrs: &FieldAttrs, raw: &str, model: &ModelAttrs) -> String {
    attrs.rename.clone().unwrap_or_else(|| {
        if model.snake_case {
            raw.trim_start_matches("r#").to_owned()
        } else {
            camel_case(raw)
        }
    })
}

fn expand_embedded(input: &DeriveInput) -> syn::Result<Tokens> {
    let ident = &input.ident;
    let named = named_fields(input, "Embedded")?;
    let model = model_attrs(input)?;
    if model.table.is_some() || model.strict.is_some() {
        return Err(syn::Error::new(
            Span::call_site(),
            "an embedded object has no table and is always strict",
        ));
    }
    let name = model.name.clone().unwrap_or_else(|| ident.to_string());
    let d = domain_path();
    let mut properties = Vec::new();
    let mut to_record = Vec::new();
    let mut from_record = Vec::new();
    for field in &named.named {
        let attrs = field_attrs(field)?;
        let fident = field.ident.as_ref().expect("named fields have idents");
        if attrs.relation.is_some()
            || attrs.id
            || attrs.generated
            || attrs.version
            || attrs.hidden
            || attrs.unique
            || attrs.index
            || attrs.column.is_some()
            || attrs.default.is_some()
            || attrs.default_now
            || attrs.default_uuid
        {
            return Err(syn::Error::new_spanned(
                fident,
                "an embedded object's field takes no relation, id, generated, version, hidden, unique, index, column or default attribute (an embedded object is written whole)",
            ));
        }
        let raw = fident.to_string();
        let api_name = api_name(&attrs, &raw, &model);
        properties.push(property_def(
            &attrs, fident, &field.ty, &name, &api_name, &d,
        )?);
        to_record.push(quote!(#d::__private::put_field(&mut record, #api_name, &self.#fident);));
        from_record.push(quote!(#fident: #d::__private::take_member(&mut record, #api_name)?,));
    }
    Ok(quote! {
        impl #d::FieldValue for #ident {
            fn property_type() -> #d::PropertyType {
                static DEFINITION: #d::__private::OnceLock<::std::sync::Arc<#d::ObjectDef>> = #d::__private::OnceLock::new();
                #d::PropertyType::Object(::std::sync::Arc::clone(DEFINITION.get_or_init(|| {
                    ::std::sync::Arc::new(#d::ObjectDef {
                        name: ::std::string::String::from(#name),
                        properties: ::std::vec![#(#properties),*],
                    })
                })))
            }
            fn into_value(self) -> #d::Value {
                let mut record = #d::Record::new();
                #(#to_record)*
                #d::Value::Object(record)
            }
            fn from_value(value: #d::Value) -> ::core::result::Result<Self, #d::__private::TypeMismatch> {
                let #d::Value::Object(mut record) = value else {
                    return ::core::result::Result::Err(#d::__private::TypeMismatch::new("object"));
                };
                ::core::result::Result::Ok(Self { #(#from_record)* })
            }
        }
    })
}

#[derive(Default)]
struct ModelAttrs {
    name: Option<String>,
    table: Option<String>,
    strict: Option<bool>,
    description: Option<String>,
    snake_case: bool,
}

struct RelationAttrs {
    kind: &'static str,
    target: Option<Type>,
    key_from: Option<String>,
    key_to: Option<String>,
    through: Option<Type>,
    through_key_from: Option<String>,
    through_key_to: Option<String>,
    span: Span,
}

#[derive(Default)]
struct FieldAttrs {
    relation: Option<RelationAttrs>,
    version: bool,
    id: bool,
    generated: bool,
    rename: Option<String>,
    column: Option<String>,
    hidden: bool,
    unique: bool,
    index: bool,
    description: Option<String>,
    default: Option<Expr>,
    default_now: bool,
    default_uuid: bool,
    min_length: Option<Expr>,
    max_length: Option<Expr>,
    pattern: Option<LitStr>,
    minimum: Option<Expr>,
    maximum: Option<Expr>,
    one_of: Vec<Expr>,
    format: Option<LitStr>,
    decimal: Option<(syn::LitInt, syn::LitInt)>,
}

fn model_attrs(input: &DeriveInput) -> syn::Result<ModelAttrs> {
    let mut attrs = ModelAttrs::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("portico")) {
        attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(Ident::to_string)
                .unwrap_or_default();
            match key.as_str() {
                "name" => attrs.name = Some(meta.value()?.parse::<LitStr>()?.value()),
                "table" => attrs.table = Some(meta.value()?.parse::<LitStr>()?.value()),
                "description" => attrs.description = Some(meta.value()?.parse::<LitStr>()?.value()),
                "strict" => attrs.strict = Some(meta.value()?.parse::<syn::LitBool>()?.value),
                "rename_all" => {
                    let lit = meta.value()?.parse::<LitStr>()?;
                    attrs.snake_case = match lit.value().as_str() {
                        "camelCase" => false,
                        "snake_case" => true,
                        _ => {
                            return Err(syn::Error::new(
                                lit.span(),
                                "rename_all is \"camelCase\" or \"snake_case\"",
                            ));
                        }
                    };
                }
                _ => return Err(meta.error(format!("unknown portico model attribute `{key}`"))),
            }
            Ok(())
        })?;
    }
    Ok(attrs)
}

fn field_attrs(field: &syn::Field) -> syn::Result<FieldAttrs> {
    let mut attrs = FieldAttrs {
        description: doc_comment(&field.attrs),
        ..FieldAttrs::default()
    };
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("portico")) {
        attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(Ident::to_string)
                .unwrap_or_default();
            match key.as_str() {
                "id" => attrs.id = true,
                "version" => attrs.version = true,
                "generated" => attrs.generated = true,
                "hidden" => attrs.hidden = true,
                "unique" => attrs.unique = true,
                "index" => attrs.index = true,
                "default_now" => attrs.default_now = true,
                "default_uuid" => attrs.default_uuid = true,
                "rename" => attrs.rename = Some(meta.value()?.parse::<LitStr>()?.value()),
                "column" => attrs.column = Some(meta.value()?.parse::<LitStr>()?.value()),
                "description" => attrs.description = Some(meta.value()?.parse::<LitStr>()?.value()),
                "default" => attrs.default = Some(meta.value()?.parse()?),
                "pattern" => attrs.pattern = Some(meta.value()?.parse()?),
                "format" => attrs.format = Some(meta.value()?.parse()?),
                "minimum" => attrs.minimum = Some(meta.value()?.parse()?),
                "maximum" => attrs.maximum = Some(meta.value()?.parse()?),
                "length" => meta.parse_nested_meta(|inner| {
                    if inner.path.is_ident("min") {
                        attrs.min_length = Some(inner.value()?.parse()?);
                    } else if inner.path.is_ident("max") {
                        attrs.max_length = Some(inner.value()?.parse()?);
                    } else {
                        return Err(inner.error("length takes min and max"));
                    }
                    Ok(())
                })?,
                "decimal" => {
                    let (mut precision, mut scale) = (None, None);
                    meta.parse_nested_meta(|inner| {
                        if inner.path.is_ident("precision") {
                            precision = Some(inner.value()?.parse::<syn::LitInt>()?);
                        } else if inner.path.is_ident("scale") {
                            scale = Some(inner.value()?.parse::<syn::LitInt>()?);
                        } else {
                            return Err(inner.error("decimal takes precision and scale"));
                        }
                        Ok(())
                    })?;
                    let (Some(precision), Some(scale)) = (precision, scale) else {
                        return Err(meta.error("decimal needs precision = P and scale = S"));
                    };
                    let (p, s) = (precision.base10_parse::<u8>()?, scale.base10_parse::<u8>()?);
                    if !(1..=28).contains(&p) || s > p {
                        return Err(
                            meta.error("decimal needs 1 <= precision <= 28 and scale <= precision")
                        );
                    }
                    attrs.decimal = Some((precision, scale));
                }
                "has_many" | "belongs_to" | "has_one" | "has_many_through" | "references_many" => {
                    attrs.relation = Some(relation_attrs(&meta, &key)?);
                }
                "one_of" => {
                    let content;
                    syn::parenthesized!(content in meta.input);
                    attrs.one_of = content
                        .parse_terminated(Expr::parse, syn::Token![,])?
                        .into_iter()
                        .collect();
                }
                _ => return Err(meta.error(format!("unknown portico field attribute `{key}`"))),
            }
            Ok(())
        })?;
    }
    Ok(attrs)
}

fn relation_attrs(meta: &syn::meta::ParseNestedMeta<'_>, key: &str) -> syn::Result<RelationAttrs> {
    let mut relation = RelationAttrs {
        kind: match key {
            "has_many" => "HasMany",
            "belongs_to" => "BelongsTo",
            "has_one" => "HasOne",
            "has_many_through" => "HasManyThrough",
            _ => "ReferencesMany",
        },
        target: None,
        key_from: None,
        key_to: None,
        through: None,
        through_key_from: None,
        through_key_to: None,
        span: meta
            .path
            .get_ident()
            .map_or_else(Span::call_site, Ident::span),
    };
    meta.parse_nested_meta(|inner| {
        let name = inner
            .path
            .get_ident()
            .map(Ident::to_string)
            .unwrap_or_default();
        match name.as_str() {
            "target" => relation.target = Some(inner.value()?.parse()?),
            "through" => relation.through = Some(inner.value()?.parse()?),
            "key_from" => relation.key_from = Some(inner.value()?.parse::<LitStr>()?.value()),
            "key_to" => relation.key_to = Some(inner.value()?.parse::<LitStr>()?.value()),
            "through_key_from" => {
                relation.through_key_from = Some(inner.value()?.parse::<LitStr>()?.value());
            }
            "through_key_to" => {
                relation.through_key_to = Some(inner.value()?.parse::<LitStr>()?.value());
            }
            _ => {
                return Err(inner.error(format!(
                    "unknown relation attribute `{name}` (target, key_from, key_to, through, through_key_from, through_key_to)"
                )));
            }
        }
        Ok(())
    })?;
    if relation.target.is_none() {
        return Err(meta.error(format!("{key} needs `target = <Entity type>`")));
    }
    if (relation.kind == "HasManyThrough") != relation.through.is_some() {
        return Err(meta.error("`through = <link Entity type>` goes with has_many_through only"));
    }
    Ok(relation)
}

fn doc_comment(attrs: &[syn::Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    (!lines.is_empty()).then(|| lines.join(" "))
}

/// `Option<T>` → `Some(T)`.
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    match &last.arguments {
        PathArguments::AngleBracketed(args) => match args.args.first()? {
            GenericArgument::Type(inner) => Some(inner),
            _ => None,
        },
        _ => None,
    }
}

fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.trim_start_matches("r#").chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let ident = &input.ident;
    let vis = &input.vis;
    let named = named_fields(input, "Entity")?;
    let model = model_attrs(input)?;
    let model_name = model.name.clone().unwrap_or_else(|| ident.to_string());
    let d = domain_path();

    let mut properties = Vec::new();
    let mut relations = Vec::new();
    let mut set_related = Vec::new();
    let mut to_record = Vec::new();
    let mut from_record = Vec::new();
    let mut from_values = Vec::new();
    let mut field_decls = Vec::new();
    let mut field_inits = Vec::new();
    let mut id_field: Option<(&Ident, &Type, bool)> = None;

    for field in &named.named {
        let attrs = field_attrs(field)?;
        let fident = field.ident.as_ref().expect("named fields have idents");
        let ty = &field.ty;
        let inner = option_inner(ty);
        let value_ty = inner.unwrap_or(ty);
        let raw = fident.to_string();
        let api_name = api_name(&attrs, &raw, &model);

        if let Some(relation) = &attrs.relation {
            relations.push(relation_def(relation, &api_name, &d));
            from_record.push(quote_spanned! {relation.span=>
                #fident: <#ty as #d::Navigation>::from_related(record.remove(#api_name), #api_name)?,
            });
            from_values.push(quote!(#fident: ::core::default::Default::default(),));
            set_related.push(quote! {
                #api_name => {
                    self.#fident = <#ty as #d::Navigation>::from_rows(rows)?;
                    ::core::result::Result::Ok(true)
                }
            });
            continue;
        }

        if attrs.id {
            if id_field.is_some() {
                return Err(syn::Error::new_spanned(
                    fident,
                    "only one field can be #[portico(id)]",
                ));
            }
            id_field = Some((fident, value_ty, inner.is_some()));
        }
        if attrs.generated && !attrs.id {
            return Err(syn::Error::new_spanned(
                fident,
                "`generated` applies to the id field only",
            ));
        }
        if attrs.generated && inner.is_none() {
            return Err(syn::Error::new_spanned(
                ty,
                "a generated id must be an Option (None until the store assigns it)",
            ));
        }

        properties.push(property_def(
            &attrs,
            fident,
            ty,
            &model_name,
            &api_name,
            &d,
        )?);
        to_record.push(quote!(#d::__private::put_field(&mut record, #api_name, &self.#fident);));
        from_record.push(quote!(#fident: #d::__private::take_field(&mut record, #api_name)?,));
        from_values.push(quote!(#fident: #d::__private::take_value(values.next(), #api_name)?,));
        let doc = format!("The `{api_name}` property.");
        field_decls.push(quote!(#[doc = #doc] pub #fident: #d::Field<#ident, #value_ty>,));
        field_inits.push(quote!(#fident: #d::Field::new(#api_name),));
    }

    let Some((id_ident, id_ty, id_optional)) = id_field else {
        return Err(syn::Error::new(
            Span::call_site(),
            "an Entity needs one field marked #[portico(id)]",
        ));
    };
    let id_expr = if id_optional {
        quote!(::core::clone::Clone::clone(&self.#id_ident))
    } else {
        quote!(::core::option::Option::Some(::core::clone::Clone::clone(&self.#id_ident)))
    };
    let strict = model.strict.unwrap_or(true);
    let table = opt_string(&model.table);
    let model_description = opt_string(&model.description);
    let fields_ident = format_ident!("{}Fields", ident);
    let fields_doc =
        format!("Typed field names of [`{ident}`], for filters, sort keys and patches.");
    let const_doc = format!("Typed field names of `{model_name}`: `{ident}::FIELDS.<field>`.");
    let invalid = format!("invalid model definition for {model_name}");

    Ok(quote! {
        impl #d::Entity for #ident {
            type Id = #id_ty;

            fn definition() -> &'static #d::ModelDef {
                static DEFINITION: #d::__private::OnceLock<#d::ModelDef> = #d::__private::OnceLock::new();
                DEFINITION.get_or_init(|| {
                    let definition = #d::ModelDef {
                        name: ::std::string::String::from(#model_name),
                        properties: ::std::vec![#(#properties),*],
                        settings: #d::ModelSettings {
                            strict: #strict,
                            storage_name: #table,
                            description: #model_description,
                        },
                        relations: ::std::vec![#(#relations),*],
                    };
                    if let ::core::result::Result::Err(problems) = definition.check() {
                        panic!("{}: {}", #invalid, problems.join("; "));
                    }
                    definition
                })
            }

            fn id(&self) -> ::core::option::Option<Self::Id> {
                #id_expr
            }

            fn to_record(&self) -> #d::Record {
                let mut record = #d::Record::new();
                #(#to_record)*
                record
            }

            fn from_record(mut record: #d::Record) -> ::core::result::Result<Self, #d::RecordError> {
                ::core::result::Result::Ok(Self { #(#from_record)* })
            }

            fn from_values(values: &mut dyn ::core::iter::Iterator<Item = #d::Value>) -> ::core::result::Result<Self, #d::RecordError> {
                ::core::result::Result::Ok(Self { #(#from_values)* })
            }

            fn set_related(&mut self, relation: &str, rows: ::std::vec::Vec<::std::vec::Vec<#d::Value>>) -> ::core::result::Result<bool, #d::RecordError> {
                match relation {
                    #(#set_related)*
                    _ => {
                        let _ = rows;
                        ::core::result::Result::Ok(false)
                    }
                }
            }
        }

        #[doc = #fields_doc]
        #[derive(Clone, Copy, Debug)]
        #vis struct #fields_ident {
            #(#field_decls)*
        }

        impl #ident {
            #[doc = #const_doc]
            #vis const FIELDS: #fields_ident = #fields_ident { #(#field_inits)* };
        }
    })
}

/// The `PropertyDef` of a stored field (of an entity or an embedded object).
fn property_def(
    attrs: &FieldAttrs,
    fident: &Ident,
    ty: &Type,
    model_name: &str,
    api_name: &str,
    d: &Tokens,
) -> syn::Result<Tokens> {
    let value_ty = option_inner(ty).unwrap_or(ty);
    let property_type = match &attrs.decimal {
        Some((precision, scale)) => quote!(#d::__private::with_decimal(
            <#value_ty as #d::FieldValue>::property_type(),
            #precision,
            #scale,
        )),
        None => quote!(<#value_ty as #d::FieldValue>::property_type()),
    };
    let id = attrs.id;
    let generated = attrs.generated;
    let hidden = attrs.hidden;
    let version = attrs.version;
    let index = if attrs.unique {
        quote!(#d::IndexKind::Unique)
    } else if attrs.index {
        quote!(#d::IndexKind::Plain)
    } else {
        quote!(#d::IndexKind::None)
    };
    let description = opt_string(&attrs.description);
    let storage_name = opt_string(&attrs.column);
    let default = match (&attrs.default, attrs.default_now, attrs.default_uuid) {
        (Some(expr), false, false) => {
            quote!(::core::option::Option::Some(#d::DefaultValue::Value(#d::FieldValue::into_value(::core::convert::Into::<#value_ty>::into(#expr)))))
        }
        (None, true, false) => quote!(::core::option::Option::Some(#d::DefaultValue::Now)),
        (None, false, true) => quote!(::core::option::Option::Some(#d::DefaultValue::Uuid)),
        (None, false, false) => quote!(::core::option::Option::None),
        _ => {
            return Err(syn::Error::new_spanned(
                fident,
                "use only one of default, default_now, default_uuid",
            ));
        }
    };
    let has_default = attrs.default.is_some() || attrs.default_now || attrs.default_uuid;
    let opt_u64 = |e: &Option<Expr>| match e {
        Some(e) => quote!(::core::option::Option::Some((#e) as u64)),
        None => quote!(::core::option::Option::None),
    };
    let opt_f64 = |e: &Option<Expr>| match e {
        Some(e) => quote!(::core::option::Option::Some((#e) as f64)),
        None => quote!(::core::option::Option::None),
    };
    let (min_length, max_length) = (opt_u64(&attrs.min_length), opt_u64(&attrs.max_length));
    let (minimum, maximum) = (opt_f64(&attrs.minimum), opt_f64(&attrs.maximum));
    let pattern = match &attrs.pattern {
        Some(p) => {
            let message = format!("invalid pattern on {model_name}.{api_name}");
            quote!(::core::option::Option::Some(#d::__private::Regex::new(#p).expect(#message)))
        }
        None => quote!(::core::option::Option::None),
    };
    let format = match attrs.format.as_ref().map(|f| (f.value(), f)) {
        Some((f, _)) if f == "email" => quote!(::core::option::Option::Some(#d::Format::Email)),
        Some((f, _)) if f == "uri" || f == "url" => {
            quote!(::core::option::Option::Some(#d::Format::Uri))
        }
        Some((_, lit)) => {
            return Err(syn::Error::new(
                lit.span(),
                "format is \"email\" or \"uri\"",
            ));
        }
        None => quote!(::core::option::Option::None),
    };
    let one_of = &attrs.one_of;

    Ok(quote! {
        #d::PropertyDef {
            name: ::std::string::String::from(#api_name),
            ty: #property_type,
            required: !<#ty as #d::FieldValue>::is_optional() && !#generated && !#has_default && !#version,
            id: #id,
            generated: #generated,
            default: #default,
            hidden: #hidden,
            index: #index,
            description: #description,
            storage_name: #storage_name,
            version: #version,
            check: ::core::option::Option::Some(<#ty as #d::FieldValue>::check),
            constraints: #d::Constraints {
                min_length: #min_length,
                max_length: #max_length,
                pattern: #pattern,
                minimum: #minimum,
                maximum: #maximum,
                enum_values: ::std::vec![#(#d::FieldValue::into_value(::core::convert::Into::<#value_ty>::into(#one_of))),*],
                format: #format,
            },
        }
    })
}

fn relation_def(relation: &RelationAttrs, name: &str, d: &Tokens) -> Tokens {
    let kind = format_ident!("{}", relation.kind);
    let target = relation.target.as_ref().expect("checked when parsed");
    let key_from = opt_string(&relation.key_from);
    let key_to = opt_string(&relation.key_to);
    let through = match &relation.through {
        Some(link) => {
            let from = opt_string(&relation.through_key_from);
            let to = opt_string(&relation.through_key_to);
            quote!(::core::option::Option::Some(#d::ThroughDef {
                model: <#link as #d::Entity>::definition,
                key_from: #from,
                key_to: #to,
            }))
        }
        None => quote!(::core::option::Option::None),
    };
    quote! {
        #d::RelationDef {
            name: ::std::string::String::from(#name),
            kind: #d::RelationKind::#kind,
            target: <#target as #d::Entity>::definition,
            key_from: #key_from,
            key_to: #key_to,
            through: #through,
        }
    }
}

fn opt_string(s: &Option<String>) -> Tokens {
    match s {
        Some(s) => quote!(::core::option::Option::Some(::std::string::String::from(#s))),
        None => quote!(::core::option::Option::None),
    }
}

/// The path of `portico-domain` in the deriving crate: `::portico_domain` when it depends on it
/// (under whatever name), `::portico::domain` through the `portico` facade.
fn domain_path() -> Tokens {
    use proc_macro_crate::{FoundCrate, crate_name};
    match (crate_name("portico-domain"), crate_name("portico")) {
        // The domain's own tests and doc tests: it is `portico_domain` to itself too.
        (Ok(FoundCrate::Itself), _) => quote!(::portico_domain),
        (Ok(FoundCrate::Name(name)), _) => {
            let ident = proc_macro2::Ident::new(&name, Span::call_site());
            quote!(::#ident)
        }
        (Err(_), Ok(FoundCrate::Name(name))) => {
            let ident = proc_macro2::Ident::new(&name, Span::call_site());
            quote!(::#ident::domain)
        }
        _ => quote!(::portico_domain),
    }
}
