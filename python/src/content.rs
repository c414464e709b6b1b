//! What a tool may return besides text and JSON: `dcclink.Image`,
//! `dcclink.Audio`, `dcclink.EmbeddedResource`, and `dcclink.Content` for
//! several blocks in one answer.

use dcclink_server::{Block, ResourceBody};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use crate::convert::type_name;

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

/// A sound for the client: encoded bytes and their MIME type.
///
/// ```python
/// return dcclink.Audio(wav_bytes, "audio/wav")
/// ```
#[pyclass(module = "dcclink", frozen, from_py_object)]
#[derive(Clone)]
pub struct Audio {
    /// The encoded audio bytes.
    #[pyo3(get)]
    pub data: Vec<u8>,
    /// The MIME type, e.g. `audio/wav`.
    #[pyo3(get)]
    pub mime: String,
}

#[pymethods]
impl Audio {
    #[new]
    #[pyo3(signature = (data, mime = "audio/wav".to_owned()))]
    fn new(data: Vec<u8>, mime: String) -> Self {
        Self { data, mime }
    }

    fn __repr__(&self) -> String {
        format!("Audio({} bytes, {:?})", self.data.len(), self.mime)
    }
}

/// A resource's contents, embedded in a tool's answer: `text`, or `blob`
/// bytes.
///
/// ```python
/// return dcclink.EmbeddedResource("maya://scene", text=summary, mime_type="application/json")
/// ```
#[pyclass(module = "dcclink", frozen, from_py_object)]
#[derive(Clone)]
pub struct EmbeddedResource {
    /// The resource's URI.
    #[pyo3(get)]
    pub uri: String,
    /// Its text, if it is text.
    #[pyo3(get)]
    pub text: Option<String>,
    /// Its bytes, if it is binary.
    #[pyo3(get)]
    pub blob: Option<Vec<u8>>,
    /// Its MIME type, when known.
    #[pyo3(get)]
    pub mime_type: Option<String>,
}

#[pymethods]
impl EmbeddedResource {
    #[new]
    #[pyo3(signature = (uri, *, text = None, blob = None, mime_type = None))]
    fn new(
        uri: String,
        text: Option<String>,
        blob: Option<Vec<u8>>,
        mime_type: Option<String>,
    ) -> PyResult<Self> {
        if text.is_some() == blob.is_some() {
            return Err(PyValueError::new_err(
                "an EmbeddedResource holds text= or blob=, exactly one of them",
            ));
        }
        Ok(Self {
            uri,
            text,
            blob,
            mime_type,
        })
    }

    fn __repr__(&self) -> String {
        format!("EmbeddedResource({:?})", self.uri)
    }
}

/// Several blocks in one answer: text, images, audio, embedded resources.
///
/// ```python
/// return dcclink.Content("Rendered:", dcclink.Image(png), dcclink.EmbeddedResource(...))
/// ```
#[pyclass(module = "dcclink", frozen)]
pub struct Content {
    blocks: Vec<Block>,
}

#[pymethods]
impl Content {
    #[new]
    #[pyo3(signature = (*blocks))]
    fn new(blocks: &Bound<'_, PyTuple>) -> PyResult<Self> {
        let blocks = blocks
            .iter()
            .map(|item| {
                block_of(&item)?.ok_or_else(|| {
                    PyTypeError::new_err(format!(
                        "dcclink.Content takes str, dcclink.Image, dcclink.Audio and \
                         dcclink.EmbeddedResource, not {}",
                        type_name(&item)
                    ))
                })
            })
            .collect::<PyResult<_>>()?;
        Ok(Self { blocks })
    }

    fn __len__(&self) -> usize {
        self.blocks.len()
    }

    fn __repr__(&self) -> String {
        format!("Content({} blocks)", self.blocks.len())
    }
}

impl Content {
    /// The blocks, for the answer.
    pub fn blocks(&self) -> Vec<Block> {
        self.blocks.clone()
    }
}

/// `value` as one block, if it is one of the block types.
pub(crate) fn block_of(value: &Bound<'_, PyAny>) -> PyResult<Option<Block>> {
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Some(Block::Text(text.to_cow()?.into_owned())));
    }
    if let Ok(image) = value.cast::<Image>() {
        let image = image.get();
        return Ok(Some(Block::Image {
            data: image.data.clone(),
            mime: image.mime.clone(),
        }));
    }
    if let Ok(audio) = value.cast::<Audio>() {
        let audio = audio.get();
        return Ok(Some(Block::Audio {
            data: audio.data.clone(),
            mime: audio.mime.clone(),
        }));
    }
    if let Ok(resource) = value.cast::<EmbeddedResource>() {
        let resource = resource.get();
        let body = match (&resource.text, &resource.blob) {
            (Some(text), _) => ResourceBody::Text(text.clone()),
            (None, blob) => ResourceBody::Blob(blob.clone().unwrap_or_default()),
        };
        return Ok(Some(Block::Resource {
            uri: resource.uri.clone(),
            mime: resource.mime_type.clone(),
            body,
        }));
    }
    Ok(None)
}
