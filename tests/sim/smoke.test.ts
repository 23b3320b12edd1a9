import { expect, test } from "bun:test";
import { ACCOUNT, envelope, parseSse, startSim, textOf, userText } from "./helpers.ts";

test("token then streaming generate", async () => {
  const h = await startSim({ accounts: [ACCOUNT] });
  const token = await h.token(ACCOUNT.refreshToken);
  const res = await h.call("streamGenerateContent", envelope("proj-a", "claude-sonnet-4-6", { contents: [userText("hello there friend")] }), token, "?alt=sse");
  expect(res.status).toBe(200);
  const body = await res.text();
  const frames = parseSse(body);
  expect(frames.length).toBeGreaterThan(2);
  expect(textOf(frames)).toStartWith("Simulated claude-sonnet-4-6 reply to: hello there friend.");
});
