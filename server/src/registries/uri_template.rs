//! URI templates for resources (RFC 6570, level 1: `{name}` expands one
//! path segment), parsed once and matched against the URIs clients read:
//! `maya://objects/{name}` matches `maya://objects/pCube%201` with `name`
//! = `pCube 1`, and not `maya://objects/a/b`.
//!
//! Level 1 is what resource templates use in practice; the few lines here
//! spare a dependency for it.

use percent_encoding::percent_decode_str;

/// Why a template could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("URI template {template:?}: {reason}")]
pub struct TemplateError {
    template: String,
    reason: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Variable(String),
}

/// A parsed URI template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriTemplate {
    parts: Vec<Part>,
}

impl UriTemplate {
    /// Parses `template`; variables are `{name}` with a name of letters,
    /// digits and `_`, and two never touch.
    pub fn parse(template: &str) -> Result<Self, TemplateError> {
        let error = |reason| TemplateError {
            template: template.to_owned(),
            reason,
        };
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                return Err(error("a '{' is never closed"));
            };
            let name = &rest[open + 1..open + close];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(error("a variable's name is letters, digits and '_' only"));
            }
            if open == 0 && matches!(parts.last(), Some(Part::Variable(_))) {
                return Err(error("two variables must be separated by text"));
            }
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_owned()));
            }
            parts.push(Part::Variable(name.to_owned()));
            rest = &rest[open + close + 1..];
        }
        if rest.contains('}') {
            return Err(error("a '}' has no '{'"));
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        Ok(Self { parts })
    }

    /// True when the template has variables (it is a template, not a URI).
    pub fn has_variables(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Variable(_)))
    }

    /// The variables' values when `uri` fits the template (each value one
    /// non-empty path segment, percent-decoded), or `None`.
    pub fn matches(&self, uri: &str) -> Option<Vec<(String, String)>> {
        let mut values = Vec::new();
        let mut rest = uri;
        let mut parts = self.parts.iter().peekable();
        while let Some(part) = parts.next() {
            match part {
                Part::Literal(text) => rest = rest.strip_prefix(text.as_str())?,
                Part::Variable(name) => {
                    let end = match parts.peek() {
                        Some(Part::Literal(next)) => rest.find(next.as_str())?,
                        _ => rest.len(),
                    };
                    let raw = &rest[..end];
                    if raw.is_empty() || raw.contains('/') {
                        return None;
                    }
                    let value = percent_decode_str(raw).decode_utf8().ok()?;
                    values.push((name.clone(), value.into_owned()));
                    rest = &rest[end..];
                }
            }
        }
        rest.is_empty().then_some(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(template: &str, uri: &str) -> Option<Vec<(String, String)>> {
        UriTemplate::parse(template).ok()?.matches(uri)
    }

    #[test]
    fn plain_uris_match_only_themselves() {
        let scene = UriTemplate::parse("blender://scene").unwrap();
        assert!(!scene.has_variables());
        assert_eq!(scene.matches("blender://scene"), Some(vec![]));
        assert_eq!(scene.matches("blender://scene/"), None);
        assert_eq!(scene.matches("blender://scen"), None);
    }

    #[test]
    fn variables_take_one_segment_each() {
        let pair = |a: &str, b: &str| vec![("kind".into(), a.into()), ("name".into(), b.into())];
        let template = "dcc://{kind}/objects/{name}.json";
        assert_eq!(
            values(template, "dcc://mesh/objects/cube.json"),
            Some(pair("mesh", "cube"))
        );
        assert_eq!(values(template, "dcc://mesh/objects/a/b.json"), None);
        assert_eq!(values(template, "dcc://mesh/objects/.json"), None);
        assert_eq!(values(template, "dcc://mesh/objects/cube.txt"), None);
        assert_eq!(
            values("x://{name}", "x://caf%C3%A9%20bar"),
            Some(vec![("name".into(), "café bar".into())])
        );
    }

    #[test]
    fn bad_templates_are_refused_with_the_reason() {
        for (template, reason) in [
            ("x://{name", "never closed"),
            ("x://name}", "has no '{'"),
            ("x://{}", "letters, digits"),
            ("x://{a b}", "letters, digits"),
            ("x://{a}{b}", "separated by text"),
        ] {
            let error = UriTemplate::parse(template).unwrap_err().to_string();
            assert!(error.contains(reason), "{template}: {error}");
        }
    }
}
