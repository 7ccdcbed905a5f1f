//! Stage 1 for query strings: one parameter, as URL-encoded JSON or in the bracket ("qs") form,
//! turned into the JSON the LoopBack JSON parser reads.

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::FilterErrors;

/// Deepest bracket nesting accepted (`filter[where][and][0][or][1][title][like]` is 7).
const MAX_BRACKET_DEPTH: usize = 16;
/// Largest array index accepted in the bracket form.
const MAX_INDEX: usize = 10_000;

/// A node while bracket keys are collected: objects keep keys as written so that all-numeric
/// objects can become arrays at the end.
#[derive(Debug)]
enum Node {
    Leaf(Vec<String>),
    Map(BTreeMap<String, Node>, Vec<Node>),
}

impl super::Filter {
    /// Stage 1 of [`Filter::from_query`](super::Filter::from_query) alone: the parameter
    /// `param` of a raw (still percent-encoded) query string as the JSON that LoopBack's parser
    /// reads, from either encoding (URL-encoded JSON or the bracket form); `None` when absent or
    /// empty. Unlike `from_query`, it does not refuse prohibited keys: a transport configuring
    /// keys of its own (LoopBack's `prohibitedKeys`) finds the first one with
    /// [`crate::value::prohibited_key`] and answers as LoopBack does.
    ///
    /// # Errors
    /// Malformed JSON or conflicting bracket keys, with paths under `/{param}`.
    pub fn query_param_json(query: &str, param: &str) -> Result<Option<J>, FilterErrors> {
        raw_param_json(query, param)
    }
}

/// The parameter as JSON, refusing the keys LoopBack's `parseJson` always refuses
/// (`__proto__`, `constructor.prototype`) before anything else looks at it, in both encodings.
pub(super) fn param_to_json(query: &str, param: &str) -> Result<Option<J>, FilterErrors> {
    let json = raw_param_json(query, param)?;
    if let Some(key) = json
        .as_ref()
        .and_then(|json| crate::value::prohibited_key(json, &[]))
    {
        return Err(FilterErrors::one(
            format!("/{param}"),
            "prohibitedKey",
            crate::value::prohibited_key_message(&key),
        ));
    }
    Ok(json)
}

/// The parameter as JSON, its keys unchecked.
fn raw_param_json(query: &str, param: &str) -> Result<Option<J>, FilterErrors> {
    let mut errors = FilterErrors::default();
    let mut json_value: Option<String> = None;
    let mut root = Node::Map(BTreeMap::new(), Vec::new());
    let mut bracketed = false;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if key == param {
            json_value = Some(value.into_owned());
            continue;
        }
        let Some(rest) = key.strip_prefix(param).filter(|r| r.starts_with('[')) else {
            continue;
        };
        bracketed = true;
        match segments(rest) {
            Some(path) if path.len() <= MAX_BRACKET_DEPTH => {
                insert(&mut root, &path, value.into_owned(), &key, &mut errors)
            }
            Some(_) => errors.push(
                &format!("/{param}"),
                "tooDeep",
                format!("'{key}' nests deeper than {MAX_BRACKET_DEPTH} levels"),
            ),
            None => errors.push(
                &format!("/{param}"),
                "invalid",
                format!("malformed bracket key '{key}'"),
            ),
        }
    }
    if bracketed && json_value.is_some() {
        errors.push(
            &format!("/{param}"),
            "invalid",
            format!("'{param}' is given both as JSON and in bracket form"),
        );
    }
    if !errors.0.is_empty() {
        return Err(errors);
    }
    if let Some(text) = json_value {
        if text.trim().is_empty() {
            return Ok(None);
        }
        return parse_json_param(&text, param).map(Some);
    }
    if !bracketed {
        return Ok(None);
    }
    let json = to_json(root, &format!("/{param}"), &mut errors);
    errors.into_result(Some(json))
}

/// Parses a JSON parameter.
fn parse_json_param(text: &str, param: &str) -> Result<J, FilterErrors> {
    serde_json::from_str::<J>(text).map_err(|e| {
        FilterErrors::one(
            format!("/{param}"),
            "syntax",
            format!("'{param}' is not valid JSON: {e}"),
        )
    })
}

/// `[where][title][like]` → `["where", "title", "like"]`; `[]` is an empty segment (append).
fn segments(rest: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut s = rest;
    while !s.is_empty() {
        let inner = s.strip_prefix('[')?;
        let end = inner.find(']')?;
        out.push(inner[..end].to_owned());
        s = &inner[end + 1..];
    }
    Some(out)
}

fn insert(node: &mut Node, path: &[String], value: String, key: &str, errors: &mut FilterErrors) {
    let Node::Map(map, appended) = node else {
        errors.push(
            "",
            "invalid",
            format!("'{key}' conflicts with a value given for a shorter key"),
        );
        return;
    };
    let Some((first, rest)) = path.split_first() else {
        errors.push("", "invalid", format!("'{key}' conflicts with nested keys"));
        return;
    };
    if first.is_empty() {
        // `a[]=x`: append a leaf; `a[][b]=x` appends an object.
        let child = if rest.is_empty() {
            Node::Leaf(vec![value])
        } else {
            let mut child = Node::Map(BTreeMap::new(), Vec::new());
            insert(&mut child, rest, value, key, errors);
            child
        };
        appended.push(child);
        return;
    }
    if rest.is_empty() {
        match map
            .entry(first.clone())
            .or_insert_with(|| Node::Leaf(Vec::new()))
        {
            // Repeated keys collect into an array, as `qs` does.
            Node::Leaf(values) => values.push(value),
            Node::Map(..) => {
                errors.push("", "invalid", format!("'{key}' conflicts with nested keys"))
            }
        }
        return;
    }
    let child = map
        .entry(first.clone())
        .or_insert_with(|| Node::Map(BTreeMap::new(), Vec::new()));
    insert(child, rest, value, key, errors);
}

fn to_json(node: Node, path: &str, errors: &mut FilterErrors) -> J {
    match node {
        Node::Leaf(mut values) if values.len() == 1 => J::String(values.remove(0)),
        Node::Leaf(values) => J::Array(values.into_iter().map(J::String).collect()),
        Node::Map(map, appended) => {
            let numeric = !map.is_empty() && map.keys().all(|k| k.parse::<usize>().is_ok());
            if numeric || (map.is_empty() && !appended.is_empty()) {
                // qs compacts sparse indices into a dense array, in index order.
                let mut indexed: Vec<(usize, Node)> = map
                    .into_iter()
                    .map(|(k, v)| (k.parse().unwrap_or(usize::MAX), v))
                    .collect();
                if indexed.iter().any(|(i, _)| *i > MAX_INDEX) {
                    errors.push(path, "tooMany", format!("array index above {MAX_INDEX}"));
                    return J::Null;
                }
                indexed.sort_by_key(|(i, _)| *i);
                let items = indexed.into_iter().map(|(_, v)| v).chain(appended);
                return J::Array(
                    items
                        .enumerate()
                        .map(|(i, v)| to_json(v, &format!("{path}/{i}"), errors))
                        .collect(),
                );
            }
            if !appended.is_empty() {
                errors.push(path, "invalid", "mixes [] items with named keys");
            }
            J::Object(
                map.into_iter()
                    .map(|(k, v)| {
                        let at = format!("{path}/{k}");
                        (k, to_json(v, &at, errors))
                    })
                    .collect(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn bracket_form_builds_nested_json() {
        let q = "filter[where][title][like]=%25milk%25&filter[order][0]=title%20DESC&filter[limit]=3&other=1";
        assert_eq!(
            param_to_json(q, "filter").unwrap(),
            Some(
                json!({"where": {"title": {"like": "%milk%"}}, "order": ["title DESC"], "limit": "3"})
            )
        );
    }

    #[test]
    fn repeated_keys_and_empty_brackets_make_arrays() {
        let q = "filter[where][id][inq]=1&filter[where][id][inq]=2&filter[include][]=a&filter[include][]=b";
        assert_eq!(
            param_to_json(q, "filter").unwrap(),
            Some(json!({"where": {"id": {"inq": ["1", "2"]}}, "include": ["a", "b"]}))
        );
        let sparse = "where[or][3][a]=1&where[or][1][b]=2";
        assert_eq!(
            param_to_json(sparse, "where").unwrap(),
            Some(json!({"or": [{"b": "2"}, {"a": "1"}]}))
        );
    }

    /// LoopBack's example-todo acceptance cases (unencoded here: the parser decodes either way).
    #[test]
    fn prohibited_keys_are_refused_first_in_both_encodings() {
        let refused = |query: &str, param: &str| {
            param_to_json(query, param)
                .unwrap_err()
                .0
                .into_iter()
                .map(|e| format!("{} {} {}", e.path, e.code, e.message))
                .collect::<Vec<_>>()
        };
        let todo = |where_: &str| {
            format!(
                r#"filter={{"offset":0,"limit":100,"skip":0,"where":{where_},"fields":{{"title":true,"id":true}}}}"#
            )
        };
        assert_eq!(
            refused(
                &todo(r#"{"constructor.prototype":{"toString":"def"}}"#),
                "filter"
            ),
            [r#"/filter prohibitedKey JSON string cannot contain "constructor.prototype" key."#]
        );
        assert_eq!(
            refused(&todo(r#"{"__proto__":{"toString":"def"}}"#), "filter"),
            [r#"/filter prohibitedKey JSON string cannot contain "__proto__" key."#]
        );
        // Before any other problem: the where clause below is bad too.
        assert_eq!(
            refused(
                r#"where={"nope":{"gt":[]},"constructor":{"prototype":1}}"#,
                "where"
            ),
            [r#"/where prohibitedKey JSON string cannot contain "constructor.prototype" key."#]
        );
        assert_eq!(
            refused("filter[where][__proto__][x]=1", "filter"),
            [r#"/filter prohibitedKey JSON string cannot contain "__proto__" key."#]
        );
        assert_eq!(
            refused("filter[where][constructor][prototype]=1", "filter"),
            [r#"/filter prohibitedKey JSON string cannot contain "constructor.prototype" key."#]
        );
        // A configured key is the transport's to refuse: stage 1 alone hands the JSON back.
        assert_eq!(
            super::super::Filter::query_param_json(&todo(r#"{"badKey":1}"#), "filter")
                .unwrap()
                .map(|json| json["where"].clone()),
            Some(json!({"badKey": 1}))
        );
        assert_eq!(
            super::super::Filter::query_param_json(r#"filter={"__proto__":1}"#, "filter").unwrap(),
            Some(json!({"__proto__": 1}))
        );
    }

    #[test]
    fn json_form_and_absence() {
        assert_eq!(
            param_to_json("filter=%7B%22limit%22%3A2%7D", "filter").unwrap(),
            Some(json!({"limit": 2}))
        );
        assert_eq!(param_to_json("filter=", "filter").unwrap(), None);
        assert_eq!(param_to_json("x=1", "filter").unwrap(), None);
        assert!(param_to_json("filter={oops", "filter").is_err());

        assert!(param_to_json("filter[a]=1&filter[a][b]=2", "filter").is_err());
        assert!(param_to_json("filter[a=1", "filter").is_err());
    }
}
