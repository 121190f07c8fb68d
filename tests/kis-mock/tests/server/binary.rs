//! The `kis-mock` binary starts, prints its URLs and serves.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn binary_prints_urls_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kis-mock"))
        .args(["--port", "0", "--ws-port", "0", "--demo", "--seed", "5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn kis-mock");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut rest = None;
    let mut ws = None;
    let mut banner = String::new();
    for _ in 0..4 {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(u) = line.strip_prefix("REST      ") {
            rest = Some(u.to_string());
        } else if let Some(u) = line.strip_prefix("WebSocket ") {
            ws = Some(u.to_string());
        } else if line.contains("serving") {
            banner = line;
        }
    }
    let rest = rest.expect("REST url printed");
    assert!(banner.contains("demo"), "{banner}");
    assert!(rest.starts_with("http://127.0.0.1:"), "{rest}");
    assert!(ws.expect("ws url printed").starts_with("ws://127.0.0.1:"));
    // it answers on that port
    let addr = rest.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    use std::io::{Read, Write};
    s.write_all(b"POST /oauth2/tokenP HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
        .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    assert!(out.starts_with("HTTP/1.1 403"), "{out}");
    assert!(out.contains("Content-Type: application/json; charset=utf-8"));
    child.kill().expect("stop the child we started");
    let _ = child.wait();

    // bad arguments exit with 2
    let st = Command::new(env!("CARGO_BIN_EXE_kis-mock"))
        .args(["--port"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run");
    assert_eq!(st.code(), Some(2));

    // a replay of recordings that are not there fails to start
    let st = Command::new(env!("CARGO_BIN_EXE_kis-mock"))
        .args([
            "--port",
            "0",
            "--ws-port",
            "0",
            "--replay",
            "/nonexistent/recordings",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run");
    assert_eq!(st.code(), Some(1));
}
