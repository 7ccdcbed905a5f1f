//! A small blocking HTTP/1.1 client over `std::net::TcpStream`, one request per connection
//! (`Connection: close`): nothing is pooled, so each request is a fresh connection — what a
//! test of outages and shutdown needs to see.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value as Json;

/// A response: its status and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (`Json::Null` when it is not JSON).
    pub fn json(&self) -> Json {
        serde_json::from_slice(&self.body).unwrap_or(Json::Null)
    }
}

/// A client of one server.
#[derive(Clone, Copy)]
pub struct Client {
    pub address: SocketAddr,
}

impl Client {
    pub fn get(&self, target: &str) -> Result<Response, String> {
        self.request("GET", target, None)
    }

    /// Sends JSON with `Content-Type: application/json`.
    pub fn json(&self, method: &str, target: &str, body: &Json) -> Result<Response, String> {
        self.request(method, target, Some(body))
    }

    fn request(&self, method: &str, target: &str, body: Option<&Json>) -> Result<Response, String> {
        let io = |e: std::io::Error| e.to_string();
        let mut stream = TcpStream::connect(self.address).map_err(io)?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(io)?;
        let body = body.map(Json::to_string).unwrap_or_default();
        let content_type = if body.is_empty() {
            ""
        } else {
            "Content-Type: application/json\r\n"
        };
        let request = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{content_type}Content-Length: {}\r\n\r\n{body}",
            self.address,
            body.len()
        );
        stream.write_all(request.as_bytes()).map_err(io)?;
        let mut raw = Vec::new();
        let read = stream.read_to_end(&mut raw);
        if raw.is_empty() {
            return Err(format!("no response: {read:?}"));
        }
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or("no end of headers")?;
        let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line in {head:?}"))?;
        let rest = &raw[end + 4..];
        let body = if head.contains("\r\ntransfer-encoding: chunked") {
            dechunk(rest).ok_or("bad chunked body")?
        } else {
            rest.to_vec()
        };
        Ok(Response { status, body })
    }
}

/// The body of a chunked message.
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = rest.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(&rest[..line]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        rest = rest.get(line + 2..)?;
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}
