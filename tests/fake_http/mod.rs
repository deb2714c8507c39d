//! A minimal HTTP/1.1 loop for the tests' scripted fake Bot API servers: reads requests on one
//! connection and answers each with what `respond` returns for its Bot API method.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// Serve requests on `stream` until the client closes it. `respond` gets the lower-cased method
/// name (the last path segment, `sendmessage`) and the body, and returns the status line text
/// (`200 OK`) and a JSON body.
pub fn serve(stream: TcpStream, mut respond: impl FnMut(&str, &[u8]) -> (&'static str, String)) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let path = request_line.split_whitespace().nth(1).unwrap_or("");
        let method = path.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
        let mut length = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (status, reply) = respond(&method, &body);
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{reply}",
            reply.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}
