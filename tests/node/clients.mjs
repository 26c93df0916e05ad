// One client scenario against the API: `node clients.mjs SCENARIO BASE_URL` prints what the
// client returned as one JSON object (tests/e2e/test_node_clients.py asserts on it).
import OpenAI from "openai";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, stepCountIs, streamText, tool } from "ai";
import { z } from "zod";

const [scenario, baseURL] = process.argv.slice(2);
// No retries: each scenario sees exactly what the API answered.
const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0, timeout: 30_000 });
const WEATHER = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};
const RESPONSES_WEATHER = { type: "function", ...WEATHER.function, strict: false };

function weatherTool(calls) {
  return tool({
    description: "The weather for a question about it",
    inputSchema: z.object({ query: z.string() }),
    execute: async ({ query }) => {
      calls.push(query);
      return "sunny";
    },
  });
}

const scenarios = {
  async chat() {
    const completion = await client.chat.completions.create({
      model: "claude",
      messages: [{ role: "user", content: "hello from node" }],
    });
    return { content: completion.choices[0].message.content, usage: completion.usage };
  },

  async "chat-stream"() {
    const stream = await client.chat.completions.create({
      model: "claude",
      messages: [{ role: "user", content: "stream to node please" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const pieces = [];
    let usage = null;
    for await (const chunk of stream) {
      if (chunk.choices.length && chunk.choices[0].delta.content) pieces.push(chunk.choices[0].delta.content);
      if (chunk.usage) usage = chunk.usage;
    }
    return { pieces, usage };
  },

  async "chat-tools"() {
    const messages = [{ role: "user", content: "Weather in Lyon?" }];
    const first = await client.chat.completions.create({ model: "claude", messages, tools: [WEATHER] });
    const message = first.choices[0].message;
    const call = message.tool_calls[0];
    messages.push(message, { role: "tool", tool_call_id: call.id, content: '{"celsius": 20}' });
    const second = await client.chat.completions.create({ model: "claude", messages, tools: [WEATHER] });
    return {
      finish: first.choices[0].finish_reason,
      name: call.function.name,
      arguments: JSON.parse(call.function.arguments),
      answer: second.choices[0].message.content,
    };
  },

  async responses() {
    const response = await client.responses.create({ model: "claude", instructions: "Be kind.", input: "hi node" });
    return { text: response.output_text, status: response.status, usage: response.usage };
  },

  async "responses-stream"() {
    const stream = client.responses.stream({ model: "claude", input: "a streamed node answer" });
    const types = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalResponse();
    return { types, text: final.output_text };
  },

  async "responses-tools"() {
    const input = [{ role: "user", content: "Weather in Nice?" }];
    const first = await client.responses.create({ model: "claude", input, tools: [RESPONSES_WEATHER] });
    const call = first.output.find((item) => item.type === "function_call");
    input.push(call, { type: "function_call_output", call_id: call.call_id, output: '{"celsius": 24}' });
    const second = await client.responses.create({ model: "claude", input, tools: [RESPONSES_WEATHER] });
    return { name: call.name, arguments: JSON.parse(call.arguments), text: second.output_text };
  },

  // The Vercel AI SDK's OpenAI provider with its defaults: `provider(model)` is the Responses API.
  async "ai-sdk-generate"() {
    const provider = createOpenAI({ baseURL, apiKey: "unused" });
    const calls = [];
    const result = await generateText({
      model: provider("claude"),
      system: "Answer about the weather.",
      prompt: "Weather in Rome?",
      tools: { get_weather: weatherTool(calls) },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    return { text: result.text, calls, steps: result.steps.length, usage: result.totalUsage };
  },

  async "ai-sdk-stream"() {
    const provider = createOpenAI({ baseURL, apiKey: "unused" });
    const calls = [];
    const result = streamText({
      model: provider("claude"),
      prompt: "Weather in Bern?",
      tools: { get_weather: weatherTool(calls) },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    const pieces = [];
    for await (const piece of result.textStream) pieces.push(piece);
    return { pieces, text: await result.text, calls };
  },

  // A second turn after an answer with text: by default the SDK refers to that answer by its item
  // id (it assumes OpenAI stored it); with store: false it sends the answer itself.
  async "ai-sdk-second-turn"() {
    const provider = createOpenAI({ baseURL, apiKey: "unused" });
    const first = await generateText({ model: provider("claude"), prompt: "first turn", maxRetries: 0 });
    const messages = [
      { role: "user", content: "first turn" },
      ...first.response.messages,
      { role: "user", content: "second turn" },
    ];
    const outcome = async (providerOptions) => {
      try {
        return { text: (await generateText({ model: provider("claude"), messages, providerOptions, maxRetries: 0 })).text };
      } catch (err) {
        return { status: err.statusCode, body: JSON.parse(err.responseBody) };
      }
    };
    return { byDefault: await outcome(undefined), storeFalse: await outcome({ openai: { store: false } }) };
  },
};

try {
  const run = scenarios[scenario];
  if (!run) throw new Error(`unknown scenario ${scenario}`);
  process.stdout.write(JSON.stringify(await run()) + "\n");
} catch (err) {
  process.stdout.write(JSON.stringify({ error: { name: err?.name, status: err?.status, message: String(err?.message) } }) + "\n");
  process.exitCode = 1;
}
