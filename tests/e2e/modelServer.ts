// A loopback language model for the real-editor test: OpenAI's chat completions on
// 127.0.0.1, streamed as the SDK reads them, always with the same answer. (The Python
// suites use tests/llm_server, which speaks every wire format and injects faults.)
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface ModelServer {
  /** The base URL to configure: `http://127.0.0.1:<port>/v1`. */
  url: string;
  /** The JSON bodies of the chat requests, in order. */
  bodies: unknown[];
  stop(): Promise<void>;
}

async function body(request: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of request) text += String(chunk);
  return text;
}

export async function startModelServer(answer: string): Promise<ModelServer> {
  const bodies: unknown[] = [];
  const server = createServer(async (request, response) => {
    if (request.method !== "POST" || request.url !== "/v1/chat/completions") {
      response.writeHead(404).end();
      return;
    }
    bodies.push(JSON.parse(await body(request)));
    response.writeHead(200, { "Content-Type": "text/event-stream" });
    const chunk = (delta: object, finish: string | null) =>
      `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 0, model: "e2e", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    response.write(chunk({ role: "assistant", content: "" }, null));
    for (const word of answer.split(/(?<= )/)) response.write(chunk({ content: word }, null));
    response.write(chunk({}, "stop"));
    response.end("data: [DONE]\n\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    bodies,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
