//! Just enough of the W3C WebDriver protocol to drive the real app binary through `tauri-driver` and
//! WebKitGTK's WebKitWebDriver: sessions, finding elements, typing, clicking, reading text.

use serde_json::{json, Value};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const TAURI_DRIVER_DEFAULT: &str = "/var/cache/switchboard-tools/tauri-driver-2.1.0/bin/tauri-driver";

/// One window on the display at a time: the tests share one Xvfb, and a window opening over another
/// moves the pointer under it, which the idle lock rightly counts as use.
static DISPLAY: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A `tauri-driver` process and one session on the app. Both end on drop, then the display is free.
pub struct AppSession {
    _driver: KillOnDrop,
    http: reqwest::Client,
    base: String,
    session: String,
    rt: tokio::runtime::Runtime,
    _display: std::sync::MutexGuard<'static, ()>,
}

impl AppSession {
    /// Starts `tauri-driver` with `home` as the app's `SWITCHBOARD_HOME` and opens `application`, with
    /// the demo clinic offline (no server, no simulator), so nothing happens that the test did not do.
    pub fn start(application: &Path, home: &Path) -> AppSession {
        AppSession::start_with(application, home, &[("SWITCHBOARD_DEMO", "offline")])
    }

    /// As `start`, with more of the app's environment.
    pub fn start_with(application: &Path, home: &Path, env: &[(&str, &str)]) -> AppSession {
        // A test that failed holding the display leaves it usable.
        let display = DISPLAY.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let port = crate::free_port();
        let native = crate::free_port();
        let binary = std::env::var("SWITCHBOARD_TAURI_DRIVER").unwrap_or_else(|_| TAURI_DRIVER_DEFAULT.into());
        let driver = Command::new(&binary)
            .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
            .env("SWITCHBOARD_HOME", home)
            // WebKit's own storage (the window's localStorage) per test too, not per user.
            .env("XDG_DATA_HOME", home.join("xdg-data"))
            .env("XDG_CACHE_HOME", home.join("xdg-cache"))
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so WebKitWebDriver and the app stop with it.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary} ({e}); run scripts/setup.sh"));
        // From here on a panic still stops the driver (it would otherwise outlive the test).
        let driver = KillOnDrop(driver);
        let rt = crate::runtime();
        // A hung WebDriver call fails the test instead of stalling it.
        let http = rt.block_on(async { reqwest::Client::builder().timeout(Duration::from_secs(60)).build() }).expect("an HTTP client");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while rt.block_on(async { http.get(format!("{base}/status")).send().await }).is_err() {
            assert!(Instant::now() < deadline, "tauri-driver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {"tauri:options": {"application": application}}}});
        let mut session = AppSession { _driver: driver, http, base, session: String::new(), rt, _display: display };
        let created = session.call("POST", "/session", Some(capabilities));
        session.session = created["sessionId"].as_str().expect("a session id").to_string();
        session
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{}", self.base, path);
        let request = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or_else(|| json!({}))),
        };
        let response = self.rt.block_on(async { request.send().await?.json::<Value>().await }).expect("a WebDriver answer");
        response["value"].clone()
    }

    fn session_call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call(method, &format!("/session/{}{path}", self.session), body)
    }

    /// The first element matching an XPath, waiting up to 30 s for it to appear.
    pub fn find(&self, xpath: &str) -> String {
        self.find_within(xpath, Duration::from_secs(30))
    }

    /// Waits up to `wait` for an element that matches an XPath.
    pub fn find_within(&self, xpath: &str, wait: Duration) -> String {
        let deadline = Instant::now() + wait;
        loop {
            let found = self.session_call("POST", "/element", Some(json!({"using": "xpath", "value": xpath})));
            if let Some(id) = found[ELEMENT].as_str() {
                return id.to_string();
            }
            if Instant::now() > deadline {
                let shown = self.execute_async("arguments[arguments.length - 1](document.body.innerText)");
                let text: String = shown.as_str().unwrap_or_default().chars().take(1500).collect();
                panic!("no element matches {xpath} (last answer {found}); the page shows: {text}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits up to 10 s until nothing matches an XPath.
    pub fn wait_gone(&self, xpath: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.count(xpath) > 0 {
            assert!(Instant::now() < deadline, "{xpath} is still there after 10 s");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// How many elements match an XPath now.
    pub fn count(&self, xpath: &str) -> usize {
        let found = self.session_call("POST", "/elements", Some(json!({"using": "xpath", "value": xpath})));
        found.as_array().map_or(0, Vec::len)
    }

    pub fn text(&self, element: &str) -> String {
        self.session_call("GET", &format!("/element/{element}/text"), None).as_str().unwrap_or_default().to_string()
    }

    pub fn click(&self, element: &str) {
        let answer = self.session_call("POST", &format!("/element/{element}/click"), None);
        assert!(answer.get("error").is_none(), "click on {element} refused: {answer}");
    }

    /// Types into an element; "\u{E007}" is Enter, "\u{E015}" arrow down.
    pub fn type_into(&self, element: &str, text: &str) {
        self.session_call("POST", &format!("/element/{element}/value"), Some(json!({"text": text})));
    }

    /// Presses keys on whatever has the keyboard focus, as a person would: "\u{E009}" (Control) stays
    /// down until "\u{E000}" or the end, "\u{E007}" is Enter, "\u{E015}" arrow down, "\u{E014}" right.
    pub fn keys(&self, text: &str) {
        const CONTROL: char = '\u{E009}';
        const RELEASE: char = '\u{E000}';
        let mut actions = Vec::new();
        let mut held = false;
        for key in text.chars() {
            match key {
                CONTROL => {
                    actions.push(json!({"type": "keyDown", "value": CONTROL.to_string()}));
                    held = true;
                }
                RELEASE if held => {
                    actions.push(json!({"type": "keyUp", "value": CONTROL.to_string()}));
                    held = false;
                }
                _ => {
                    actions.push(json!({"type": "keyDown", "value": key.to_string()}));
                    actions.push(json!({"type": "keyUp", "value": key.to_string()}));
                }
            }
        }
        if held {
            actions.push(json!({"type": "keyUp", "value": CONTROL.to_string()}));
        }
        let answer = self.session_call("POST", "/actions", Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})));
        assert!(answer.get("error").is_none(), "keys refused: {answer}");
        self.session_call("DELETE", "/actions", None);
    }

    /// Runs an async script in the page; it finishes by calling its last argument with the result.
    pub fn execute_async(&self, script: &str) -> Value {
        self.session_call("POST", "/execute/async", Some(json!({"script": script, "args": []})))
    }

    /// Runs axe-core (the WCAG 2 A and AA rules, colour contrast included) on the screen as WebKitGTK
    /// renders it, and fails with each violation and where it is.
    pub fn assert_accessible(&self, screen: &str) {
        let axe = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/node_modules/axe-core/axe.min.js"))
            .expect("axe-core is installed with the UI's packages (scripts/setup.sh)");
        let script = format!(
            "{axe}\nconst done = arguments[arguments.length - 1];\n\
             axe.run(document, {{ runOnly: {{ type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }} }})\n\
               .then(r => done(r.violations.map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + (n.failureSummary || '')).join(' | '))))\n\
               .catch(e => done(['axe failed: ' + e]));"
        );
        let violations = self.execute_async(&script);
        assert_eq!(violations, serde_json::json!([]), "WCAG violations on the {screen} screen");
    }

    pub fn clear(&self, element: &str) {
        self.session_call("POST", &format!("/element/{element}/clear"), None);
    }
}

impl Drop for AppSession {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.rt.block_on(async { self.http.delete(format!("{}/session/{}", self.base, self.session)).send().await });
        }
    }
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// With SWITCHBOARD_SCREENSHOTS=<dir> set, saves the window (1280×720 at the top left of the virtual
/// display) as <dir>/<name>.png for the README, with ImageMagick's `import`. WebKitWebDriver's own
/// screenshot stalls on wide pages.
pub fn shot(name: &str) {
    if let Some(dir) = std::env::var_os("SWITCHBOARD_SCREENSHOTS") {
        std::thread::sleep(std::time::Duration::from_millis(300)); // let the last frame paint
        let path = std::path::Path::new(&dir).join(format!("{name}.png"));
        let status = std::process::Command::new("import").args(["-window", "root", "-crop", "1280x720+0+0"]).arg(&path).status();
        assert!(status.is_ok_and(|s| s.success()), "cannot save {}", path.display());
    }
}
