//! A byte and time budget on the stream under async-imap.
//!
//! async-imap sizes its read buffer from what the parser says it needs: once imap-proto has read a
//! literal's announcement `{314572800}\r\n`, the buffer is grown (and zeroed) to hold all of it before a
//! single byte of the literal arrives; a line without CRLF grows it 4 KiB at a time up to 512 MiB. So the
//! caps act before async-imap sees the bytes. [`Bounded`] fails a read when
//! - the answer to the current command passes [`ReadLimits::command_bytes`] (counted from the command's
//!   write, or from the connection for the greeting): a hard bound on what async-imap can buffer,
//!   whatever the framing;
//! - it would hand over a literal announcement `{N}\r\n` above [`ReadLimits::max_literal`] or above what
//!   is left of the command's budget. Announcements are looked for in every byte, literal contents
//!   included: tracking where literals really are would need the parser's view of the grammar, and a
//!   server could fake an announcement in a text line to hide a real one from a tracker that skips
//!   literal contents. (A message whose body holds such a text is refused too; it is very rare.)
//! - the answer has taken longer than [`ReadLimits::command_timeout`], so a server that drips one byte a
//!   second cannot hold a worker or a request.
//!
//! The errors are `io::Error`s holding a [`ReadLimitError`]: fixed texts, never the peer's bytes.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// What may be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Bytes the answer to one command may hold.
    pub command_bytes: u64,
    /// Largest literal accepted; a larger announcement fails before any of it is buffered.
    pub max_literal: u64,
    /// Longest time the answer to one command may take.
    pub command_timeout: Duration,
}

impl ReadLimits {
    /// At most `bytes` per answer (no literal above that), each within `timeout`.
    pub fn small(bytes: u64, timeout: Duration) -> Self {
        Self {
            command_bytes: bytes,
            max_literal: bytes,
            command_timeout: timeout,
        }
    }
}

/// Why a read was cut off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReadLimitError {
    #[error("the server sent more data than allowed ({limit} bytes)")]
    TooMuchData { limit: u64 },
    #[error("the server announced a literal larger than allowed ({limit} bytes)")]
    LiteralTooLarge { limit: u64 },
    #[error("the server did not answer in time")]
    TimedOut,
}

impl ReadLimitError {
    /// The limit error inside an `io::Error`, if it is one.
    pub fn of(e: &io::Error) -> Option<Self> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<ReadLimitError>())
            .copied()
    }

    fn to_io(self) -> io::Error {
        let kind = match self {
            Self::TimedOut => io::ErrorKind::TimedOut,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, self)
    }
}

/// Where the scanner is in a possible literal announcement `{N}\r\n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    Text,
    /// After `{`, reading the length.
    Brace(u64),
    /// After `{N}`.
    Closed(u64),
    /// After `{N}\r`.
    Cr(u64),
}

impl Frame {
    /// The next state after `b`; `Some(n)` when `b` completes the announcement of an `n`-byte literal.
    fn step(self, b: u8) -> (Frame, Option<u64>) {
        match (self, b) {
            (Frame::Brace(n), b'0'..=b'9') => (
                Frame::Brace(n.saturating_mul(10).saturating_add(u64::from(b - b'0'))),
                None,
            ),
            (Frame::Brace(n), b'}') => (Frame::Closed(n), None),
            (Frame::Closed(n), b'\r') => (Frame::Cr(n), None),
            (Frame::Cr(n), b'\n') => (Frame::Text, Some(n)),
            (_, b'{') => (Frame::Brace(0), None),
            _ => (Frame::Text, None),
        }
    }
}

/// A stream whose reads obey [`ReadLimits`].
#[derive(Debug)]
pub struct Bounded<S> {
    inner: S,
    limits: ReadLimits,
    frame: Frame,
    /// Bytes of the current command's answer.
    read: u64,
    deadline: Pin<Box<Sleep>>,
    /// Once a limit is broken, every later read fails the same way.
    failed: Option<ReadLimitError>,
}

impl<S> Bounded<S> {
    /// Wraps `inner`; the first answer (the greeting) is due within `limits.command_timeout`.
    pub fn new(inner: S, limits: ReadLimits) -> Self {
        Self {
            inner,
            limits,
            frame: Frame::Text,
            read: 0,
            deadline: Box::pin(tokio::time::sleep(limits.command_timeout)),
            failed: None,
        }
    }

    /// Replaces the limits (for the next command: they apply from its write on).
    pub fn set_limits(&mut self, limits: ReadLimits) {
        self.limits = limits;
    }

    /// The wrapped stream (the framing state is dropped with the wrapper).
    pub fn into_inner(self) -> S {
        self.inner
    }

    fn arm(&mut self) {
        self.read = 0;
        self.deadline
            .as_mut()
            .reset(Instant::now() + self.limits.command_timeout);
    }

    fn fail(&mut self, e: ReadLimitError) -> Poll<io::Result<()>> {
        self.failed = Some(e);
        Poll::Ready(Err(e.to_io()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Bounded<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(e) = this.failed {
            return Poll::Ready(Err(e.to_io()));
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            return this.fail(ReadLimitError::TimedOut);
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let limits = this.limits;
                for (i, b) in buf.filled()[before..].iter().enumerate() {
                    let (frame, literal) = this.frame.step(*b);
                    this.frame = frame;
                    let Some(n) = literal else { continue };
                    // What the literal may hold: its cap, and what is left of the answer's budget.
                    let read = this.read + i as u64 + 1;
                    let left = limits.command_bytes.saturating_sub(read);
                    if n > limits.max_literal.min(left) {
                        return this.fail(ReadLimitError::LiteralTooLarge {
                            limit: limits.max_literal.min(left),
                        });
                    }
                }
                let fresh = (buf.filled().len() - before) as u64;
                this.read = this.read.saturating_add(fresh);
                if this.read > limits.command_bytes {
                    return this.fail(ReadLimitError::TooMuchData {
                        limit: limits.command_bytes,
                    });
                }
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Bounded<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = written
            && n > 0
        {
            // A command goes out: its answer has a fresh `command_timeout`.
            this.arm();
        }
        written
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "tests: a panic with its message is the failure report"
    )]
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Feeds `chunks` through a [`Bounded`] under `limits`; the bytes handed over and the error, if any.
    async fn run(chunks: &[&[u8]], limits: ReadLimits) -> (usize, Option<ReadLimitError>) {
        let (mut server, client) = tokio::io::duplex(1 << 16);
        let mut b = Bounded::new(client, limits);
        let mut got = 0;
        for chunk in chunks {
            server.write_all(chunk).await.unwrap();
            let mut buf = vec![0u8; chunk.len()];
            let mut filled = 0;
            while filled < chunk.len() {
                match b.read(&mut buf[filled..]).await {
                    Ok(n) => filled += n,
                    Err(e) => return (got + filled, ReadLimitError::of(&e)),
                }
            }
            got += filled;
        }
        (got, None)
    }

    fn limits(command_bytes: u64, max_literal: u64) -> ReadLimits {
        ReadLimits {
            command_bytes,
            max_literal,
            command_timeout: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn a_literal_within_the_caps_passes() {
        let body = b"From: a\r\n\r\nhello";
        let head = format!("* 1 FETCH (UID 7 BODY[] {{{}}}\r\n", body.len());
        let (got, err) = run(&[head.as_bytes(), body, b")\r\n"], limits(1_000, 100)).await;
        assert_eq!(err, None);
        assert_eq!(got, head.len() + body.len() + 3);
    }

    #[tokio::test]
    async fn an_announcement_above_the_cap_is_refused_before_async_imap_sees_it() {
        let (_, err) = run(
            &[b"* 1 FETCH (BODY[] {314572800}\r\n"],
            limits(1 << 30, 25 * 1_048_576),
        )
        .await;
        assert_eq!(
            err,
            Some(ReadLimitError::LiteralTooLarge {
                limit: 25 * 1_048_576
            })
        );
        // Byte by byte, and hidden in what a tracker of literal contents would skip.
        let chunks: Vec<&[u8]> = b"* OK {20}\r\n* 1 FETCH (BODY[] {1025}\r\n"
            .chunks(1)
            .collect();
        let (_, err) = run(&chunks, limits(1 << 20, 1_024)).await;
        assert_eq!(err, Some(ReadLimitError::LiteralTooLarge { limit: 1_024 }));
        // Above what is left of the answer's budget.
        let (_, err) = run(&[b"* 1 FETCH (BODY[] {900}\r\n"], limits(500, 1_000)).await;
        assert!(matches!(err, Some(ReadLimitError::LiteralTooLarge { .. })));
    }

    #[tokio::test]
    async fn the_answer_budget_bounds_what_is_handed_over() {
        let line = vec![b'a'; 5_000];
        let (got, err) = run(&[&line, &line], limits(8_192, 8_192)).await;
        assert_eq!(err, Some(ReadLimitError::TooMuchData { limit: 8_192 }));
        assert!(got <= 8_192, "{got}");
    }

    #[tokio::test]
    async fn a_write_starts_a_new_budget_and_a_slow_answer_times_out() {
        let (mut server, client) = tokio::io::duplex(1 << 16);
        let mut b = Bounded::new(client, ReadLimits::small(10, Duration::from_millis(150)));
        let mut buf = [0u8; 64];
        server.write_all(b"0123456789").await.unwrap();
        assert_eq!(b.read(&mut buf).await.unwrap(), 10);
        b.write_all(b"a1 NOOP\r\n").await.unwrap();
        server.write_all(b"0123456789").await.unwrap();
        assert_eq!(b.read(&mut buf).await.unwrap(), 10);
        let started = Instant::now();
        let err = b.read(&mut buf).await.unwrap_err();
        assert_eq!(ReadLimitError::of(&err), Some(ReadLimitError::TimedOut));
        assert!(started.elapsed() < Duration::from_secs(2));
        // Sticky: the stream stays failed.
        assert!(b.read(&mut buf).await.is_err());
    }
}
