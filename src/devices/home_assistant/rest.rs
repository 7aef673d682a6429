//! Home Assistant's REST API, for what suits one blocking request: is it up (`GET /api/`),
//! one entity's state, a service call (with the states it changed, and its response data when
//! asked), and firing an event. Blocking (ureq): called from the agent's blocking threads.

use std::io::Read as _;
use std::sync::Arc;

use serde_json::{Value, json};
use ureq::Agent;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

use super::{HaError, Settings};

/// Largest body read (a state, a service's changed states).
const MAX_BODY_BYTES: u64 = 4 << 20;

/// A REST client of one Home Assistant.
#[derive(Clone)]
pub(crate) struct Rest {
    agent: Agent,
    settings: Arc<Settings>,
}

/// What a service call did.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Called {
    /// The states that changed while the call ran.
    pub(crate) changed: Vec<Value>,
    /// The service's own answer, when `return_response` was asked.
    pub(crate) response: Option<Value>,
}

impl Rest {
    /// A client with the settings' timeout and TLS rules.
    pub(crate) fn new(settings: Arc<Settings>) -> Result<Rest, HaError> {
        let mut tls = TlsConfig::builder().disable_verification(!settings.verify_tls);
        if let Some(ca) = &settings.ca_file {
            let pem =
                std::fs::read(ca).map_err(|e| HaError::Config(format!("{}: {e}", ca.display())))?;
            let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(HaError::Config(format!(
                    "{}: no certificate in the file",
                    ca.display()
                )));
            }
            tls = tls.root_certs(RootCerts::from(certs));
        }
        let agent = Agent::config_builder()
            .timeout_global(Some(settings.timeout))
            .http_status_as_error(false)
            .tls_config(tls.build())
            .user_agent(concat!("mirai/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Rest { agent, settings })
    }

    /// `GET /api/`: Home Assistant is up and takes the token.
    pub(crate) fn check(&self) -> Result<(), HaError> {
        self.get("/api/").map(|_| ())
    }

    /// `GET /api/states/<id>`.
    pub(crate) fn state(&self, entity_id: &str) -> Result<Value, HaError> {
        self.get(&format!("/api/states/{entity_id}"))
            .map_err(|e| match e {
                HaError::Refused { status: 404, .. } => {
                    HaError::UnknownEntity(entity_id.to_owned())
                }
                other => other,
            })
    }

    /// `POST /api/services/<domain>/<service>` with `data` (which names the targets).
    pub(crate) fn call_service(
        &self,
        domain: &str,
        service: &str,
        data: &Value,
        return_response: bool,
    ) -> Result<Called, HaError> {
        let query = if return_response {
            "?return_response"
        } else {
            ""
        };
        let body = self
            .post(&format!("/api/services/{domain}/{service}{query}"), data)
            .map_err(|e| match e {
                HaError::Refused {
                    status: 400,
                    message,
                } if message.contains("not found") => {
                    HaError::UnknownService(format!("{domain}.{service}"))
                }
                other => other,
            })?;
        Ok(match body {
            Value::Array(changed) => Called {
                changed,
                response: None,
            },
            Value::Object(mut o) => Called {
                changed: match o.remove("changed_states") {
                    Some(Value::Array(c)) => c,
                    _ => Vec::new(),
                },
                response: o.remove("service_response"),
            },
            _ => Called {
                changed: Vec::new(),
                response: None,
            },
        })
    }

    /// `POST /api/events/<event_type>` with `data`.
    pub(crate) fn fire_event(&self, event_type: &str, data: &Value) -> Result<(), HaError> {
        self.post(&format!("/api/events/{event_type}"), data)
            .map(|_| ())
    }

    fn get(&self, path: &str) -> Result<Value, HaError> {
        let url = format!("{}{path}", self.settings.url);
        let resp = self
            .agent
            .get(&url)
            .header("Authorization", &self.bearer())
            .call()
            .map_err(|e| self.unreachable(&e))?;
        self.read(resp)
    }

    fn post(&self, path: &str, body: &Value) -> Result<Value, HaError> {
        let url = format!("{}{path}", self.settings.url);
        let resp = self
            .agent
            .post(&url)
            .header("Authorization", &self.bearer())
            .content_type("application/json")
            .send(body.to_string().as_bytes())
            .map_err(|e| self.unreachable(&e))?;
        self.read(resp)
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.settings.token.expose())
    }

    fn unreachable(&self, e: &ureq::Error) -> HaError {
        let detail = match e {
            ureq::Error::Timeout(_) => format!("no answer within {:?}", self.settings.timeout),
            other => other.to_string(),
        };
        HaError::Unreachable(detail)
    }

    fn read(&self, resp: ureq::http::Response<ureq::Body>) -> Result<Value, HaError> {
        let status = resp.status().as_u16();
        let mut text = String::new();
        resp.into_body()
            .into_reader()
            .take(MAX_BODY_BYTES)
            .read_to_string(&mut text)
            .map_err(|e| HaError::Unreachable(format!("the reply broke: {e}")))?;
        match status {
            200..=299 => Ok(serde_json::from_str(&text).unwrap_or(Value::Null)),
            401 | 403 => Err(HaError::TokenRejected),
            _ => Err(HaError::Refused {
                status,
                message: error_message(&text),
            }),
        }
    }
}

/// Home Assistant's words in an error body: `{"message": …}`, or the text itself.
fn error_message(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let message = parsed
        .as_ref()
        .and_then(|v| v.get("message"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let text = message.unwrap_or_else(|| body.trim().to_owned());
    let text: String = text.chars().take(300).collect();
    if text.is_empty() {
        "no reason given".into()
    } else {
        text
    }
}

/// The service data of a call on one entity: its data with the entity as target.
pub(crate) fn target(entity_id: &str, data: &serde_json::Map<String, Value>) -> Value {
    let mut body = json!({"entity_id": entity_id});
    if let Some(o) = body.as_object_mut() {
        o.extend(data.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_become_words() {
        assert_eq!(
            error_message(r#"{"message": "Entity not found."}"#),
            "Entity not found."
        );
        assert_eq!(
            error_message("500 Internal Server Error\n"),
            "500 Internal Server Error"
        );
        assert_eq!(error_message(""), "no reason given");
        assert_eq!(error_message(&"x".repeat(1000)).len(), 300);
    }

    #[test]
    fn the_target_joins_the_data() {
        let mut data = serde_json::Map::new();
        data.insert("brightness_pct".into(), 40.into());
        assert_eq!(
            target("light.k", &data),
            json!({"entity_id": "light.k", "brightness_pct": 40})
        );
    }
}
