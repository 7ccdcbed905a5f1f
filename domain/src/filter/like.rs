//! LIKE patterns, decided once for every backend.
//!
//! `%` matches any run of characters (also none), `_` exactly one character, and a backslash
//! makes the next character literal (`\%`, `\_`, `\\`); a trailing lone backslash is a literal
//! backslash. A pattern must match the **whole** value. `like` compares characters exactly;
//! `ilike` compares them after Unicode simple case folding.

/// One element of a LIKE pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LikeToken {
    /// `%`: any run of characters.
    AnyRun,
    /// `_`: exactly one character.
    AnyOne,
    /// A character that must appear as is.
    Literal(char),
}

/// Splits a pattern into tokens, resolving escapes.
pub fn tokens(pattern: &str) -> Vec<LikeToken> {
    let mut out = Vec::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        out.push(match c {
            '%' => LikeToken::AnyRun,
            '_' => LikeToken::AnyOne,
            '\\' => LikeToken::Literal(chars.next().unwrap_or('\\')),
            c => LikeToken::Literal(c),
        });
    }
    out
}

/// The equivalent anchored regular expression (for evaluators and MongoDB), e.g.
/// `a%b\_` → `(?s)^a.*b_$`. Case-insensitive matching is added with `(?i)` by the caller or
/// the backend's own flag.
pub fn to_regex(pattern: &str) -> String {
    let mut out = String::from("(?s)^");
    for token in tokens(pattern) {
        match token {
            LikeToken::AnyRun => out.push_str(".*"),
            LikeToken::AnyOne => out.push('.'),
            LikeToken::Literal(c) => {
                let mut buf = [0u8; 4];
                out.push_str(&regex::escape(c.encode_utf8(&mut buf)));
            }
        }
    }
    out.push('$');
    out
}

/// The pattern re-encoded for SQL `LIKE … ESCAPE '<escape>'`: wildcards kept, every literal
/// `%`, `_` and the escape character itself escaped.
pub fn to_sql_like(pattern: &str, escape: char) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    for token in tokens(pattern) {
        match token {
            LikeToken::AnyRun => out.push('%'),
            LikeToken::AnyOne => out.push('_'),
            LikeToken::Literal(c) => {
                if c == '%' || c == '_' || c == escape {
                    out.push(escape);
                }
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_make_wildcards_literal() {
        assert_eq!(to_regex(r"50\%_off%"), r"(?s)^50%.off.*$");
        assert_eq!(to_regex("a.b"), r"(?s)^a\.b$");
        assert_eq!(to_regex(r"end\"), r"(?s)^end\\$");
        assert_eq!(to_sql_like(r"50\%_o!ff", '!'), "50!%_o!!ff");
    }
}
