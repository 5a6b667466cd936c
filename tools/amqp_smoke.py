#!/usr/bin/python3
"""AMQP 1.0 smoke check of the local broker (tools/rabbitmq.sh), with Helsenorge.Messaging's addresses.

Runs on the SYSTEM python3 (Debian's python3-qpid-proton, installed by tools/rabbitmq.sh start), not the
project venv. Sends to /exchange/<exchange>/<herid>_async, receives from /amq/queue/<herid>_async with
manual settlement and reports, one line per case, what the broker does with each outcome:
accept, release (redelivered?), reject (dead-lettered to <herid>_dlq?), modified(delivery-failed)
(3.10: what happens to the link/session/connection), and release until the delivery limit.
Usage: tools/amqp_smoke.py HERID [--port 5679] [--exchange NHNTestServiceBus]
"""
import argparse
import sys
import uuid

from proton import Delivery, Endpoint, Message
from proton.utils import BlockingConnection

TIMEOUT = 5.0


def connect(port):
    # SASL PLAIN, as the Tjenestebuss asks for (guest is a loopback-only user of the local broker).
    return BlockingConnection(f"amqp://127.0.0.1:{port}", user="guest", password="guest",
                              allowed_mechs="PLAIN", timeout=TIMEOUT)


def message(her_id, label):
    """A message carrying the properties and application properties Helsenorge.Messaging sets."""
    return Message(
        id=str(uuid.uuid4()), correlation_id=str(uuid.uuid4()), subject="DIALOG_INNBYGGER_EKONTAKT",
        address=f"{her_id}_async", reply_to="8142987_async", ttl=60.0,
        content_type="application/pkcs7-mime; smime-type=signed-and-enveloped-data",
        body=f"smoke {label}".encode(), durable=True,
        properties={"fromHerId": 8142987, "toHerId": int(her_id), "cpaId": str(uuid.uuid4()),
                    "applicationTimeStamp": "2026-12-02T01:00:00.0000000+01:00"})


def send(port, exchange, her_id, label):
    conn = connect(port)
    msg = message(her_id, label)
    delivery = conn.create_sender(f"/exchange/{exchange}/{her_id}_async").send(msg)
    conn.close()
    assert delivery.remote_state == Delivery.ACCEPTED, delivery.remote_state
    return msg.id


class Take:
    """One message from a queue on its own connection, left unsettled until settled here.

    3.10's AMQP 1.0 plugin does not answer a receiving link's detach, so a link is never closed on
    its own: the whole connection is (which also returns anything unsettled to the queue)."""

    def __init__(self, port, queue, timeout=TIMEOUT):
        self.conn = connect(port)
        self.receiver = self.conn.create_receiver(f"/amq/queue/{queue}", credit=1)
        try:
            self.msg = self.receiver.receive(timeout=timeout)
        except Exception:  # proton raises Timeout when the queue is empty
            self.msg = None

    def settle(self, outcome):
        """accept | reject | release; flushed to the broker before the connection closes."""
        getattr(self.receiver, outcome)(*(() if outcome != "release" else (False,)))
        self.close()

    def close(self):
        self.conn.close()


def drain(port, queue):
    """Accepts whatever an earlier run left on the queue."""
    while (t := Take(port, queue, timeout=1.0)).msg is not None:
        t.settle("accept")
    t.close()


def report(case, text):
    print(f"{case:<18} {text}", flush=True)


def death_reason(msg):
    """3.10 does not hand x-death / x-first-death-reason to AMQP 1.0 receivers; shown if it ever does."""
    found = {**(msg.annotations or {}), **(msg.properties or {})}
    return found.get("x-first-death-reason", "not visible over AMQP 1.0")


def brief(condition):
    return "-" if condition is None else f"{condition.name}: {condition.description.splitlines()[0]}"


def main():
    args = argparse.ArgumentParser()
    args.add_argument("herid")
    args.add_argument("--port", type=int, default=5679)
    args.add_argument("--exchange", default="NHNTestServiceBus")
    a = args.parse_args()
    port, q, dlq = a.port, f"{a.herid}_async", f"{a.herid}_dlq"
    for queue in (q, dlq):
        drain(port, queue)

    # accept: properties and application properties arrive as sent; the queue is then empty.
    sent = send(port, a.exchange, a.herid, "accept")
    t = Take(port, q)
    got = t.msg
    assert got is not None and got.id == sent, "accept: message not received"
    assert got.properties["fromHerId"] == 8142987 and got.properties["toHerId"] == int(a.herid)
    assert got.subject == "DIALOG_INNBYGGER_EKONTAKT" and got.reply_to == "8142987_async"
    assert got.address == q and got.content_type.startswith("application/pkcs7-mime")
    t.settle("accept")
    empty = Take(port, q, timeout=1.0)
    empty.close()
    report("accept", f"properties + application properties round-trip; queue empty after: {empty.msg is None}")

    # release: the same message comes back.
    sent = send(port, a.exchange, a.herid, "release")
    Take(port, q).settle("release")
    t = Take(port, q)
    assert t.msg is not None and t.msg.id == sent, "release: not redelivered"
    report("release", f"redelivered: delivery_count={t.msg.delivery_count}, first_acquirer={t.msg.first_acquirer}")
    t.settle("accept")

    # reject: dead-lettered through the DLX to <herid>_dlq, with x-death annotations.
    sent = send(port, a.exchange, a.herid, "reject")
    Take(port, q).settle("reject")
    again = Take(port, q, timeout=1.0)
    again.close()
    dead = Take(port, dlq)
    assert again.msg is None and dead.msg is not None and dead.msg.id == sent, "reject: not dead-lettered"
    report("reject", f"not redelivered; dead-lettered to {dlq} (x-first-death-reason={death_reason(dead.msg)})")
    dead.settle("accept")

    # release until the delivery limit: the quorum queue dead-letters it after x-delivery-limit returns.
    sent = send(port, a.exchange, a.herid, "limit")
    deliveries = 0
    while (t := Take(port, q, timeout=1.0)).msg is not None:
        deliveries += 1
        t.settle("release")
    t.close()
    dead = Take(port, dlq)
    assert dead.msg is not None and dead.msg.id == sent, f"delivery limit: not dead-lettered after {deliveries}"
    report("release to limit", f"client saw {deliveries} deliveries, then dead-lettered "
                               f"(x-first-death-reason={death_reason(dead.msg)})")
    dead.settle("accept")

    # modified(delivery-failed=true), what Helsenorge.Messaging uses to retry: observe what 3.10 does.
    sent = send(port, a.exchange, a.herid, "modified")
    t = Take(port, q)
    t.receiver.fetcher.unsettled[0].local.failed = True
    t.receiver.settle(Delivery.MODIFIED)
    session, connection = t.receiver.link.session, t.conn.conn
    try:  # wait for the broker to end the session or close the connection (or for nothing to happen)
        t.conn.wait(lambda: not session.state & Endpoint.REMOTE_ACTIVE
                    or not connection.state & Endpoint.REMOTE_ACTIVE, timeout=3.0)
    except Exception as err:  # Timeout (nothing happened) or ConnectionException (closed)
        closed_by = type(err).__name__
    else:
        closed_by = "-"
    outcome = (f"session ended: {not session.state & Endpoint.REMOTE_ACTIVE} ({brief(session.remote_condition)}); "
               f"connection closed: {not connection.state & Endpoint.REMOTE_ACTIVE} "
               f"({brief(connection.remote_condition)}) [{closed_by}]")
    try:
        t.close()
    except Exception as err:
        outcome += f"; close: {type(err).__name__}"
    after = Take(port, q)
    if after.msg is not None and after.msg.id == sent:
        where = f"back on the queue (delivery_count={after.msg.delivery_count})"
        after.settle("accept")
    else:
        after.close()
        dead = Take(port, dlq, timeout=1.0)
        where = "dead-lettered" if dead.msg is not None and dead.msg.id == sent else "not found"
        dead.settle("accept") if dead.msg is not None else dead.close()
    report("modified", f"{outcome}; message {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
