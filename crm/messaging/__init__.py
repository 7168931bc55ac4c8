"""The messaging outbox: every e-mail, SMS and fax the CRM sends is a row first.

- ``models``: Message (the outbox row), its attachments, delivery log, templates, suppressions;
- ``states``: the explicit state machine of a message;
- ``services``: queue, send, retry, reconcile, open/unsubscribe/bounce/delivery updates;
- ``channels``: how each channel reaches the outside (SMTP, the SMS gateway, e-mail-to-fax);
- ``bounces``: reading bounce messages (IMAP or standard input).
"""
