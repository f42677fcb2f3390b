//! Open311 GeoReport v2 for resident reports: `services`, `services/{code}` (the service
//! definition), `requests` (GET, POST), `requests/{id}`, and the `me_too` extension, each in
//! JSON (`.json`) and XML (`.xml`). Errors are Open311's own form,
//! `[{"code": 400, "description": "field: what is wrong"}]` (`<errors><error>…` in XML). The
//! public sees published reports only, at their generalised position, with the scrubbed
//! description and no contact.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use futures_util::StreamExt;
use serde::Serialize;

use super::AppState;
use crate::model::{time, DistrictLevel};
use crate::reports::{self, scrub, Contact, NewReport, Report, Service, TimeOfDay};

/// How long the body of a report may take to arrive.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Largest request body accepted (bytes): 2,000 non-Latin characters form-encoded take ~18 KB.
pub const MAX_BODY: usize = 32 * 1024;

/// Longest description (characters).
pub const MAX_DESCRIPTION: usize = 2000;

/// The representation a path asks for by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    /// `.json`
    Json,
    /// `.xml`
    Xml,
}

impl Fmt {
    /// `json` or `xml`; anything else is a 404 naming both.
    fn parse(ext: &str) -> Result<Fmt> {
        match ext {
            "json" => Ok(Fmt::Json),
            "xml" => Ok(Fmt::Xml),
            other => Err(Open311Error::status(
                StatusCode::NOT_FOUND,
                format!("format: '.{other}' is not offered; use .json or .xml"),
            )),
        }
    }

    /// A list answer: a JSON array, or `<root><item>…</item></root>`.
    fn list(
        self,
        status: StatusCode,
        root: &str,
        item: &str,
        items: &[serde_json::Value],
    ) -> HttpResponse {
        match self {
            Fmt::Json => HttpResponse::build(status).json(items),
            Fmt::Xml => HttpResponse::build(status)
                .content_type("text/xml; charset=utf-8")
                .body(super::xml::list(root, item, items)),
        }
    }
}

/// An error in Open311's form.
#[derive(Debug)]
pub struct Open311Error {
    status: StatusCode,
    description: String,
    retry_after: Option<u64>,
    format: Fmt,
}

impl Open311Error {
    /// A 400 naming the field.
    pub fn bad(field: &str, what: impl std::fmt::Display) -> Self {
        Open311Error {
            status: StatusCode::BAD_REQUEST,
            description: format!("{field}: {what}"),
            retry_after: None,
            format: Fmt::Json,
        }
    }

    fn status(status: StatusCode, description: impl Into<String>) -> Self {
        Open311Error {
            status,
            description: description.into(),
            retry_after: None,
            format: Fmt::Json,
        }
    }

    /// The same error, answered in `format`.
    fn answered_in(self, format: Fmt) -> Self {
        Open311Error { format, ..self }
    }
}

impl std::fmt::Display for Open311Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

impl ResponseError for Open311Error {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.status.is_server_error() {
            tracing::error!("open311: {}", self.description);
        }
        let description = if self.status.is_server_error() {
            "the report could not be stored; please try again".to_owned()
        } else {
            self.description.clone()
        };
        let mut res = self.format.list(
            self.status,
            "errors",
            "error",
            &[serde_json::json!({"code": self.status.as_u16(), "description": description})],
        );
        if let Some(s) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(s));
        }
        res
    }
}

type Result<T> = std::result::Result<T, Open311Error>;

fn internal(e: impl std::fmt::Display) -> Open311Error {
    Open311Error::status(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// One service in `services.json`.
#[derive(Serialize)]
struct ServiceJson {
    service_code: &'static str,
    service_name: &'static str,
    service_name_da: &'static str,
    service_name_en: &'static str,
    description: &'static str,
    description_da: &'static str,
    description_en: &'static str,
    metadata: bool,
    #[serde(rename = "type")]
    kind: &'static str,
    keywords: &'static str,
    group: &'static str,
}

/// The query of a GET: `jurisdiction_id` and `api_key` are taken and ignored (one city; reads
/// need no key), `locale=en` chooses English; anything else not in `own` is refused.
fn query(req: &HttpRequest, own: &[&str]) -> Result<(Vec<(String, String)>, bool)> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| Open311Error::bad("query", e))?;
    let mut english = false;
    let mut kept = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (k, v) in pairs {
        if !seen.insert(k.clone()) {
            return Err(Open311Error::bad(
                &k,
                "given more than once; give a comma-separated list",
            ));
        }
        match k.as_str() {
            "jurisdiction_id" | "api_key" => {}
            "locale" => english = v.starts_with("en"),
            other if own.contains(&other) => kept.push((k, v)),
            other => {
                let mut known = own.to_vec();
                known.extend(["jurisdiction_id", "api_key", "locale"]);
                return Err(Open311Error::bad(
                    other,
                    format!("unknown parameter; this takes {}", known.join(", ")),
                ));
            }
        }
    }
    Ok((kept, english))
}

/// `GET /open311/v2/services.{json,xml}` (`?locale=en` for English names in `service_name`).
pub async fn services(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse> {
    let fmt = Fmt::parse(&path)?;
    let (_, english) = query(&req, &[]).map_err(|e| e.answered_in(fmt))?;
    let list: Vec<serde_json::Value> = Service::ALL
        .iter()
        .map(|s| {
            let l = s.labels();
            let (dda, den) = s.descriptions();
            serde_json::to_value(ServiceJson {
                service_code: s.code(),
                service_name: if english { l.label_en } else { l.label_da },
                service_name_da: l.label_da,
                service_name_en: l.label_en,
                description: if english { den } else { dda },
                description_da: dda,
                description_en: den,
                // Every service takes the time-of-day attribute: see its definition.
                metadata: true,
                kind: "realtime",
                keywords: "tryghed, safety",
                group: "tryghed",
            })
            .unwrap_or_default()
        })
        .collect();
    Ok(fmt.list(StatusCode::OK, "services", "service", &list))
}

/// The attributes every service takes, as a GeoReport v2 service definition lists them.
fn attributes(english: bool) -> serde_json::Value {
    let (description, values) = if english {
        (
            "When does the place feel unsafe?",
            [
                ("day", "Daytime"),
                ("evening", "Evening"),
                ("night", "Night"),
            ],
        )
    } else {
        (
            "Hvornår føles stedet utrygt?",
            [("day", "Dag"), ("evening", "Aften"), ("night", "Nat")],
        )
    };
    serde_json::json!([{
        "variable": true,
        "code": "time_of_day",
        "datatype": "singlevaluelist",
        "required": false,
        "datatype_description": "day, evening or night",
        "order": 1,
        "description": description,
        "values": values.iter().map(|(key, name)| serde_json::json!({"key": key, "name": name})).collect::<Vec<_>>(),
    }])
}

/// `GET /open311/v2/services/{code}.{json,xml}`: the service definition (its attributes;
/// post them as `attribute[code]=key`).
pub async fn definition(
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (code, ext) = path.into_inner();
    let fmt = Fmt::parse(&ext)?;
    let (_, english) = query(&req, &[]).map_err(|e| e.answered_in(fmt))?;
    let service = Service::parse(&code).ok_or_else(|| {
        Open311Error::status(
            StatusCode::NOT_FOUND,
            format!("service_code: no service '{code}'"),
        )
        .answered_in(fmt)
    })?;
    let body = serde_json::json!({
        "service_code": service.code(),
        "attributes": attributes(english),
    });
    Ok(match fmt {
        Fmt::Json => HttpResponse::Ok().json(body),
        Fmt::Xml => HttpResponse::Ok()
            .content_type("text/xml; charset=utf-8")
            .body(super::xml::object("service_definition", &body)),
    })
}

/// A report as the public sees it (and, with `planner`, as the secretariat does).
#[derive(Serialize)]
pub struct RequestJson {
    service_request_id: String,
    status: &'static str,
    detailed_status: &'static str,
    status_notes: Option<String>,
    service_name: &'static str,
    service_code: &'static str,
    description: String,
    agency_responsible: &'static str,
    requested_datetime: String,
    updated_datetime: String,
    lat: f64,
    long: f64,
    time_of_day: Option<&'static str>,
    me_too: u32,
    published: bool,
    duplicate_of: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description_original: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact: Option<Option<Contact>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exact_lat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exact_long: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    district: Option<Option<String>>,
    /// The version of its moderated state, for `If-Match` on a moderation (planners only).
    #[serde(skip_serializing_if = "Option::is_none")]
    moderation_version: Option<String>,
}

impl RequestJson {
    /// The public view: generalised position, scrubbed text, no contact or reason.
    pub fn public(r: &Report) -> RequestJson {
        let (lon, lat) = crate::privacy::anchor(r.lon, r.lat);
        RequestJson {
            service_request_id: r.id.to_string(),
            status: r.status.open311(),
            detailed_status: r.status.code(),
            status_notes: r.status_note.clone(),
            service_name: r.service.labels().label_da,
            service_code: r.service.code(),
            description: r.description.clone(),
            agency_responsible: "Københavns Kommune, Hotspot-sekretariatet",
            // The public hears the hour, as for incidents: to the second, the time of a
            // report (or of a "me too") could tie it to a person seen sending it.
            requested_datetime: time::rfc3339(r.created_at - r.created_at.rem_euclid(3600)),
            updated_datetime: time::rfc3339(r.updated_at - r.updated_at.rem_euclid(3600)),
            lat: (lat * 1e7).round() / 1e7,
            long: (lon * 1e7).round() / 1e7,
            time_of_day: r.time_of_day.map(TimeOfDay::code),
            me_too: r.me_too,
            published: r.published,
            duplicate_of: r.duplicate_of.map(|d| d.to_string()),
            description_original: None,
            contact: None,
            reason: None,
            exact_lat: None,
            exact_long: None,
            district: None,
            moderation_version: None,
        }
    }

    /// The secretariat's view: also the original text, contact, reason, exact position.
    pub fn planner(r: &Report) -> RequestJson {
        let mut j = RequestJson::public(r);
        j.requested_datetime = time::rfc3339(r.created_at);
        j.updated_datetime = time::rfc3339(r.updated_at);
        j.description_original = Some(r.description_original.clone());
        j.contact = Some((!r.contact.is_empty()).then(|| r.contact.clone()));
        j.reason = Some(r.reason.clone());
        j.exact_lat = Some(r.lat);
        j.exact_long = Some(r.lon);
        j.district = Some(r.district.clone());
        j.moderation_version = Some(r.moderation_version());
        j
    }
}

/// A report's public JSON (one element of `requests.json`), kept by the report book.
pub fn public_json(r: &Report) -> Vec<u8> {
    serde_json::to_vec(&RequestJson::public(r)).unwrap_or_else(|_| b"null".to_vec())
}

/// A possible duplicate, as shown to a reporter and a moderator: the public view of a
/// published report (generalised position, scrubbed text, the hour it came in).
#[derive(Serialize)]
pub struct DuplicateJson {
    service_request_id: String,
    service_code: &'static str,
    description: String,
    /// Reporter: metres between the public positions (0 = the same ~115 m cell). Moderator:
    /// metres between the exact positions.
    distance_m: f64,
    requested_datetime: String,
    me_too: u32,
    lat: f64,
    long: f64,
}

impl DuplicateJson {
    fn of(r: &Report, distance_m: f64) -> DuplicateJson {
        let public = RequestJson::public(r);
        DuplicateJson {
            service_request_id: public.service_request_id,
            service_code: public.service_code,
            description: public.description,
            distance_m,
            requested_datetime: public.requested_datetime,
            me_too: public.me_too,
            lat: public.lat,
            long: public.long,
        }
    }
}

/// What a reporter is offered as possible duplicates of a report at `(lon, lat)`: published
/// reports of the same type in the same or a neighbouring public cell, from the last 60 days
/// (see [`reports::nearby_published`]: no more than the public layer shows).
pub fn nearby_for_reporter(
    state: &AppState,
    service: Service,
    lon: f64,
    lat: f64,
    now: i64,
) -> Vec<DuplicateJson> {
    state.reports().read(|all| {
        reports::nearby_published(all.published(), service, (lon, lat), now)
            .into_iter()
            .take(5)
            .filter_map(|(id, d)| Some(DuplicateJson::of(all.by_id(id)?, d)))
            .collect()
    })
}

/// What a moderator sees as possible duplicates: published reports of the same type within
/// 50 m (exact positions) and 60 days.
pub fn duplicates_for_moderator(
    state: &AppState,
    service: Service,
    lon: f64,
    lat: f64,
    now: i64,
    except: Option<i64>,
) -> Vec<DuplicateJson> {
    state.reports().read(|all| {
        reports::possible_duplicates(all.published(), service, (lon, lat), now, except)
            .into_iter()
            .take(5)
            .filter_map(|(id, d)| Some(DuplicateJson::of(all.by_id(id)?, d.round())))
            .collect()
    })
}

/// Reads the body (at most [`MAX_BODY`] bytes) as form or JSON fields.
async fn fields(req: &HttpRequest, mut payload: web::Payload) -> Result<Vec<(String, String)>> {
    let too_large = || {
        Open311Error::status(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body: more than {MAX_BODY} bytes"),
        )
    };
    // A declared length over the limit is refused before a byte is read.
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::new();
    // A body that trickles in is given up on, so slow senders cannot hold connections.
    let read = async {
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| Open311Error::bad("body", e))?;
            if body.len() + chunk.len() > MAX_BODY {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(())
    };
    tokio::time::timeout(BODY_TIMEOUT, read)
        .await
        .map_err(|_| {
            Open311Error::status(
                StatusCode::REQUEST_TIMEOUT,
                format!("body: not received within {} s", BODY_TIMEOUT.as_secs()),
            )
        })??;
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ctype.starts_with("application/json") {
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| Open311Error::bad("body", format!("not JSON: {e}")))?;
        let obj = v
            .as_object()
            .ok_or_else(|| Open311Error::bad("body", "expected a JSON object of fields"))?;
        let mut out = Vec::new();
        for (k, v) in obj {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Null => continue,
                serde_json::Value::Object(inner) if k == "attribute" => {
                    for (ak, av) in inner {
                        let name = format!("attribute[{ak}]");
                        let text = av
                            .as_str()
                            .ok_or_else(|| Open311Error::bad(&name, "expected a string"))?
                            .to_owned();
                        out.push((name, text));
                    }
                    continue;
                }
                _ => return Err(Open311Error::bad(k, "expected a string or a number")),
            };
            out.push((k.clone(), text));
        }
        Ok(out)
    } else if ctype.starts_with("application/x-www-form-urlencoded") || ctype.is_empty() {
        serde_urlencoded::from_bytes(&body)
            .map_err(|e| Open311Error::bad("body", format!("not form-encoded: {e}")))
    } else {
        Err(Open311Error::status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Content-Type: '{ctype}' is not application/x-www-form-urlencoded or application/json"),
        ))
    }
}

fn no_control(field: &str, s: &str) -> Result<()> {
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(Open311Error::bad(field, "contains control characters"));
    }
    // Unicode's noncharacters (U+FFFE, U+FFFF, U+FDD0–U+FDEF, the last two of every plane)
    // are no text: invisible to a moderator, and XML cannot hold U+FFFE and U+FFFF at all.
    if s.chars().any(|c| {
        let n = c as u32;
        (0xFDD0..=0xFDEF).contains(&n) || n & 0xFFFE == 0xFFFE
    }) {
        return Err(Open311Error::bad(
            field,
            "contains a Unicode noncharacter (such as U+FFFF)",
        ));
    }
    Ok(())
}

/// Counts a report (or "me too") of the client known by `clients` (see
/// [`AppState::client_keys`]) against its limit; blocks on PostgreSQL, so it runs off the async
/// workers.
fn rate_limited(state: &AppState, clients: &[String]) -> Result<()> {
    let clients: Vec<&str> = clients.iter().map(String::as_str).collect();
    state
        .check_report_limit(&clients)
        .map_err(|wait| Open311Error {
            status: StatusCode::TOO_MANY_REQUESTS,
            description: format!(
                "rate_limit: too many reports from this client; try again in {wait} s"
            ),
            retry_after: Some(wait),
            format: Fmt::Json,
        })
}

/// A failed write as answered: 422 for a refusal (it names the field), else 500.
fn write_error(e: crate::store::writer::WriteError) -> Open311Error {
    match e {
        crate::store::writer::WriteError::Refused(why) => {
            Open311Error::status(StatusCode::UNPROCESSABLE_ENTITY, why)
        }
        e => internal(e),
    }
}

/// A new report as checked: the report, the secret of its follow key (never stored), and the
/// standard fields that were given but are not kept.
struct Checked {
    report: NewReport,
    secret: String,
    dropped: Vec<String>,
}

/// Checks the fields of a new report; the error names the field.
fn check(
    state: &AppState,
    f: &[(String, String)],
    now: i64,
    follow_secret: Option<String>,
) -> Result<Checked> {
    const KNOWN: [&str; 13] = [
        "service_code",
        "lat",
        "long",
        "description",
        "email",
        "first_name",
        "last_name",
        "attribute[time_of_day]",
        "website",
        "jurisdiction_id",
        "api_key",
        "address_string",
        "idempotency_key",
    ];
    // Standard GeoReport fields this service does not use are accepted and dropped unread
    // (`phone` too: it is never stored, so it can never leak; `media_url`: no photos are
    // taken, as a photo of a place can show people). The answer's notice names them.
    const IGNORED: [&str; 6] = [
        "device_id",
        "account_id",
        "address_id",
        "phone",
        "media_url",
        "zipcode",
    ];
    let mut seen = std::collections::HashSet::new();
    let mut dropped = Vec::new();
    for (k, v) in f {
        if !seen.insert(k.as_str()) {
            return Err(Open311Error::bad(k, "given more than once"));
        }
        if IGNORED.contains(&k.as_str()) {
            if !v.trim().is_empty() {
                dropped.push(k.clone());
            }
            continue;
        }
        if !KNOWN.contains(&k.as_str()) {
            return Err(Open311Error::bad(
                k,
                format!("unknown field; fields are {}", KNOWN[..8].join(", ")),
            ));
        }
    }
    let get = |k: &str| {
        f.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    // The honeypot: a field people never see. Bots fill it.
    if get("website").is_some() {
        return Err(Open311Error::bad("website", "must be empty"));
    }
    let code =
        get("service_code").ok_or_else(|| Open311Error::bad("service_code", "is required"))?;
    let service = Service::parse(code).ok_or_else(|| {
        let codes: Vec<&str> = Service::ALL.iter().map(|s| s.code()).collect();
        Open311Error::bad(
            "service_code",
            format!("unknown code '{code}'; one of {}", codes.join(", ")),
        )
    })?;
    if get("lat").is_none() && get("long").is_none() && get("address_string").is_some() {
        return Err(Open311Error::bad(
            "lat",
            "lat and long are required (WGS84 degrees): this service places a report by its position, not by address_string; pick the spot on a map",
        ));
    }
    let num = |k: &str| -> Result<f64> {
        let v = get(k).ok_or_else(|| Open311Error::bad(k, "is required (WGS84 degrees)"))?;
        v.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| Open311Error::bad(k, format!("'{v}' is not a number")))
    };
    let (lat, lon) = (num("lat")?, num("long")?);
    if !(-90.0..=90.0).contains(&lat) {
        return Err(Open311Error::bad(
            "lat",
            format!("{lat} is out of range -90..90"),
        ));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(Open311Error::bad(
            "long",
            format!("{lon} is out of range -180..180"),
        ));
    }
    let cat = state.catalog();
    let in_city = |lon: f64, lat: f64| !cat.districts_at(lon, lat, DistrictLevel::Bydel).is_empty();
    if !in_city(lon, lat) {
        if in_city(lat, lon) {
            return Err(Open311Error::bad("lat", format!("lat {lat}, long {lon} look swapped: in Copenhagen lat is about 55.7 and long about 12.6")));
        }
        return Err(Open311Error::bad(
            "lat",
            format!("({lat}, {lon}) is outside the service area, the Municipality of Copenhagen"),
        ));
    }
    let description = get("description").ok_or_else(|| {
        Open311Error::bad(
            "description",
            "is required: say what makes the place feel unsafe",
        )
    })?;
    let n = description.chars().count();
    if n > MAX_DESCRIPTION {
        return Err(Open311Error::bad(
            "description",
            format!("{n} characters; at most {MAX_DESCRIPTION}"),
        ));
    }
    no_control("description", description)?;
    let short = |k: &str, max: usize| -> Result<Option<String>> {
        match get(k) {
            None => Ok(None),
            Some(v) if v.chars().count() > max => Err(Open311Error::bad(
                k,
                format!("longer than {max} characters"),
            )),
            Some(v) => {
                no_control(k, v)?;
                Ok(Some(v.to_owned()))
            }
        }
    };
    let email = short("email", 254)?;
    if let Some(e) = &email {
        if !e.contains('@') || e.contains(char::is_whitespace) {
            return Err(Open311Error::bad("email", "is not an e-mail address"));
        }
    }
    let time_of_day = match get("attribute[time_of_day]") {
        None => None,
        Some(v) => Some(TimeOfDay::parse(v).ok_or_else(|| {
            Open311Error::bad(
                "attribute[time_of_day]",
                format!("'{v}' is not day, evening or night"),
            )
        })?),
    };
    let district = cat
        .districts_at(lon, lat, DistrictLevel::District)
        .first()
        .map(|&i| cat.districts[i as usize].id.clone());
    let follow = match follow_secret {
        Some(secret) => crate::auth::token_for_secret(secret),
        None => crate::auth::new_token(),
    }
    .map_err(internal)?;
    let (scrubbed, _) = scrub::scrub(description);
    let report = NewReport {
        service,
        lon,
        lat,
        description: scrubbed,
        description_original: description.to_owned(),
        contact: Contact {
            email,
            first_name: short("first_name", 100)?,
            last_name: short("last_name", 100)?,
        },
        time_of_day,
        created_at: now,
        follow: (follow.salt, follow.hash),
        district,
    };
    Ok(Checked {
        report,
        secret: follow.secret,
        dropped,
    })
}

/// `POST /open311/v2/requests.{json,xml}`.
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let fmt = Fmt::parse(&path)?;
    create_in(&state, &req, payload, fmt)
        .await
        .map_err(|e| e.answered_in(fmt))
}

async fn create_in(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    payload: web::Payload,
    fmt: Fmt,
) -> Result<HttpResponse> {
    let f = fields(req, payload).await?;
    let now = chrono::Utc::now().timestamp();
    let key = idempotency_key(req, &f)?;
    let catalog = state.catalog();
    let (key_digest, follow_secret) = match &key {
        Some(k) => {
            let (digest, follow) = catalog.idempotency(k);
            (Some(digest), Some(follow))
        }
        None => (None, None),
    };
    let Checked {
        report: new,
        secret,
        dropped,
    } = check(state, &f, now, follow_secret)?;
    let duplicates = nearby_for_reporter(state, new.service, new.lon, new.lat, now);
    let key = key_digest.map(|key| crate::store::writer::ReportKey {
        key,
        request: catalog.request_digest(&new),
    });
    let (st, clients) = (state.clone(), state.client_keys(req));
    let (id, replayed) = web::block(move || {
        if let Err(limited) = rate_limited(&st, &clients) {
            // A retry of a report stored already is answered with it, over the limit or not
            // (it was counted when it was sent).
            if let Some(k) = &key {
                if let Some(id) = st.stored_under_key(k).map_err(write_error)? {
                    return Ok((id, true));
                }
            }
            return Err(limited);
        }
        st.store_report(new, key).map_err(write_error)
    })
    .await
    .map_err(internal)??;
    let key = format!("{}_{secret}", id);
    let mut notice = "Tak! Meldingen er modtaget. Sekretariatet læser den, før den bliver vist på kortet. / Thank you: the secretariat reads every report before it is shown on the map.".to_owned();
    if !dropped.is_empty() {
        notice.push_str(&format!(
            " Not stored: {} (this service keeps no photos or phone numbers).",
            dropped.join(", ")
        ));
    }
    let answer = serde_json::json!({
        "service_request_id": id.to_string(),
        "service_notice": notice,
        "account_id": null,
        "follow_key": key,
        "follow_url": format!("/?report={id}&key={key}"),
        "possible_duplicates": duplicates,
    });
    let mut answer = fmt.list(
        StatusCode::CREATED,
        "service_requests",
        "request",
        &[answer],
    );
    if replayed {
        answer.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("idempotent-replayed"),
            actix_web::http::header::HeaderValue::from_static("true"),
        );
    }
    Ok(answer)
}

/// The request's idempotency key: the `Idempotency-Key` header, or the `idempotency_key`
/// field for clients that cannot set headers (the same key in both is fine; two different
/// ones are refused).
fn idempotency_key(req: &HttpRequest, f: &[(String, String)]) -> Result<Option<String>> {
    let header = match req.headers().get("idempotency-key") {
        None => None,
        Some(v) => {
            let v = v
                .to_str()
                .map_err(|_| Open311Error::bad("Idempotency-Key", "is not visible ASCII"))?;
            crate::reports::check_idempotency_key(v)
                .map_err(|e| Open311Error::bad("Idempotency-Key", e))?;
            Some(v.to_owned())
        }
    };
    let field = match f.iter().find(|(k, _)| k == "idempotency_key") {
        None => None,
        Some((_, v)) => {
            crate::reports::check_idempotency_key(v)
                .map_err(|e| Open311Error::bad("idempotency_key", e))?;
            Some(v.clone())
        }
    };
    match (header, field) {
        (Some(h), Some(f)) if h != f => Err(Open311Error::bad(
            "idempotency_key",
            "differs from the Idempotency-Key header",
        )),
        (h, f) => Ok(h.or(f)),
    }
}

fn parse_id(raw: &str) -> Result<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0 && n.to_string() == raw)
        .ok_or_else(|| {
            Open311Error::status(
                StatusCode::NOT_FOUND,
                format!("service_request_id: no request '{raw}'"),
            )
        })
}

/// Whether `key` (`<id>_<secret>`) is the follow key of `r`.
fn follows(r: &Report, key: &str) -> bool {
    let Some((id, secret)) = key.split_once('_') else {
        return false;
    };
    id == r.id.to_string() && crate::auth::verify(&r.follow.0, &r.follow.1, secret)
}

/// `GET /open311/v2/requests/{id}.{json,xml}` (`?key=` shows the reporter an unpublished
/// one).
pub async fn one(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (raw, ext) = path.into_inner();
    let fmt = Fmt::parse(&ext)?;
    one_in(&state, &req, &raw, fmt).map_err(|e| e.answered_in(fmt))
}

fn one_in(state: &AppState, req: &HttpRequest, raw: &str, fmt: Fmt) -> Result<HttpResponse> {
    let id = parse_id(raw)?;
    let (pairs, _) = query(req, &["key"])?;
    let key = pairs.into_iter().find(|(k, _)| k == "key").map(|(_, v)| v);
    let missing = || {
        Open311Error::status(
            StatusCode::NOT_FOUND,
            format!("service_request_id: no request '{id}'"),
        )
    };
    let r = state.reports().get(id).ok_or_else(missing)?;
    if !(r.published || key.as_deref().is_some_and(|k| follows(&r, k))) {
        return Err(missing());
    }
    let v = serde_json::to_value(RequestJson::public(&r)).map_err(internal)?;
    Ok(fmt.list(StatusCode::OK, "service_requests", "request", &[v]))
}

/// `GET /open311/v2/requests.{json,xml}?status=&service_code=&service_request_id=&start_date=&end_date=&bbox=&limit=`.
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let fmt = Fmt::parse(&path)?;
    let (pairs, _) = query(
        &req,
        &[
            "status",
            "service_code",
            "service_request_id",
            "start_date",
            "end_date",
            "bbox",
            "limit",
        ],
    )
    .map_err(|e| e.answered_in(fmt))?;
    // Off the async workers: a long list (XML above all) takes a while to write.
    let st = state.clone();
    let body = web::block(move || list_body(&st, &pairs, fmt))
        .await
        .map_err(|e| internal(e).answered_in(fmt))?
        .map_err(|e| e.answered_in(fmt))?;
    Ok(HttpResponse::Ok()
        .content_type(match fmt {
            Fmt::Json => "application/json",
            Fmt::Xml => "text/xml; charset=utf-8",
        })
        .body(body))
}

/// The body of the public list under the query `pairs`.
fn list_body(state: &AppState, pairs: &[(String, String)], fmt: Fmt) -> Result<Vec<u8>> {
    let mut status: Option<Vec<String>> = None;
    let mut services: Option<Vec<Service>> = None;
    let (mut start, mut end) = (i64::MIN, i64::MAX);
    let mut bbox = None;
    let mut limit = 1000usize;
    let mut ids: Option<Vec<i64>> = None;
    for (k, v) in pairs {
        let v = v.trim();
        match k.as_str() {
            "status" => {
                status = Some(
                    v.split(',')
                        .map(|x| match x.trim() {
                            s @ ("open" | "closed") => Ok(s.to_owned()),
                            s => Err(Open311Error::bad(
                                "status",
                                format!("'{s}' is not open or closed"),
                            )),
                        })
                        .collect::<Result<_>>()?,
                )
            }
            "service_code" => {
                services = Some(
                    v.split(',')
                        .map(|c| {
                            Service::parse(c.trim()).ok_or_else(|| {
                                Open311Error::bad("service_code", format!("unknown code '{c}'"))
                            })
                        })
                        .collect::<Result<_>>()?,
                )
            }
            "service_request_id" => {
                ids = Some(
                    v.split(',')
                        .map(|c| {
                            c.trim().parse::<i64>().map_err(|_| {
                                Open311Error::bad(
                                    "service_request_id",
                                    format!("'{c}' is not an id"),
                                )
                            })
                        })
                        .collect::<Result<_>>()?,
                )
            }
            "start_date" | "end_date" => {
                // A bare date is a whole Copenhagen calendar day, as everywhere in this API.
                let day = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .ok()
                    .map(|d| {
                        use chrono::Datelike;
                        let d = if k == "end_date" {
                            d.succ_opt().unwrap_or(d)
                        } else {
                            d
                        };
                        let t = time::copenhagen_to_utc(d.year() as i64, d.month(), d.day(), 0, 0);
                        if k == "end_date" {
                            t - 1
                        } else {
                            t
                        }
                    });
                let t = time::parse_rfc3339(v).or(day).ok_or_else(|| {
                    Open311Error::bad(
                        k,
                        format!("'{v}' is not an RFC 3339 time or a date YYYY-MM-DD"),
                    )
                })?;
                if k == "start_date" {
                    start = t;
                } else {
                    end = t;
                }
            }
            "bbox" => {
                let n: Vec<f64> = v
                    .split(',')
                    .map(|x| {
                        x.trim().parse::<f64>().map_err(|_| {
                            Open311Error::bad("bbox", format!("'{x}' is not a number"))
                        })
                    })
                    .collect::<Result<_>>()?;
                if n.len() != 4 || n.iter().any(|x| !x.is_finite()) || n[0] > n[2] || n[1] > n[3] {
                    return Err(Open311Error::bad(
                        "bbox",
                        "expected minlon,minlat,maxlon,maxlat (WGS84)",
                    ));
                }
                bbox = Some((n[0], n[1], n[2], n[3]));
            }
            "limit" => {
                limit = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=10_000).contains(n))
                    .ok_or_else(|| Open311Error::bad("limit", format!("'{v}' is not 1..10000")))?
            }
            _ => {}
        }
    }
    if start > end {
        return Err(Open311Error::bad("start_date", "is after end_date"));
    }
    // Under the lock only what must be: the JSON bytes are made already; XML's values are
    // written out after the lock is released.
    let (json_body, xml_items) = state.reports().read_public(|all, json| {
        let mut out = Vec::with_capacity(64 * 1024);
        let chosen = crate::reports::public_order(all)
            .into_iter()
            .map(|i| (&all[i], &json[i]))
            .filter(|(r, _)| r.published)
            .filter(|(r, _)| {
                status
                    .as_ref()
                    .is_none_or(|s| s.iter().any(|x| x == r.status.open311()))
            })
            .filter(|(r, _)| services.as_ref().is_none_or(|s| s.contains(&r.service)))
            .filter(|(r, _)| ids.as_ref().is_none_or(|i| i.contains(&r.id)))
            // On the hour the public sees, not the exact second (bisecting on start_date would
            // find that).
            .filter(|(r, _)| {
                let t = r.created_at - r.created_at.rem_euclid(3600);
                t >= start.saturating_sub(start.rem_euclid(3600)) && t <= end
            })
            .filter(|(r, _)| {
                bbox.is_none_or(|(a, b, c, d)| {
                    let (lon, lat) = crate::privacy::anchor(r.lon, r.lat);
                    lon >= a && lon <= c && lat >= b && lat <= d
                })
            })
            .take(limit);
        if fmt == Fmt::Xml {
            let items: Vec<serde_json::Value> = chosen
                .filter_map(|(r, _)| serde_json::to_value(RequestJson::public(r)).ok())
                .collect();
            return (out, items);
        }
        out.push(b'[');
        for (n, (_, j)) in chosen.enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(j);
        }
        out.push(b']');
        (out, Vec::new())
    });
    Ok(match fmt {
        Fmt::Json => json_body,
        Fmt::Xml => super::xml::list("service_requests", "request", &xml_items),
    })
}

/// `POST /open311/v2/requests/{id}/me_too.{json,xml}`: a resident says the same; counts.
pub async fn me_too(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (raw, ext) = path.into_inner();
    let fmt = Fmt::parse(&ext)?;
    me_too_in(&state, &req, &raw, fmt)
        .await
        .map_err(|e| e.answered_in(fmt))
}

async fn me_too_in(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    raw: &str,
    fmt: Fmt,
) -> Result<HttpResponse> {
    let id = parse_id(raw)?;
    let r = state
        .reports()
        .get(id)
        .filter(|r| r.published)
        .ok_or_else(|| {
            Open311Error::status(
                StatusCode::NOT_FOUND,
                format!("service_request_id: no published request '{id}'"),
            )
        })?;
    let (st, clients) = (state.clone(), state.client_keys(req));
    let counted = web::block(move || {
        rate_limited(&st, &clients)?;
        // One "me too" per report per client: a repeat is answered with the count as it is.
        if !st.first_me_too(&clients, r.id) {
            return Ok(None);
        }
        st.report_me_too(r.id).map(Some).map_err(internal)
    })
    .await
    .map_err(internal)??;
    let v = match counted {
        Some(count) => {
            serde_json::json!({"service_request_id": id.to_string(), "me_too": count, "counted": true})
        }
        None => {
            serde_json::json!({"service_request_id": id.to_string(), "me_too": r.me_too, "counted": false})
        }
    };
    Ok(fmt.list(StatusCode::OK, "service_requests", "request", &[v]))
}

/// Every other path under `/open311/v2`: a 404 listing the endpoints, in XML when the path ends
/// in `.xml`.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    refused(&req, None)
}

/// A method an Open311 path does not take: 405 with the route table's `Allow`, in XML when the
/// path ends in `.xml`.
pub async fn method_not_allowed(req: HttpRequest, allow: &'static str) -> HttpResponse {
    refused(&req, Some(allow))
}

fn refused(req: &HttpRequest, allow: Option<&'static str>) -> HttpResponse {
    let path = req.path();
    let fmt = match path.rsplit_once('.') {
        Some((_, "xml")) => Fmt::Xml,
        _ => Fmt::Json,
    };
    let error = match allow {
        Some(allow) => Open311Error::status(
            StatusCode::METHOD_NOT_ALLOWED,
            format!(
                "method: {} is not allowed at {path}; allowed: {allow}",
                req.method()
            ),
        ),
        None => Open311Error::status(
            StatusCode::NOT_FOUND,
            format!(
                "no Open311 endpoint at {path}: services, services/{{code}}, requests, requests/{{id}}, each .json or .xml"
            ),
        ),
    }
    .answered_in(fmt);
    let mut res = error.error_response();
    if let Some(allow) = allow {
        res.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static(allow));
    }
    res
}
