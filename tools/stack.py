#!/usr/bin/env python3
"""The local AWS stack: moto server, provisioned from template.yaml.

template.yaml is the one source of truth for queues and tables. moto cannot deploy a SAM
template (the transform fails) and, deploying plain CloudFormation, silently drops a table's
TTL and SSE settings, so this script reads the template and creates every declared
AWS::SQS::Queue and AWS::DynamoDB::Table through the APIs.

Commands:
  serve     run moto in the foreground, single-threaded (moto's threaded server is not
            thread-safe for DynamoDB)
  start     start `serve` in the background (idempotent) and wait until it answers
  stop      stop it
  provision create every declared queue and table (idempotent); --prefix isolates a set
  (and every AWS::S3::Bucket: SSE, public access block, lifecycle expiry as declared)
  env       the environment variables a function gets in Lambda, resolved against the stack;
            the NHN endpoints point at the local fake (--fake-port), never at production
  status    is the server up?
  helseid-key  create a fresh EC P-256 key as the HelseID key secret on moto (tests, demo);
            the key exists only in the local stack, never in the repository
  fake-start / fake-stop  the local fake of HelsenorgeAktiv + HelseID (target/debug/helsenorge-fake,
            answering from events/helsenorge/aktiv.json) in the background on --fake-port

Resource names are `<prefix><LogicalId>` (prefix default `hd-`).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
STATE = ROOT / ".local"
DEFAULT_PORT = int(os.environ.get("HELSEDIALOG_MOTO_PORT", "4566"))
REGION = "eu-north-1"
ACCOUNT = "123456789012"  # moto's default account id
DEFAULT_PREFIX = "hd-"
DEFAULT_FAKE_PORT = int(os.environ.get("HELSEDIALOG_FAKE_PORT", "4580"))
# The fake's client id (tests/support/fake.rs CLIENT_ID): it accepts assertions from no other.
FAKE_CLIENT_ID = "helsedialog-test"
# Hosts a local run may name. Production endpoints come only from the deployed template's
# parameters; a local environment naming any other host is refused (check_local).
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "host.docker.internal"}


def local_parameters(fake_port: int) -> dict:
    """Local values of the template's parameters that name NHN: the local fake."""
    fake = f"http://127.0.0.1:{fake_port}"
    return {
        "HelsenorgeAktivBaseUrl": fake,
        "HelseIdTokenUrl": f"{fake}/connect/token",
        "HelseIdClientId": FAKE_CLIENT_ID,
    }


def check_local(env: dict) -> dict:
    """Refuses an environment with a URL on a non-local host (a local run aimed at production)."""
    import re
    from urllib.parse import urlsplit

    for key, value in env.items():
        for url in re.findall(r"[a-z][a-z0-9+.-]*://[^\s,=\"]+", str(value)):
            host = urlsplit(url).hostname or ""
            if host not in LOCAL_HOSTS:
                raise SystemExit(f"{key} names {host}, not a local host: a local run never aims at a "
                                 "deployed endpoint (point it at the local fake or moto)")
    return env


# ----------------------------------------------------------------------------- template
class Tagged:
    """A CloudFormation short-form intrinsic (!Ref, !GetAtt, !Sub, ...)."""

    def __init__(self, tag: str, value):
        self.tag = tag
        self.value = value

    def __repr__(self):
        return f"{self.tag} {self.value!r}"


class CfnLoader(yaml.SafeLoader):
    pass


def _construct_tagged(loader, tag_suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return Tagged(tag_suffix, value)


CfnLoader.add_multi_constructor("!", _construct_tagged)


def load_template(path: Path = TEMPLATE) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=CfnLoader)


def resources_of(template: dict, kind: str) -> dict:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


# ----------------------------------------------------------------------------- clients
def endpoint(port: int) -> str:
    return os.environ.get("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")


def clients(port: int):
    import boto3

    kw = dict(
        endpoint_url=endpoint(port),
        region_name=os.environ.get("AWS_REGION", REGION),
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
    )
    return boto3.client("sqs", **kw), boto3.client("dynamodb", **kw)


def s3_client(port: int):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint(port),
        region_name=os.environ.get("AWS_REGION", REGION),
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        config=Config(s3={"addressing_style": "path"}),
    )


def provision_buckets(stack: "Stack", say) -> dict:
    """Every declared bucket with its encryption, public access block and lifecycle rules."""
    if not stack.buckets:
        return {}
    s3 = s3_client(stack.port)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    created = {}
    for logical, res in stack.buckets.items():
        props = stack.resolve(res.get("Properties", {}))
        name = stack.bucket_name(logical)
        if name not in existing:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        if props.get("BucketEncryption"):
            # CloudFormation says ServerSideEncryptionByDefault, the API ApplyServerSideEncryptionByDefault.
            rules = [{"ApplyServerSideEncryptionByDefault": r["ServerSideEncryptionByDefault"],
                      **({"BucketKeyEnabled": r["BucketKeyEnabled"]} if "BucketKeyEnabled" in r else {})}
                     for r in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if props.get("PublicAccessBlockConfiguration"):
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
        rules = props.get("LifecycleConfiguration", {}).get("Rules", [])
        if rules:
            lc = [{"ID": r.get("Id", f"rule{i}"), "Status": r["Status"], "Filter": {"Prefix": r.get("Prefix", "")},
                   "Expiration": {"Days": int(r["ExpirationInDays"])}} for i, r in enumerate(rules) if "ExpirationInDays" in r]
            if lc:
                s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": lc})
        created[logical] = name
        say(f"bucket {name:40s} {'exists ' if name in existing else 'created'}")
    return created


# ----------------------------------------------------------------------------- resolution
class Stack:
    """Names and URLs of the provisioned resources, to resolve intrinsics against."""

    def __init__(self, template: dict, prefix: str, port: int, fake_port: int = DEFAULT_FAKE_PORT):
        self.template = template
        self.prefix = prefix
        self.port = port
        self.local_params = local_parameters(fake_port)
        self.queues = resources_of(template, "AWS::SQS::Queue")
        self.tables = resources_of(template, "AWS::DynamoDB::Table")
        self.buckets = resources_of(template, "AWS::S3::Bucket")

    def name(self, logical: str) -> str:
        return f"{self.prefix}{logical}"

    def bucket_name(self, logical: str) -> str:
        """S3 names are lower case (the prefix's digits and dashes are allowed)."""
        return self.name(logical).lower()

    def queue_url(self, logical: str) -> str:
        return f"{endpoint(self.port)}/{ACCOUNT}/{self.name(logical)}"

    def queue_arn(self, logical: str) -> str:
        return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{self.name(logical)}"

    def ref(self, logical: str) -> str:
        if logical in self.queues:
            return self.queue_url(logical)
        if logical in self.tables:
            return self.name(logical)
        if logical in self.buckets:
            return self.bucket_name(logical)
        if logical in self.local_params:
            return self.local_params[logical]
        params = self.template.get("Parameters", {})
        if logical in params:
            return str(params[logical].get("Default", ""))
        pseudo = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws",
                  "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": self.prefix.rstrip("-")}
        if logical in pseudo:
            return pseudo[logical]
        raise KeyError(f"cannot resolve !Ref {logical} locally")

    def get_att(self, logical: str, attr: str) -> str:
        if logical in self.queues:
            return {"Arn": self.queue_arn, "QueueName": self.name, "QueueUrl": self.queue_url}[attr](logical)
        if logical in self.tables and attr == "Arn":
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{self.name(logical)}"
        if logical in self.buckets and attr == "Arn":
            return f"arn:aws:s3:::{self.bucket_name(logical)}"
        raise KeyError(f"cannot resolve !GetAtt {logical}.{attr} locally")

    def resolve(self, value):
        if isinstance(value, Tagged):
            if value.tag == "Ref":
                return self.ref(value.value)
            if value.tag == "GetAtt":
                logical, attr = (value.value.split(".", 1) if isinstance(value.value, str) else value.value)
                return self.get_att(logical, attr)
            if value.tag == "Sub":
                return self.sub(value.value)
            raise KeyError(f"intrinsic !{value.tag} is not supported locally")
        if isinstance(value, dict):
            if len(value) == 1:
                (k, v), = value.items()
                if k == "Ref":
                    return self.ref(v)
                if k == "Fn::GetAtt":
                    return self.get_att(*v)
                if k == "Fn::Sub":
                    return self.sub(v)
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def sub(self, text: str) -> str:
        import re

        def one(m):
            name = m.group(1)
            if "." in name and not name.startswith("AWS::"):
                return self.get_att(*name.split(".", 1))
            return self.ref(name)

        return re.sub(r"\$\{([^}]+)\}", one, text)

    # ------------------------------------------------------------------ functions' env
    def function_env(self, logical: str) -> dict:
        fns = resources_of(self.template, "AWS::Serverless::Function")
        if logical not in fns:
            # accept the binary name too (inbound-message -> InboundMessageFunction)
            by_binary = {
                v.get("Metadata", {}).get("BuildProperties", {}).get("Binary"): k for k, v in fns.items()
            }
            if logical not in by_binary:
                raise SystemExit(f"no function {logical} in template.yaml")
            logical = by_binary[logical]
        merged = dict(self.template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}))
        merged.update(fns[logical]["Properties"].get("Environment", {}).get("Variables", {}))
        return check_local({k: str(self.resolve(v)) for k, v in merged.items()})

    def all_function_env(self) -> dict:
        fns = resources_of(self.template, "AWS::Serverless::Function")
        return {k: self.function_env(k) for k in fns}


# ----------------------------------------------------------------------------- provisioning
def _queue_order(queues: dict) -> list:
    """Dead-letter queues before the queues that redrive to them."""
    ordered, seen = [], set()

    def visit(name):
        if name in seen:
            return
        seen.add(name)
        target = queues[name].get("Properties", {}).get("RedrivePolicy", {}).get("deadLetterTargetArn")
        if isinstance(target, Tagged) and target.tag == "GetAtt":
            visit(target.value.split(".", 1)[0])
        ordered.append(name)

    for q in queues:
        visit(q)
    return ordered


def provision(stack: Stack, quiet: bool = False) -> dict:
    sqs, ddb = clients(stack.port)
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr))
    created = {"queues": {}, "tables": {}}

    for logical in _queue_order(stack.queues):
        props = stack.queues[logical].get("Properties", {})
        attrs = {}
        for key in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds",
                    "MaximumMessageSize", "ReceiveMessageWaitTimeSeconds"):
            if key in props:
                attrs[key] = str(stack.resolve(props[key]))
        if "SqsManagedSseEnabled" in props:
            attrs["SqsManagedSseEnabled"] = str(bool(props["SqsManagedSseEnabled"])).lower()
        if "RedrivePolicy" in props:
            rp = stack.resolve(props["RedrivePolicy"])
            attrs["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": rp["deadLetterTargetArn"], "maxReceiveCount": int(rp["maxReceiveCount"])}
            )
        url = sqs.create_queue(QueueName=stack.name(logical), Attributes=attrs)["QueueUrl"]
        # create_queue keeps an existing queue's attributes: set them so a rerun converges.
        if attrs:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attrs)
        created["queues"][logical] = url
        say(f"queue  {stack.name(logical):40s} {url}")

    existing = set()
    for page in ddb.get_paginator("list_tables").paginate():
        existing.update(page["TableNames"])
    for logical, res in stack.tables.items():
        props = stack.resolve(res.get("Properties", {}))
        name = stack.name(logical)
        if name not in existing:
            kw = dict(
                TableName=name,
                AttributeDefinitions=props["AttributeDefinitions"],
                KeySchema=props["KeySchema"],
                BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"),
            )
            if props.get("GlobalSecondaryIndexes"):
                kw["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
            if props.get("LocalSecondaryIndexes"):
                kw["LocalSecondaryIndexes"] = props["LocalSecondaryIndexes"]
            sse = props.get("SSESpecification")
            if sse:
                kw["SSESpecification"] = {"Enabled": bool(sse.get("SSEEnabled"))}
                if sse.get("SSEType"):
                    kw["SSESpecification"]["SSEType"] = sse["SSEType"]
            ddb.create_table(**kw)
            ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
            what = "created"
        else:
            what = "exists "
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            current = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                ddb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
                )
        pitr = props.get("PointInTimeRecoverySpecification", {})
        if pitr.get("PointInTimeRecoveryEnabled"):
            try:
                ddb.update_continuous_backups(
                    TableName=name,
                    PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
                )
            except Exception:  # noqa: BLE001 - PITR is a production safeguard; moto may lack it
                pass
        created["tables"][logical] = name
        say(f"table  {name:40s} {what}")
    created["buckets"] = provision_buckets(stack, say)
    return created


def helseid_key(port: int, name: str):
    import boto3
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    sm = boto3.client(
        "secretsmanager", endpoint_url=endpoint(port), region_name=os.environ.get("AWS_REGION", REGION),
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
    )
    try:
        sm.put_secret_value(SecretId=name, SecretString=pem)
    except sm.exceptions.ResourceNotFoundException:
        sm.create_secret(Name=name, SecretString=pem)
    print(f"secret {name}: a fresh EC P-256 key (local stack only)", file=sys.stderr)
    return 0


# ----------------------------------------------------------------------------- server
def _pidfile(name: str) -> Path:
    return STATE / f"{name}.pid"


def is_up(port: int) -> bool:
    # Not /moto-api/data.json: it dumps every resource, and after a test run takes longer than
    # any sensible timeout, so a running server looked down and a second one failed to bind.
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=2):
            return True
    except Exception:  # noqa: BLE001
        return False


def serve(port: int):
    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    # Single-threaded on purpose: moto's threaded server corrupts DynamoDB state under
    # concurrent writes ("dictionary changed size during iteration").
    app = DomainDispatcherApplication(create_backend_app)
    run_simple("127.0.0.1", port, app, threaded=False, use_reloader=False, use_debugger=False)


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _start_background(name: str, argv: list, ready) -> None:
    """Starts argv in its own session (log .local/NAME.log, pid .local/NAME.pid), waits for ready()."""
    STATE.mkdir(exist_ok=True)
    log = open(STATE / f"{name}.log", "ab")
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    for _ in range(200):
        if ready():
            _pidfile(name).write_text(str(proc.pid))
            print(f"{name} started (pid {proc.pid})", file=sys.stderr)
            return
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited early; see {STATE / f'{name}.log'}")
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGTERM)
    raise SystemExit(f"{name} did not answer within 20 s; see {STATE / f'{name}.log'}")


def _stop_background(name: str) -> None:
    pf = _pidfile(name)
    if not pf.exists():
        print(f"{name} is not running (no pid file)", file=sys.stderr)
        return
    pid = int(pf.read_text())
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    pf.unlink(missing_ok=True)
    print(f"{name} stopped (pid {pid})", file=sys.stderr)


def start(port: int):
    if is_up(port):
        print(f"moto already running on 127.0.0.1:{port}", file=sys.stderr)
        return
    _start_background(f"moto-{port}", [sys.executable, str(Path(__file__).resolve()), "serve", "--port", str(port)],
                      lambda: is_up(port))


def stop(port: int):
    _stop_background(f"moto-{port}")


FAKE_BINARY = ROOT / "target" / "debug" / "helsenorge-fake"
FAKE_FIXTURE = "events/helsenorge/aktiv.json"


def fake_start(fake_port: int):
    if _port_open(fake_port):
        print(f"something already listens on 127.0.0.1:{fake_port} (the fake?)", file=sys.stderr)
        return
    if not FAKE_BINARY.exists():
        raise SystemExit(f"{FAKE_BINARY.relative_to(ROOT)} is not built: cargo build --bins --locked")
    _start_background(f"fake-{fake_port}", [str(FAKE_BINARY), str(fake_port), FAKE_FIXTURE],
                      lambda: _port_open(fake_port))
    print(f"HelsenorgeAktiv + HelseID fake on http://127.0.0.1:{fake_port} ({FAKE_FIXTURE})", file=sys.stderr)


# ----------------------------------------------------------------------------- cli
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["serve", "start", "stop", "provision", "env", "status", "helseid-key",
                                       "fake-start", "fake-stop"])
    p.add_argument("--name", help="for helseid-key: the secret's name")
    p.add_argument("function", nargs="?", help="for env: logical id or binary name; 'all' for every function")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--fake-port", type=int, default=DEFAULT_FAKE_PORT,
                   help="where the local fake of HelsenorgeAktiv + HelseID listens (the env points there)")
    p.add_argument("--prefix", default=os.environ.get("HELSEDIALOG_PREFIX", DEFAULT_PREFIX))
    p.add_argument("--format", choices=["json", "dotenv", "sam"], default="json")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="for env: override a variable (e.g. point HELSENORGE_AKTIV_BASE_URL at the fake)")
    a = p.parse_args(argv)

    if a.command == "serve":
        return serve(a.port)
    if a.command == "start":
        return start(a.port)
    if a.command == "stop":
        return stop(a.port)
    if a.command == "status":
        up = is_up(a.port)
        print("up" if up else "down")
        return 0 if up else 1

    if a.command == "fake-start":
        return fake_start(a.fake_port)
    if a.command == "fake-stop":
        return _stop_background(f"fake-{a.fake_port}")
    if a.command == "helseid-key":
        return helseid_key(a.port, a.name or "helsedialog/helseid-private-key")

    stack = Stack(load_template(), a.prefix, a.port, a.fake_port)
    if a.command == "provision":
        created = provision(stack, quiet=a.quiet)
        out = {"prefix": a.prefix, "endpoint": endpoint(a.port), **created, "env": stack.all_function_env()}
        print(json.dumps(out, indent=2))
        return 0
    if a.command == "env":
        if not a.function or a.function == "all":
            env = {}
            for fn, vars_ in stack.all_function_env().items():
                for k, v in vars_.items():
                    if env.get(k, v) != v:
                        raise SystemExit(f"{k} differs between functions; cannot merge")
                    env[k] = v
        else:
            env = stack.function_env(a.function)
        for kv in a.set:
            k, _, v = kv.partition("=")
            env[k] = v
        check_local(env)
        if a.format == "sam":
            # sam local invoke --env-vars: {"LogicalId": {"VAR": "value"}}
            names = list(stack.all_function_env()) if not a.function or a.function == "all" else [a.function]
            print(json.dumps({n: stack.function_env(n) for n in names}, indent=2))
        elif a.format == "json":
            print(json.dumps(env, indent=2))
        else:
            for k, v in env.items():
                print(f'{k}="{v}"')
        return 0


if __name__ == "__main__":
    sys.exit(main())
