"""How a visitor's answer shows in the transcript."""

from typing import Any


def answer_display(answer_raw: Any, answer_parsed: Any, pending_input: dict | None) -> str:
    """What the visitor's bubble shows for an answer: choice labels, a file's name, the value."""
    choices = (pending_input or {}).get("choices")
    if choices and answer_parsed is not None:
        picked = answer_raw if isinstance(answer_raw, list) else [answer_raw]
        labels = []
        for item in picked:
            text = str(item).strip().lower()
            match = next(
                (c for c in choices if text in (str(c.get("id", "")).lower(), str(c.get("label", "")).lower())), None
            )
            labels.append(match["label"] if match else str(item))
        return ", ".join(labels)
    value = answer_parsed if answer_parsed is not None else answer_raw
    if isinstance(value, dict):
        if "start" in value and "end" in value:
            return f"{value['start']} – {value['end']}"
        return str(value.get("name") or value.get("url") or "")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
