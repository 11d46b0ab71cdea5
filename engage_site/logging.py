"""Logging filter that keeps API keys out of every log line."""

import logging
import re

# The key format made by interactions.services.api_keys, and any header that carries a credential.
_KEY = re.compile(r"\bek_[A-Za-z0-9]{8}\.[A-Za-z0-9_-]{8,}")
_HEADER = re.compile(
    r"(?i)((?:apikey|x-api-key|authorization|HTTP_APIKEY|HTTP_X_API_KEY|HTTP_AUTHORIZATION)"
    r"['\"]?\s*[:=]\s*['\"]?)(?:Bearer\s+)?[^\s'\",}&]+"
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    return _HEADER.sub(rf"\1{REDACTED}", _KEY.sub(REDACTED, text))


class RedactApiKeys(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
