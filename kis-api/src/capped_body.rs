//! Reading a response body with a size cap: chunk by chunk, never holding more than the cap, so
//! a server cannot make the client buffer gigabytes.

use std::fmt;

/// Why a body was not read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The body is longer than the cap (by its `content-length`, or while reading).
    TooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The connection failed while reading.
    Transport(reqwest::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::TooLarge { limit } => {
                write!(f, "the response is larger than the {limit}-byte limit")
            }
            ReadError::Transport(e) => write!(f, "{e}"),
        }
    }
}

/// The body of `response`, at most `limit` bytes.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, ReadError> {
    let announced = response.content_length();
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge { limit });
    }
    // trust the announced length for the allocation only up to the cap
    let mut out = Vec::with_capacity(announced.map_or(0, |n| n as usize).min(limit));
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        if out.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge { limit });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A loopback server answering one request with `body_len` bytes, with or without a
    /// `content-length`; returns its URL and how many body bytes it managed to send.
    async fn big_server(
        body_len: usize,
        announce: bool,
    ) -> (String, tokio::task::JoinHandle<usize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let Ok((mut s, _)) = listener.accept().await else {
                return 0;
            };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let head = if announce {
                format!("HTTP/1.1 200 OK\r\ncontent-length: {body_len}\r\n\r\n")
            } else {
                "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n".to_string()
            };
            if s.write_all(head.as_bytes()).await.is_err() {
                return 0;
            }
            let chunk = vec![b'x'; 64 * 1024];
            let mut sent = 0;
            while sent < body_len {
                let n = chunk.len().min(body_len - sent);
                if s.write_all(&chunk[..n]).await.is_err() {
                    break;
                }
                sent += n;
            }
            sent
        });
        (url, task)
    }

    #[tokio::test]
    async fn a_body_over_the_cap_is_refused_without_reading_it_all() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::new();
        let limit = 1024 * 1024;
        for announce in [true, false] {
            let (url, server) = big_server(64 * 1024 * 1024, announce).await;
            let resp = http.get(&url).send().await.expect("response");
            let err = read_capped(resp, limit).await.expect_err("too large");
            assert!(
                matches!(err, ReadError::TooLarge { limit: l } if l == limit),
                "{err}"
            );
            let sent = server.await.expect("server");
            // the client stopped reading: the server could not push the whole 64 MiB through
            assert!(sent < 64 * 1024 * 1024, "announce={announce}: sent {sent}");
        }
        let (url, server) = big_server(1000, false).await;
        let resp = http.get(&url).send().await.expect("response");
        assert_eq!(read_capped(resp, limit).await.expect("small").len(), 1000);
        server.await.expect("server");
    }
}
