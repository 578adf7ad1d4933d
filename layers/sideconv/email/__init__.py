"""E-mail side conversations: MIME out through SES, replies in through SES receiving.

Modules stay small and import lazily, because each function needs only some of them: the sender
never parses, the receiver never builds MIME.
"""
