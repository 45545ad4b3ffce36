//! Upstream bodies in formats other than JSON, turned into the JSON documents output
//! mappings read (docs/semantics.md §4). One module per format; [`to_json`] picks it:
//! `xml` ([`xml`]), `yaml` ([`yaml`]), `csv`/`tsv`/`psv` ([`delimited`]), `html`
//! ([`html`]), `markdown` ([`markdown`]), `avro` ([`avro`]) and `protobuf` ([`protobuf`]).
//! What an operation's `outputSchema` gives them (a schema, a selector, a section filter)
//! is read once at build time (`naftiko_validate::body_schema`, which `validate` uses too).
//!
//! Every converter takes the whole body (already capped by `--max-upstream-body`), bounds
//! its nesting, never follows a reference out of the body, and answers an error that says
//! what is wrong without quoting the body. Public for the fuzz targets (`fuzz/`).

mod avro;
mod avro_codec;
mod delimited;
mod html;
mod markdown;
mod protobuf;
mod values;
mod xml;
mod yaml;

use naftiko_spec::model::RawFormat;
pub use naftiko_validate::body_schema::BodySchema;
use serde_json::Value;

/// `body` in `format` as JSON, read with the operation's `outputSchema` (`schema`); `None`
/// for the formats this module does not convert (`json`, `text`, `binary`, read by the
/// caller); the error says what is wrong with the body (never its content).
pub fn to_json(
    format: RawFormat,
    schema: Option<&BodySchema>,
    body: &[u8],
) -> Option<Result<Value, String>> {
    let converted = match format {
        RawFormat::Xml => xml::to_json(body),
        RawFormat::Yaml => yaml::to_json(body),
        RawFormat::Csv => delimited::to_json(body, b','),
        RawFormat::Tsv => delimited::to_json(body, b'\t'),
        RawFormat::Psv => delimited::to_json(body, b'|'),
        RawFormat::Html => html::to_json(body, html_selector(schema)),
        RawFormat::Markdown => markdown::to_json(body, section_filter(schema)),
        RawFormat::Avro => match schema {
            Some(BodySchema::Avro(s)) => avro::to_json(body, s),
            _ => Err(no_schema("avro")),
        },
        RawFormat::Protobuf => match schema {
            Some(BodySchema::Protobuf(m)) => protobuf::to_json(body, m),
            _ => Err(no_schema("protobuf")),
        },
        RawFormat::Json | RawFormat::Text | RawFormat::Binary => return None,
    };
    Some(converted)
}

fn html_selector(schema: Option<&BodySchema>) -> Option<&scraper::Selector> {
    match schema {
        Some(BodySchema::Html(s)) => Some(s),
        _ => None,
    }
}

fn section_filter(
    schema: Option<&BodySchema>,
) -> Option<&naftiko_validate::body_schema::SectionFilter> {
    match schema {
        Some(BodySchema::Markdown(f)) => Some(f),
        _ => None,
    }
}

/// The build refuses outputs over avro/protobuf without a schema; kept for safety.
fn no_schema(format: &str) -> String {
    format!("a {format} answer cannot be read without the operation's `outputSchema`")
}

#[cfg(test)]
mod agreement {
    use naftiko_spec::model::RawFormat;

    #[test]
    fn every_converted_format_is_one_validate_accepts() {
        for f in [
            RawFormat::Json,
            RawFormat::Xml,
            RawFormat::Avro,
            RawFormat::Protobuf,
            RawFormat::Csv,
            RawFormat::Tsv,
            RawFormat::Psv,
            RawFormat::Yaml,
            RawFormat::Html,
            RawFormat::Markdown,
            RawFormat::Text,
            RawFormat::Binary,
        ] {
            let engine = super::to_json(f, None, b"").is_some()
                || matches!(f, RawFormat::Json | RawFormat::Text | RawFormat::Binary);
            assert_eq!(engine, f.is_converted(), "{f:?}");
        }
    }

    #[test]
    fn tables_fill_missing_cells_and_skip_blank_headers() {
        let headers = vec!["a ".to_owned(), "b".to_owned()];
        let rows = vec![
            vec!["1".to_owned()],
            vec!["2".into(), "3".into(), "4".into()],
        ];
        assert_eq!(
            super::values::table(&headers, rows),
            Some(serde_json::json!([{"a": "1", "b": ""}, {"a": "2", "b": "3"}]))
        );
        assert_eq!(super::values::table(&[" ".to_owned()], vec![]), None);
        assert_eq!(super::values::float(f64::NAN), serde_json::json!("NaN"));
        assert_eq!(
            super::values::float(f64::NEG_INFINITY),
            serde_json::json!("-Infinity")
        );
    }
}
