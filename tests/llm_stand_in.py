"""A TEST DOUBLE of an OpenAI-compatible LLM server (Ollama, vLLM), for lesson 11's LLM path.

It speaks the one endpoint the lesson's app calls, `POST /v1/chat/completions`, with the
OpenAI request and response shapes, and answers deterministically: "stand-in answer: " and the
first passage line of the prompt. It records every request it gets (`StandIn.requests`) so that
a test can see what the app sent. Not a model: it exists so that the LLM path is tested
without a network or a GPU.
"""

from __future__ import annotations

import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class StandIn:
    """The stand-in server, run in a thread on 127.0.0.1:`port`."""

    def __init__(self, port: int, api_key: str | None = None):
        self.port, self.api_key, self.requests = port, api_key, []
        app = Starlette(routes=[Route("/v1/chat/completions", self._chat, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _chat(self, request: Request) -> JSONResponse:
        if self.api_key and request.headers.get("authorization") != f"Bearer {self.api_key}":
            return JSONResponse({"error": {"message": "invalid api key"}}, status_code=401)
        body = await request.json()
        self.requests.append(body)
        prompt = body["messages"][-1]["content"]
        passages = prompt.split("Passages:\n", 1)[-1].splitlines()
        answer = "stand-in answer: " + (passages[0] if passages else "")
        return JSONResponse({
            "id": "chatcmpl-stand-in", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", ""),
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": answer}}],
            "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": len(answer.split()),
                      "total_tokens": len(prompt.split()) + len(answer.split())},
        })

    def __enter__(self) -> StandIn:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the LLM stand-in did not start on port {self.port}")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
