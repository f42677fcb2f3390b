//! Open311 GeoReport v2's XML form of the JSON answers: the spec's first format, and the one
//! FixMyStreet's client uses for every call. A JSON object becomes an element per member
//! (`null` an empty element, `true`/`false` as text), an array a wrapper element holding one
//! child per item named by the wrapper's singular (`attributes` → `attribute`). Text is
//! escaped by `quick-xml`; characters XML 1.0 cannot hold at all (controls other than tab and
//! line ends, U+FFFE, U+FFFF) become U+FFFD, so no stored text can make a document
//! unreadable.

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;
use serde_json::Value;

/// A list document: `<root><item>…</item>…</root>` (`services`/`service`,
/// `service_requests`/`request`, `errors`/`error`).
pub fn list(root: &str, item: &str, items: &[Value]) -> Vec<u8> {
    document(|w| {
        w.create_element(root).write_inner_content(|w| {
            for v in items {
                element(w, item, v)?;
            }
            Ok(())
        })?;
        Ok(())
    })
}

/// A single-object document: `<root>members</root>` (`service_definition`).
pub fn object(root: &str, v: &Value) -> Vec<u8> {
    document(|w| element(w, root, v))
}

fn document(body: impl FnOnce(&mut Writer<Vec<u8>>) -> std::io::Result<()>) -> Vec<u8> {
    let mut w = Writer::new(Vec::with_capacity(4096));
    // Writing into a Vec cannot fail.
    let _ = w
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))
        .and_then(|_| body(&mut w));
    w.into_inner()
}

/// Whether XML 1.0 allows `c` in a document (its `Char` production).
fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `s` with every character XML cannot hold replaced by U+FFFD.
fn xml_chars(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().all(allowed) {
        std::borrow::Cow::Borrowed(s)
    } else {
        s.chars()
            .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
            .collect::<String>()
            .into()
    }
}

/// The singular of a list's name, for its items.
fn singular(name: &str) -> &str {
    name.strip_suffix('s').unwrap_or("item")
}

fn element(w: &mut Writer<Vec<u8>>, name: &str, v: &Value) -> std::io::Result<()> {
    let e = w.create_element(name);
    match v {
        Value::Null => {
            e.write_empty()?;
        }
        Value::Bool(b) => {
            e.write_text_content(BytesText::new(if *b { "true" } else { "false" }))?;
        }
        Value::Number(n) => {
            e.write_text_content(BytesText::new(&n.to_string()))?;
        }
        Value::String(s) => {
            e.write_text_content(BytesText::new(&xml_chars(s)))?;
        }
        Value::Array(items) => {
            let item = singular(name);
            e.write_inner_content(|w| {
                for v in items {
                    element(w, item, v)?;
                }
                Ok(())
            })?;
        }
        Value::Object(members) => {
            e.write_inner_content(|w| {
                for (k, v) in members {
                    element(w, k, v)?;
                }
                Ok(())
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_lists_and_escaping() {
        let doc = list(
            "service_requests",
            "request",
            &[
                json!({"service_request_id": "12", "description": "<b> & \"x\"", "lat": 55.7, "published": true, "address": null}),
            ],
        );
        let text = String::from_utf8(doc).unwrap();
        assert!(text.starts_with(r#"<?xml version="1.0" encoding="utf-8"?>"#));
        assert!(text.contains("<service_requests><request>"));
        assert!(text.contains("<service_request_id>12</service_request_id>"));
        assert!(text.contains("<description>&lt;b&gt; &amp; &quot;x&quot;</description>"));
        assert!(text.contains("<lat>55.7</lat>"));
        assert!(text.contains("<published>true</published>"));
        assert!(text.contains("<address/>"));
        let odd = String::from_utf8(list(
            "errors",
            "error",
            &[json!({"description": "a\u{1}b\u{FFFF}c\u{FFFE}"})],
        ))
        .unwrap();
        assert!(
            odd.contains("<description>a\u{FFFD}b\u{FFFD}c\u{FFFD}</description>"),
            "{odd}"
        );
        let def = String::from_utf8(object(
            "service_definition",
            &json!({"attributes": [{"code": "a", "values": [{"key": "day"}]}]}),
        ))
        .unwrap();
        assert!(def.contains(
            "<service_definition><attributes><attribute><code>a</code><values><value><key>day</key></value></values></attribute></attributes></service_definition>"
        ));
    }
}
