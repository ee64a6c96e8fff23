//! The optional language model against a loopback stub. The stub stands in for an OpenAI-compatible
//! server (none can run here); it checks only the protocol shape of the request and answers what each
//! case needs. The point is what the assistant keeps and throws away.

use serde_json::{json, Value};
use std::time::Duration;
use switchboard_intake::llm::{enrich, LlmConfig, LlmError};
use switchboard_intake::{analyze, Urgency};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves one request: checks its shape, answers `status` with a chat completion whose content is
/// `content` (or `raw` as the whole body).
async fn stub(status: u16, content: Option<Value>, raw: Option<&'static str>) -> (String, tokio::task::JoinHandle<Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1/chat/completions", listener.local_addr().unwrap());
    let served = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buffer = Vec::new();
        let request = loop {
            let mut chunk = [0u8; 4096];
            let n = socket.read(&mut chunk).await.unwrap();
            buffer.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buffer).to_string();
            if let Some(split) = text.find("\r\n\r\n") {
                let length: usize =
                    text[..split].lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap())).unwrap_or(0);
                if buffer.len() >= split + 4 + length {
                    break (text[..split].to_string(), serde_json::from_slice::<Value>(&buffer[split + 4..split + 4 + length]).unwrap());
                }
            }
        };
        let (head, body) = request;
        assert!(head.starts_with("POST /v1/chat/completions "), "{head}");
        let answer = match raw {
            Some(raw) => raw.to_string(),
            None => json!({"choices": [{"message": {"role": "assistant", "content": content.unwrap().to_string()}}]}).to_string(),
        };
        let response =
            format!("HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}", answer.len());
        socket.write_all(response.as_bytes()).await.unwrap();
        body
    });
    (url, served)
}

fn config(url: String) -> LlmConfig {
    LlmConfig { url, model: "local-test".into(), timeout: Duration::from_secs(5) }
}

/// The request is an OpenAI-style chat completion that asks for JSON in the schema.
fn assert_protocol(body: &Value, note: &str) {
    assert_eq!(body["model"], "local-test");
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!((body["messages"][1]["role"].as_str(), body["messages"][1]["content"].as_str()), (Some("user"), Some(note)));
    assert_eq!(body["response_format"]["type"], "json_schema");
    let schema = &body["response_format"]["json_schema"]["schema"];
    assert_eq!(schema["required"], json!(["findings", "urgency", "urgency_evidence"]));
    assert!(schema["properties"]["findings"]["items"]["properties"]["concept"]["enum"].as_array().unwrap().iter().any(|c| c == "slurred_speech"));
}

#[tokio::test]
async fn a_verbatim_finding_is_added_and_fires_its_rule_while_unquoted_ones_are_dropped() {
    let note = "my dad is acting off and is talking gibberish since lunch";
    let before = analyze(note);
    assert!(before.findings.iter().all(|f| f.concept != "slurred_speech"), "the rules alone miss it: {before:?}");
    let (url, served) = stub(
        200,
        Some(json!({
            "findings": [
                {"concept": "slurred_speech", "assertion": "present", "evidence": "talking gibberish"},
                {"concept": "chest_pain", "assertion": "present", "evidence": "pain in his chest"},
                {"concept": "made_up", "assertion": "present", "evidence": "acting off"},
            ],
            "urgency": "emergency", "urgency_evidence": "talking gibberish",
        })),
        None,
    )
    .await;
    let (after, report) = enrich(&before, note, &config(url)).await.unwrap();
    assert_protocol(&served.await.unwrap(), note);
    assert_eq!(report.added, ["slurred_speech"]);
    assert_eq!(report.discarded.len(), 2, "{:?}", report.discarded);
    assert!(after.red_flags.iter().any(|f| f.rule == "stroke-be-fast"));
    assert_eq!((after.urgency, report.raised_to), (Urgency::Emergency, Some(Urgency::Emergency)));
    assert!(!after.emergency_script.is_empty());
    let added = after.findings.iter().find(|f| f.concept == "slurred_speech").unwrap();
    assert_eq!(&note[added.evidence.start..added.evidence.end], "talking gibberish");
}

#[tokio::test]
async fn the_model_never_lowers_urgency_or_removes_findings() {
    let note = "she has crushing chest pain";
    let before = analyze(note);
    assert_eq!(before.urgency, Urgency::Emergency);
    let (url, served) = stub(200, Some(json!({"findings": [], "urgency": "routine", "urgency_evidence": "she has"})), None).await;
    let (after, report) = enrich(&before, note, &config(url)).await.unwrap();
    served.await.unwrap();
    assert_eq!(after.urgency, Urgency::Emergency);
    assert_eq!(after.findings, before.findings);
    assert_eq!(report.raised_to, None);
}

#[tokio::test]
async fn answers_out_of_shape_or_failing_change_nothing_and_say_why() {
    let note = "my back hurts";
    let before = analyze(note);
    let cases: [(u16, Option<Value>, Option<&'static str>, &str); 4] = [
        (200, Some(json!({"findings": [], "urgency": "soon", "urgency_evidence": ""})), None, "not in the required shape"),
        (200, Some(json!({"findings": [], "urgency": "routine", "urgency_evidence": "", "extra": 1})), None, "not in the required shape"),
        (200, None, Some("<html>proxy error</html>"), "not JSON"),
        (500, None, Some("{\"error\":\"overloaded\"}"), "answered 500"),
    ];
    for (status, content, raw, words) in cases {
        let (url, served) = stub(status, content, raw).await;
        let error = enrich(&before, note, &config(url)).await.unwrap_err();
        served.await.unwrap();
        assert!(error.to_string().contains(words), "{error}");
    }
    let gone = enrich(&before, note, &config("http://127.0.0.1:9/v1/chat/completions".into())).await.unwrap_err();
    assert!(matches!(gone, LlmError::Unreachable(_)), "{gone}");
}
