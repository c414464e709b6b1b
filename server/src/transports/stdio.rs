//! MCP over stdin/stdout: newline-delimited JSON-RPC.
//!
//! This is rmcp's stdio framing with two things a DCC host needs that rmcp's
//! own transport does not do (it skips bad lines silently):
//! * a malformed line is answered with a JSON-RPC parse error (-32700), an
//!   unusable message or a batch with -32600, and an oversized line with
//!   -32600 carrying the request's id when its start names one
//!   ([`crate::transports::wire_errors`]), and the connection stays usable;
//! * stdout belongs to the protocol alone: [`crate::protect_stdout`] moves it to a
//!   private descriptor and points fd 1 at stderr, so a `print()` in a tool
//!   or a chatty DCC library cannot corrupt the stream.

use std::io;
use std::pin::Pin;

use rmcp::model::{ErrorData, RequestId};
use rmcp::service::{RoleServer, RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt as _, BufReader};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::transports::{legacy_tasks, task_param, wire_errors};

/// How long closing waits for the last lines to be written.
const CLOSE_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);

/// A boxed reader for [`StdioTransport`].
pub(crate) type BoxReader = Pin<Box<dyn AsyncRead + Send>>;
/// A boxed writer for [`StdioTransport`].
pub(crate) type BoxWriter = Pin<Box<dyn AsyncWrite + Send>>;

/// Newline-delimited JSON-RPC over any reader and writer.
pub struct StdioTransport<R> {
    lines: LineChannel<R>,
}

/// Newline-delimited lines over a reader and a writer: the framing of MCP's
/// stdio transport, shared by the server ([`StdioTransport`]) and the relay
/// (`dcclink connect`), which passes lines on without decoding them.
pub(crate) struct LineChannel<R> {
    read: BufReader<R>,
    /// The line read so far. It lives on the struct, not in `next_line`,
    /// because callers poll it inside a `select!` and may drop it mid-line.
    line: Vec<u8>,
    /// True while skipping the rest of an oversized line.
    discarding: bool,
    max_line: usize,
    /// Lines to write, in order, to the task that owns the writer: no lock
    /// is held while a write waits on a slow reader.
    out: Option<LineSender>,
    writer: Option<JoinHandle<()>>,
    closed: CancellationToken,
}

/// Queues lines for a [`LineChannel`]'s writer; cheap to clone.
#[derive(Clone)]
pub(crate) struct LineSender {
    out: mpsc::UnboundedSender<Outgoing>,
}

/// One line for the writer task, and where to say it was written.
struct Outgoing {
    line: Vec<u8>,
    written: oneshot::Sender<io::Result<()>>,
}

enum Line {
    Complete(Vec<u8>),
    /// Longer than the limit: its first [`wire_errors::ID_SEARCH_BYTES`].
    TooLong(Vec<u8>),
    Eof,
}

impl<R> StdioTransport<R>
where
    R: AsyncRead + Send + Unpin,
{
    /// A transport that refuses lines longer than `max_line` bytes. Must be
    /// made inside a tokio runtime: its writer is a task.
    pub fn new<W>(read: R, write: W, max_line: usize) -> Self
    where
        W: AsyncWrite + Send + Unpin + 'static,
    {
        Self {
            lines: LineChannel::new(read, write, max_line),
        }
    }

    /// Fires the moment the peer closes its end. rmcp cancels a session's
    /// requests only after draining them for up to five seconds; dcclink
    /// gives this token to the session so its calls are cancelled at once.
    pub fn closed(&self) -> CancellationToken {
        self.lines.closed()
    }
}

impl<R> LineChannel<R>
where
    R: AsyncRead + Send + Unpin,
{
    /// Lines of at most `max_line` bytes from `read`, and lines to `write`.
    /// Must be made inside a tokio runtime: its writer is a task.
    pub(crate) fn new<W>(read: R, write: W, max_line: usize) -> Self
    where
        W: AsyncWrite + Send + Unpin + 'static,
    {
        let (out, lines) = mpsc::unbounded_channel();
        Self {
            read: BufReader::new(read),
            line: Vec::new(),
            discarding: false,
            max_line,
            out: Some(LineSender { out }),
            writer: Some(tokio::spawn(write_lines(write, lines))),
            closed: CancellationToken::new(),
        }
    }

    /// Fires when the peer has closed its end.
    pub(crate) fn closed(&self) -> CancellationToken {
        self.closed.clone()
    }

    /// Where to queue lines from other tasks.
    pub(crate) fn sender(&self) -> Option<LineSender> {
        self.out.clone()
    }

    /// The next message line: blank lines are skipped, an oversized one is
    /// answered (-32600, with its id when its start names one) and skipped.
    /// `None` once the peer has closed its end. Cancellation safe.
    pub(crate) async fn next_line(&mut self) -> Option<Vec<u8>> {
        loop {
            match self.read_line().await {
                Ok(Line::Eof) => {
                    self.closed.cancel();
                    return None;
                }
                Err(error) => {
                    tracing::warn!(%error, "stdin failed; closing it");
                    self.closed.cancel();
                    return None;
                }
                Ok(Line::TooLong(start)) => {
                    let error = wire_errors::too_large(self.max_line);
                    tracing::warn!("{}", error.message);
                    if !self.reply(error, wire_errors::leading_id(&start)).await {
                        return None;
                    }
                }
                Ok(Line::Complete(mut line)) => {
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    if line.starts_with(b"\xEF\xBB\xBF") {
                        line.drain(..3);
                    }
                    if !line.iter().all(u8::is_ascii_whitespace) {
                        return Some(line);
                    }
                }
            }
        }
    }

    /// Finishes writing what is queued, then shuts the writer: once every
    /// [`LineSender`] is gone, or after [`CLOSE_WITHIN`] when one lingers.
    pub(crate) async fn close(&mut self) -> io::Result<()> {
        self.out = None;
        if let Some(mut writer) = self.writer.take() {
            match tokio::time::timeout(CLOSE_WITHIN, &mut writer).await {
                Ok(done) => done.map_err(io::Error::other)?,
                Err(_) => writer.abort(),
            }
        }
        Ok(())
    }

    /// Reads one line without letting it grow past the limit. Cancellation
    /// safe: the only await is `fill_buf`, which consumes nothing, and every
    /// consumed byte is recorded on `self` before the next await.
    async fn read_line(&mut self) -> io::Result<Line> {
        loop {
            let buf = self.read.fill_buf().await?;
            if buf.is_empty() {
                let partial = std::mem::take(&mut self.line);
                return Ok(if std::mem::take(&mut self.discarding) {
                    Line::TooLong(partial)
                } else if partial.is_empty() {
                    Line::Eof
                } else {
                    Line::Complete(partial)
                });
            }
            let newline = buf.iter().position(|&b| b == b'\n');
            let chunk = &buf[..newline.unwrap_or(buf.len())];
            if !self.discarding {
                if self.line.len() + chunk.len() > self.max_line {
                    // Keep only the start, to find the request's id in.
                    self.discarding = true;
                    let room = wire_errors::ID_SEARCH_BYTES.saturating_sub(self.line.len());
                    self.line.extend_from_slice(&chunk[..room.min(chunk.len())]);
                    self.line.truncate(wire_errors::ID_SEARCH_BYTES);
                    self.line.shrink_to_fit();
                } else {
                    self.line.extend_from_slice(chunk);
                }
            }
            let used = newline.map_or(buf.len(), |end| end + 1);
            self.read.consume(used);
            if newline.is_some() {
                let line = std::mem::take(&mut self.line);
                return Ok(if std::mem::take(&mut self.discarding) {
                    Line::TooLong(line)
                } else {
                    Line::Complete(line)
                });
            }
        }
    }

    /// Queues `line` for the writer (see [`LineSender::queue`]).
    fn queue(&self, line: Vec<u8>) -> impl Future<Output = io::Result<()>> + Send + 'static {
        queue_on(self.out.as_ref(), line)
    }

    /// Answers a message that could not be handed on; false when the
    /// writer is gone.
    pub(crate) fn reply(
        &self,
        error: ErrorData,
        id: Option<RequestId>,
    ) -> impl Future<Output = bool> + Send + 'static {
        let line = wire_errors::error_json(&error, id.as_ref()).to_string();
        let written = self.queue(line.into_bytes());
        async move { written.await.is_ok() }
    }
}

impl LineSender {
    /// Queues `line` (one JSON message, without its newline) for the
    /// writer, in the order of calls; the future says when it was written.
    pub(crate) fn queue(
        &self,
        line: Vec<u8>,
    ) -> impl Future<Output = io::Result<()>> + Send + 'static {
        queue_on(Some(self), line)
    }
}

/// Queues `line` on `out`, if the writer is still there.
fn queue_on(
    out: Option<&LineSender>,
    mut line: Vec<u8>,
) -> impl Future<Output = io::Result<()>> + Send + 'static {
    line.push(b'\n');
    let (written, done) = oneshot::channel();
    let queued = out.is_some_and(|out| out.out.send(Outgoing { line, written }).is_ok());
    async move {
        let closed = || io::Error::new(io::ErrorKind::BrokenPipe, "stdout is closed");
        if !queued {
            return Err(closed());
        }
        done.await.unwrap_or_else(|_| Err(closed()))
    }
}

/// Writes queued lines in order until the transport closes its end of the
/// queue; stops at the first failed write. Lines queued meanwhile go out
/// together, in one flush: under load (pipelined calls, progress) that is
/// one write to the pipe for many messages.
async fn write_lines<W: AsyncWrite + Unpin>(
    write: W,
    mut lines: mpsc::UnboundedReceiver<Outgoing>,
) {
    let mut write = tokio::io::BufWriter::new(write);
    let mut batch = Vec::new();
    while let Some(first) = lines.recv().await {
        batch.push(first);
        while let Ok(next) = lines.try_recv() {
            batch.push(next);
        }
        let mut result = Ok(());
        for outgoing in &batch {
            result = write.write_all(&outgoing.line).await;
            if result.is_err() {
                break;
            }
        }
        if result.is_ok() {
            result = write.flush().await;
        }
        let failed = result
            .as_ref()
            .err()
            .map(|error| (error.kind(), error.to_string()));
        for Outgoing { written, .. } in batch.drain(..) {
            let _ = written.send(match &failed {
                None => Ok(()),
                Some((kind, message)) => Err(io::Error::new(*kind, message.clone())),
            });
        }
        if failed.is_some() {
            return;
        }
    }
    let _ = write.shutdown().await;
}

impl<R> Transport<RoleServer> for StdioTransport<R>
where
    R: AsyncRead + Send + Unpin,
{
    type Error = io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let item = legacy_tasks::outgoing(item);
        let line = serde_json::to_vec(&item).map_err(io::Error::from);
        let queued = line.map(|line| self.lines.queue(line));
        async move { queued?.await }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            let line = self.lines.next_line().await?;
            if let Some(message) = task_param::parse(&line) {
                return Some(legacy_tasks::incoming(message));
            }
            match serde_json::from_slice(&line) {
                Ok(message) => return Some(legacy_tasks::incoming(message)),
                Err(error) => {
                    tracing::warn!(%error, "bad message on stdin");
                    if let Some((reply, id)) = wire_errors::diagnose(&line)
                        && !self.lines.reply(reply, id).await
                    {
                        return None;
                    }
                }
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        // The writer finishes what is queued, then shuts stdout.
        self.lines.close().await
    }
}
