//! MCP over stdin/stdout: newline-delimited JSON-RPC.
//!
//! This is rmcp's stdio framing with two things a DCC host needs that rmcp's
//! own transport does not do (it skips bad lines silently):
//! * a malformed line is answered with a JSON-RPC parse error (-32700), an
//!   unusable message with -32600, and an oversized line with -32600, and the
//!   connection stays usable;
//! * stdout belongs to the protocol alone: [`protect_stdout`] moves it to a
//!   private descriptor and points fd 1 at stderr, so a `print()` in a tool
//!   or a chatty DCC library cannot corrupt the stream.

use std::io;
use std::pin::Pin;
use std::sync::Arc;

use futures::SinkExt;
use rmcp::model::{ErrorCode, ErrorData, RequestId, ServerJsonRpcMessage};
use rmcp::service::{RoleServer, RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use rmcp::transport::async_rw::JsonRpcMessageCodec;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, BufReader};
use tokio::sync::Mutex;
use tokio_util::codec::FramedWrite;
use tokio_util::sync::CancellationToken;

type Writer<W> = FramedWrite<W, JsonRpcMessageCodec<TxJsonRpcMessage<RoleServer>>>;

/// A boxed reader for [`StdioTransport`].
pub type BoxReader = Pin<Box<dyn AsyncRead + Send>>;
/// A boxed writer for [`StdioTransport`].
pub type BoxWriter = Pin<Box<dyn AsyncWrite + Send>>;

/// Newline-delimited JSON-RPC over any reader and writer.
pub struct StdioTransport<R, W> {
    read: BufReader<R>,
    /// The line read so far. It lives on the struct, not in `receive`, because
    /// rmcp polls `receive` inside a `select!` and may drop it mid-line.
    line: Vec<u8>,
    /// True while skipping the rest of an oversized line.
    discarding: bool,
    max_line: usize,
    write: Arc<Mutex<Writer<W>>>,
    closed: CancellationToken,
}

enum Line {
    Complete(Vec<u8>),
    TooLong,
    Eof,
}

impl<R, W> StdioTransport<R, W>
where
    R: AsyncRead + Send + Unpin,
    W: AsyncWrite + Send + Unpin + 'static,
{
    /// A transport that refuses lines longer than `max_line` bytes.
    pub fn new(read: R, write: W, max_line: usize) -> Self {
        Self {
            read: BufReader::new(read),
            line: Vec::new(),
            discarding: false,
            max_line,
            write: Arc::new(Mutex::new(FramedWrite::new(
                write,
                JsonRpcMessageCodec::default(),
            ))),
            closed: CancellationToken::new(),
        }
    }

    /// Fires the moment the peer closes its end. rmcp cancels a session's
    /// requests only after draining them for up to five seconds; dcclink
    /// gives this token to the session so its calls are cancelled at once.
    pub fn closed(&self) -> CancellationToken {
        self.closed.clone()
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
                    Line::TooLong
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
                    self.discarding = true;
                    self.line = Vec::new();
                } else {
                    self.line.extend_from_slice(chunk);
                }
            }
            let used = newline.map_or(buf.len(), |end| end + 1);
            self.read.consume(used);
            if newline.is_some() {
                let line = std::mem::take(&mut self.line);
                return Ok(if std::mem::take(&mut self.discarding) {
                    Line::TooLong
                } else {
                    Line::Complete(line)
                });
            }
        }
    }

    /// Answers a message the transport could not hand on; false when the
    /// writer is gone.
    fn reply(
        &self,
        error: ErrorData,
        id: Option<RequestId>,
    ) -> impl Future<Output = bool> + Send + 'static {
        let write = self.write.clone();
        async move {
            let message = ServerJsonRpcMessage::error(error, id);
            write.lock().await.send(message).await.is_ok()
        }
    }

    /// What to answer a line that is not a message we can handle, if anything.
    fn diagnose(line: &[u8], error: &serde_json::Error) -> Option<(ErrorData, Option<RequestId>)> {
        if error.is_syntax() || error.is_eof() {
            let message = format!("parse error: the line is not valid JSON ({error})");
            return Some((ErrorData::new(ErrorCode::PARSE_ERROR, message, None), None));
        }
        let value: serde_json::Value = serde_json::from_slice(line).ok()?;
        // A notification gets no answer, even a bad one.
        let id = value.get("id")?;
        let id = serde_json::from_value::<RequestId>(id.clone()).ok();
        let message = format!("invalid request: {error}");
        Some((
            ErrorData::new(ErrorCode::INVALID_REQUEST, message, None),
            id,
        ))
    }
}

impl<R, W> Transport<RoleServer> for StdioTransport<R, W>
where
    R: AsyncRead + Send + Unpin,
    W: AsyncWrite + Send + Unpin + 'static,
{
    type Error = io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let write = self.write.clone();
        async move { write.lock().await.send(item).await.map_err(io::Error::from) }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            match self.read_line().await {
                Ok(Line::Eof) => {
                    self.closed.cancel();
                    return None;
                }
                Err(error) => {
                    tracing::warn!(%error, "stdin failed; closing the stdio transport");
                    self.closed.cancel();
                    return None;
                }
                Ok(Line::TooLong) => {
                    let message = format!(
                        "request too large: a message may be at most {} bytes; it was refused \
                         and the connection is still open",
                        self.max_line
                    );
                    tracing::warn!("{message}");
                    let error = ErrorData::new(ErrorCode::INVALID_REQUEST, message, None);
                    if !self.reply(error, None).await {
                        return None;
                    }
                }
                Ok(Line::Complete(line)) => {
                    let line = line.strip_suffix(b"\r").unwrap_or(&line);
                    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    match serde_json::from_slice(line) {
                        Ok(message) => return Some(message),
                        Err(error) => {
                            tracing::warn!(%error, "bad message on stdin");
                            if let Some((reply, id)) = Self::diagnose(line, &error)
                                && !self.reply(reply, id).await
                            {
                                return None;
                            }
                        }
                    }
                }
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.write
            .lock()
            .await
            .close()
            .await
            .map_err(io::Error::from)
    }
}

static PROTOCOL_STDOUT: std::sync::OnceLock<std::os::fd::OwnedFd> = std::sync::OnceLock::new();

/// Reserves stdout for the protocol: moves it to a private descriptor and
/// points fd 1 at stderr, so that anything else that prints, in Python or in
/// C, lands on stderr. Call it before importing user code. Idempotent.
pub fn protect_stdout() -> io::Result<()> {
    use std::os::fd::AsFd;
    if PROTOCOL_STDOUT.get().is_some() {
        return Ok(());
    }
    let stdout = io::stdout().as_fd().try_clone_to_owned()?;
    // SAFETY: dup2 on two descriptors this process owns; it only changes
    // what fd 1 refers to.
    if unsafe { libc::dup2(libc::STDERR_FILENO, libc::STDOUT_FILENO) } < 0 {
        return Err(io::Error::last_os_error());
    }
    let _ = PROTOCOL_STDOUT.set(stdout);
    Ok(())
}

/// Takes the process's stdin and (protected) stdout for the protocol. Pipes,
/// which is what IDEs use, are driven by tokio's non-blocking pipe driver;
/// anything else falls back to tokio's blocking stdio handles. Must be called
/// inside a tokio runtime.
pub fn take_process_stdio() -> io::Result<(BoxReader, BoxWriter)> {
    use std::os::fd::AsRawFd;
    protect_stdout()?;
    let stdout = PROTOCOL_STDOUT
        .get()
        .ok_or_else(|| io::Error::other("stdout was not reserved"))?
        .try_clone()?;
    let reader: BoxReader = match reopen_fifo(libc::STDIN_FILENO, false) {
        Some(file) => Box::pin(tokio::net::unix::pipe::Receiver::from_file(file)?),
        None => Box::pin(tokio::io::stdin()),
    };
    let writer: BoxWriter = match reopen_fifo(stdout.as_raw_fd(), true) {
        Some(file) => Box::pin(tokio::net::unix::pipe::Sender::from_file(file)?),
        None => Box::pin(tokio::fs::File::from_std(std::fs::File::from(stdout))),
    };
    Ok((reader, writer))
}

/// Opens a FIFO descriptor afresh, so that making it non-blocking does not
/// change the descriptor the parent process shares.
fn reopen_fifo(fd: i32, write: bool) -> Option<std::fs::File> {
    use std::os::unix::fs::FileTypeExt;
    let path = format!("/proc/self/fd/{fd}");
    let is_fifo = std::fs::metadata(&path).ok()?.file_type().is_fifo();
    if !is_fifo {
        return None;
    }
    std::fs::OpenOptions::new()
        .read(!write)
        .write(write)
        .open(path)
        .ok()
}
