//! The real authorization server for sign-in tests (npm `oidc-provider`, pinned in
//! `tests/authz/package-lock.json`, installed by scripts/setup.sh), and a browser that signs a person
//! in through its login form over HTTP, as the system browser would.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use url::Url;

/// oidc-provider on 127.0.0.1, killed on drop.
pub struct AuthServer {
    pub port: u16,
    child: Child,
}

impl AuthServer {
    /// Issues tokens for `audience` (the FHIR server's base URL); `env` adds `ACCESS_TTL`, `ID_TTL` or
    /// `BACKEND_JWKS` (see tests/authz/server.mjs).
    pub fn start(audience: &str, env: &[(&str, &str)]) -> AuthServer {
        let port = crate::free_port();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/authz");
        let child = Command::new("node")
            .arg("server.mjs")
            .current_dir(dir)
            .env("PORT", port.to_string())
            .env("AUDIENCE", audience)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the authorization server ({e}); run scripts/setup.sh"));
        let server = AuthServer { port, child };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the authorization server did not start (is tests/authz/node_modules installed?)");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser for the sign-in: follows redirects by hand, keeps cookies, fills oidc-provider's login
/// form with a user name and submits its consent form, and stops at the loopback redirect.
pub struct Browser {
    http: reqwest::Client,
    cookies: Vec<(String, String)>,
}

impl Default for Browser {
    fn default() -> Self {
        Browser { http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(), cookies: Vec::new() }
    }
}

impl Browser {
    /// Signs `user` in from the authorization URL; returns the redirect to the app (not yet followed).
    pub async fn sign_in(&mut self, authorize_url: &Url, user: &str) -> Url {
        let mut next = Some((authorize_url.clone(), None::<Vec<(String, String)>>));
        for _ in 0..12 {
            let (url, form) = next.take().expect("the sign-in went nowhere");
            if url.host_str() == Some("127.0.0.1") && url.path() == "/callback" {
                return url;
            }
            let response = self.request(&url, form).await;
            if let Some(location) = response.headers().get("location") {
                next = Some((url.join(location.to_str().unwrap()).unwrap(), None));
                continue;
            }
            let page = response.text().await.unwrap();
            let action = attribute(&page, "<form", "action").unwrap_or_else(|| panic!("no form at {url}: {}", &page[..page.len().min(1500)]));
            let mut fields: Vec<(String, String)> = inputs(&page);
            if page.contains("name=\"login\"") {
                fields.retain(|(name, _)| name != "login" && name != "password");
                fields.push(("login".into(), user.into()));
                fields.push(("password".into(), "any".into()));
            }
            next = Some((url.join(&action).unwrap(), Some(fields)));
        }
        panic!("the sign-in did not come back to the app");
    }

    /// Delivers the redirect to the app's loopback listener, as the browser would.
    pub async fn return_to_app(&self, redirect: &Url) -> String {
        self.http.get(redirect.clone()).send().await.unwrap().text().await.unwrap()
    }

    async fn request(&mut self, url: &Url, form: Option<Vec<(String, String)>>) -> reqwest::Response {
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let request = match form {
            Some(fields) => self.http.post(url.clone()).form(&fields),
            None => self.http.get(url.clone()),
        };
        let response = request.header("Cookie", cookie).send().await.unwrap();
        for set in response.headers().get_all("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies.retain(|(k, _)| k != name);
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
        response
    }
}

fn attribute(page: &str, tag: &str, name: &str) -> Option<String> {
    let start = page.find(tag)?;
    let rest = &page[start..start + page[start..].find('>')?];
    let at = rest.find(&format!("{name}=\""))? + name.len() + 2;
    Some(rest[at..at + rest[at..].find('"')?].replace("&amp;", "&"))
}

/// The named inputs of a page and their values.
fn inputs(page: &str) -> Vec<(String, String)> {
    page.match_indices("<input")
        .filter_map(|(at, _)| {
            let tag = &page[at..=at + page[at..].find('>')?];
            Some((attribute(tag, "<input", "name")?, attribute(tag, "<input", "value").unwrap_or_default()))
        })
        .collect()
}

/// The system browser of an app under test: a script the app runs with the sign-in address (give it
/// as `SWITCHBOARD_BROWSER`), which hands the address to the test.
pub struct SystemBrowser {
    pub script: std::path::PathBuf,
    opened: std::path::PathBuf,
}

impl SystemBrowser {
    pub fn in_dir(dir: &std::path::Path) -> SystemBrowser {
        let (script, opened) = (dir.join("browser.sh"), dir.join("browser-url"));
        std::fs::write(&script, format!("#!/bin/sh\necho \"$1\" > {}.part && mv {0}.part {0}\n", opened.display())).unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        SystemBrowser { script, opened }
    }

    /// Waits for the app to open the sign-in page, signs `user` in there, and returns what the app's
    /// loopback answered.
    pub fn sign_in_when_opened(&self, user: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.opened.exists() {
            assert!(Instant::now() < deadline, "the app opened no browser");
            std::thread::sleep(Duration::from_millis(50));
        }
        let address = Url::parse(std::fs::read_to_string(&self.opened).unwrap().trim()).unwrap();
        std::fs::remove_file(&self.opened).unwrap();
        crate::runtime().block_on(async {
            let mut browser = Browser::default();
            let redirect = browser.sign_in(&address, user).await;
            browser.return_to_app(&redirect).await
        })
    }
}
