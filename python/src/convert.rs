//! JSON values to Python objects and back, without a round trip through
//! JSON text.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::{BoundObject, IntoPyObjectExt};
use serde_json::{Map, Number, Value};

/// Converts a JSON value into the matching Python object.
pub(crate) fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).into_bound().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_bound_py_any(py)?
            } else if let Some(u) = n.as_u64() {
                u.into_bound_py_any(py)?
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py)?
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => dict_to_py(py, map)?.into_any(),
    })
}

/// Converts a JSON object into a Python dict.
pub(crate) fn dict_to_py<'py>(
    py: Python<'py>,
    map: &Map<String, Value>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in map {
        dict.set_item(key, to_py(py, value)?)?;
    }
    Ok(dict)
}

/// Converts a Python object made of `None`, `bool`, `int`, `float`, `str`,
/// lists, tuples and str-keyed dicts into JSON. Anything else is a
/// `TypeError` that names the type.
pub(crate) fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return big_int(obj);
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Number::from_f64(f.value()).map_or(Value::Null, Value::Number));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = Map::with_capacity(dict.len());
        for (key, value) in dict.iter() {
            let key = key.cast::<PyString>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "dict keys must be str to become JSON, not {}",
                    type_name(&key)
                ))
            })?;
            map.insert(key.to_cow()?.into_owned(), from_py(&value)?);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return list.iter().map(|item| from_py(&item)).collect();
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return tuple.iter().map(|item| from_py(&item)).collect();
    }
    Err(PyTypeError::new_err(format!(
        "{} is not JSON: use None, bool, int, float, str, list or a dict with str keys",
        type_name(obj)
    )))
}

/// A Python int beyond 64 bits: a JSON number when a double holds it
/// exactly (2**64 does), else a `TypeError`, never a number that is wrong.
fn big_int(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    let as_double = |obj: &Bound<'_, PyAny>| -> PyResult<Option<Number>> {
        let Ok(float) = obj.extract::<f64>() else {
            return Ok(None); // past a double's range
        };
        let back = obj
            .py()
            .import("builtins")?
            .getattr("int")?
            .call1((float,))?;
        Ok(Number::from_f64(float).filter(|_| back.eq(obj).unwrap_or(false)))
    };
    match as_double(obj)? {
        Some(number) => Ok(Value::Number(number)),
        None => Err(PyTypeError::new_err(format!(
            "the integer {obj} has more digits than a JSON number carries exactly; return \
             it as a str"
        ))),
    }
}

/// The Python type name of `obj`, for messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "object".to_owned(), |n| n.to_string())
}
