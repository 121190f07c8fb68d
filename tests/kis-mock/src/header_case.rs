//! Header-name casing on the wire.
//!
//! KIS sends standard headers title-cased (`Content-Type`, `Date`, `Content-Length`) and its own
//! in lower case (`tr_id`, `tr_cont`, `gt_uid`). hyper lower-cases every name, and its
//! `title_case_headers` would also turn `tr_id` into `Tr_id`. [`CaseIo`] wraps the accepted TCP
//! stream: it parses the bytes hyper writes as a sequence of HTTP/1.1 responses (head, then
//! `Content-Length` bytes of body), and rewrites only the header names of each head: a name
//! containing `_` stays lower case, any other is title-cased per `-`-separated word. Casing
//! never changes a length, so the body and the framing are untouched. A response without a
//! `Content-Length` (chunked, or a body running to the end of the connection) switches the
//! adapter to pass-through for the rest of the connection, which is always correct, only no
//! longer re-cased; this server always sends `Content-Length`.
//!
//! The adapter also carries the connection's abort flag: once set, writes fail, so a request
//! the server decided to drop can never produce response bytes.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Largest response head accepted before giving up on re-casing.
const MAX_HEAD: usize = 64 * 1024;

#[derive(Debug)]
enum Phase {
    /// Collecting a response head.
    Head,
    /// Passing `n` more body bytes.
    Body(u64),
    /// No more rewriting on this connection.
    PassThrough,
}

/// Re-cases response header names on their way to the socket (see the module docs).
#[derive(Debug)]
pub(crate) struct CaseIo {
    inner: TcpStream,
    phase: Phase,
    head: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    abort: Arc<AtomicBool>,
}

impl CaseIo {
    pub(crate) fn new(inner: TcpStream, abort: Arc<AtomicBool>) -> Self {
        CaseIo {
            inner,
            phase: Phase::Head,
            head: Vec::with_capacity(512),
            out: Vec::with_capacity(4096),
            out_pos: 0,
            abort,
        }
    }

    /// Feeds bytes written by hyper through the state machine into `out`.
    fn feed(&mut self, mut buf: &[u8]) {
        while !buf.is_empty() {
            match self.phase {
                Phase::PassThrough => {
                    self.out.extend_from_slice(buf);
                    return;
                }
                Phase::Body(n) => {
                    let take = (n.min(buf.len() as u64)) as usize;
                    self.out.extend_from_slice(&buf[..take]);
                    buf = &buf[take..];
                    let left = n - take as u64;
                    self.phase = if left == 0 {
                        Phase::Head
                    } else {
                        Phase::Body(left)
                    };
                }
                Phase::Head => {
                    // find the end of the head, looking back across the previous chunk
                    let start = self.head.len().saturating_sub(3);
                    self.head.extend_from_slice(buf);
                    match find_crlfcrlf(&self.head[start..]) {
                        Some(pos) => {
                            let end = start + pos + 4;
                            let consumed_from_buf = end - (self.head.len() - buf.len());
                            let mut head = std::mem::take(&mut self.head);
                            head.truncate(end);
                            let next = recase_head(&mut head);
                            self.out.extend_from_slice(&head);
                            head.clear();
                            self.head = head;
                            buf = &buf[consumed_from_buf..];
                            self.phase = match next {
                                Some(0) => Phase::Head,
                                Some(n) => Phase::Body(n),
                                None => Phase::PassThrough,
                            };
                        }
                        None => {
                            if self.head.len() > MAX_HEAD {
                                let h = std::mem::take(&mut self.head);
                                self.out.extend_from_slice(&h);
                                self.phase = Phase::PassThrough;
                            }
                            return;
                        }
                    }
                }
            }
        }
    }

    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.out_pos < self.out.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.out[self.out_pos..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.out_pos += n;
        }
        self.out.clear();
        self.out_pos = 0;
        Poll::Ready(Ok(()))
    }

    fn aborted(&self) -> bool {
        self.abort.load(Ordering::SeqCst)
    }
}

fn find_crlfcrlf(b: &[u8]) -> Option<usize> {
    b.windows(4).position(|w| w == b"\r\n\r\n")
}

/// Re-cases the header names of one response head in place; returns the body length to pass
/// through (`Some(0)` for none), or `None` when the framing is not a plain `Content-Length`.
fn recase_head(head: &mut [u8]) -> Option<u64> {
    let mut content_length: Option<u64> = None;
    let mut chunked = false;
    let mut status_no_body = false;
    let mut i = 0;
    let mut first = true;
    while i < head.len() {
        let line_end = head[i..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .map(|p| i + p)
            .unwrap_or(head.len());
        if first {
            // status line: 1xx, 204 and 304 have no body
            let line = &head[i..line_end];
            if let Some(code) = line.get(9..12) {
                status_no_body = code[0] == b'1' || code == b"204" || code == b"304";
            }
            first = false;
        } else if line_end > i
            && let Some(colon) = head[i..line_end].iter().position(|&b| b == b':')
        {
            let name = &mut head[i..i + colon];
            recase_name(name);
            let value = head[i + colon + 1..line_end].trim_ascii();
            let name = &head[i..i + colon];
            if name.eq_ignore_ascii_case(b"content-length") {
                content_length = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                chunked = true;
            }
        }
        i = line_end + 2;
    }
    if status_no_body {
        return Some(0);
    }
    if chunked {
        return None;
    }
    content_length
}

/// `content-type` → `Content-Type`; names with `_` (`tr_id`) stay lower case.
pub(crate) fn recase_name(name: &mut [u8]) {
    if name.contains(&b'_') {
        name.make_ascii_lowercase();
        return;
    }
    let mut up = true;
    for b in name.iter_mut() {
        if up {
            b.make_ascii_uppercase();
        } else {
            b.make_ascii_lowercase();
        }
        up = *b == b'-';
    }
}

impl AsyncRead for CaseIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CaseIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.aborted() {
            return Poll::Ready(Err(io::ErrorKind::ConnectionAborted.into()));
        }
        ready!(this.poll_drain(cx))?;
        this.feed(buf);
        // push what we can now; the rest goes out on the next write or flush
        if let Poll::Ready(Err(e)) = this.poll_drain(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.aborted() {
            return Poll::Ready(Err(io::ErrorKind::ConnectionAborted.into()));
        }
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.aborted() {
            ready!(this.poll_drain(cx))?;
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_recased() {
        let mut head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntr_id: FHKST01010100\r\ntr_cont: \r\ncontent-length: 5\r\ndate: x\r\n\r\n".to_vec();
        let n = recase_head(&mut head);
        assert_eq!(n, Some(5));
        let s = String::from_utf8_lossy(&head);
        assert!(s.contains("\r\nContent-Type: application/json\r\n"), "{s}");
        assert!(s.contains("\r\ntr_id: FHKST01010100\r\n"), "{s}");
        assert!(s.contains("\r\ntr_cont: \r\n"), "{s}");
        assert!(s.contains("\r\nContent-Length: 5\r\n"), "{s}");
        assert!(s.contains("\r\nDate: x\r\n"), "{s}");
    }

    #[test]
    fn chunked_passes_through() {
        let mut head = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
        assert_eq!(recase_head(&mut head), None);
        let mut head = b"HTTP/1.1 204 No Content\r\n\r\n".to_vec();
        assert_eq!(recase_head(&mut head), Some(0));
    }
}
