"""The original design's table consumer: receive a message, group_send it to the table's
group, send it to every member (the Channels tutorial's chat shape). No database, no checks
beyond the Origin one the ASGI stack does."""

import json

from channels.generic.websocket import AsyncWebsocketConsumer


class RelayConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        token = self.scope["url_route"]["kwargs"]["token"]
        self.group = f"relay.{token}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        message = json.loads(text_data)
        await self.channel_layer.group_send(
            self.group, {"type": "table.message", "message": message}
        )

    async def table_message(self, event: dict) -> None:
        await self.send(text_data=json.dumps(event["message"]))
