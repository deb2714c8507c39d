//! `qabot serve` as a process: startup errors are one line and a non-zero exit (never a panic or
//! a backtrace), and a running bot stops cleanly on SIGTERM or SIGINT after finishing the reply in
//! flight.
//! The Bot API is a tiny fake HTTP server on 127.0.0.1; nothing touches the internet.

mod common;
mod fake_http;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const TOKEN: &str = "123456:TEST-token_abc";

fn qabot(db: &Path) -> Command {
    let mut cmd = common::qabot_command();
    cmd.arg("--db").arg(db);
    cmd
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Run `serve` with `args`, expecting failure within a few seconds: returns the one stderr line.
fn failing_serve(db: &Path, token: Option<&str>, args: &[&str]) -> String {
    let mut cmd = qabot(db);
    cmd.arg("serve").args(args);
    if let Some(token) = token {
        cmd.env("TELOXIDE_TOKEN", token);
    }
    let started = Instant::now();
    let Output { status, stdout, stderr } = cmd.output().unwrap();
    let stderr = String::from_utf8(stderr).unwrap();
    assert!(!status.success(), "{stderr}");
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stdout.is_empty());
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(30));
    stderr.trim_end().to_owned()
}

#[test]
fn missing_token_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let line = failing_serve(&dir.path().join("q.db"), None, &[]);
    assert!(line.contains("TELOXIDE_TOKEN is not set"), "{line}");
    let line = failing_serve(&dir.path().join("q.db"), Some("  "), &[]);
    assert!(line.contains("TELOXIDE_TOKEN is not set"), "{line}");
}

#[test]
fn malformed_token_is_rejected_without_echoing_it() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["secret-but-no-colon", "abc:def", "123:", "123:has space", "123:bad/char"] {
        let line = failing_serve(&dir.path().join("q.db"), Some(bad), &[]);
        assert!(line.contains("does not look like a bot token"), "{line}");
        assert!(!line.contains(bad), "the token is not printed: {line}");
    }
}

#[test]
fn unreachable_api_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}", closed_port());
    let line = failing_serve(&dir.path().join("q.db"), Some(TOKEN), &["--api-url", &url]);
    assert!(line.contains(&format!("cannot reach the Bot API at {url}/")), "{line}");
    assert!(!line.contains("TEST-token_abc"), "the token is not printed: {line}");
}

#[test]
fn invalid_api_url_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    for url in ["not a url", "mailto:bot@example.com", "ftp://example.com"] {
        let line = failing_serve(&dir.path().join("q.db"), Some(TOKEN), &["--api-url", url]);
        assert!(line.contains("invalid --api-url"), "{line}");
    }
}

#[test]
fn unopenable_database_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let line = failing_serve(&file.join("q.db"), Some(TOKEN), &[]);
    assert!(line.contains("a-file"), "names the path: {line}");
}

#[test]
fn rejected_token_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let api = FakeApi::start(Behaviour { reject_token: true, ..Behaviour::default() });
    let line = failing_serve(&dir.path().join("q.db"), Some(TOKEN), &["--api-url", &api.url]);
    assert!(line.contains("rejected the token in TELOXIDE_TOKEN"), "{line}");
}

#[cfg(unix)]
#[test]
fn serves_and_stops_cleanly_on_sigterm() {
    serve_then_stop("-TERM");
}

#[cfg(unix)]
#[test]
fn serves_and_stops_cleanly_on_sigint() {
    serve_then_stop("-INT");
}

/// The whole bot against a fake Bot API: it starts (a failing setMyCommands is only a warning),
/// answers a question from the database, and on `signal` stops polling, still delivers the reply
/// that was in flight, logs the question, and exits 0.
#[cfg(unix)]
fn serve_then_stop(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let question = "您如何描述 OpenAI 与微软之间的伙伴关系?";
    let api = FakeApi::start(Behaviour { question: Some(question.into()), slow_send: true, ..Behaviour::default() });
    let mut child = qabot(&db)
        .args(["serve", "--api-url", &api.url])
        .env("TELOXIDE_TOKEN", TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // Stop while the reply is being sent (the fake sendMessage takes a second).
    let deadline = Instant::now() + Duration::from_secs(60);
    while !api.saw("sendmessage:start") {
        assert!(Instant::now() < deadline, "no reply was sent: {:?}", api.events());
        assert!(child.try_wait().unwrap().is_none(), "the bot exited early");
        thread::sleep(Duration::from_millis(20));
    }
    // The shell's built-in `kill`: no dependency on procps.
    let killed = Command::new("sh").args(["-c", &format!("kill {signal} {}", child.id())]).status().unwrap();
    assert!(killed.success());

    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the bot did not stop on {signal}");
        thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(stderr.contains("serving as @test_bot"), "{stderr}");
    assert!(stderr.contains("setMyCommands"), "a failed command menu is a warning: {stderr}");
    assert!(stderr.trim_end().ends_with("qabot: stopped"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(api.saw("sendmessage:done"), "the reply in flight was finished: {:?}", api.events());

    let sent = api.sent_texts();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains(question), "{}", sent[0]);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let logged: i64 =
        conn.query_row("SELECT count(*) FROM query_log WHERE frontend = 'telegram'", [], |r| r.get(0)).unwrap();
    assert_eq!(logged, 1);
}

// ---------------------------------------------------------------- a minimal fake Bot API

#[derive(Default, Clone)]
struct Behaviour {
    /// Answer getMe with 401 Unauthorized.
    reject_token: bool,
    /// Deliver one private message with this text.
    question: Option<String>,
    /// Take a second to answer sendMessage.
    slow_send: bool,
}

struct FakeApi {
    url: String,
    events: Arc<Mutex<Vec<String>>>,
    sent: Arc<Mutex<Vec<String>>>,
}

impl FakeApi {
    fn start(behaviour: Behaviour) -> FakeApi {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let events = Arc::new(Mutex::new(Vec::new()));
        let sent = Arc::new(Mutex::new(Vec::new()));
        let delivered = Arc::new(Mutex::new(false));
        let (e, s) = (events.clone(), sent.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (behaviour, e, s, d) = (behaviour.clone(), e.clone(), s.clone(), delivered.clone());
                thread::spawn(move || serve_connection(stream, &behaviour, &e, &s, &d));
            }
        });
        FakeApi { url, events, sent }
    }

    fn events(&self) -> Vec<String> {
        self.events.lock().unwrap().clone()
    }

    fn saw(&self, event: &str) -> bool {
        self.events().iter().any(|e| e == event)
    }

    fn sent_texts(&self) -> Vec<String> {
        self.sent.lock().unwrap().clone()
    }
}

fn serve_connection(
    stream: TcpStream,
    behaviour: &Behaviour,
    events: &Mutex<Vec<String>>,
    sent: &Mutex<Vec<String>>,
    delivered: &Mutex<bool>,
) {
    fake_http::serve(stream, |method, body| respond(method, body, behaviour, events, sent, delivered));
}

fn respond(
    method: &str,
    body: &[u8],
    behaviour: &Behaviour,
    events: &Mutex<Vec<String>>,
    sent: &Mutex<Vec<String>>,
    delivered: &Mutex<bool>,
) -> (&'static str, String) {
    let ok = |result: serde_json::Value| ("200 OK", serde_json::json!({"ok": true, "result": result}).to_string());
    let chat = serde_json::json!({"id": 42, "type": "private", "first_name": "Ann"});
    match method {
        "getme" if behaviour.reject_token => (
            "401 Unauthorized",
            serde_json::json!({"ok": false, "error_code": 401, "description": "Unauthorized"}).to_string(),
        ),
        "getme" => ok(serde_json::json!({
            "id": 123456, "is_bot": true, "first_name": "Test", "username": "test_bot",
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": true, "has_main_web_app": false
        })),
        "setmycommands" => (
            "400 Bad Request",
            serde_json::json!({"ok": false, "error_code": 400, "description": "Bad Request: not today"}).to_string(),
        ),
        "getwebhookinfo" => {
            ok(serde_json::json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0}))
        }
        "deletewebhook" => ok(serde_json::json!(true)),
        "getupdates" => {
            let first = !std::mem::replace(&mut *delivered.lock().unwrap(), true);
            match (&behaviour.question, first) {
                (Some(question), true) => {
                    events.lock().unwrap().push("update delivered".into());
                    ok(serde_json::json!([{"update_id": 1, "message": {
                        "message_id": 1, "date": 1_700_000_000, "chat": chat,
                        "from": {"id": 42, "is_bot": false, "first_name": "Ann"},
                        "text": question
                    }}]))
                }
                _ => {
                    // A short long-poll.
                    thread::sleep(Duration::from_millis(300));
                    ok(serde_json::json!([]))
                }
            }
        }
        "sendmessage" => {
            events.lock().unwrap().push("sendmessage:start".into());
            let request: serde_json::Value = serde_json::from_slice(body).unwrap();
            let text = request["text"].as_str().unwrap_or("").to_owned();
            if behaviour.slow_send {
                thread::sleep(Duration::from_secs(1));
            }
            sent.lock().unwrap().push(text.clone());
            events.lock().unwrap().push("sendmessage:done".into());
            ok(serde_json::json!({"message_id": 2, "date": 1_700_000_001, "chat": chat, "text": text}))
        }
        other => {
            events.lock().unwrap().push(format!("unexpected {other}"));
            ("400 Bad Request", serde_json::json!({"ok": false, "error_code": 400, "description": "nope"}).to_string())
        }
    }
}
