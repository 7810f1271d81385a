#!/usr/bin/env python3
"""Generates the quickstart's synthetic support-ticket dataset (train.jsonl, test.jsonl).

The data is Sweep's own: short English support messages in four classes written from
templates with overlapping vocabulary and 6% label noise, so that models and
hyperparameters give different scores. Deterministic: the same files on every machine.
Run from this directory: python3 generate.py
"""
import json
import random

CLASSES = {
    "billing": {
        "topics": ["invoice", "refund", "charge", "payment", "subscription fee", "receipt", "credit card", "bill", "discount code", "price"],
        "verbs": ["was charged twice for", "need a copy of my", "cannot pay my", "want a refund for the", "do not recognise this", "was billed the wrong", "have a question about my"],
    },
    "technical": {
        "topics": ["app", "login page", "dashboard", "export button", "mobile app", "sync", "search", "upload", "notification", "api"],
        "verbs": ["keeps crashing on the", "gets an error from the", "cannot load the", "sees a blank screen on the", "has a bug in the", "times out when using the", "is very slow on the"],
    },
    "account": {
        "topics": ["password", "email address", "username", "profile", "two factor code", "account", "team members", "permissions", "settings", "login"],
        "verbs": ["forgot my", "want to change my", "cannot reset my", "need to delete my", "locked out of my", "want to update my", "lost access to my"],
    },
    "shipping": {
        "topics": ["package", "order", "delivery", "parcel", "tracking number", "shipment", "courier", "return label", "address", "box"],
        "verbs": ["still waiting for my", "never received the", "got a damaged", "need to change the", "cannot find the", "want to track my", "received the wrong"],
    },
}
OPENERS = ["hi", "hello", "hey team", "good morning", "dear support", "urgent", "help", "quick question", ""]
CLOSERS = ["thanks", "please help", "asap please", "thank you", "any update", "this is frustrating", "regards", ""]
FILLER = ["today", "again", "since yesterday", "this week", "for the second time", "on my phone", "after the update", "from my laptop", "at work"]
SHARED = ["order", "account", "app", "payment", "email", "update", "error", "charge", "login"]


def ticket(rng, label):
    c = CLASSES[label]
    words = [rng.choice(OPENERS), "i", rng.choice(c["verbs"]), rng.choice(c["topics"])]
    if rng.random() < 0.6:
        words.append(rng.choice(FILLER))
    if rng.random() < 0.5:
        words += ["and the", rng.choice(SHARED)]
    if rng.random() < 0.3:
        other = rng.choice([k for k in CLASSES if k != label])
        words += ["also my", rng.choice(CLASSES[other]["topics"])]
    words.append(rng.choice(CLOSERS))
    return " ".join(w for w in words if w).strip()


def make(rng, n, weights):
    labels = list(CLASSES)
    rows = []
    for _ in range(n):
        label = rng.choices(labels, weights=weights)[0]
        text = ticket(rng, label)
        if rng.random() < 0.06:
            label = rng.choice(labels)
        rows.append({"text": text, "label": label})
    return rows


def main():
    rng = random.Random(20261123)
    weights = [0.35, 0.30, 0.20, 0.15]
    for name, n in [("train", 2000), ("test", 600)]:
        with open(f"{name}.jsonl", "w", encoding="utf-8") as f:
            for row in make(rng, n, weights):
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
