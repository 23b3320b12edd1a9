/** The client's countTokens: the body upstream takes, and the answer shapes seen in the field. */
import { afterEach, expect, test } from "bun:test";
import { createUpstreamClient } from "../../src/upstream/client.ts";
import { UpstreamError } from "../../src/upstream/errors.ts";
import { optionsFor, startFakeHost, tokenHandler, type FakeHost, type Handler } from "./fake-upstream.ts";

const ACCOUNT = { id: "a@example.com", refreshToken: "1//refresh-secret-for-a-0123456789", projectId: "proj-a" };
const REQUEST = { contents: [{ role: "user", parts: [{ text: "hi" }] }] };

const running: FakeHost[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((h) => h.stop()));
});

function oneHost(answer: Handler) {
  const issue = tokenHandler({ hits: 0 });
  const h = startFakeHost((req, seen) => (seen.path === "/token" ? issue(req, seen) : answer(req, seen)));
  running.push(h);
  return { h, client: createUpstreamClient(optionsFor([h.url], h.url)) };
}

test("posts {request} alone to countTokens and reads totalTokens", async () => {
  const { h, client } = oneHost(() => Response.json({ totalTokens: 8572 }));
  expect(await client.countTokens(ACCOUNT, REQUEST)).toBe(8572);
  const call = h.seen.find((s) => s.path === "/v1internal:countTokens")!;
  expect(JSON.parse(call.body)).toEqual({ request: REQUEST });
});

test("reads the answer wrapped in response, and an int64 written as a string", async () => {
  const wrapped = oneHost(() => Response.json({ response: { totalTokens: 12 } }));
  expect(await wrapped.client.countTokens(ACCOUNT, REQUEST)).toBe(12);
  const text = oneHost(() => Response.json({ totalTokens: "345" }));
  expect(await text.client.countTokens(ACCOUNT, REQUEST)).toBe(345);
});

test("an answer without a number, or an error status, is an UpstreamError", async () => {
  const empty = oneHost(() => Response.json({}));
  await expect(empty.client.countTokens(ACCOUNT, REQUEST)).rejects.toBeInstanceOf(UpstreamError);
  const denied = oneHost(() => Response.json({ error: { code: 400, status: "INVALID_ARGUMENT", message: 'Unknown name "model"' } }, { status: 400 }));
  const err = await denied.client.countTokens(ACCOUNT, REQUEST).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UpstreamError);
  expect((err as UpstreamError).kind).toBe("bad_request");
});
