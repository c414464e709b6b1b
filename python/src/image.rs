//! `dcclink.Image`: image bytes a tool returns as MCP image content.

use pyo3::prelude::*;

/// An image for the client: encoded bytes and their MIME type.
///
/// ```python
/// return dcclink.Image(png_bytes, "image/png")
/// ```
#[pyclass(module = "dcclink", frozen, from_py_object)]
#[derive(Clone)]
pub struct Image {
    /// The encoded image bytes.
    #[pyo3(get)]
    pub data: Vec<u8>,
    /// The MIME type, e.g. `image/png`.
    #[pyo3(get)]
    pub mime: String,
}

#[pymethods]
impl Image {
    #[new]
    #[pyo3(signature = (data, mime = "image/png".to_owned()))]
    fn new(data: Vec<u8>, mime: String) -> Self {
        Self { data, mime }
    }

    fn __repr__(&self) -> String {
        format!("Image({} bytes, {:?})", self.data.len(), self.mime)
    }
}
