//! A minimal blocking HTTP/1.1 client over `std::net::TcpStream`: one request per connection
//! (`Connection: close`), raw control over method, headers and body (chunked too), so tests can
//! send what real clients and broken clients send.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value as Json;

/// A response: status, headers (names lower-cased) and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (`Json::Null` when it is not JSON).
    pub fn json(&self) -> Json {
        serde_json::from_slice(&self.body).unwrap_or(Json::Null)
    }
}

/// How the body is sent.
pub enum Body<'a> {
    None,
    /// With `Content-Length`.
    Sized(&'a [u8]),
    /// With `Transfer-Encoding: chunked`, in chunks of this many bytes.
    Chunked(&'a [u8], usize),
}

/// A client of one server.
#[derive(Clone, Copy)]
pub struct Client {
    pub address: SocketAddr,
}

impl Client {
    /// Sends one request and reads the whole response.
    pub fn send(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: Body<'_>,
    ) -> Result<Response, String> {
        let mut stream = TcpStream::connect(self.address).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(|e| e.to_string())?;
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.address
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        match body {
            Body::None => {}
            Body::Sized(bytes) => head.push_str(&format!("Content-Length: {}\r\n", bytes.len())),
            Body::Chunked(..) => head.push_str("Transfer-Encoding: chunked\r\n"),
        }
        head.push_str("\r\n");
        let write = |stream: &mut TcpStream, bytes: &[u8]| -> Result<(), String> {
            stream.write_all(bytes).map_err(|e| e.to_string())
        };
        write(&mut stream, head.as_bytes())?;
        // A server may answer (413) and close before the whole body is sent: that is fine.
        let _ = match body {
            Body::None => Ok(()),
            Body::Sized(bytes) => write(&mut stream, bytes),
            Body::Chunked(bytes, size) => bytes
                .chunks(size.max(1))
                .try_for_each(|chunk| {
                    write(&mut stream, format!("{:x}\r\n", chunk.len()).as_bytes())?;
                    write(&mut stream, chunk)?;
                    write(&mut stream, b"\r\n")
                })
                .and_then(|()| write(&mut stream, b"0\r\n\r\n")),
        };
        let mut raw = Vec::new();
        let read = stream.read_to_end(&mut raw);
        if raw.is_empty() {
            return Err(format!("no response: {read:?}"));
        }
        parse(&raw)
    }

    pub fn get(&self, target: &str) -> Result<Response, String> {
        self.send("GET", target, &[], Body::None)
    }

    pub fn delete(&self, target: &str) -> Result<Response, String> {
        self.send("DELETE", target, &[], Body::None)
    }

    /// Sends JSON with `Content-Type: application/json`.
    pub fn json(&self, method: &str, target: &str, body: &Json) -> Result<Response, String> {
        let bytes = body.to_string();
        self.send(
            method,
            target,
            &[("Content-Type", "application/json")],
            Body::Sized(bytes.as_bytes()),
        )
    }

    /// Sends a raw body with this content type.
    pub fn raw(
        &self,
        method: &str,
        target: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<Response, String> {
        self.send(
            method,
            target,
            &[("Content-Type", content_type)],
            Body::Sized(body),
        )
    }
}

fn parse(raw: &[u8]) -> Result<Response, String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("bad chunk")?;
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| format!("bad chunk size {size_text:?}: {e}"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        if rest.len() < size + 2 {
            return Err("truncated chunk".into());
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}
