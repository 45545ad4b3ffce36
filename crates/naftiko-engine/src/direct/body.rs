//! The inbound body as the direct path reads it: a JSON object's top-level members, each
//! kept as its checked bytes, found by the skimming reader (`skim.rs`) without a tree.
//!
//! The general path parses the body into a `Value` and looks arguments up among its
//! members (`InboundBody::field`). Here the members are read once, borrowed, and a member
//! is parsed into a `Value` only when a parameter takes it. Anything the general path might
//! read otherwise is declined: a body that is not JSON by its `Content-Type`, not an object
//! the reader is sure of, or with a member written twice (a full parse keeps the last).

use serde_json::Value;

use crate::skim::{Kind, Reader, Text};

/// Most members an inbound object may have on the direct path.
const MAX_MEMBERS: usize = 32;

/// The top-level members of an inbound JSON object (none for an empty body, or a JSON
/// body that is not an object).
#[derive(Debug, Default)]
pub(crate) struct BodyFields<'r> {
    members: Vec<(Text<'r>, &'r [u8])>,
}

impl<'r> BodyFields<'r> {
    /// The fields of `body` sent as `content_type`; `None` to decline.
    pub(crate) fn read(content_type: Option<&str>, body: &'r [u8]) -> Option<BodyFields<'r>> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Some(BodyFields::default());
        }
        if !is_json(content_type?) {
            return None;
        }
        let mut reader = Reader::new(body);
        let mut members: Vec<(Text<'r>, &'r [u8])> = Vec::new();
        if reader.kind().ok()? == Kind::Object {
            let mut more = reader.open().ok()?;
            while more {
                let key = reader.key().ok()?;
                if members.len() == MAX_MEMBERS
                    || members.iter().any(|(k, _)| k.bytes() == key.bytes())
                {
                    return None;
                }
                members.push((key, reader.skip_slice().ok()?));
                more = reader.more_members().ok()?;
            }
        } else {
            reader.skip().ok()?;
        }
        reader.finish().ok()?;
        Some(BodyFields { members })
    }

    /// The member `name`, parsed; `Err` when serde_json would not read it (never expected:
    /// the reader checked it).
    pub(crate) fn field(&self, name: &str) -> Result<Option<Value>, ()> {
        match self
            .members
            .iter()
            .find(|(k, _)| k.bytes() == name.as_bytes())
        {
            Some((_, bytes)) => serde_json::from_slice(bytes).map(Some).map_err(|_| ()),
            None => Ok(None),
        }
    }
}

/// `application/json` or a `+json` media type, as the general path tells a JSON body.
fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence
            .get(essence.len().saturating_sub(5)..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_read_and_odd_bodies_declined() {
        let json = Some("application/json; charset=utf-8");
        let body = br#" {"a": "x", "b\u0041": [1, {"c": null}], "n": 2.5} "#;
        let fields = BodyFields::read(json, body).unwrap();
        assert_eq!(fields.field("a"), Ok(Some(Value::String("x".into()))));
        assert_eq!(
            fields.field("bA"),
            Ok(Some(serde_json::json!([1, {"c": null}])))
        );
        assert_eq!(fields.field("n"), Ok(Some(serde_json::json!(2.5))));
        assert_eq!(fields.field("z"), Ok(None));
        assert!(BodyFields::read(Some("application/vnd.x+JSON"), b"[1]").is_some());
        assert!(BodyFields::read(None, b"  \r\n").is_some());
        for (ct, bad) in [
            (json, &br#"{"a":1,"a":2}"#[..]),
            (json, b"{"),
            (json, b"{} x"),
            (None, b"{}"),
            (Some("text/plain"), b"{}"),
            (Some("application/x-www-form-urlencoded"), b"a=1"),
        ] {
            assert!(BodyFields::read(ct, bad).is_none(), "{ct:?} {bad:?}");
        }
    }
}
