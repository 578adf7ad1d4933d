"""Slack side conversations: the sender, the events endpoint and the processor of thread replies.

Kept empty on purpose: the events endpoint imports `sideconv.slack.events_endpoint` on its cold path, and a
package init that imported the Web API client or PynamoDB would make every one of its cold starts pay.
"""
