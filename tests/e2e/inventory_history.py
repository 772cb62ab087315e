"""Random inventory histories for the worker tests, and the oracle they are checked against:
whatever the arrival order, grouping and re-delivery, each (sku, source) must end at the quantity
of its highest sequence id, and no sequence id may be applied twice."""

import random


def make_history(rng, skus=40, sources=("default", "wh-2"), records_per_key=(1, 12)):
    """Inventory records: list of dicts {sku, source, seq, qty}, seqs increasing per key."""
    records = []
    for s in range(skus):
        for source in sources:
            seq = rng.randint(1, 50)
            for _ in range(rng.randint(*records_per_key)):
                seq += rng.randint(1, 20)
                records.append({"sku": "SKU-%03d" % s, "source": source, "seq": seq,
                                "qty": rng.randint(-3, 500)})
    return records


def group_into_messages(rng, records, max_lines=6, first_message_seq_id=1):
    """Shuffled records grouped into messages of 1..max_lines lines, shuffled again, with some
    whole messages re-delivered. Returns [(messageSeqId, [records])]; a re-delivery repeats the
    same messageSeqId and lines."""
    shuffled = records[:]
    rng.shuffle(shuffled)
    messages, i, message_seq_id = [], 0, first_message_seq_id
    while i < len(shuffled):
        n = rng.randint(1, max_lines)
        messages.append((message_seq_id, shuffled[i:i + n]))
        message_seq_id += 1
        i += n
    redelivered = [m for m in messages if rng.random() < 0.15]
    messages += redelivered
    rng.shuffle(messages)
    return messages


def rest_body(message_seq_id, lines):
    """The Magento-2 REST (JSON) inventory body for these lines. A SKU listed several times pairs
    its k-th productQtys item with its k-th productSeqs item, so every line keeps its own seq."""
    return {
        "productQtys": [{"sku": l["sku"], "qty": l["qty"], "source": l["source"]} for l in lines],
        "productSeqs": [{"sku": l["sku"], "seq": l["seq"]} for l in lines],
        "messageSeqId": message_seq_id,
    }


def expected_stock(records, allow_negative=False):
    """(sku, source) -> final qty: the qty of the highest seq, clamped at 0."""
    best = {}
    for r in records:
        key = (r["sku"], r["source"])
        if key not in best or r["seq"] > best[key]["seq"]:
            best[key] = r
    return {k: (r["qty"] if allow_negative else max(0, r["qty"])) for k, r in best.items()}
