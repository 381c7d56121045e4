// The official OpenAI client (the `openai` npm package), used unchanged against `engine serve`:
// chat and text completions, streamed and not, the model list, and the errors it maps to its
// own classes. Greedy replies must equal `engine generate`'s on the same model and prompt, which
// this test runs itself as the reference.
//
//   node openai_client_test.mjs ENGINE MODEL BASE_URL API_KEY MODEL_ID
//
// run_openai_client_test.sh starts the server and calls this; the exit status is the number of
// failed checks (0: all passed).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import OpenAI from "openai";

const [engine, modelPath, baseURL, apiKey, modelId] = process.argv.slice(2);
if (!modelId) {
  console.error("usage: node openai_client_test.mjs ENGINE MODEL BASE_URL API_KEY MODEL_ID");
  process.exit(2);
}

const MAX_TOKENS = 16;
const CHAT_PROMPT = "Write one line about the sea.";
const TEXT_PROMPT = "Once upon a time";

// `engine generate`'s greedy text and finish reason for one prompt (with --chat: as a user
// message in the model's chat template, as the server renders a one-message chat).
function generate(prompt, chat) {
  const args = ["generate", "--json", "-m", modelPath, "-p", prompt, "-n", String(MAX_TOKENS),
                "--temperature", "0", "-t", "1"];
  if (chat) args.push("--chat");
  const out = execFileSync(engine, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
                                           timeout: 120_000 });
  const result = JSON.parse(out.trim().split("\n")[0]);
  return { text: result.text, finish: result.finish_reason };
}

const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 60_000 });
const greedy = { model: modelId, max_tokens: MAX_TOKENS, temperature: 0 };
const chatMessages = [{ role: "user", content: CHAT_PROMPT }];

const checks = [];
const check = (name, body) => checks.push({ name, body });

check("chat.completions.create, not streamed, equals engine generate --chat", async () => {
  const expected = generate(CHAT_PROMPT, true);
  const r = await client.chat.completions.create({ ...greedy, messages: chatMessages });
  assert.equal(r.object, "chat.completion");
  assert.equal(r.model, modelId);
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, "assistant");
  assert.equal(r.choices[0].message.content, expected.text);
  assert.equal(r.choices[0].finish_reason, expected.finish);
  assert.ok(r.usage.prompt_tokens > 0);
  assert.ok(r.usage.completion_tokens > 0 && r.usage.completion_tokens <= MAX_TOKENS);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

check("chat.completions.create, streamed with usage, equals engine generate --chat", async () => {
  const expected = generate(CHAT_PROMPT, true);
  const stream = await client.chat.completions.create({
    ...greedy, messages: chatMessages, stream: true, stream_options: { include_usage: true } });
  let text = "", finish = null, usage = null, chunks = 0, ids = new Set();
  for await (const chunk of stream) {
    ++chunks;
    ids.add(chunk.id);
    assert.equal(chunk.object, "chat.completion.chunk");
    if (chunks === 1) assert.equal(chunk.choices[0].delta.role, "assistant");
    if (chunk.usage) usage = chunk.usage;
    if (chunk.choices.length === 0) continue;  // the usage chunk
    assert.equal(finish, null, "a chunk after the one with finish_reason");
    text += chunk.choices[0].delta.content ?? "";
    finish = chunk.choices[0].finish_reason ?? null;
  }
  assert.ok(chunks >= 2, `only ${chunks} chunks`);
  assert.equal(ids.size, 1, "every chunk of one stream carries the same id");
  assert.equal(text, expected.text);
  assert.equal(finish, expected.finish);
  assert.ok(usage, "no usage chunk although stream_options.include_usage");
  assert.ok(usage.completion_tokens > 0 && usage.completion_tokens <= MAX_TOKENS);
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
});

check("chat.completions.create with logprobs: one entry per token, texts join to the reply",
      async () => {
  const r = await client.chat.completions.create({
    ...greedy, messages: chatMessages, logprobs: true, top_logprobs: 2 });
  const content = r.choices[0].logprobs.content;
  assert.equal(content.length, r.usage.completion_tokens);
  assert.equal(content.map((t) => t.token).join(""), r.choices[0].message.content);
  for (const t of content) {
    assert.ok(t.logprob <= 0);
    assert.equal(t.top_logprobs.length, 2);
    // Greedy: the chosen token is the most likely one.
    assert.ok(t.top_logprobs[0].logprob >= t.top_logprobs[1].logprob);
    assert.ok(Math.abs(t.top_logprobs[0].logprob - t.logprob) < 1e-4);
  }
});

check("completions.create, not streamed and streamed, equal engine generate", async () => {
  const expected = generate(TEXT_PROMPT, false);
  const r = await client.completions.create({ ...greedy, prompt: TEXT_PROMPT });
  assert.equal(r.object, "text_completion");
  assert.equal(r.choices[0].text, expected.text);
  assert.equal(r.choices[0].finish_reason, expected.finish);
  const stream = await client.completions.create({ ...greedy, prompt: TEXT_PROMPT, stream: true });
  let text = "", finish = null;
  for await (const chunk of stream) {
    if (chunk.choices.length === 0) continue;
    text += chunk.choices[0].text;
    finish = chunk.choices[0].finish_reason ?? finish;
  }
  assert.equal(text, expected.text);
  assert.equal(finish, expected.finish);
});

check("models.list names the served model", async () => {
  const ids = [];
  for await (const model of client.models.list()) ids.push(model.id);
  assert.deepEqual(ids, [modelId]);
});

check("a wrong key: AuthenticationError (401)", async () => {
  const stranger = new OpenAI({ baseURL, apiKey: apiKey + "x", maxRetries: 0, timeout: 60_000 });
  await assert.rejects(stranger.chat.completions.create({ ...greedy, messages: chatMessages }),
                       (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
  await assert.rejects(stranger.models.list(), OpenAI.AuthenticationError);
});

check("a bad parameter: BadRequestError (400) naming it", async () => {
  await assert.rejects(
    client.chat.completions.create({ ...greedy, messages: chatMessages, temperature: -1 }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === "temperature");
  await assert.rejects(client.completions.create({ ...greedy, prompt: TEXT_PROMPT, top_p: 0 }),
                       (e) => e instanceof OpenAI.BadRequestError && e.param === "top_p");
});

check("an unknown model: NotFoundError (404)", async () => {
  await assert.rejects(
    client.chat.completions.create({ ...greedy, model: "no-such-model", messages: chatMessages }),
    (e) => e instanceof OpenAI.NotFoundError && e.status === 404);
});

let failed = 0;
for (const { name, body } of checks) {
  try {
    await body();
    console.log(`ok   ${name}`);
  } catch (e) {
    ++failed;
    console.log(`FAIL ${name}\n     ${String(e?.stack ?? e).split("\n").join("\n     ")}`);
  }
}
console.log(`${checks.length - failed} of ${checks.length} checks passed`);
process.exit(failed);
