#!/usr/bin/env python3
"""Privacy check over a demo run (issue #10): fails if any national id, name or message text
appears in the functions' logs, the alerts or the error records.

    privacy_check.py --log .local/watch.log --port 4597 [--events events]

- national ids: any standalone 11-digit number whose first six digits read as a birth date
  (D-numbers, synthetic +40/+80 months included): stricter than a valid control digit, so
  every valid id of either scheme is caught (digit runs inside a 32+ character hex hash, such
  as a SigV4 digest, are chance and skipped);
- names and message texts: every subject, body, text, name and file name in events/ (nested
  JSON bodies included), at least 6 characters;
- where: the log file, and every item of the Operations table (dead-letter records, parked
  records, recorded alerts) and every message still on the alerts queue, read from moto. A
  parked message's `body` attribute is the message itself, kept on purpose until support
  sends it back or resolves it (R-DLQ-2; the table is encrypted at rest): it is the one
  attribute not scanned (every other attribute and item is), and a PARKED item without one fails.

Prints where a leak is and of what kind, never the leaked value itself.
"""
import argparse
import json
import os
import re
import sys
from pathlib import Path

ID = re.compile(r"(?<![0-9])[0-9]{11}(?![0-9])")
# Hashes and signatures (SigV4 digests, request ids): 11 digits inside one are chance.
HEX_RUN = re.compile(r"[0-9a-fA-F]{32,}")
TEXT_KEYS = {"subject", "body", "text", "name", "navn", "fileName", "filename", "title", "fullName"}


def looks_like_id(s: str) -> bool:
    day, month = int(s[0:2]), int(s[2:4])
    if day > 40:
        day -= 40  # D-number
    for shift in (0, 40, 80):  # synthetic (Dolly +40, Tenor +80)
        if 1 <= month - shift <= 12:
            month -= shift
            break
    return 1 <= day <= 31 and 1 <= month <= 12


# Texts in KITH XML events (MsgHead bodies, events/kith/*.xml): subjects, texts and names.
XML_TEXT_TAGS = {"EmneSporsmal", "Sporsmal", "TekstNotatInnhold", "Tema", "GivenName", "FamilyName",
                 "Description", "div"}


def xml_texts(doc: str, out: set):
    import xml.etree.ElementTree as ET
    if "<!DOCTYPE" in doc:
        return  # never expand a DTD; the events have none
    try:
        root = ET.fromstring(doc.lstrip("\ufeff").encode("utf-8"))
    except ET.ParseError:
        return
    for el in root.iter():
        tag = el.tag.split("}")[-1]
        text = "".join(el.itertext()).strip()
        if tag in XML_TEXT_TAGS and len(text) >= 6 and "\n" not in text.strip():
            out.add(text)


# Organisation names (the HER-id directory: NHN's public address register), not personal data.
NOT_PERSONAL = {"herIds"}


def texts_of(value, key=None, out=None):
    out = set() if out is None else out
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in NOT_PERSONAL:
                texts_of(v, k, out)
    elif isinstance(value, list):
        for v in value:
            texts_of(v, key, out)
    elif isinstance(value, str):
        try:
            inner = json.loads(value)
            if isinstance(inner, (dict, list)):
                texts_of(inner, key, out)
                return out
        except ValueError:
            pass
        if value.lstrip("\ufeff").lstrip().startswith("<"):
            xml_texts(value, out)
            return out
        if key in TEXT_KEYS and len(value.strip()) >= 6:
            out.add(value.strip())
    return out


def sensitive_texts(events: Path):
    found = set()
    for f in events.rglob("*.json"):
        try:
            texts_of(json.loads(f.read_text(encoding="utf-8")), out=found)
        except ValueError:
            continue
    for f in events.rglob("*.xml"):
        xml_texts(f.read_text(encoding="utf-8"), found)
    # The raw unreadable body is a message text too.
    for f in events.rglob("*.txt"):
        t = f.read_text(encoding="utf-8").strip()
        if len(t) >= 6:
            found.add(t)
    return found


def leaks(where: str, text: str, secrets):
    out = []
    hex_runs = [(h.start(), h.end()) for h in HEX_RUN.finditer(text)]
    for m in ID.finditer(text):
        in_hash = any(a <= m.start() and m.end() <= b for a, b in hex_runs)
        if looks_like_id(m.group(0)) and not in_hash:
            line = text.count("\n", 0, m.start()) + 1
            out.append(f"{where}:{line}: a national id (11 digits)")
    for s in secrets:
        i = text.find(s)
        if i >= 0:
            line = text.count("\n", 0, i) + 1
            out.append(f"{where}:{line}: a message text or name ({len(s)} characters, starts {s[:3]!r}…)")
    return out


def aws_records(port: int, stack_json: Path):
    import boto3

    stack = json.loads(stack_json.read_text())
    kw = dict(endpoint_url=f"http://127.0.0.1:{port}", region_name="eu-north-1",
              aws_access_key_id="test", aws_secret_access_key="test")
    ddb, sqs = boto3.client("dynamodb", **kw), boto3.client("sqs", **kw)
    table = stack["tables"]["OperationsTable"]
    items, start = [], None
    while True:
        page = ddb.scan(TableName=table, **({"ExclusiveStartKey": start} if start else {}))
        items += page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    records = []
    for i in items:
        where = f"{table} {i['pk']['S']}/{i['sk']['S']}"
        if i["pk"]["S"] == "PARKED":
            if "S" not in i.get("body", {}):
                raise SystemExit(f"privacy check: {where} is a parked item without its body")
            i = {k: v for k, v in i.items() if k != "body"}
        records.append((where, json.dumps(i, ensure_ascii=False)))
    url = stack["queues"]["AlertsQueue"]
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    records += [(f"AlertsQueue {m['MessageId']}", m["Body"]) for m in msgs]
    return records


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--log", action="append", default=[], help="a log file to check (repeatable)")
    ap.add_argument("--port", type=int, help="moto port to read the Operations table and alerts queue from")
    ap.add_argument("--stack", default=".local/stack.json")
    ap.add_argument("--events", default="events")
    args = ap.parse_args()
    secrets = sensitive_texts(Path(args.events))
    found, checked = [], []
    for log in args.log:
        text = Path(log).read_text(encoding="utf-8", errors="replace")
        checked.append(f"{log} ({text.count(chr(10))} lines)")
        found += leaks(log, text, secrets)
    if args.port:
        records = aws_records(args.port, Path(args.stack))
        checked.append(f"{len(records)} error/parked/alert records")
        for where, text in records:
            found += leaks(where, text, secrets)
    print(f"privacy check: {', '.join(checked)}; {len(secrets)} message texts and names; "
          f"{len(found)} leaks found")
    for f in found[:50]:
        print("  LEAK", f)
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
