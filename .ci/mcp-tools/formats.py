#!/usr/bin/env python3
"""Upstream payloads in every body format naftiko converts, each written by that format's
own well-known library (never by naftiko), for tests/it/run_formats.rs:

  yaml      PyYAML (safe_dump: an anchor and alias for a shared mapping)
  csv/tsv/psv  Python's csv module (quoting where a field holds the separator, a quote or
            a line break; \\r\\n row ends)
  html      lxml.html's E-factory and serializer
  markdown  PyYAML front matter and a tabulate GitHub table (headings and text around them)
  avro      fastavro: one datum (schemaless_writer, what the reference engine reads) and an
            object container file (writer) in each codec
  protobuf  Google's protobuf for Python, its message class built from the descriptor that
            grpcio-tools' protoc compiles from the committed .proto

Usage: formats.py FIXTURES_DIR OUT_DIR [FORMAT...]   (FIXTURES_DIR holds records.avsc and
records.proto; with no FORMAT every payload is written). Runs in .ci/mcp-tools/venv.
"""

import csv
import datetime
import decimal
import io
import json
import pathlib
import sys

USERS = [
    {"id": "1", "name": "Alice Smith", "email": "alice@example.com", "note": 'says "hi", twice'},
    {"id": "2", "name": "Bob Johnson", "email": "bob@example.com", "note": "line one\nline two"},
    {"id": "3", "name": "Carol White", "email": "carol@example.com", "note": "pipe | and\ttab"},
]

RECORDS = [
    {
        "id": "r-1",
        "title": "First record",
        "description": "The first one",
        "status": "ACTIVE",
        "score": 4.5,
        "count": 12,
        "price": decimal.Decimal("19.99"),
        "created": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        "labels": {"team": "blue"},
    },
    {
        "id": "r-2",
        "title": "Second record",
        "description": None,
        "status": "ARCHIVED",
        "score": 0.0,
        "count": 0,
        "price": decimal.Decimal("-0.50"),
        "created": datetime.datetime(2025, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc),
        "labels": {},
    },
]


def write_yaml(fixtures, out):
    import yaml

    users = [
        {"id": int(u["id"]), "name": u["name"], "active": u["id"] != "2", "tags": ["staff", u["id"]]}
        for u in USERS
    ]
    # The same mapping twice: PyYAML writes an anchor (&id001) and an alias (*id001).
    doc = {"total": len(users), "owner": users[0], "users": users}
    (out / "users.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def write_delimited(out, name, delimiter):
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=["id", "name", "email", "note"], delimiter=delimiter)
    writer.writeheader()
    writer.writerows(USERS)
    (out / name).write_bytes(buf.getvalue().encode("utf-8"))


def write_html(fixtures, out):
    import lxml.html
    from lxml.html import builder as E

    products = [("Widget", "$42", "150"), ("Gadget & Co.", "$99", "30"), ("Ünïcode", "€7", "0")]
    doc = E.HTML(
        E.HEAD(E.TITLE("Inventory"), E.SCRIPT("var rows = '<table>';")),
        E.BODY(
            E.H1("Inventory"),
            E.TABLE(E.CLASS("ignored"), E.TR(E.TH("Name")), E.TR(E.TD("Ignored"))),
            E.SECTION(
                E.CLASS("inventory"),
                E.P("Stock on ", E.B("Monday"), "."),
                E.TABLE(
                    E.CLASS("products"),
                    E.THEAD(E.TR(E.TH("Name"), E.TH("Price"), E.TH("Stock"))),
                    E.TBODY(*[E.TR(E.TD(n), E.TD(p), E.TD(s)) for n, p, s in products]),
                ),
            ),
        ),
    )
    html = lxml.html.tostring(doc, doctype="<!DOCTYPE html>", pretty_print=True, encoding="utf-8")
    (out / "products.html").write_bytes(html)


def write_markdown(fixtures, out):
    import tabulate
    import yaml

    front = yaml.safe_dump({"title": "Product Release Notes", "version": "2.1.0"}, sort_keys=False)
    table = tabulate.tabulate(
        [["HTML support", "GA"], ["Markdown support", "Beta"]],
        headers=["Feature", "Status"],
        tablefmt="github",
    )
    text = (
        f"---\n{front}---\n\n"
        "# Release notes\n\nIntroduction.\n\n"
        "## Overview\n\nThis release introduces **table extraction** for\n"
        "[markdown](https://commonmark.org).\n\n"
        f"{table}\n\n"
        "- one\n- two\n\n"
        "## Details\n\nNot an overview.\n"
    )
    (out / "readme.md").write_text(text, encoding="utf-8")


def write_avro(fixtures, out):
    import fastavro

    schema = fastavro.parse_schema(json.loads((fixtures / "records.avsc").read_text()))
    datum = {"records": RECORDS, "total": len(RECORDS)}
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, schema, datum)
    (out / "records.avro").write_bytes(buf.getvalue())
    # Two data in one container file, one block each (sync_interval=1): deflated, and in
    # every other codec Avro defines (snappy through cramjam, zstandard through the
    # zstandard package, bzip2 and xz through Python's own modules).
    for codec in ["deflate", "null", "snappy", "zstandard", "bzip2", "xz"]:
        buf = io.BytesIO()
        fastavro.writer(buf, schema, [datum, {"records": RECORDS[:1], "total": 1}],
                        codec=codec, sync_interval=1)
        name = "records-file.avro" if codec == "deflate" else f"records-file-{codec}.avro"
        (out / name).write_bytes(buf.getvalue())


def write_protobuf(fixtures, out):
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    from grpc_tools import protoc

    descriptors = out / "records.desc"
    status = protoc.main([
        "protoc",
        f"--proto_path={fixtures}",
        f"--descriptor_set_out={descriptors}",
        "records.proto",
    ])
    if status != 0:
        raise SystemExit(f"protoc failed ({status})")
    files = descriptor_pb2.FileDescriptorSet.FromString(descriptors.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for f in files.file:
        pool.Add(f)
    records_list = message_factory.GetMessageClass(pool.FindMessageTypeByName("naftiko.test.RecordsList"))
    message = records_list(total=2)
    first = message.records.add(id="r-1", title="First record", description="The first one",
                                status="ACTIVE", score=4.5, count=12, checksum=b"\xca\xfe")
    first.labels["team"] = "blue"
    # proto3 sends no zero values: count, score and checksum are left out of the wire.
    message.records.add(id="r-2", title="Second record", status="ARCHIVED")
    (out / "records.pb").write_bytes(message.SerializeToString())


WRITERS = {
    "yaml": write_yaml,
    "csv": lambda f, o: write_delimited(o, "users.csv", ","),
    "tsv": lambda f, o: write_delimited(o, "users.tsv", "\t"),
    "psv": lambda f, o: write_delimited(o, "users.psv", "|"),
    "html": write_html,
    "markdown": write_markdown,
    "avro": write_avro,
    "protobuf": write_protobuf,
}


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    fixtures, out = pathlib.Path(argv[1]), pathlib.Path(argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for name in argv[3:] or WRITERS:
        WRITERS[name](fixtures, out)


if __name__ == "__main__":
    main(sys.argv)
