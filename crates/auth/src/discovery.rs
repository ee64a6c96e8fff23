//! Where a FHIR server's authorization server is: `.well-known/smart-configuration`, else the OAuth
//! URIs extension of the CapabilityStatement's security section.

use crate::error::AuthError;
use serde_json::Value;
use url::Url;

const OAUTH_URIS: &str = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmartConfiguration {
    /// The OpenID Connect issuer, whose keys sign id_tokens (None when the server does not say).
    pub issuer: Option<Url>,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub jwks_uri: Option<Url>,
    pub scopes_supported: Vec<String>,
    pub capabilities: Vec<String>,
}

impl SmartConfiguration {
    /// Whether the server reads SMART v2 scopes (`user/*.rs`) rather than v1 (`user/*.read`).
    pub fn scopes_v2(&self) -> bool {
        self.capabilities.iter().any(|c| c == "permission-v2") || self.scopes_supported.iter().any(|s| s.ends_with(".rs") || s.ends_with(".cruds"))
    }

    /// What a person's sign-in asks for: who they are (`openid fhirUser`), to stay signed in
    /// (`offline_access`), and to read and write what their role allows, in the server's syntax.
    pub fn user_scopes(&self) -> Vec<String> {
        let fhir = if self.scopes_v2() { ["user/*.cruds"] } else { ["user/*.*"] };
        ["openid", "fhirUser", "offline_access"].into_iter().chain(fhir).map(str::to_string).collect()
    }
}

/// Reads the server's SMART configuration, falling back to its CapabilityStatement.
pub async fn discover(http: &reqwest::Client, fhir_base: &Url) -> Result<SmartConfiguration, AuthError> {
    let well_known = join(fhir_base, ".well-known/smart-configuration")?;
    match get_json(http, &well_known).await {
        Ok(document) => from_smart_configuration(&document),
        Err(first) => {
            let statement = get_json(http, &join(fhir_base, "metadata")?).await.map_err(|_| first.clone())?;
            from_capability_statement(&statement)
                .ok_or_else(|| AuthError::NoDiscovery(format!("{well_known} failed ({first}), and the CapabilityStatement has no OAuth URIs")))
        }
    }
}

fn join(base: &Url, path: &str) -> Result<Url, AuthError> {
    let mut base = base.clone();
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    base.join(path).map_err(|e| AuthError::NoDiscovery(e.to_string()))
}

async fn get_json(http: &reqwest::Client, url: &Url) -> Result<Value, AuthError> {
    let response = http.get(url.clone()).header("Accept", "application/json").send().await.map_err(|e| AuthError::Network(e.to_string()))?;
    if !response.status().is_success() {
        return Err(AuthError::NoDiscovery(format!("{url} answered HTTP {}", response.status().as_u16())));
    }
    response.json().await.map_err(|e| AuthError::BadResponse(format!("{url}: {e}")))
}

fn url_field(document: &Value, field: &str) -> Result<Option<Url>, AuthError> {
    document[field].as_str().map(|text| Url::parse(text).map_err(|e| AuthError::NoDiscovery(format!("`{field}` is not a URL ({e})")))).transpose()
}

fn strings(document: &Value, field: &str) -> Vec<String> {
    document[field].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect()
}

fn from_smart_configuration(document: &Value) -> Result<SmartConfiguration, AuthError> {
    let required = |field: &str| url_field(document, field)?.ok_or_else(|| AuthError::NoDiscovery(format!("the SMART configuration has no `{field}`")));
    Ok(SmartConfiguration {
        issuer: url_field(document, "issuer")?,
        authorization_endpoint: required("authorization_endpoint")?,
        token_endpoint: required("token_endpoint")?,
        jwks_uri: url_field(document, "jwks_uri")?,
        scopes_supported: strings(document, "scopes_supported"),
        capabilities: strings(document, "capabilities"),
    })
}

fn from_capability_statement(statement: &Value) -> Option<SmartConfiguration> {
    let extensions = statement.pointer("/rest/0/security/extension")?.as_array()?;
    let uris = extensions.iter().find(|e| e["url"] == OAUTH_URIS)?["extension"].as_array()?;
    let uri = |name: &str| uris.iter().find(|e| e["url"] == name).and_then(|e| e["valueUri"].as_str()).and_then(|u| Url::parse(u).ok());
    Some(SmartConfiguration {
        issuer: None,
        authorization_endpoint: uri("authorize")?,
        token_endpoint: uri("token")?,
        jwks_uri: None,
        scopes_supported: Vec::new(),
        capabilities: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_smart_configuration_gives_the_endpoints_and_the_scope_syntax() {
        let v2 = from_smart_configuration(&json!({
            "issuer": "https://auth.example.org", "authorization_endpoint": "https://auth.example.org/authorize",
            "token_endpoint": "https://auth.example.org/token", "capabilities": ["launch-standalone", "permission-v2"]
        }))
        .unwrap();
        assert_eq!(v2.token_endpoint.as_str(), "https://auth.example.org/token");
        assert_eq!(v2.user_scopes(), ["openid", "fhirUser", "offline_access", "user/*.cruds"]);
        let v1 =
            from_smart_configuration(&json!({"authorization_endpoint": "https://a/x", "token_endpoint": "https://a/t", "scopes_supported": ["user/*.read"]}))
                .unwrap();
        assert_eq!(v1.user_scopes().last().unwrap(), "user/*.*");
        assert!(matches!(from_smart_configuration(&json!({"token_endpoint": "https://a/t"})), Err(AuthError::NoDiscovery(_))));
    }

    #[test]
    fn the_capability_statement_names_the_endpoints_when_there_is_no_smart_configuration() {
        let statement = json!({"rest": [{"security": {"extension": [{"url": OAUTH_URIS, "extension": [
            {"url": "authorize", "valueUri": "https://a/authorize"}, {"url": "token", "valueUri": "https://a/token"}
        ]}]}}]});
        let found = from_capability_statement(&statement).unwrap();
        assert_eq!((found.authorization_endpoint.as_str(), found.token_endpoint.as_str()), ("https://a/authorize", "https://a/token"));
        assert!(from_capability_statement(&json!({"rest": [{}]})).is_none());
    }
}
