/**
 * The first line of the system prompt Claude Code sends in SDK / `claude -p` mode. Gemini 3.7/3.8
 * Flash answer a system instruction containing it with a detail-less 429 (cloudcode-protocol.md,
 * "Errors (additions)"); peers rewrite it to the interactive CLI's identity (Antigravity-Manager
 * PR #3316). Kept here, beside the classifier that recognises the refusal.
 */
export const AGENT_SDK_IDENTITY_SENTENCE = "You are a Claude agent, built on Anthropic's Claude Agent SDK.";

/** What the interactive Claude Code CLI calls itself; the default replacement. */
export const CLAUDE_CODE_CLI_IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude.";
