//! A call's arguments against a tool's input schema, as `tools/call`
//! checks them before anything is queued. The schemas are the ones
//! `dcclink._schema` derives from type hints (int, float, str, bool, None,
//! Any, list[T], dict[str, T], unions, Literal and Enum, each parameter
//! required unless it has a default); the arguments are any JSON.
//!
//! Never a panic. Arguments built to fit the hints always pass, and a
//! refusal names the tool and says what is wrong.
#![no_main]

use arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Number, Value, json};

/// A type hint, as `schema_for` understands them.
#[derive(Debug, Arbitrary)]
enum Hint {
    Int,
    Float,
    Str,
    Bool,
    Null,
    Any,
    List(Box<Hint>),
    Dict(Box<Hint>),
    Union(Box<Hint>, Box<Hint>),
    /// `Literal[first, *more]` (a Literal, or an Enum's values: never empty).
    Literal(Scalar, Vec<Scalar>),
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
enum Scalar {
    Int(i64),
    Str(String),
    Bool(bool),
}

impl Scalar {
    fn json(&self) -> Value {
        match self {
            Self::Int(n) => json!(n),
            Self::Str(s) => json!(s),
            Self::Bool(b) => json!(b),
        }
    }
}

/// A tool's parameters: a name, a hint, and whether it has a default.
#[derive(Debug, Arbitrary)]
struct Parameter {
    name: String,
    hint: Hint,
    optional: bool,
}

/// Any JSON value, for arguments nobody built to fit.
#[derive(Debug, Arbitrary)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn value(&self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Bool(b) => json!(b),
            Self::Int(n) => json!(n),
            Self::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Self::Str(s) => json!(s),
            Self::Array(items) => items.iter().map(Json::value).collect(),
            Self::Object(fields) => {
                Value::Object(fields.iter().map(|(k, v)| (k.clone(), v.value())).collect())
            }
        }
    }
}

/// `schema_for`, for the hints above.
fn schema(hint: &Hint) -> Value {
    match hint {
        Hint::Int => json!({"type": "integer"}),
        Hint::Float => json!({"type": "number"}),
        Hint::Str => json!({"type": "string"}),
        Hint::Bool => json!({"type": "boolean"}),
        Hint::Null => json!({"type": "null"}),
        Hint::Any => json!({}),
        Hint::List(item) => json!({"type": "array", "items": schema(item)}),
        Hint::Dict(value) => json!({"type": "object", "additionalProperties": schema(value)}),
        Hint::Union(a, b) => {
            // Each member once: nested unions that built a member again
            // took time and memory exponential in their depth.
            let [a, b] = [schema(a), schema(b)];
            if a == b {
                // Python's Union drops a repeated member: Union[int, int] is int.
                return a;
            }
            let options = [a, b];
            let simple: Option<Vec<&Value>> = options
                .iter()
                .map(|o| {
                    o.get("type")
                        .filter(|t| t.is_string() && o.as_object().is_some_and(|o| o.len() == 1))
                })
                .collect();
            match simple {
                Some(types) => json!({"type": types}),
                None => json!({"anyOf": options}),
            }
        }
        Hint::Literal(first, more) => {
            // Python's Literal drops repeated values, as an Enum's aliases do.
            let mut values: Vec<Value> = Vec::new();
            for value in std::iter::once(first).chain(more).map(Scalar::json) {
                if !values.contains(&value) {
                    values.push(value);
                }
            }
            let mut schema = json!({"enum": values});
            let kinds: Vec<&str> = values
                .iter()
                .map(|v| match v {
                    Value::String(_) => "string",
                    Value::Bool(_) => "boolean",
                    _ => "integer",
                })
                .collect();
            if let Some(first) = kinds.first()
                && kinds.iter().all(|k| k == first)
            {
                schema["type"] = json!(first);
            }
            schema
        }
    }
}

/// A value that fits `hint`, chosen by the fuzzer.
fn fitting(hint: &Hint, u: &mut Unstructured<'_>, depth: u32) -> Result<Value> {
    Ok(match hint {
        Hint::Int => json!(i64::arbitrary(u)?),
        Hint::Float => json!(f64::from(i32::arbitrary(u)?) / 8.0),
        Hint::Str => json!(String::arbitrary(u)?),
        Hint::Bool => json!(bool::arbitrary(u)?),
        Hint::Null => Value::Null,
        Hint::Any => Json::arbitrary(u)?.value(),
        Hint::List(item) => {
            let mut items = Vec::new();
            while depth < 4 && u.arbitrary()? {
                items.push(fitting(item, u, depth + 1)?);
            }
            Value::Array(items)
        }
        Hint::Dict(value) => {
            let mut fields = Map::new();
            while depth < 4 && u.arbitrary()? {
                let v = fitting(value, u, depth + 1)?;
                fields.insert(String::arbitrary(u)?, v);
            }
            Value::Object(fields)
        }
        Hint::Union(a, b) => fitting(if u.arbitrary()? { a } else { b }, u, depth)?,
        Hint::Literal(first, more) => {
            let index = u.choose_index(more.len() + 1)?;
            more.get(index.wrapping_sub(1)).unwrap_or(first).json()
        }
    })
}

fn check(u: &mut Unstructured<'_>) -> Result<()> {
    // A Python signature names each parameter once.
    let mut parameters: Vec<Parameter> = u.arbitrary()?;
    let mut names = std::collections::HashSet::new();
    parameters.retain(|p| names.insert(p.name.clone()));
    let mut properties = Map::new();
    let mut required = Vec::new();
    for p in &parameters {
        properties.insert(p.name.clone(), schema(&p.hint));
        if !p.optional {
            required.push(p.name.clone());
        }
    }
    let mut input = Map::new();
    input.insert("type".into(), json!("object"));
    input.insert("properties".into(), Value::Object(properties));
    input.insert("additionalProperties".into(), json!(false));
    if !required.is_empty() {
        input.insert("required".into(), json!(required));
    }

    // Anything at all: refused or not, with a clear message.
    let anything: Vec<(String, Json)> = u.arbitrary()?;
    let anything: Map<String, Value> = anything
        .iter()
        .map(|(k, v)| (k.clone(), v.value()))
        .collect();
    let Some(verdict) = dcclink_server::fuzzing::tool_arguments(input.clone(), &anything) else {
        panic!("a schema derived from hints was refused: {input:?}");
    };
    if let Err(message) = verdict {
        assert!(
            message.starts_with("invalid arguments for tool 'fuzzed': "),
            "{message}"
        );
    }

    // Arguments built to fit: always accepted.
    let mut fits = Map::new();
    for p in &parameters {
        if p.optional && u.arbitrary()? {
            continue;
        }
        fits.insert(p.name.clone(), fitting(&p.hint, u, 0)?);
    }
    let verdict = dcclink_server::fuzzing::tool_arguments(input.clone(), &fits);
    assert_eq!(verdict, Some(Ok(())), "{input:?} against {fits:?}");
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = check(&mut Unstructured::new(data));
});
