//! What a job returns, in the shapes MCP can carry: text, structured JSON,
//! images, several blocks, nothing, or an error. Every kind of job (a tool,
//! a resource read, a prompt, a completion) answers with one of these; the
//! transports turn it into MCP's results. A leaf: it needs nothing else of
//! the server.

use dcclink_bridge::Outcome;
use serde_json::Value;

/// What a tool returned, in the shapes MCP can carry.
#[derive(Debug, Clone, PartialEq)]
pub enum JobOutput {
    /// Plain text.
    Text(String),
    /// A JSON object, sent as structured content and as its JSON text.
    Structured(Value),
    /// An image.
    Image {
        /// The encoded bytes (PNG, JPEG, …).
        data: Vec<u8>,
        /// Its MIME type.
        mime: String,
    },
    /// Several blocks, or a kind that has no variant of its own (audio, an
    /// embedded resource).
    Content(Vec<Block>),
    /// Nothing (`None`).
    Empty,
    /// The tool raised an error.
    Error {
        /// One line: what went wrong.
        message: String,
        /// The traceback, when there is one.
        traceback: Option<String>,
    },
}

impl JobOutput {
    /// The verdict this output proposes for its job: failed when it is an
    /// error, done otherwise (a cancellation or a timeout overrides it).
    pub fn proposed_outcome(&self) -> Outcome {
        match self {
            Self::Error { .. } => Outcome::Failed,
            _ => Outcome::Done,
        }
    }
}

/// One block of a tool's answer ([`JobOutput::Content`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Text.
    Text(String),
    /// An image: encoded bytes and their MIME type.
    Image {
        /// The bytes (PNG, JPEG, …).
        data: Vec<u8>,
        /// Their MIME type.
        mime: String,
    },
    /// Audio: encoded bytes and their MIME type.
    Audio {
        /// The bytes (WAV, MP3, …).
        data: Vec<u8>,
        /// Their MIME type.
        mime: String,
    },
    /// A resource's contents, embedded in the answer.
    Resource {
        /// The resource's URI.
        uri: String,
        /// Its MIME type, when known.
        mime: Option<String>,
        /// Its text or bytes.
        body: ResourceBody,
    },
}

/// What an embedded resource holds.
#[derive(Debug, Clone, PartialEq)]
pub enum ResourceBody {
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}
